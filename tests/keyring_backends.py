"""Keyring backends for tests that need a keyring to misbehave the way real ones do.

BlockingKeyring never answers, like a Secret Service waiting on an unlock prompt nobody sees over SSH.
It is a keyring backend loaded by name, exactly as a profile would name one; the key store under test is
the real one.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend

RELEASE = threading.Event()


class BlockingKeyring(KeyringBackend):
    priority = 0  # type: ignore[assignment]  # never chosen on its own

    def get_password(self, service: str, username: str) -> str | None:
        RELEASE.wait(60)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        RELEASE.wait(60)

    def delete_password(self, service: str, username: str) -> None:
        RELEASE.wait(60)
