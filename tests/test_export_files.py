"""Export and screenshot files: private from their creation, never through a symlink, never replacing a file
unasked; their contents inert in a terminal unless raw values are asked for, and no cell a spreadsheet runs."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile, data_dir
from rcmd_tui.data.infra.files import create_private
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.export import ExportError, csv_cell, export, json_inert
from rcmd_tui.data.lists.keyset import KeysetSource
from rcmd_tui.data.rcmd.views import RCMD_AUDIT
from rcmd_tui.screens.export import default_path
from tests.helpers import settle
from tests.listdata import fill_rcmd

# What a terminal would act on: an OSC title and a screen clear, a carriage return, a right-to-left override,
# a C1 CSI; then values a spreadsheet would run once its leading blanks are skipped, or in fullwidth.
HOSTILE = "\x1b]0;owned\x07\x1b[2J\rok\u202eevil\x9b31m"
FORMULAS = ("\n=cmd|' /C calc'!A0", " =1+1", "＝HYPERLINK(1)")
COLUMNS = ["created_at", "action", "resource_id", "user_agent", "details"]
MAX_PREFIX = 20


def live_controls(text: str) -> set[str]:
    """The characters of ``text`` a terminal acts on or that reorder it (CSV's own CRLF line ends aside)."""
    text = text.replace("\r\n", "\n")
    return {ch for ch in text if ch != "\n" and (unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs"))}


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
async def hostile(profile: Profile) -> AsyncIterator[KeysetSource]:
    """The RCMD audit log with rows holding HOSTILE and FORMULAS in action, resource id, user agent and details."""
    fill_rcmd(profile, rows=20, hostile=(HOSTILE, *FORMULAS))
    services = Services(profile)
    await services.open()
    try:
        yield KeysetSource(services, RCMD_AUDIT)
    finally:
        await services.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# -- the files ------------------------------------------------------------------------------------------


def test_a_private_file_is_0600_from_its_creation_exclusive_and_never_through_a_symlink(tmp_path: Path) -> None:
    with umask(0):  # what the process allows does not widen it
        fd = create_private(tmp_path / "new.csv")
    os.close(fd)
    assert mode(tmp_path / "new.csv") == 0o600
    with pytest.raises(FileExistsError):
        create_private(tmp_path / "new.csv")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")  # dangling: following it would create the target
    with pytest.raises(FileExistsError):
        create_private(tmp_path / "link")
    assert not (tmp_path / "elsewhere").exists()


async def test_a_partial_file_already_there_is_neither_reused_nor_followed(hostile: KeysetSource, tmp_path: Path) -> None:
    stale = tmp_path / "a.csv.partial"  # the name an older version wrote to, left world-readable
    stale.write_text("old", encoding="utf-8")
    stale.chmod(0o644)
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / "b.csv.partial").symlink_to(victim)
    with umask(0o022):
        for name in ("a.csv", "b.csv"):
            result = await export(hostile, COLUMNS, tmp_path / name, "csv")
            assert result.rows == 24 and mode(tmp_path / name) == 0o600
    assert stale.read_text(encoding="utf-8") == "old" and victim.read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.csv.partial", "b.csv", "b.csv.partial", "victim"]


async def test_an_existing_export_is_replaced_only_when_asked(hostile: KeysetSource, tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    target.write_text("keep", encoding="utf-8")
    target.chmod(0o644)
    with pytest.raises(ExportError) as refused:
        await export(hostile, COLUMNS, target, "json")
    assert str(target) in refused.value.message and "exists" in refused.value.message
    assert target.read_text(encoding="utf-8") == "keep" and sorted(tmp_path.iterdir()) == [target]
    result = await export(hostile, COLUMNS, target, "json", replace=True)
    assert len(json.loads(target.read_text(encoding="utf-8"))) == result.rows == 24
    assert mode(target) == 0o600 and sorted(tmp_path.iterdir()) == [target]


async def test_a_symlink_as_target_is_refused_even_when_replacing(hostile: KeysetSource, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / "audit.csv").symlink_to(victim)
    for replace in (False, True):
        with pytest.raises(ExportError, match="is a symlink; choose another name"):
            await export(hostile, COLUMNS, tmp_path / "audit.csv", "csv", replace=replace)
    assert victim.read_text(encoding="utf-8") == "precious" and (tmp_path / "audit.csv").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.csv", "victim"]


def test_default_names_differ_within_a_second_and_carry_the_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    names = {default_path(RCMD_AUDIT).name for _ in range(20)}
    assert len(names) == 20  # not one name a second: a second export must not meet the first
    assert all(n.startswith("rcmd-audit-20") and n.endswith(".csv") and len(n) == len("rcmd-audit-20260518-134501-7f3a.csv")
               for n in names)


async def test_screenshots_are_private_in_a_private_directory(profile: Profile, monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("RCMD_TUI_SCREENSHOT_DIR", raising=False)
    shots = data_dir("screenshots")
    shots.mkdir(parents=True, mode=0o755)  # made by hand, or by an older version
    shots.chmod(0o755)
    app = make_app(profile)
    with umask(0o022):
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await pilot.press("ctrl+s", "ctrl+s")
            await pilot.pause()
    files = list(shots.iterdir())
    assert len(files) == 2 and all(f.suffix == ".svg" and mode(f) == 0o600 for f in files)
    assert "rcmd-tui" in files[0].read_text(encoding="utf-8")
    assert mode(shots) == 0o700


# -- what is in them ------------------------------------------------------------------------------------


async def test_exports_escape_control_characters_unless_raw(hostile: KeysetSource, tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        await export(hostile, COLUMNS, tmp_path / f"safe.{fmt}", fmt)
        await export(hostile, COLUMNS, tmp_path / f"raw.{fmt}", fmt, raw=True)
    safe_csv, raw_csv = ((tmp_path / f"{n}.csv").read_bytes().decode() for n in ("safe", "raw"))  # CRs kept
    assert live_controls(safe_csv) == set()  # `cat safe.csv` is inert
    assert "\\x1b]0;owned\\x07\\x1b[2J\\rok<U+202E>evil\\x9b31m" in safe_csv  # as the screen shows it
    assert {"\x1b", "\x07", "\r", "\u202e", "\x9b"} <= live_controls(raw_csv)
    assert any(HOSTILE in row for row in csv.reader(io.StringIO(raw_csv)))  # raw: as stored
    safe_json, raw_json = ((tmp_path / f"{n}.json").read_bytes().decode() for n in ("safe", "raw"))
    assert live_controls(safe_json) == set() and "\u202e" in raw_json
    # Escaped in JSON's own way: the values read back exactly as stored, and nothing else changes.
    assert json.loads(safe_json) == json.loads(raw_json)
    assert any(r["action"] == HOSTILE and r["details"] == {"v": HOSTILE, HOSTILE: 1} for r in json.loads(safe_json))


async def test_csv_exports_guard_formulas_behind_blanks_and_in_fullwidth(hostile: KeysetSource, tmp_path: Path) -> None:
    for raw in (False, True):
        await export(hostile, COLUMNS, tmp_path / f"{raw}.csv", "csv", raw=raw)
        rows = list(csv.reader((tmp_path / f"{raw}.csv").open(encoding="utf-8", newline="")))
        actions = [r[1] for r in rows[1:]]
        for formula in FORMULAS:
            assert any(a.startswith("'") and formula.strip() in a for a in actions), (raw, formula, actions[:4])


def test_json_inert_keeps_every_value_and_escapes_what_a_terminal_acts_on() -> None:
    text = json.dumps({"k\u202e": "\x1b\x9b\u202e\U000f0000é\x7f\u2028"}, ensure_ascii=False)
    assert live_controls(json_inert(text)) == set() and "é" in json_inert(text)
    assert json.loads(json_inert(text)) == json.loads(text)


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@SUM(A1)", " =1", "\n=1", "\r\n+1", "\t=1", "\u3000=1",
                                   "＝1", "＋1", "－1", "＠x", "\u200b=1"])
def test_csv_cell_guards_every_formula_start(value: str) -> None:
    assert csv_cell(value, raw=True) == "'" + value
    assert csv_cell(value).startswith("'")


@pytest.mark.parametrize("value", ["a=1", "1+1", "e-mail", "'=1", "x@y", "", "ＡＢ"])
def test_csv_cell_leaves_other_text_alone(value: str) -> None:
    assert csv_cell(value) == csv_cell(value, raw=True) == value


@given(blanks=st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2003\u3000", max_size=MAX_PREFIX),
       start=st.sampled_from("=+-@＝＋－＠﹦﹢﹣﹫"), rest=st.text(max_size=40))
def test_a_formula_behind_any_blanks_is_guarded(blanks: str, start: str, rest: str) -> None:
    value = blanks + start + rest
    assert csv_cell(value, raw=True) == "'" + value
    assert csv_cell(value).startswith("'")


@given(st.text())
def test_an_escaped_cell_holds_nothing_a_terminal_acts_on(value: str) -> None:
    cell = csv_cell(value)
    assert live_controls(cell) == set()
    assert csv_cell(value, raw=True) in (value, "'" + value)
