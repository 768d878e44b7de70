"""A real Secret Service for tests: gnome-keyring in a private D-Bus session bus, unlocked with a
throwaway password, in a private HOME. `.ci/run` installs gnome-keyring and dbus."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

SECRETS_NAME = "org.freedesktop.secrets"


def _name_has_owner(env: dict[str, str]) -> bool:
    reply = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus.NameHasOwner", f"string:{SECRETS_NAME}"],
                           env=env, capture_output=True, text=True, timeout=10, check=False)
    return "boolean true" in reply.stdout


@contextlib.contextmanager
def running(root: Path) -> Iterator[str]:
    """Yields the bus address; everything started here is stopped on exit."""
    missing = [tool for tool in ("dbus-daemon", "dbus-send", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not installed: apt-get install gnome-keyring dbus (.ci/run does)")
    home, runtime = root / "home", root / "run"
    home.mkdir(parents=True)
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "XDG_DATA_HOME": str(home / ".local/share")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    daemon: subprocess.Popen[str] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, text=True)
        assert daemon.stdin is not None
        daemon.stdin.write("throwaway-login-password")
        daemon.stdin.close()
        deadline = time.monotonic() + 10
        while not _name_has_owner(env):
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("gnome-keyring-daemon did not register on the session bus")
            time.sleep(0.05)
        yield address
    finally:
        for process in (daemon, bus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
