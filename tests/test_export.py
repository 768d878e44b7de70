"""Export of the current view: every matching row, streamed, masked where encrypted, cancellable."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest
from textual.widgets import Static

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.export import export
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.keyset import KeysetSource
from rcmd_tui.data.ordersync.views import ORDERSYNC_USERS
from rcmd_tui.data.rcmd.views import RCMD_AUDIT
from rcmd_tui.screens.export import ExportScreen
from rcmd_tui.screens.list_screen import ListScreen
from tests.helpers import goto, settle
from tests.listdata import fill_rcmd


async def _export_from_screen(pilot, app, path: Path) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(app.screen, ExportScreen)
    await pilot.press("ctrl+u", *str(path), "enter")
    for _ in range(200):
        await pilot.pause(0.05)
        if not isinstance(app.screen, ExportScreen):
            return
    raise AssertionError("the export did not finish")


async def test_export_writes_every_row_matching_the_filter(profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile, rows=450, hostile=("=HYPERLINK(\"http://x\")",))
    app = make_app(profile)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "audit")
        await pilot.press("slash", *"user=alice", "enter")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ListScreen)
        await _export_from_screen(pilot, app, tmp_path / "alice.csv")
        rows = list(csv.reader((tmp_path / "alice.csv").open(encoding="utf-8")))
        assert rows[0][:3] == ["Time (UTC)", "Action", "Result"]
        expected = (await screen.open_source().exact_count()).rows
        assert len(rows) - 1 == expected > 100  # more than one page: all of them, not the loaded window
        assert all(r[3] == "alice" for r in rows[1:])  # the User column: the name, not the id
        assert rows[1][1].startswith("'=HYPERLINK")  # a spreadsheet will not run it
        assert stat.S_IMODE((tmp_path / "alice.csv").stat().st_mode) == 0o600
        assert not list(tmp_path.glob("*.partial"))
        await _export_from_screen(pilot, app, tmp_path / "alice.json")
        data = json.loads((tmp_path / "alice.json").read_text(encoding="utf-8"))
        assert len(data) == expected and isinstance(data[1]["details"], dict)


async def test_cancel_leaves_no_file_and_encrypted_fields_export_masked(seeded: Profile, tmp_path: Path) -> None:
    services = Services(seeded)
    await services.open()
    try:
        source = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, ""))
        seen: list[int] = []
        result = await export(source, ["created_at", "action"], tmp_path / "all.csv", "csv", seen.append,
                              lambda: len(seen) >= 2, batch=10)
        assert result.cancelled and result.rows == 20 and seen == [10, 20]
        assert not list(tmp_path.glob("all.csv*"))
        users = KeysetSource(services, ORDERSYNC_USERS)
        result = await export(users, ["email", "phone", "role"], tmp_path / "users.json", "json")
        data = json.loads((tmp_path / "users.json").read_text(encoding="utf-8"))
        assert result.rows == len(data) > 0
        assert all("@" not in (u["email"] or "") or "*" in u["email"] or "•" in u["email"] for u in data)
    finally:
        await services.close()


async def _export_dialog(pilot, app, path: Path) -> ExportScreen:  # type: ignore[no-untyped-def]
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(app.screen, ExportScreen)
    await pilot.press("ctrl+u", *str(path), "enter")
    await pilot.pause()
    return app.screen


def _message(screen: ExportScreen) -> str:
    return str(screen.query_one("#export-message", Static).render())


async def test_an_existing_file_is_replaced_after_a_second_enter_and_never_through_a_symlink(
        profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill_rcmd(profile, rows=30)
    monkeypatch.chdir(tmp_path)  # short names to type: a relative path is the current directory's
    target = tmp_path / "audit.csv"
    target.write_text("keep", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(tmp_path / "victim")
    app = make_app(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "audit")
        screen = await _export_dialog(pilot, app, Path("audit.csv"))
        assert _message(screen) == "audit.csv exists: Enter again replaces it; change the name to keep it, or Esc to cancel."
        assert app.screen is screen and target.read_text(encoding="utf-8") == "keep"
        await pilot.press("ctrl+u", *"other.csv")
        assert _message(screen) == ""  # the question was about the old name
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is not screen and target.read_text(encoding="utf-8") == "keep"
        assert len(list(csv.reader((tmp_path / "other.csv").open(encoding="utf-8")))) == 31
        screen = await _export_dialog(pilot, app, Path("audit.csv"))
        assert "Enter again replaces it" in _message(screen)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is not screen and len(list(csv.reader(target.open(encoding="utf-8")))) == 31
        screen = await _export_dialog(pilot, app, Path("link.csv"))
        assert "link.csv is a symlink; choose another name" in _message(screen)
        await pilot.press("enter")  # no second Enter writes through it either
        await pilot.pause()
        assert app.screen is screen and not (tmp_path / "victim").exists()
        await pilot.press("escape")


async def test_ctrl_r_in_the_export_dialog_writes_raw_values(profile: Profile, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fill_rcmd(profile, rows=5, hostile=("\x1b[2J\u202e",))
    monkeypatch.chdir(tmp_path)
    app = make_app(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "audit")
        await _export_from_screen(pilot, app, Path("safe.json"))
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen) and "escaped" in str(screen.query_one("#export-raw", Static).render())
        await pilot.press("ctrl+r")
        assert str(screen.query_one("#export-raw", Static).render()).startswith("RAW:")
        await pilot.press("ctrl+u", *"raw.json", "enter")
        await settle(pilot, app)
    safe, raw = ((tmp_path / n).read_text(encoding="utf-8") for n in ("safe.json", "raw.json"))
    assert "\u202e" not in safe and "\\u202e" in safe and "\u202e" in raw
    assert json.loads(safe) == json.loads(raw)
