"""What a change will do, decided before anyone confirms it.

A :class:`Plan` carries everything one action does: the re-check that its targets are still as shown, the
audit row, the PostgreSQL statements, and optional Redis commands (with their own re-checks). The runner
(:mod:`rcmd_tui.data.actions.run`) executes any plan the same way; the confirmation dialog shows every
statement and command with its bound values, from :func:`~rcmd_tui.data.actions.run.render`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import sql

from rcmd_tui.config import ConsoleRole
from rcmd_tui.errors import RcmdError


class ActionRefused(RcmdError):
    title = "Action refused"


class TargetChanged(RcmdError):
    title = "Changed since shown"


@dataclass(frozen=True, slots=True)
class Privilege:
    table: str  # the table; for MEMBER a role (pg_signal_backend), for EXECUTE a function with its argument types
    privilege: str  # SELECT, UPDATE, INSERT, DELETE; USAGE: of the sequence behind the column's serial default
    column: str | None = None

    def query(self) -> Statement:
        if self.privilege == "MEMBER":  # a superuser holds every role's rights
            return Statement(sql.SQL("SELECT pg_has_role(%s, 'MEMBER') OR (SELECT rolsuper FROM pg_roles "
                                     "WHERE rolname = current_user)"), (self.table,))
        if self.privilege == "OWNER":  # DDL on the table (a new partition): its owner's rights, and CREATE in its schema
            return Statement(sql.SQL("SELECT pg_has_role(c.relowner, 'USAGE') AND has_schema_privilege(c.relnamespace, 'CREATE') "
                                     "FROM pg_class c WHERE c.oid = %s::regclass"), (self.table,))
        if self.privilege == "EXECUTE":
            return Statement(sql.SQL("SELECT to_regprocedure(%s) IS NOT NULL AND has_function_privilege(%s, 'EXECUTE')"),
                             (self.table, self.table))
        if self.privilege == "USAGE" and self.column:
            # An identity column draws its values without the privilege; a serial default needs USAGE on it.
            return Statement(sql.SQL(
                "SELECT coalesce((SELECT attidentity <> '' FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attname = %s), false) OR pg_get_serial_sequence(%s, %s) IS NULL "
                "OR has_sequence_privilege(pg_get_serial_sequence(%s, %s), 'USAGE')"),
                (self.table, self.column, self.table, self.column, self.table, self.column))
        if self.column:
            return Statement(sql.SQL("SELECT has_column_privilege(%s, %s, %s)"), (self.table, self.column, self.privilege))
        return Statement(sql.SQL("SELECT has_table_privilege(%s, %s)"), (self.table, self.privilege))


@dataclass(frozen=True, slots=True)
class Statement:
    query: sql.SQL | sql.Composed
    params: tuple[Any, ...] = ()
    needs: tuple[Privilege, ...] = ()  # what the connected role must hold for the database to run it
    # What it adds to "n rows changed": the rows it touched, the count a function returns, or nothing (the
    # history row written beside the change it records).
    counts: Literal["rows", "value", "none"] = "rows"


def columns_privileges(table: str, privilege: str, columns: Sequence[str]) -> tuple[Privilege, ...]:
    return tuple(Privilege(table, privilege, c) for c in columns)


def update(table: str, assignments: Mapping[str, sql.Composable], where: sql.Composable,
           params: tuple[Any, ...], where_columns: Sequence[str] = ("id",)) -> Statement:
    """``UPDATE table SET column = expression, … WHERE …``. What it needs is read off the columns it sets and
    reads, so an action is never offered to a role the database would refuse (a grant on ``is_active``
    alone does not cover ``updated_at = now()``)."""
    sets = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), e) for c, e in assignments.items())
    query = sql.SQL("UPDATE {} SET {} WHERE {}").format(sql.Identifier(table), sets, where)
    return Statement(query, params, columns_privileges(table, "UPDATE", list(assignments))
                     + columns_privileges(table, "SELECT", where_columns))


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
    typed: str | None = None  # bulk or destructive: the words to type to confirm
    # Signals take effect at once and no rollback undoes them; and the audit row's insert may need the very lock
    # the signalled backend holds. So they are sent first and the audit row follows, in the same transaction.
    audit_after: bool = False
    changes: str = "row changed"  # what one unit of the result is, for "done, 2 rows changed" ("backend signalled")
    preview: tuple[str, ...] = ()  # the change in words (a diff), shown above the statements that make it

    def outcome(self, count: int) -> str:
        noun, _, verb = self.changes.partition(" ")
        return f"{count} {noun}{'s' if count != 1 else ''} {verb}".rstrip()

    @property
    def privileges(self) -> tuple[Privilege, ...]:
        """Every privilege its statements need, each once, in the order they run."""
        needed = (s.needs for s in (self.check, *self.in_order, self.failed_audit) if s is not None)
        return tuple(dict.fromkeys(p for needs in needed for p in needs))

    @property
    def in_order(self) -> tuple[Statement, ...]:
        """The audit row and the statements, in the order they run (after the re-check)."""
        return (*self.statements, self.audit) if self.audit_after else (self.audit, *self.statements)

    @property
    def how(self) -> str:
        """The order things run in, for the confirmation dialog."""
        steps = []
        if self.redis is not None and self.redis.checks:
            steps.append("watch and re-check the Redis keys")
        pg = ["re-check the targets"] if self.check is not None else []
        pg += (["change"] if self.statements else []) + ["write the audit row"] if self.audit_after else \
              ["write the audit row"] + (["change"] if self.statements else [])
        steps.append(", ".join(pg) + " (one transaction)")
        if self.redis is not None:
            steps.append("then, only if the keys are unchanged, run the Redis commands in MULTI/EXEC")
        return "; ".join(steps)
