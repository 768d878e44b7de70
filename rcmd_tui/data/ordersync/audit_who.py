"""Who did it, for OrderSync's audit log: the user's e-mail, masked (one batched, decrypted look-up per page), and for
the console's own rows (reveals, actions), which carry no user, the operator it wrote into their plain JSON."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.crypto.masking import mask_email
from rcmd_tui.data.lists.enrich import Row, for_ids
from rcmd_tui.data.rcmd.audit_who import CONSOLE_MARK

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services
    from rcmd_tui.data.lists.spec import ListSpec

EMAIL = column("users", "email")
_EMAILS = sql.SQL("SELECT id, email_encrypted, email_key_id FROM users WHERE id = ANY(%s)")


def _payload(new_value: Any) -> dict[str, Any] | None:
    if not isinstance(new_value, Plain) or new_value.key_id != "plain:console":
        return None
    try:
        payload = json.loads(new_value.text)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def note(new_value: Any, error: Any) -> str | None:
    """What a row says at a glance: for the console's rows what it did and why (the field revealed, the action),
    else the error of a failed one.

    >>> note(Plain('{"field": "email", "reason": "SUP-1 check"}', "plain:console", unencrypted=True), None)
    'reveal email: SUP-1 check'
    >>> note(Plain('{"action": "console.order.cancel", "reason": "closed"}', "plain:console", unencrypted=True), None)
    'console.order.cancel: closed'
    >>> note(None, "timeout calling payment gateway")
    'timeout calling payment gateway'
    """
    payload = _payload(new_value)
    if payload is None:
        return str(error) if error else None
    what = f"reveal {payload['field']}" if payload.get("field") else str(payload.get("action") or "console")
    reason = payload.get("reason")
    return f"{what}: {reason}" if reason else what


def operator(new_value: Any) -> str | None:
    """The console's operator from a row's new value (the console writes it as plain JSON, key id plain:console).

    >>> operator(Plain('{"os_user": "kim", "console_role": "support", "field": "email"}', "plain:console", unencrypted=True))
    '⚙ kim (support)'
    >>> operator(Plain('{"status": "ACTIVE"}', "plain:trigger", unencrypted=True)), operator(None)
    (None, None)
    """
    payload = _payload(new_value)
    if payload is None:
        return None
    role = payload.get("console_role")
    return f"{CONSOLE_MARK} {payload.get('os_user') or '?'}" + (f" ({role})" if role else "")


@dataclass(frozen=True, slots=True)
class Who:
    @property
    def needs(self) -> tuple[str, ...]:
        return ("user_id", "new_value", "error_message")

    @property
    def provides(self) -> tuple[str, ...]:
        return ("who", "note")

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        found = await for_ids(services, spec.system, _EMAILS, rows, "user_id")
        names: dict[Any, str] = {}
        if found:
            decryptor = await services.decryptor(spec.system)

            def masked() -> dict[Any, str]:
                out = {}
                for uid, text, key_id in found:
                    email = decryptor.field(EMAIL, text, key_id, uid)
                    out[uid] = mask_email(email.text) if isinstance(email, Plain) else f"user {str(uid)[:8]}"
                return out

            names = await asyncio.to_thread(masked)  # the first use of a key may wait on the keyring
        for r in rows:
            user = r.get("user_id")
            r["who"] = names.get(user, f"user {str(user)[:8]}") if user is not None else operator(r.get("new_value"))
            r["note"] = note(r.get("new_value"), r.get("error_message"))
