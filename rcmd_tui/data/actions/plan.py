"""What a change will do, decided before anyone confirms it.

A :class:`Plan` carries everything one action does: the re-check that its targets are still as shown, the
audit row, the PostgreSQL statements, and optional Redis commands (with their own re-checks). The runner
(:mod:`rcmd_tui.data.actions.run`) executes any plan the same way; the confirmation dialog shows every
statement and command with its bound values, from :func:`~rcmd_tui.data.actions.run.render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql

from rcmd_tui.config import ConsoleRole
from rcmd_tui.errors import RcmdError


class ActionRefused(RcmdError):
    title = "Action refused"


class TargetChanged(RcmdError):
    title = "Changed since shown"


@dataclass(frozen=True, slots=True)
class Statement:
    query: sql.SQL | sql.Composed
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Privilege:
    table: str
    privilege: str  # UPDATE, INSERT, DELETE
    column: str | None = None

    def query(self) -> Statement:
        if self.column:
            return Statement(sql.SQL("SELECT has_column_privilege(%s, %s, %s)"), (self.table, self.column, self.privilege))
        return Statement(sql.SQL("SELECT has_table_privilege(%s, %s)"), (self.table, self.privilege))


RedisCommand = tuple[bytes | str | int, ...]


@dataclass(frozen=True, slots=True)
class RedisCheck:
    """A key that must still be as shown: of this type, and (for a string such as a lock) holding this value.
    ``expect_type`` "none" means the key must not exist."""

    key: bytes
    expect_type: str
    expect_value: bytes | None = None


@dataclass(frozen=True, slots=True)
class RedisStep:
    """Redis commands run in MULTI/EXEC after the PostgreSQL part commits; the checked keys are WATCHed
    from before the check, so Redis aborts the commands if any of them changed in between."""

    commands: tuple[RedisCommand, ...]
    checks: tuple[RedisCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    system: str  # whose PostgreSQL holds the re-check, the audit log and the statements
    title: str
    targets: tuple[str, ...]
    audit: Statement
    check: Statement | None = None  # one row: (still_as_shown boolean, what changed if not)
    statements: tuple[Statement, ...] = ()
    redis: RedisStep | None = None
    failed_audit: Statement | None = None  # written when the Redis step does not run after all
    roles: tuple[ConsoleRole, ...] = ("admin",)
    privileges: tuple[Privilege, ...] = ()
    typed: str | None = None  # bulk or destructive: the words to type to confirm

    @property
    def how(self) -> str:
        """The order things run in, for the confirmation dialog."""
        steps = []
        if self.redis is not None and self.redis.checks:
            steps.append("watch and re-check the Redis keys")
        pg = ["re-check the targets"] if self.check is not None else []
        pg += ["write the audit row"] + (["change"] if self.statements else [])
        steps.append(", ".join(pg) + " (one transaction)")
        if self.redis is not None:
            steps.append("then, only if the keys are unchanged, run the Redis commands in MULTI/EXEC")
        return "; ".join(steps)
