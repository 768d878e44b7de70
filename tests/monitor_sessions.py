"""Real sessions for the monitoring tests: one holds a row lock, another waits on it (in a thread, since it
blocks), an idle-in-transaction one; each with an application_name the tests filter on."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg

from rcmd_tui.config import Profile


@dataclass
class LockPair:
    blocker: psycopg.Connection[Any]
    blocker_pid: int
    waiter_pid: int
    waiter_error: list[BaseException] = field(default_factory=list)
    waiter_done: threading.Event = field(default_factory=threading.Event)


def _connect(profile: Profile, app: str) -> psycopg.Connection[Any]:
    assert profile.rcmd is not None
    return psycopg.connect(profile.rcmd.dsn, application_name=app, autocommit=True,
                           options=f"-c search_path={profile.rcmd.schema} -c statement_timeout=60000")


@contextlib.contextmanager
def lock_pair(profile: Profile, prefix: str = "mon") -> Iterator[LockPair]:
    """``{prefix}-blocker`` holds an exclusive lock on audit_logs' first user row; ``{prefix}-waiter`` waits for it.
    Yields once the waiter is seen waiting."""
    blocker = _connect(profile, f"{prefix}-blocker")
    blocker_pid = blocker.info.backend_pid
    blocker.execute("BEGIN")
    blocker.execute("LOCK TABLE users IN EXCLUSIVE MODE")
    waiter = _connect(profile, f"{prefix}-waiter")
    waiter_pid = waiter.info.backend_pid
    pair = LockPair(blocker, blocker_pid, waiter_pid)

    def wait() -> None:
        try:
            waiter.execute("UPDATE users SET updated_at = updated_at WHERE false")
        except psycopg.Error as exc:
            pair.waiter_error.append(exc)
        finally:
            pair.waiter_done.set()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    # Not named after the prefix: a closed session's backend lingers a moment, and a filter on the prefix would see it.
    with _connect(profile, "monitor-sessions-watch") as watch:
        for _ in range(200):
            row = watch.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (waiter_pid,)).fetchone()
            if row and row[0] == "Lock":
                break
            time.sleep(0.05)
    try:
        yield pair
    finally:
        with contextlib.suppress(psycopg.Error):
            blocker.close()
        thread.join(timeout=10)
        waiter.close()
        _until_gone(profile, (blocker_pid, waiter_pid))


def _until_gone(profile: Profile, pids: tuple[int, ...]) -> None:
    """A closed session's backend exits a moment later; the next test filtering on the same prefix must not see it."""
    with _connect(profile, "monitor-sessions-watch") as watch:
        for _ in range(200):
            if not watch.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)).fetchone():
                return
            time.sleep(0.05)


@contextlib.contextmanager
def idle_in_transaction(profile: Profile, app: str) -> Iterator[int]:
    conn = _connect(profile, app)
    conn.execute("BEGIN")
    conn.execute("SELECT 1")
    try:
        yield conn.info.backend_pid
    finally:
        pid = conn.info.backend_pid
        conn.close()
        _until_gone(profile, (pid,))


async def view_rows(services: Any, spec: Any) -> list[dict[str, Any]]:
    """A snapshot view read once, in its default order, as dicts."""
    from rcmd_tui.data.lists.engine import open_source
    from rcmd_tui.data.lists.snapshot import SnapshotSource

    source = open_source(spec, services)
    assert isinstance(source, SnapshotSource)
    await source.refresh()
    return [r.as_dict() for r in source.rows]
