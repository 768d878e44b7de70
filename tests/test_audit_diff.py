"""Issue 16, OrderSync rows in full: an audit row's old and new values, decrypted with the seeded keys, read as a
change field by field (added, removed, changed, nested folded), masked by what each holds until revealed; an
undecryptable side is said to be so and the other side still shows."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.screens.audit_detail import AuditDetail
from rcmd_tui.screens.detail import JsonTree
from tests.helpers import open_console, until_screen
from tests.listdata import T0
from tests.orderdata import ordersync_sql, sealer

OLD = {"status": "ACTIVE", "email": "minji.kim@example.com", "profile": {"phone": "010-1111-2222", "city": "Seoul"},
       "gone": 1}
NEW = {"status": "SUSPENDED", "email": "minji.kim@example.com", "profile": {"phone": "010-3333-4444", "city": "Seoul"},
       "note": "called twice"}


def _plant(profile: Profile, *, tamper_old: bool = False, at: datetime | None = None, aid: str | None = None) -> str:
    seal = sealer(profile)
    aid = aid or str(uuid.uuid4())
    old = seal("pii", "audit_logs", "old_value", json.dumps(OLD), aid)
    new = seal("pii", "audit_logs", "new_value", json.dumps(NEW), aid)
    old_text = old[0]
    assert old_text is not None
    if tamper_old:  # one character of the ciphertext changed: the tag no longer verifies
        old_text = old_text[:-6] + ("A" if old_text[-6] != "A" else "B") + old_text[-5:]
    with ordersync_sql(profile) as conn:
        conn.execute("SELECT ensure_audit_partitions(CURRENT_DATE, 1)")
        conn.execute("INSERT INTO audit_logs (id, trace_id, action, resource_type, resource_id, old_value_encrypted, "
                     "old_value_key_id, new_value_encrypted, new_value_key_id, success, created_at) "
                     "VALUES (%s, 'diff', 'UPDATE_USER', 'User', 'u1', %s, %s, %s, %s, true, %s)",
                     [aid, old_text, old[1], *new, at or datetime.now(UTC)])
    return aid


def _lines(detail: AuditDetail) -> list[str]:
    out: list[str] = []

    def walk(node: Any, depth: int) -> None:
        for child in node.children:
            out.append("  " * depth + str(child.label))
            walk(child, depth + 1)

    walk(detail.query_one(JsonTree).root, 0)
    return out


async def test_a_change_reads_field_by_field_masked_until_revealed(seeded: Profile) -> None:
    _plant(seeded)
    async with open_console(seeded, "audit os") as c:
        await c.press("slash", *"trace=diff", "enter")
        await c.settle()
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, AuditDetail)
        lines = _lines(detail)
        at = lines.index("Changes")
        assert lines[at + 1:at + 6] == ['  ~ status: "ACTIVE" → "SUSPENDED"', "  profile", "    ~ phone: ***-****-2222 → ***-****-4444",
                                        "  + note: •••• (12 chars)", "  - gone: 1"]  # the e-mail did not change: not listed
        text = "\n".join(lines)
        assert "010-1111-2222" not in text and "called twice" not in text
        await c.press("v")
        await c.press(*"SUP-9 dispute", "enter")
        await c.settle()
        text = "\n".join(_lines(detail))
        assert '~ phone: "010-1111-2222" → "010-3333-4444"' in text and '+ note: "called twice"' in text


async def test_an_undecryptable_side_is_said_and_the_other_still_shows(seeded: Profile) -> None:
    _plant(seeded, tamper_old=True)
    async with open_console(seeded, "audit os") as c:
        await c.press("slash", *"trace=diff", "enter")
        await c.settle()
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, AuditDetail)
        text = "\n".join(_lines(detail))
        assert "old value: authentication failed" in text
        assert '+ status: "SUSPENDED"' in text and "+ note: •••• (12 chars)" in text  # the new side, whole


def test_an_ordersync_change_at_80x24(snap_compare: Any, seeded: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "operator")
    _plant(seeded, at=T0, aid="00000000-0000-4000-9600-000000000001")

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"audit os", "enter")
        await pilot.pause(0.5)
        await pilot.press("slash", *"trace=diff", "enter")
        await pilot.pause(0.8)
        await pilot.press("enter")
        await pilot.pause(0.8)

    assert snap_compare(make_app(replace(seeded, name="snapshot")), terminal_size=(80, 24), run_before=run_before)
