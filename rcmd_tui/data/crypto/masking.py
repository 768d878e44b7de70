"""Masked forms of decrypted values, by field kind: enough to tell rows apart and confirm a caller's
answer ("the card ending 4242?"), never enough to use.

The masked form is computed from the plaintext, so it is only ever shown after a successful decryption;
failures and NULLs are shown as such by the caller.
"""

from __future__ import annotations

import ipaddress
import re

from rcmd_tui.data.crypto.columns import FieldKind

STAR = "*"
DOT = "•"


def _initial(text: str) -> str:
    return text[:1] + STAR * 3 if text else STAR * 3


def mask_email(value: str) -> str:
    local, sep, domain = value.strip().rpartition("@")
    if not sep:
        return mask_text(value)
    labels = domain.split(".")
    tld = "." + labels[-1] if len(labels) > 1 else ""
    return f"{_initial(local)}@{_initial(labels[0])}{tld}"


def mask_phone(value: str) -> str:
    """Every digit but the last four becomes '*'; separators stay, so the shape is recognisable."""
    digits = sum(ch.isdigit() for ch in value)
    if digits < 7:  # not a phone number after all: show nothing of it
        return mask_text(value)
    keep_from = digits - 4
    seen = 0
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else STAR)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_name(value: str) -> str:
    """Each word keeps its first letter: 김민수 -> 김**, John Smith -> J*** S****."""
    return " ".join(word[:1] + STAR * (len(word) - 1) if len(word) > 1 else STAR for word in value.split())


def mask_address(value: str) -> str:
    words = value.split()
    return f"{words[0]} {STAR * 3}" if len(words) > 1 else STAR * 3


def mask_card(value: str) -> str:
    """The issuer word (if any) and the last four digits."""
    digits = re.sub(r"\D", "", value)
    first = value.split(maxsplit=1)[0] if value.strip() else ""
    issuer = first if first and not any(ch.isdigit() for ch in first) else ""
    last4 = digits[-4:] if len(digits) >= 4 else ""
    return f"{issuer + ' ' if issuer else ''}**** {last4 or '****'}"


def mask_ip(value: str) -> str:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return mask_text(value)
    if address.version == 4:
        a, b, _, _ = str(address).split(".")
        return f"{a}.{b}.*.*"
    groups = address.exploded.split(":")
    return f"{groups[0]}:{groups[1]}:*:*:*:*:*:*"


def mask_text(value: str) -> str:
    return f"{DOT * 4} ({len(value)} chars)"


def mask_open(value: str) -> str:
    return value


def mask_secret(_value: str) -> str:
    return DOT * 8


_MASKERS = {
    FieldKind.EMAIL: mask_email,
    FieldKind.PHONE: mask_phone,
    FieldKind.NAME: mask_name,
    FieldKind.ADDRESS: mask_address,
    FieldKind.CARD: mask_card,
    FieldKind.IP: mask_ip,
    FieldKind.TEXT: mask_text,
    FieldKind.OPEN: mask_open,
    FieldKind.SECRET: mask_secret,
}


def mask(kind: FieldKind, value: str) -> str:
    return _MASKERS[kind](value)
