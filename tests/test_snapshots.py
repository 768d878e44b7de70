"""What the screens look like, at the smallest supported terminal and a big one.

The data is fixed (tests/listdata.py) and the home screen's measurements (latency, size, ports, the
random names of test databases) are replaced by fixed values after the real checks ran, so an image
changes only when the layout does. Update after a deliberate change: pytest --snapshot-update.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.widgets.health_table import HealthTable
from tests.listdata import fill_ordersync_user, fill_rcmd

SIZES = [(80, 24), (160, 50)]


@pytest.fixture(autouse=True)
def _fixed_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Audit rows name the OS user (getpass reads LOGNAME first): the same in every picture, whoever runs it."""
    monkeypatch.setenv("LOGNAME", "operator")


async def _steady(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _fixed_home(pilot: Pilot[Any]) -> None:
    await _steady(pilot)
    table = pilot.app.screen.query_one(HealthTable)
    rows = await pilot.app.services.check_targets()  # type: ignore[attr-defined]
    table.show([replace(h, where="127.0.0.1:5432/demo" if h.kind != "keyring" else "service rcmd-tui",
                        latency_ms=1.0, size_bytes=8 * 1024 * 1024, connections=3 if h.kind != "keyring" else h.connections,
                        version=h.version and h.version.split(".")[0])
                for h in rows])
    await pilot.pause()


def _profile(profile: Profile) -> Profile:
    return replace(profile, name="snapshot", banner="darkred")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare: Any, profile: Profile, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(_profile(profile)), terminal_size=size, run_before=_fixed_home)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_audit_list(snap_compare: Any, profile: Profile, size: tuple[int, int]) -> None:
    fill_rcmd(profile)

    async def open_audit(pilot: Pilot[Any]) -> None:
        await _steady(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"audit", "enter")
        await _steady(pilot)
        await pilot.press("down", "down", "space")  # a marked row

    assert snap_compare(make_app(_profile(profile), read_only=True), terminal_size=size, run_before=open_audit)


async def _open(pilot: Pilot[Any], screen: str) -> None:
    await _steady(pilot)
    await pilot.press("colon")
    await pilot.pause()
    await pilot.press(*screen, "enter")
    await _steady(pilot)


# Each text box, open with text typed in it: what a person sees while typing (the box must show the text).
TEXT_BOXES = {
    "goto": ("audit", ["colon", *"users os"]),
    "filter": ("audit", ["slash", *"status:failed since:7d"]),
    "jump": ("audit", ["t", *"2026-06-01"]),
    "confirm": ("users", ["down", "D", "wait:300", *"deactivate"]),
    "export": ("audit", ["x", "wait:200", "ctrl+u", *"alice.csv"]),
    "reveal": ("users os", ["enter", "wait:300", "v", "wait:200", *"SUP-1234"]),
}


@pytest.mark.parametrize("box", list(TEXT_BOXES))
def test_text_box_open_with_text_typed(snap_compare: Any, profile: Profile, box: str) -> None:
    fill_rcmd(profile)
    fill_ordersync_user(profile)
    screen, keys = TEXT_BOXES[box]

    async def type_in(pilot: Pilot[Any]) -> None:
        pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]  # not the test db's random name
        await _open(pilot, screen)
        await pilot.press(*keys)
        await pilot.pause(0.3)

    assert snap_compare(make_app(_profile(profile)), terminal_size=(80, 24), run_before=type_in)
