"""The monitoring views in a real pseudo-terminal at 80x24, read back as a person sees them."""

from __future__ import annotations

from pathlib import Path

import psycopg

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
        term.press("/", "ctrl+u", *"app~pty-bl")
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


def test_a_long_value_in_a_detail_goes_on_over_the_next_lines_at_80x24(profile: Profile, tmp_path: Path) -> None:
    """A tree line does not wrap: a statement was cut at the screen's edge and could not be read whole."""
    assert profile.rcmd is not None
    end = "the_end_of_a_statement_longer_than_eighty_columns"
    with psycopg.connect(profile.rcmd.dsn, application_name="pty-long", autocommit=True) as conn, \
            console_in_terminal(profile, tmp_path) as term:
        conn.execute("BEGIN")
        conn.execute(f"SELECT 1 AS a_first_column_with_a_rather_long_name, 2 AS {end}")
        term.wait_for("targets up")
        term.press(":", *"monitor", "enter")
        term.press("/", "ctrl+u", *"app~pty-long", "enter")
        term.wait_for("filter app~pty-long")
        term.press("enter")
        term.wait_for("Statement: SELECT 1 AS")
        lines = term.screen.display
        at = next(i for i, line in enumerate(lines) if line.startswith("Statement: SELECT 1 AS"))
        assert lines[at + 1].startswith("  ") and end in lines[at + 1], term.text()
