"""The real console in a pseudo-terminal at 80x24, read back as a person sees it (tests/terminal.py)."""

from __future__ import annotations

import itertools
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
        term.wait_for("row ≈250 of ≈250")
        term.press("up", "up")
        term.wait_for("row ≈248 of ≈250")
        shown = _highlighted_time(term)
        term.press("enter")
        term.wait_for("Details")
        assert f"Time (UTC): {shown}" in term.text(), term.text()


def _key_line(term: Terminal) -> str:
    return term.line(term.screen.lines - 1)


def test_at_80_columns_the_name_the_keys_and_every_typed_text_show(profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile, rows=250)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"aud")
        assert ":aud" in term.text()  # typed text shows in the prompt
        term.press("enter")
        term.wait_for("Time (UTC)")
        assert term.line(0).startswith(" RCMD audit log │")
        keys = _key_line(term)
        for essential in ("/  Filter", "⏎  Details", ":  Go to", "?  Keys", "esc  Back", "q  Quit"):
            assert essential in keys, keys
        term.press("?")
        term.wait_for("list.filter")
        assert "list.previous_page" in term.text()  # the id column whole at 80 columns
        assert "Copy this cell to the clipboard (OSC 52, works over SSH)" in term.text()  # the longer help, below
        term.press("escape")
        for key, row in (("g", "row 1 of"), ("]", "row 101 of"), ("]", "row 201 of"), ("[", "row 101 of"),
                         ("G", "row 250 of 250")):
            term.press(key)
            term.wait_for(row)
        term.press("g")
        term.wait_for("row 1 of")
        term.press("/", *"status:failed")
        assert "status:failed" in term.text()  # the filter box shows what is typed
        term.press("enter")
        term.wait_for("filter status:failed")
        term.press("t", *"banana")
        assert "banana" in term.text()
        term.press("enter")
        term.wait_for("Jump: 'banana' is not a time")
        term.press("escape", "x")
        term.wait_for("Path ending .csv or .json")
        term.press("ctrl+u", *"exports/seen.csv")
        assert "exports/seen.csv" in term.text()  # the export path shows while typed
        term.press("escape", "/", "ctrl+u", *"user=nobody.here", "enter")
        term.wait_for("no rows: no user 'nobody.here'")


def test_the_typed_confirmation_shows_and_the_cursor_stays_on_the_row_acted_on(profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile, rows=5)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"users", "enter")
        term.wait_for("Username")
        term.press("down", "D")
        term.wait_for("Type deactivate 1")
        term.press(*"deactivate 1")
        assert "deactivate 1" in term.text().split("Type deactivate 1", 1)[1]  # typed, visible in the box
        term.press("enter")
        term.wait_for("done")
        lit = [line for line in term.screen.display if "bob" in line]
        assert lit, term.text()
        y = term.screen.display.index(lit[0])
        x = lit[0].index("bob")
        others = {term.background(i, x) for i, line in enumerate(term.screen.display) if "alice" in line or "carol" in line}
        assert term.background(y, x) not in others  # bob's row is still the highlighted one
        assert " no " in lit[0]  # and shows him inactive


def test_the_reveal_reason_shows_while_typed_and_an_empty_one_is_refused(seeded: Profile, tmp_path: Path) -> None:
    with console_in_terminal(seeded, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"users os", "enter")
        term.wait_for("E-mail")
        term.press("enter")
        term.wait_for("v reveals")
        term.press("v")
        term.wait_for("Why reveal")
        term.press("enter")
        term.wait_for("A reason is required")
        term.press(*"SUP-1234 checking")
        assert "SUP-1234 checking" in term.text()
        term.press("enter")
        term.wait_for("revealed for this list only")


def test_a_burst_of_ctrl_u_and_new_text_edits_in_order(profile: Profile, tmp_path: Path) -> None:
    """What tmux send-keys or a paste sends: the clearing key and the new text in one read."""
    fill_rcmd(profile, rows=20)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"audit", "enter")
        term.wait_for("Time (UTC)")
        term.press("/", *"status:failed")
        term.send(b"\x15colour=red\r")
        term.wait_for("this list has no field 'colour'")
        term.send(b"\x15user=bob\r")
        term.wait_for("filter user=bob")


def test_text_typed_in_one_burst_with_the_key_that_opens_its_box_all_goes_in(profile: Profile, tmp_path: Path) -> None:
    """`:audit`, `/…` or `t…` sent at once (tmux send-keys, a paste, a fast hand): the box opens after the keys
    are already on their way, and none of them may be lost or reach the list under it."""
    fill_rcmd(profile, rows=20)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.send(b":audit\r")
        term.wait_for("RCMD audit log")
        term.send(b"/result=failure\r")
        term.wait_for("filter result=failure")
        term.send(b"tbanana\r")
        term.wait_for("'banana' is not a time")
        assert "auto" not in term.line(22)  # no key reached the list: a would have turned auto refresh on


def test_a_typed_confirmation_shows_its_box_and_runs_when_sent_in_one_burst(profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile, rows=10)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"users", "enter")
        term.wait_for("carol")
        term.press(" ", " ", " ", "D")  # three users (a mark moves down): the statements do not fit at 80x24
        term.wait_for("Type deactivate 3")
        term.press(*"deact")
        assert any(line.strip("█▌▐ ") == "deact" for line in term.screen.display), term.text()  # the box, with the text
        assert "PgDn" in term.text()  # what will run does not fit, and it says so below the box
        term.send(b"ivate 3\r")  # the rest and Enter in one burst: Enter comes after the words
        term.wait_for("done")


def _what_will_run(term: Terminal) -> list[str]:
    """The confirmation's statements as shown: the lines between its PgUp notice and the box's bottom edge."""
    lines = term.screen.display
    top = next(y for y, line in enumerate(lines) if "PgUp" in line)
    bottom = next(y for y in range(top, len(lines)) if lines[y].startswith("█▄"))
    return [re.sub(r"[▁▂▃▄▅▆▇█]+ *$", "", line.strip("█ ")).rstrip() for line in lines[top + 1:bottom]]


def test_paging_what_will_run_at_80x24_skips_no_line(profile: Profile, tmp_path: Path) -> None:
    """The box's height cut the bottom of what will run, and PgDn paged by the height it would have had: lines
    went by unseen. Each page must start within the one before, down to the statement's end."""
    fill_rcmd(profile, rows=10)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"users", "enter")
        term.wait_for("carol")
        term.press(" ", " ", " ", "D")
        term.wait_for("Type deactivate 3")
        pages = [_what_will_run(term)]
        assert pages[0][0].startswith("SELECT count(*) = 3"), term.text()
        while "The end of what will run" not in term.text():
            term.press("pagedown")
            pages.append(_what_will_run(term))
            assert len(pages) < 10, term.text()
        for before, page in itertools.pairwise(pages):
            assert page[0] in before, (before, page)
        assert pages[-1][-1].endswith("::uuid[])"), term.text()  # the UPDATE's last line
        term.press("up")
        assert _what_will_run(term)[1:] == pages[-1][:-1]  # one line back


def test_columns_beyond_the_edge_are_marked_in_the_header_not_by_a_scrollbar(profile: Profile, tmp_path: Path) -> None:
    """A horizontal scrollbar took a line of its own, where its thumb read as a stray glyph above the status line."""
    fill_rcmd(profile, rows=40)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"audit", "enter")
        term.wait_for("Time (UTC)")
        header = next(y for y, line in enumerate(term.screen.display) if "Time (UTC)" in line)
        assert term.line(header).rstrip().endswith("›") and "‹" not in term.line(header)
        assert term.line(21).strip(), term.text()  # the line above the status line is a row, not a scrollbar
        term.press(*["right"] * 8)
        assert term.line(header).startswith("‹"), term.text()
        term.press(*["right"] * 8)  # the last column: nothing more to the right
        assert not term.line(header).rstrip().endswith("›"), term.text()


def test_a_long_first_key_of_a_screen_shows_and_quit_gives_way_to_it(profile: Profile, tmp_path: Path) -> None:
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"retention ordersync", "enter")
        term.wait_for("audit_logs_")
        keys = _key_line(term)
        for shown in ("A  Archive old rows", "/  Filter", "⏎  Details", "?  Keys", "esc  Back"):
            assert shown in keys, keys
        assert "Quit" not in keys, keys


def test_why_a_list_is_empty_is_read_whole_at_80_columns(profile: Profile, tmp_path: Path) -> None:
    """With no rows there is nothing to scroll: a reason cut at the edge could not be read."""
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"orders ordersync", "enter")
        term.wait_for("Created (UTC)")
        term.press("/", "ctrl+u", *"customer=ann@example.com", "enter")
        term.wait_for("nobody has the e-mail")
        assert "by its hash; any case)" in term.text(), term.text()
