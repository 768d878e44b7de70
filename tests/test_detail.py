"""The detail panel: every field, JSON folded, encrypted fields masked until an audited reveal."""

from __future__ import annotations

import psycopg
from textual.widgets.tree import TreeNode

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.screens.detail import DetailScreen, JsonTree
from rcmd_tui.screens.text_prompt import TextPrompt
from tests.helpers import goto, open_console, settle, table_of
from tests.listdata import fill_rcmd


def _labels(tree: JsonTree) -> list[str]:
    out, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        out.append(str(node.label))
        stack.extend(node.children)
    return out


async def test_masked_until_revealed_with_a_reason_and_the_reveal_is_audited(seeded: Profile) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "users os")
        table = table_of(app)
        record = table.current()
        assert record is not None
        email = record.get("email").text
        shown = table.get_row_at(0)[1].plain
        assert shown != email and "@" in shown and ("*" in shown or "•" in shown)
        table.move_cursor(row=0, column=1)
        assert table.copy_text(whole_row=False) == shown  # copying a masked value copies the mask
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, DetailScreen)
        labels = _labels(app.screen.query_one(JsonTree))
        assert not any(email in label for label in labels) and any("v reveals" in label for label in labels)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"SUP-1234 confirm address", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, DetailScreen)
        assert any(email in label for label in _labels(app.screen.query_one(JsonTree)))
        assert seeded.ordersync is not None
        with psycopg.connect(seeded.ordersync.dsn, options=f"-c search_path={seeded.ordersync.schema}") as conn:
            rows = conn.execute("SELECT resource_id FROM audit_logs WHERE action = 'REVEAL_FIELD'").fetchall()
        assert {r[0] for r in rows} == {str(record.get("id"))} and len(rows) >= 2  # one row per field
        await pilot.press("escape")
        await settle(pilot, app)
        assert table.get_row_at(0)[1].plain == email  # revealed in the list too, for this row only
        assert table.copy_text(whole_row=False) == email


def _top(tree: JsonTree, label: str) -> TreeNode[str]:
    return next(n for n in tree.root.children if str(n.label).startswith(label))


async def test_json_is_a_foldable_tree(profile: Profile) -> None:
    fill_rcmd(profile, rows=5)
    async with open_console(profile, "audit") as c:
        await c.press("enter")
        await c.settle()
        tree = c.screen.query_one(JsonTree)
        details = _top(tree, "Details")
        assert details.is_expanded and {str(n.label) for n in details.children} == {'n: 0', 'note: "row 0"'}
        tree.move_cursor(details)
        await c.press("space")
        assert not details.is_expanded


async def test_copy_from_the_tree_copies_what_is_shown_never_a_raw_control(profile: Profile) -> None:
    hostile = "\x1b]52;c;ZXZpbA==\x07 \x9b31m \u202eevil \x1b[201~ echo pwned\r"
    fill_rcmd(profile, rows=2, hostile=(hostile,))
    async with open_console(profile, "audit") as c:
        await c.press("enter")
        await c.settle()
        tree = c.screen.query_one(JsonTree)
        details = _top(tree, "Details")
        nodes = [details, *details.children, _top(tree, "User agent")]  # an object, its string and key nodes, a column
        assert len(nodes) == 4
        for node in nodes:
            tree.move_cursor(node)
            await c.press("y")
            copied = c.app.clipboard
            assert copied and not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in copied), (
                str(node.label), copied)
            if copied != "1":  # the node keyed by the hostile text holds 1
                assert "]52;c;" in copied and "<U+202E>" in copied  # escaped (\\x1b or JSON's \\u001b), not dropped
