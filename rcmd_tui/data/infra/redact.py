"""Passwords never reach a message or a log: every text shown to people passes through here."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MASK = "***"
# URL userinfo after //, with or without a scheme before it (or its colon: "rediss//:pw@host"), up to the last
# @ of the word, so that a password holding an unencoded / or @ is masked whole rather than in part.
_URL_PASSWORD = re.compile(r"(?P<pre>//)(?P<user>[^:@/\s]*):(?P<pw>\S*)@")
# key=value with any password-like key, misspelt ones included (passwd, passwrd, pwd, sslpassword, PGPASSWORD).
_KV_PASSWORD = re.compile(r"(?P<key>\b(?:[\w-]*(?:pass|pwd|secret|token)[\w-]*|pw)\s*=\s*)"
                          r"(?P<pw>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)", re.I)
_known: set[str] = set()


def remember_secret(secret: str | None) -> None:
    """Register a password so it is masked wherever it appears, even outside a DSN."""
    if secret and len(secret) >= 4:
        _known.add(secret)


def secrets_in(dsn_or_url: str) -> list[str]:
    found = [unquote(m.group("pw")) for m in _URL_PASSWORD.finditer(dsn_or_url)]
    found += [m.group("pw").strip("'\"") for m in _KV_PASSWORD.finditer(dsn_or_url)]
    try:
        parts = urlsplit(dsn_or_url)
        if parts.password:
            found.append(parts.password)
    except ValueError:
        pass
    return [s for s in found if s]


def redact(text: str) -> str:
    """``text`` with every password masked that can be found in it. Best effort on text that is not a well-formed
    DSN or URL (libpq's message about one can quote a piece of a password with no key before it): such DSNs and
    URLs are refused when the configuration is read and never shown (config.py), not left to this."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('pre')}{m.group('user')}:{MASK}@", text)
    text = _KV_PASSWORD.sub(lambda m: f"{m.group('key')}{MASK}", text)
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
