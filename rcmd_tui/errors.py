"""One error hierarchy: every error a person sees has a title, a message and a hint."""

from __future__ import annotations


class RcmdError(Exception):
    """Base: ``str()`` is one line naming what failed and what to do."""

    title = "Error"
    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class ConfigError(RcmdError):
    title = "Configuration"


class TargetError(RcmdError):
    """A PostgreSQL or Redis target could not be reached or refused us."""

    title = "Connection"

    def __init__(self, target: str, where: str, message: str, hint: str = "") -> None:
        super().__init__(f"{target} ({where}): {message}", hint)
        self.target = target
        self.where = where


class MigrationError(RcmdError):
    title = "Migration"


class LauncherError(RcmdError):
    title = "Local servers"


class SeedError(RcmdError):
    title = "Seeding"


def describe_error(exc: BaseException, target: str) -> RcmdError:
    """Any failure of a worker as an RcmdError naming the target and what to do."""
    if isinstance(exc, RcmdError):
        return exc
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "statement timeout" in text:
        return RcmdError(f"{target}: the query ran past statement_timeout",
                         "narrow the filter (since:, user=) or raise timeouts.statement_ms")
    return RcmdError(f"{target}: {text}", "check the connection on the home screen, then press r to retry")
