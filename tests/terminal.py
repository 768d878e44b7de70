"""The real console in a pseudo-terminal, read back through a terminal emulator (pyte): what a person sees.

Pilot tests read widget state; these read the screen. ``Terminal`` runs ``python -m rcmd_tui`` at a given
size, sends keys, and renders every byte it writes into lines of text with their colours, so a test can ask
which row is highlighted or whether typed text is visible.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyte

from rcmd_tui.config import Profile, profile_to_toml


class Terminal:
    def __init__(self, fd: int, proc: subprocess.Popen[bytes], columns: int, lines: int) -> None:
        self.fd, self.proc = fd, proc
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.received = b""

    def _pump(self, timeout: float) -> bool:
        if not select.select([self.fd], [], [], timeout)[0]:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        self.received += chunk
        self.stream.feed(chunk)
        return bool(chunk)

    def settle(self, quiet: float = 0.3, limit: float = 10) -> None:
        """Read until the console has written nothing for ``quiet`` seconds."""
        end = time.monotonic() + limit
        while time.monotonic() < end and self._pump(quiet):
            pass

    def wait_for(self, text: str, limit: float = 20) -> None:
        end = time.monotonic() + limit
        while text not in self.text():
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} never showed; the screen:\n{self.text()}")
            self._pump(0.1)
        self.settle()

    def press(self, *keys: str) -> None:
        """Keys one at a time, as a person types (a burst would read as a paste)."""
        for key in keys:
            os.write(self.fd, KEYS.get(key, key).encode())
            self.settle(0.15)

    def send(self, raw: bytes) -> None:
        """Bytes in one write, as a paste or tmux send-keys delivers them."""
        os.write(self.fd, raw)
        self.settle(0.15)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def line(self, y: int) -> str:
        return self.screen.display[y]

    def background(self, y: int, x: int) -> str:
        return str(self.screen.buffer[y][x].bg)


KEYS = {"pagedown": "\x1b[6~", "pageup": "\x1b[5~", "right": "\x1b[C", "left": "\x1b[D",
        "enter": "\r", "escape": "\x1b", "up": "\x1b[A", "down": "\x1b[B", "end": "\x1b[F", "ctrl+q": "\x11", "ctrl+u": "\x15"}


@contextlib.contextmanager
def console_in_terminal(profile: Profile, tmp_path: Path, columns: int = 80, lines: int = 24,
                        *args: str) -> Iterator[Terminal]:
    config = tmp_path / "terminal-config.toml"
    config.write_text(profile_to_toml(profile), encoding="utf-8")
    with command_in_terminal(["--config", str(config), *args], columns, lines) as terminal:
        yield terminal


@contextlib.contextmanager
def command_in_terminal(args: list[str], columns: int = 80, lines: int = 24) -> Iterator[Terminal]:
    """``python -m rcmd_tui ARGS`` in a pseudo-terminal of that size; killed (its whole group) afterwards."""
    import fcntl
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    for inherited in ("NO_COLOR", "COLUMNS", "LINES"):  # the pty's own size must decide (xdist workers set these)
        env.pop(inherited, None)
    proc = subprocess.Popen([sys.executable, "-m", "rcmd_tui", *args], stdin=secondary,
                            stdout=secondary, stderr=secondary, env=env, close_fds=True, start_new_session=True)
    os.close(secondary)
    terminal = Terminal(primary, proc, columns, lines)
    try:
        yield terminal
    finally:
        proc.terminate()  # the demo stops its servers on SIGTERM
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(primary)
