"""Key material lives in the OS keyring only: service = the profile's, username = the key id.

This module opens the backend the profile asks for and stores seeded keys. It fails closed: a
backend that keyring picks on its own but that keeps secrets in plaintext (or none at all) is
refused; a plaintext file backend is used only when chosen explicitly (the demo does).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import keyring
import keyring.backend
import keyring.errors
from keyring.core import load_keyring
from keyrings.alt.file import PlaintextKeyring

from rcmd_tui.config import KeyringSettings
from rcmd_tui.errors import ConfigError, RcmdError

_INSECURE_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null", "keyring.backends.chainer")
FILE_ENV = "RCMD_TUI_KEYRING_FILE"
T = TypeVar("T")


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
            "no usable OS keyring",  # what that means is the caller's to say (the home screen: fields stay locked)
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


class KeyringUnavailable(RcmdError):
    """The keyring cannot answer now: no usable backend, or it did not answer in time."""

    title = "Keyring"


class KeyStore:
    """Key material by key id, fetched from the keyring at most once per process and kept in memory only.

    A keyring call can block (a Secret Service waiting for an interactive unlock), so each one runs on a
    daemon thread and is abandoned after ``timeout_s``: the caller gets KeyringUnavailable, never a hang.
    Missing keys are remembered as missing; ``forget()`` drops everything (after an import, say).
    """

    def __init__(self, settings: KeyringSettings, timeout_s: float = 5.0, retry_after_s: float = 30.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s  # after a timeout, fail fast instead of waiting again per field
        self._stalled: tuple[float, KeyringUnavailable] | None = None
        self.lookups = 0  # keyring calls made, for the benchmark and tests
        self._lock = threading.Lock()
        self._keys: dict[str, bytes | None] = {}
        self._backend: Any = None
        self._unavailable: KeyringUnavailable | None = None

    def __repr__(self) -> str:  # never the material
        return f"KeyStore(service={self.settings.service!r}, cached={len(self._keys)})"

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the caller's thread below
                box["error"] = exc

        thread = threading.Thread(target=run, daemon=True, name=f"keyring-{what}")
        thread.start()
        thread.join(self.timeout_s)
        failure: KeyringUnavailable | None = None
        if thread.is_alive():
            failure = KeyringUnavailable(f"the keyring did not answer within {self.timeout_s:g} s ({what})",
                                         "unlock the keyring (it may be waiting for a password prompt) or check the backend")
        elif "error" in box:
            error = box["error"]
            if isinstance(error, NoUsableKeyring):
                failure = KeyringUnavailable(error.message, error.hint or "")
            elif isinstance(error, keyring.errors.KeyringLocked):
                failure = KeyringUnavailable("the keyring is locked",
                                             "unlock it (for example: gnome-keyring-daemon --unlock, or log in to the desktop "
                                             "session), then retry")
            else:
                failure = KeyringUnavailable(f"keyring {what} failed: {type(error).__name__}: {error}",
                                             "check the keyring backend (PYTHON_KEYRING_BACKEND, keyring.backend)")
        if failure is not None:
            if what != "open":  # a stalled or locked keyring fails fast for a while instead of once per field
                self._stalled = (time.monotonic() + self.retry_after_s, failure)
            raise failure
        return cast(T, box["value"])

    def _check_stalled(self) -> None:
        stalled = self._stalled
        if stalled is not None:
            if time.monotonic() < stalled[0]:
                raise stalled[1]
            self._stalled = None

    def backend(self) -> Any:
        self._check_stalled()
        with self._lock:
            if self._unavailable is not None:
                raise self._unavailable
            if self._backend is None:
                try:
                    self._backend = self._call("open", lambda: open_backend(self.settings))
                except KeyringUnavailable as exc:
                    if not exc.message.startswith("the keyring did not answer"):
                        self._unavailable = exc  # no backend will appear while we run
                    raise exc from None
            return self._backend

    def status(self) -> KeyringUnavailable | None:
        """None when a backend is usable; otherwise why not and how to fix it."""
        try:
            self.backend()
        except KeyringUnavailable as exc:
            return exc
        return None

    def get(self, key_id: str) -> bytes | None:
        """The key's 32 bytes; None when the keyring has no such entry; b"" when the entry is not a
        base64 32-byte key. Raises KeyringUnavailable."""
        if key_id in self._keys:
            return self._keys[key_id]
        backend = self.backend()
        with self._lock:
            if key_id in self._keys:
                return self._keys[key_id]
            self._check_stalled()  # another thread may have timed out while we waited for the lock
            self.lookups += 1
            raw = self._call("lookup", lambda: backend.get_password(self.settings.service, key_id))
            self._keys[key_id] = _decode_key(raw)
            return self._keys[key_id]

    def cached(self) -> set[str]:
        return {k for k, v in self._keys.items() if v is not None}

    def put(self, key_id: str, key: bytes) -> None:
        backend = self.backend()
        self._call("store", lambda: store_key(backend, self.settings.service, key_id, key))
        with self._lock:
            self._keys[key_id] = key

    def delete(self, key_id: str) -> None:
        backend = self.backend()
        self._call("delete", lambda: backend.delete_password(self.settings.service, key_id))
        with self._lock:
            self._keys.pop(key_id, None)

    def forget(self) -> None:
        """Drop cached keys and any remembered failure: the next look-up asks the keyring again."""
        with self._lock:
            self._keys.clear()
            self._stalled = None
            self._unavailable = None
            self._backend = None


def _decode_key(raw: str | None) -> bytes | None:
    if raw is None:
        return None
    try:
        key = base64.b64decode(raw, validate=True)
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        # Remembered as unusable, so every field under it reports the same clear failure.
        return b""
    return key
