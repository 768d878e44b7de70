"""Any failure, told to a person: what failed, on which target, and what to do. Mapped by exception type,
never by message text; the one place screens, workers and reports turn an exception into words.
"""

from __future__ import annotations

import keyring.errors
import psycopg
import psycopg.errors
import psycopg_pool
import redis.exceptions

from rcmd_tui.data.infra.redact import redact
from rcmd_tui.errors import RcmdError


class QueryFailed(RcmdError):
    title = "Query"


class LockWait(RcmdError):
    title = "Lock wait"


class NotPermitted(RcmdError):
    title = "Not permitted"


class Unreachable(RcmdError):
    title = "Connection"


class KeyringFailed(RcmdError):
    title = "Keyring"


class Unexpected(RcmdError):
    title = "Unexpected error"


def first_line(exc: BaseException) -> str:
    """An error's first line, secrets redacted: psycopg's messages go on with DETAIL and HINT lines a toast has no
    room for."""
    text = redact(str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def describe(exc: BaseException, target: str, where: str = "") -> RcmdError:
    """``exc`` as an RcmdError naming ``target`` (at ``where``) with a fix."""
    if isinstance(exc, RcmdError):
        return exc
    at = f"{target} ({where})" if where else target
    # PostgreSQL, most specific first: the three errors of a running query, then the connection.
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return LockWait(f"{at}: gave up waiting for a lock (lock_timeout)",
                        "another session holds it: try again, or find the blocker in pg_locks / pg_stat_activity")
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return QueryFailed(f"{at}: the query ran past statement_timeout",
                           "narrow the filter (since:, user=) or raise timeouts.statement_ms")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return NotPermitted(f"{at}: the database role may not do this ({first_line(exc)})",
                            "grant the login the console role it needs (docs/roles.md)")
    if isinstance(exc, psycopg_pool.PoolTimeout | psycopg.OperationalError):
        return Unreachable(f"{at}: cannot reach the server ({first_line(exc)})",
                           "check the home screen; press r to retry once it is up")
    if isinstance(exc, psycopg.Error):
        return QueryFailed(f"{at}: {first_line(exc)}", "press r to retry; if it persists, report it")
    # Redis: permission before the generic reply error (NoPermissionError is a ResponseError).
    if isinstance(exc, redis.exceptions.NoPermissionError):
        return NotPermitted(f"{at}: the Redis user may not run this ({first_line(exc)})",
                            "grant the ACL user the command (ACL SETUSER … +@read +scan +type +pttl)")
    if isinstance(exc, redis.exceptions.TimeoutError):
        return Unreachable(f"{at}: Redis did not answer in time", "check the network path, or raise timeouts.redis_ms")
    if isinstance(exc, redis.exceptions.ConnectionError):
        return Unreachable(f"{at}: cannot reach Redis ({first_line(exc)})", "check the home screen; press r to retry once it is up")
    if isinstance(exc, redis.exceptions.ResponseError):
        return QueryFailed(f"{at}: Redis refused the command ({first_line(exc)})",
                           "the command may be renamed or disabled on this server")
    if isinstance(exc, redis.exceptions.RedisError):
        return QueryFailed(f"{at}: {first_line(exc)}", "press r to retry")
    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringFailed("the keyring is locked", "unlock it, then press r on the home screen")
    if isinstance(exc, keyring.errors.KeyringError):
        return KeyringFailed(f"the keyring failed: {first_line(exc)}", "check the keyring row on the home screen")
    if isinstance(exc, OSError):
        return Unreachable(f"{at}: {exc.strerror or first_line(exc)}", "check the home screen; press r to retry")
    return Unexpected(f"{at}: {type(exc).__name__}: {first_line(exc)}", "this is a bug; please report it with what you did")
