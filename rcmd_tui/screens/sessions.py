"""Sessions (`:sessions`). RCMD: the rows with their Redis state beside them; revoke one or the marked ones,
revoke every session of a user, and clean up the rows whose two stores disagree, one kind at a time.
OrderSync: revoke one or the marked ones."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.ordersync import session_actions as ordersync_sessions
from rcmd_tui.data.rcmd.session_actions import Session, clean_mismatches, revoke_sessions, revoke_user_sessions
from rcmd_tui.data.rcmd.sessions import MISMATCHES, user_set_key
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.prompt_bar import PromptBar


class NoSuchMismatch(RcmdError):
    title = "Clean up"


_ANY = Session("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000")


def _session(record: Record) -> Session:
    return Session(str(record.get("id")), str(record.get("user_id")), record.get("username"), record.get("is_active"),
                   record.get("expires_at"))


class RcmdSessionsScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"revoke", "revoke_user", "clean"})
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"clean"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "revoke", "Revoke", id="sessions.revoke",
                tooltip="Revoke the marked sessions (or this one): the row, then its Redis key; asks first, audited"),
        Binding("U", "revoke_user", "Revoke user's", id="sessions.revoke_user",
                tooltip="Revoke every session of this row's user, in both stores; asks first, audited"),
        Binding("X", "clean", "Clean up", id="sessions.clean",
                tooltip="Make PostgreSQL and Redis agree for the rows showing one kind of mismatch; asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return revoke_sessions([_ANY], self.services.profile).privileges

    def action_revoke(self) -> None:
        if self.refuse("Revoke"):
            return
        rows = [r for r in self.targets() if r.get("id") is not None]
        if not rows:
            self.notify("No session here to revoke", timeout=3)
            return
        # Revoked already: inactive, and no key left in Redis that could still let it in.
        live = [r for r in rows if r.get("is_active") is not False or r.get("redis_key") or r.get("in_set")]
        if not live:
            self.notify("Already revoked: inactive in PostgreSQL and no key in Redis; nothing to do", timeout=4)
            return
        if len(live) < len(rows):
            self.notify(f"{len(rows) - len(live)} session(s) revoked already, left out", timeout=3)
        self.propose(revoke_sessions([_session(r) for r in live], self.services.profile))

    def action_revoke_user(self) -> None:
        if self.refuse("Revoke user's sessions"):
            return
        current = self.current()
        if current is None or current.get("user_id") is None:
            self.notify("No session here: move to one of the user's", timeout=3)
            return
        self._revoke_user(str(current.get("user_id")), str(current.get("username") or current.get("user_id")))

    @work(exclusive=True, group="action-read", exit_on_error=False)
    async def _revoke_user(self, user_id: str, username: str) -> None:
        """What to remove is read just before asking: the user's rows, then the members of their Redis set."""
        async with self.services.primary("rcmd").connection() as conn:
            rows = await (await conn.execute("SELECT id::text FROM sessions WHERE user_id = %s::uuid", [user_id])).fetchall()
        members: list[str] = []
        if self.services.redis is not None:
            raw = await self.services.redis.smembers(user_set_key(user_id))
            members = sorted(m.decode(errors="replace") if isinstance(m, bytes) else str(m) for m in raw)
        self.propose(revoke_user_sessions(user_id, username, [r[0] for r in rows], members, self.services.profile))

    def action_clean(self) -> None:
        if self.refuse("Clean up"):
            return
        bar = self.query_one(PromptBar)
        kinds = ", ".join(MISMATCHES)

        def go(text: str) -> None:
            kind = text.strip()
            if kind not in MISMATCHES:
                bar.say(NoSuchMismatch(f"{kind!r} is not a kind of mismatch", f"type one of: {kinds}"))
                return
            rows = self.targets() if self.table.marked else self.table.shown_records
            chosen = [_session(r) for r in rows if kind in str(r.get("mismatch") or "").split()]
            bar.action_close()
            if not chosen:
                where = "marked" if self.table.marked else "loaded"
                self.notify(f"No {where} row shows a {kind} mismatch (filter the list with the word {kind} to see them)",
                            timeout=5, markup=False)
                return
            self.propose(clean_mismatches(kind, chosen, self.services.profile))

        bar.ask("Clean up which mismatch", kinds, go)


class OrderSyncSessionsScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"revoke"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "revoke", "Revoke", id="os_sessions.revoke",
                tooltip="Revoke the marked sessions (or this one); asks first, audited"),
    ]

    @property
    def action_system(self) -> str:
        return "ordersync"

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return ordersync_sessions.revoke_sessions([(_ANY.id, False)], self.services.profile).privileges

    def action_revoke(self) -> None:
        if self.refuse("Revoke"):
            return
        chosen = [(str(r.get("id")), r.get("is_revoked")) for r in self.targets()]
        if not chosen:
            self.notify("No session here to revoke", timeout=3)
            return
        self.propose(ordersync_sessions.revoke_sessions(chosen, self.services.profile))
