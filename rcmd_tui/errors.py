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
        self.reason = message  # without the target, for a line or a row that names the target itself


class MigrationError(RcmdError):
    title = "Migration"


class LauncherError(RcmdError):
    title = "Local servers"


class SeedError(RcmdError):
    title = "Seeding"

