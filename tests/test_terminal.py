"""The real console in a pseudo-terminal at 80x24, read back as a person sees it (tests/terminal.py)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from rcmd_tui.config import Profile
from tests.listdata import fill_rcmd
from tests.terminal import Terminal, console_in_terminal

TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _highlighted_time(term: Terminal) -> str:
    """The time in the row that looks highlighted: the one time cell whose background no other row has (the
    others share the two zebra stripes)."""
    rows = [(y, m) for y, line in enumerate(term.screen.display) if (m := TIME.search(line))]
    backgrounds = {y: term.background(y, m.start() + 2) for y, m in rows}
    counts = Counter(backgrounds.values())
    lit = [m.group(0) for y, m in rows if counts[backgrounds[y]] == 1]
    assert len(lit) == 1, f"not one highlighted row: {lit}\n{term.text()}"
    return lit[0]


def test_the_row_that_looks_highlighted_is_the_row_acted_on_after_going_to_the_end(profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile, rows=250)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":")
        term.wait_for(":audit rcmd")
        term.press(*"audit", "enter")
        term.wait_for("Time (UTC)")
        assert term.line(0).startswith(" RCMD audit log │")
        term.press("G")
        term.wait_for("row 100/100")
        term.press("up", "up")
        term.wait_for("row 98/100")
        shown = _highlighted_time(term)
        term.press("enter")
        term.wait_for("Details")
        assert f"Time (UTC): {shown}" in term.text(), term.text()
