"""Key material lives in the OS keyring only: service = the profile's, username = the key id.

This module opens the backend the profile asks for and stores seeded keys. It fails closed: a
backend that keyring picks on its own but that keeps secrets in plaintext (or none at all) is
refused; a plaintext file backend is used only when chosen explicitly (the demo does).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
from keyring.core import load_keyring
from keyrings.alt.file import PlaintextKeyring

from rcmd_tui.config import KeyringSettings
from rcmd_tui.errors import ConfigError

_INSECURE_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null", "keyring.backends.chainer")
FILE_ENV = "RCMD_TUI_KEYRING_FILE"


class DemoFileKeyring(PlaintextKeyring):  # type: ignore[misc]
    """A plaintext file keyring at an explicit path, for the throwaway demo and tests only."""

    priority = 0.1  # never preferred when keyring chooses by itself

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self._path = path or os.environ.get(FILE_ENV) or ""

    @property
    def file_path(self) -> str:
        if not self._path:
            raise keyring.errors.KeyringError(f"DemoFileKeyring needs a file: set {FILE_ENV}")
        return self._path


class NoUsableKeyring(ConfigError):
    title = "Keyring"


def open_backend(settings: KeyringSettings) -> Any:
    """The keyring backend for a profile, or NoUsableKeyring saying how to get one."""
    if settings.backend:
        if settings.backend.endswith("DemoFileKeyring"):
            if not settings.file:
                raise NoUsableKeyring("keyring backend DemoFileKeyring has no file", "set keyring.file in the profile")
            Path(settings.file).parent.mkdir(parents=True, exist_ok=True)
            return DemoFileKeyring(settings.file)
        try:
            return load_keyring(settings.backend)
        except Exception as exc:
            raise NoUsableKeyring(
                f"cannot load keyring backend {settings.backend!r}: {type(exc).__name__}",
                "check keyring.backend in the profile (a dotted class name)",
            ) from None
    chosen = keyring.get_keyring()
    module = type(chosen).__module__
    if module.startswith(_INSECURE_MODULES) or getattr(chosen, "priority", 0) <= 0:
        raise NoUsableKeyring(
            "no usable OS keyring: encrypted fields stay locked",
            "start a Secret Service in this session (e.g. gnome-keyring-daemon under dbus-run-session) "
            "or set PYTHON_KEYRING_BACKEND to a backend of your choice",
        )
    return chosen


def store_key(backend: Any, service: str, key_id: str, key: bytes) -> None:
    backend.set_password(service, key_id, base64.b64encode(key).decode("ascii"))


def fetch_key(backend: Any, service: str, key_id: str) -> bytes | None:
    value = backend.get_password(service, key_id)
    if value is None:
        return None
    return base64.b64decode(value, validate=True)
