"""Who did it, for RCMD's audit log: the username for a user's own rows (one batched look-up per page), and for the
console's own actions, which carry no user, the operator the console wrote into their details (OS user and
console role), so a reviewer reads names, never bare ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

from rcmd_tui.data.lists.enrich import Row, for_ids

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services
    from rcmd_tui.data.lists.spec import ListSpec

CONSOLE_MARK = "⚙"  # a row the console wrote: what follows is its operator, not an RCMD user
_NAMES = sql.SQL("SELECT id, username FROM users WHERE id = ANY(%s)")


def operator(details: Any) -> str | None:
    """The console's operator in a row's details, as the list shows it.

    >>> operator({"via": "rcmd-tui", "os_user": "kim", "console_role": "admin", "profile": "prod"})
    '⚙ kim (admin)'
    >>> operator({"via": "web"}), operator(None)
    (None, None)
    """
    if not isinstance(details, dict) or details.get("via") != "rcmd-tui":
        return None
    role = details.get("console_role")
    return f"{CONSOLE_MARK} {details.get('os_user') or '?'}" + (f" ({role})" if role else "")


@dataclass(frozen=True, slots=True)
class Who:
    @property
    def needs(self) -> tuple[str, ...]:
        return ("user_id", "details")

    @property
    def provides(self) -> tuple[str, ...]:
        return ("who",)

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        names = {r[0]: r[1] for r in await for_ids(services, spec.system, _NAMES, rows, "user_id")}
        for r in rows:
            user = r.get("user_id")
            r["who"] = names.get(user) if user is not None else operator(r.get("details"))
