"""The monitoring views in a real pseudo-terminal at 80x24, read back as a person sees them."""

from __future__ import annotations

from pathlib import Path

from rcmd_tui.config import Profile
from tests.monitor_sessions import lock_pair
from tests.terminal import console_in_terminal


def test_monitor_at_80x24_shows_trends_tabs_sessions_and_what_is_typed(profile: Profile, tmp_path: Path) -> None:
    with lock_pair(profile, prefix="pty") as pair, console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"monitor", "enter")
        term.wait_for("pty-waiter")
        assert term.line(0).startswith(" RCMD activity │")
        text = term.text()
        for seen in ("tx/s", "redis ops/s", "1 activity  2 locks  3 statements", "Lock:relati", "state!=idle own=no"):
            assert seen in text, f"{seen!r} not on screen:\n{text}"
        term.press("/", *"app~pty-bl")
        term.wait_for("app~pty-bl")  # typed text shows in the box
        term.press("enter")
        term.wait_for("filter app~pty-bl")
        assert "pty-waiter" not in term.text() and "pty-blocker" in term.text()
        term.press("2")
        term.wait_for("RCMD locks")
        term.wait_for(f"└ {pair.waiter_pid}")
        assert str(pair.blocker_pid) in term.text() and "RowExclusiv" in term.text(), term.text()
        term.press("3")
        term.wait_for("RCMD slow queries")
        term.wait_for("Mean ms")
        term.press("K")  # not a key of this view: nothing happens, nothing breaks
        term.press("1")
        term.wait_for("RCMD activity")
        assert "Traceback" not in term.text() and term.proc.poll() is None
