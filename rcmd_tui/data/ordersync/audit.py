"""Rows the console writes into OrderSync's audit log (reveals, key operations, actions).

The payload is JSON in new_value_encrypted under the key id ``plain:console``, so readers can tell it is
not ciphertext (as the trigger's ``plain:trigger`` rows, seed-deviations O11). The database adds who is
connected (session_user, current_user): the console cannot misreport it.
"""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Any

AUDIT_KEY_ID = "plain:console"

INSERT = (
    "INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, new_value_encrypted, new_value_key_id, "
    "success, error_message) VALUES (%s, %s, %s, %s, "
    "(%s::jsonb || jsonb_build_object('db_user', session_user::text, 'db_role', current_user::text))::text, %s, %s, %s)"
)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def params(action: str, resource_type: str, resource_id: str | None, details: dict[str, Any], *,
           success: bool = True, error: str | None = None) -> list[Any]:
    payload = {"os_user": os_user(), **details}
    return [uuid.uuid4().hex, action, resource_type, resource_id, json.dumps(payload, ensure_ascii=False), AUDIT_KEY_ID,
            success, error]
