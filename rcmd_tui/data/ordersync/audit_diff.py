"""An OrderSync audit row's old and new values as a change, field by field: added, removed, changed, nested objects
walked, each value masked by what it holds until the row is revealed. A value that cannot be decrypted (or is not
JSON) is said to be so, and the other side still shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rcmd_tui.data.crypto.columns import FieldKind
from rcmd_tui.data.crypto.decrypt import Failure, Plain
from rcmd_tui.data.crypto.masking import mask

# Values that are the system's own words, never a person's: shown as they are.
PLAIN_KEYS = frozenset({"status", "role", "version", "action", "type", "method", "payment_method", "is_active",
                        "is_revoked", "success", "two_factor_enabled", "failed_login_count", "permissions", "category"})
# A key's name tells what its value holds, so it is masked as such.
KIND_BY_KEY = (("email", FieldKind.EMAIL), ("phone", FieldKind.PHONE), ("name", FieldKind.NAME),
               ("address", FieldKind.ADDRESS), ("card", FieldKind.CARD), ("ip", FieldKind.IP),
               ("password", FieldKind.SECRET), ("secret", FieldKind.SECRET), ("token", FieldKind.SECRET))
MISSING = object()


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # a.b.c
    kind: str  # added, removed, changed
    old: Any = MISSING
    new: Any = MISSING


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the change: the document, or why there is none to read."""

    document: Any = None
    problem: str | None = None  # "authentication failed: …", "not JSON", None when read (or absent)
    present: bool = False


def side(value: Any) -> Side:
    """A decrypted field as one side: a JSON document, nothing (NULL), or what went wrong.

    >>> side(Plain('{"status": "ACTIVE"}', "k")).document, side(None).present, side(Plain("x{", "k")).problem
    ({'status': 'ACTIVE'}, False, 'not JSON: x{')
    """
    if value is None:
        return Side()
    if isinstance(value, Failure):
        return Side(problem=f"{value.kind.value}: {value.detail}")
    text = value.text if isinstance(value, Plain) else str(value)
    try:
        return Side(json.loads(text), present=True)
    except ValueError:
        return Side(problem=f"not JSON: {text[:40]}")


def diff(old: Any, new: Any, path: str = "") -> list[Change]:
    """Field by field, objects walked, in the new document's order then the removed ones.

    >>> [(c.path, c.kind) for c in diff({"a": 1, "b": {"c": 2, "d": 3}, "e": 5}, {"a": 1, "b": {"c": 9}, "f": 6})]
    [('b.c', 'changed'), ('b.d', 'removed'), ('f', 'added'), ('e', 'removed')]
    >>> diff({"a": [1, 2]}, {"a": [1, 3]})[0].kind
    'changed'
    """
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key, value in new.items():
            at = f"{path}.{key}" if path else str(key)
            if key not in old:
                changes.append(Change(at, "added", new=value))
            elif old[key] != value:
                changes += diff(old[key], value, at)
        changes += [Change(f"{path}.{k}" if path else str(k), "removed", old=v) for k, v in old.items() if k not in new]
        return changes
    if old == new:
        return []
    return [Change(path or "(value)", "changed", old, new)]


def masked(path: str, value: Any) -> str:
    """A value as shown before a reveal: the system's own words and numbers as they are, anything else masked by
    what its key says it holds.

    >>> masked("status", "ACTIVE"), masked("email", "kim@example.com"), masked("profile.phone", "010-1234-5678")
    ('"ACTIVE"', 'k***@e***.com', '***-****-5678')
    >>> masked("note", "call me"), masked("count", 3), masked("address", {"city": "Seoul"})
    ('•••• (7 chars)', '3', '{1 field}')
    >>> masked("card_info_key_id", "ordersync/payment/v2"), masked("card_info_encrypted", "v1:abc"), masked("order_id", "o-1")
    ('"ordersync/payment/v2"', '•••• (6 chars)', '"o-1"')
    """
    if value is MISSING:
        return "—"
    if isinstance(value, dict):
        return f"{{{len(value)} field{'' if len(value) == 1 else 's'}}}"
    if isinstance(value, list):
        return f"[{len(value)}]"
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    key = path.rsplit(".", 1)[-1].lower()
    if key in PLAIN_KEYS or key.endswith(("_at", "_key_id")) or key == "id" or key.endswith("_id"):
        return json.dumps(value, ensure_ascii=False)  # times, ids and key ids name things, never a person
    if key.endswith("_encrypted"):  # ciphertext a trigger copied: only its length says anything
        return mask(FieldKind.TEXT, str(value))
    kind = next((k for word, k in KIND_BY_KEY if word in key), FieldKind.TEXT)
    return mask(kind, str(value))


def revealed(path: str, value: Any) -> str:
    """A value as shown once the row is revealed: in full, but a secret stays masked whatever the role.

    >>> revealed("email", "kim@example.com"), revealed("password_hash", "x")
    ('"kim@example.com"', '••••••••')
    """
    if value is MISSING:
        return "—"
    key = path.rsplit(".", 1)[-1].lower()
    if isinstance(value, str) and next((k for word, k in KIND_BY_KEY if word in key), None) is FieldKind.SECRET:
        return mask(FieldKind.SECRET, value)
    return json.dumps(value, ensure_ascii=False)
