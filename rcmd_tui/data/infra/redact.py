"""Passwords never reach a message or a log: every text shown to people passes through here."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<pw>[^@/\s]*)@", re.I)
_KV_PASSWORD = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.I)
_known: set[str] = set()


def remember_secret(secret: str | None) -> None:
    """Register a password so it is masked wherever it appears, even outside a DSN."""
    if secret and len(secret) >= 4:
        _known.add(secret)


def secrets_in(dsn_or_url: str) -> list[str]:
    found = [unquote(m.group("pw")) for m in _URL_PASSWORD.finditer(dsn_or_url)]
    found += [m.group("pw").strip("'") for m in _KV_PASSWORD.finditer(dsn_or_url)]
    try:
        parts = urlsplit(dsn_or_url)
        if parts.password:
            found.append(parts.password)
    except ValueError:
        pass
    return [s for s in found if s]


def redact(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", text)
    text = _KV_PASSWORD.sub(lambda m: f"{m.group('key')}{MASK}", text)
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
