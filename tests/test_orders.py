"""OrderSync orders against real seeded data: found by a customer's e-mail (through its hash), restaurant names
decrypted and customers masked, an order's detail (amounts holding or broken, items, undecryptable fields shown
as such beside the rest) and its timeline in time order; cancel with a reason under the order's version, refused
on a conflict; the anonymous-order expiry now; and pictures at 80x24."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import RichLog

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import ActionRefused, TargetChanged
from rcmd_tui.data.crypto.decrypt import Failure, FailureKind, Plain
from rcmd_tui.data.ordersync.order_actions import ShownOrder, cancel_order, expire_anonymous
from rcmd_tui.data.ordersync.order_timeline import read_timeline
from rcmd_tui.screens.detail import JsonTree
from rcmd_tui.screens.order_detail import OrderDetail
from rcmd_tui.screens.orders import OrdersScreen
from rcmd_tui.screens.payment_detail import PaymentDetail
from rcmd_tui.screens.text_prompt import TextPrompt
from tests.helpers import open_console, opened_services, run_cli, until, until_confirm, until_screen
from tests.orderdata import CUSTOMER, CUSTOMER_EMAIL, RESTAURANT, order_id, ordersync_sql, plant_orders
from tests.terminal import console_in_terminal


def _tree_text(detail: OrderDetail) -> str:
    tree = detail.query_one(JsonTree)
    lines = []

    def walk(node: Any) -> None:
        for child in node.children:
            lines.append(str(child.label))
            walk(child)

    walk(tree.root)
    return "\n".join(lines)


async def test_an_email_finds_the_customers_orders_with_names_decrypted_and_the_customer_masked(seeded: Profile) -> None:
    plant_orders(seeded)
    async with open_console(seeded, "orders") as c:
        assert isinstance(c.screen, OrdersScreen)
        await c.press("slash", *f"customer={CUSTOMER_EMAIL}", "enter")
        await c.settle()
        rows = c.table.window
        assert len(rows) == 4 and {r.get("customer_id") for r in rows} == {uuid.UUID(CUSTOMER)}
        assert [str(r.get("id")) for r in rows] == [order_id(n) for n in (0, 1, 3, 5)]  # newest first
        first = rows[0]
        restaurant, customer = first.get("restaurant"), first.get("customer")
        assert isinstance(restaurant, Plain) and restaurant.text == "Hanok Kitchen Seongsu"
        assert isinstance(customer, Plain) and customer.text == CUSTOMER_EMAIL  # decrypted, and masked when shown
        cells = [cell.plain for cell in c.table.get_row_at(0)]
        assert "Hanok Kitchen " in "".join(cells) and "m***@e***.com" in cells and CUSTOMER_EMAIL not in "".join(cells)
        await c.press("slash", "ctrl+u", *f"restaurant={RESTAURANT} status:cancelled", "enter")
        await c.settle()
        assert [str(r.get("id")) for r in c.table.window] == [order_id(1), order_id(4)]
        assert c.table.window[1].get("customer") == "anonymous"
        await c.press("slash", "ctrl+u", *'restaurant="Hanok Kitchen Seongsu" total>=30000', "enter")
        await c.settle()
        assert [str(r.get("id")) for r in c.table.window] == [order_id(0)]


async def test_the_timeline_merges_history_row_times_payment_events_refunds_and_audit_in_order(seeded: Profile) -> None:
    plant_orders(seeded)
    async with opened_services(seeded) as services:
        decryptor = await services.decryptor("ordersync")
        timeline = await read_timeline(services.reader("ordersync"), decryptor, order_id(0))
    moments = timeline.moments
    assert [m.at for m in moments] == sorted(m.at for m in moments)
    whats = [m.what for m in moments]
    assert whats[0] == "PENDING (placed)" and whats[-1] == "refund of 9,900 processed"
    for expected in ("PENDING → ACCEPTED", "READY → COMPLETED", "payment created: CARD 34,100 (fee 852), now CAPTURED",
                     "AUTHORIZED 34,100", "CAPTURED 34,100", "REFUNDED 9,900", "refund of 9,900 requested, now PROCESSED",
                     "CREATE_ORDER (Order)", "CREATE_PAYMENT (Payment)", "payment captured (on the payment row)"):
        assert expected in whats, expected
    assert not any(m.warn for m in moments)  # every row time has its history row: nothing to look at
    assert whats.index("CAPTURED 34,100") > whats.index("PENDING → ACCEPTED") > whats.index("AUTHORIZED 34,100")
    history = next(m for m in moments if m.what == "PENDING → ACCEPTED")
    assert history.detail == "by restaurant_owner o***@h***.example"
    event = next(m for m in moments if m.what == "REFUNDED 9,900")
    assert isinstance(event.masked, Plain)  # decrypted, shown masked by the screen

    with ordersync_sql(seeded) as conn:  # the application skipped the history row of READY
        conn.execute("DELETE FROM order_status_history WHERE order_id = %s AND new_status = 'READY'", [order_id(0)])
    async with opened_services(seeded) as services:
        timeline = await read_timeline(services.reader("ordersync"), await services.decryptor("ordersync"), order_id(0))
    flagged = [m.what for m in timeline.moments if m.warn]
    assert flagged == ["READY at ready_at (row only: no history row)"]


async def test_seeded_orders_timelines_raise_nothing_to_look_at(seeded: Profile) -> None:
    with ordersync_sql(seeded) as conn:
        ids = [str(r[0]) for r in conn.execute(
            "SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM payments p JOIN payment_refunds r ON r.payment_id = p.id "
            "WHERE p.order_id = o.id AND r.status = 'FAILED') ORDER BY o.id LIMIT 150").fetchall()]
    async with opened_services(seeded) as services:
        decryptor = await services.decryptor("ordersync")
        for oid in ids:
            timeline = await read_timeline(services.reader("ordersync"), decryptor, oid)
            assert timeline.moments and not [m for m in timeline.moments if m.warn], oid


async def test_an_undecryptable_field_shows_as_such_and_the_rest_of_the_order_shows(seeded: Profile) -> None:
    plant_orders(seeded)
    with ordersync_sql(seeded) as conn:
        # A bad tag on the items; the table under a key the keyring does not have; the total no longer adds up.
        conn.execute("UPDATE orders SET items_encrypted = overlay(items_encrypted placing "
                     "CASE WHEN substr(items_encrypted, 40, 1) = 'A' THEN 'B' ELSE 'A' END from 40 for 1) WHERE id = %s", [order_id(0)])
        conn.execute("INSERT INTO encryption_keys (key_type, key_id, algorithm, status, version) "
                     "VALUES ('pii', 'ordersync/pii/v9', 'AES-256-GCM', 'ACTIVE', 9)")
        conn.execute("UPDATE orders SET table_key_id = 'ordersync/pii/v9' WHERE id = %s", [order_id(0)])
        conn.execute("ALTER TABLE orders DROP CONSTRAINT ck_orders_amounts")
        conn.execute("UPDATE orders SET total_amount = total_amount + 1000 WHERE id = %s", [order_id(0)])
    async with open_console(seeded, "orders") as c:
        await c.press("slash", *f"id={order_id(0)}", "enter")
        await c.settle()
        row = c.table.window[0]
        assert isinstance(row.get("items"), Failure) and row.get("items").kind is FailureKind.AUTH_FAILED
        assert isinstance(row.get("table_info"), Failure) and row.get("table_info").kind is FailureKind.KEY_MISSING
        assert isinstance(row.get("restaurant"), Plain) and row.get("status") == "COMPLETED"
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, OrderDetail)
        text = _tree_text(detail)
        assert "Items: authentication failed" in text and "Table: key missing from keyring" in text
        assert "total 35,100, but subtotal 31,000 − discount 0 + tax 3,100 = 34,100: does NOT add up" in text
        assert "Restaurant: Hanok Kitchen Seongsu" in text and "Special requests: •••• (16 chars)" in text
        log = detail.query_one(RichLog)
        await until(lambda: len(log.lines) > 5, c.pilot)
        assert any("CAPTURED 34,100" in line.text for line in log.lines)


async def test_cancel_through_the_screen_asks_why_and_writes_status_history_and_audit(seeded: Profile) -> None:
    plant_orders(seeded)
    with ordersync_sql(seeded) as conn:
        conn.execute("UPDATE orders SET status = 'PREPARING', completed_at = NULL, ready_at = NULL WHERE id = %s", [order_id(3)])
    async with open_console(seeded, "orders") as c:
        await c.press("slash", *f"id={order_id(3)}", "enter")
        await c.settle()
        await c.press("enter")
        await until_screen(c.pilot, c.app, OrderDetail)
        await c.press("C")  # the list's action, from the order's detail
        await until_screen(c.pilot, c.app, TextPrompt)
        await c.press("enter")  # no reason: asked again, nothing proposed
        assert isinstance(c.screen, TextPrompt)
        await c.press(*"SUP-77 restaurant closed", "enter")
        confirm = await until_confirm(c.pilot, c.app)
        said = "\n".join(confirm.statements)
        assert confirm.typed == "cancel" and "status: PREPARING → CANCELLED" in said
        assert "payment CARD 24,200 stays CAPTURED: refund it in the payment gateway" in said  # money is never moved here
        await c.press(*"cancel", "enter")
        await until(lambda: not isinstance(c.screen, OrderDetail) and c.table.window and
                     c.table.window[0].get("status") == "CANCELLED", c.pilot, seconds=8)
    with ordersync_sql(seeded) as conn:
        assert conn.execute("SELECT status, cancelled_at IS NOT NULL, version FROM orders WHERE id = %s",
                            [order_id(3)]).fetchone() == ("CANCELLED", True, 5)
        history = conn.execute("SELECT old_status, reason FROM order_status_history WHERE order_id = %s AND new_status = 'CANCELLED'",
                               [order_id(3)]).fetchall()
        assert history == [("PREPARING", "SUP-77 restaurant closed")]
        audit = conn.execute("SELECT new_value_encrypted::jsonb FROM audit_logs WHERE action = 'CONSOLE_ACTION' "
                             "AND resource_type = 'orders' AND resource_id = %s", [order_id(3)]).fetchall()
        assert len(audit) == 1 and audit[0][0]["action"] == "console.order.cancel" and audit[0][0]["reason"] == "SUP-77 restaurant closed"
    async with opened_services(seeded) as services:
        timeline = await read_timeline(services.reader("ordersync"), await services.decryptor("ordersync"), order_id(3))
    last = [m for m in timeline.moments if m.source in ("status", "audit")][-2:]
    assert "PREPARING → CANCELLED" in last[0].what + last[1].what
    assert any("reason SUP-77 restaurant closed" in m.detail for m in last)


async def test_cancel_is_refused_on_a_version_conflict_and_changes_nothing(seeded: Profile) -> None:
    plant_orders(seeded)
    with ordersync_sql(seeded) as conn:
        conn.execute("UPDATE orders SET status = 'ACCEPTED', completed_at = NULL WHERE id = %s", [order_id(5)])
    shown = ShownOrder(order_id(5), 4, "ACCEPTED")
    plan = cancel_order(shown, "SUP-8 duplicate order", seeded)
    with ordersync_sql(seeded) as conn:  # the restaurant moved it on meanwhile
        conn.execute("UPDATE orders SET status = 'PREPARING', version = version + 1 WHERE id = %s", [order_id(5)])
    async with opened_services(seeded) as services:
        with pytest.raises(TargetChanged, match="status ACCEPTED → PREPARING, version 4 → 5"):
            await actions.run(services, plan)
    with ordersync_sql(seeded) as conn:
        assert conn.execute("SELECT status, version FROM orders WHERE id = %s", [order_id(5)]).fetchone() == ("PREPARING", 5)
        assert conn.execute("SELECT count(*) FROM order_status_history WHERE order_id = %s AND new_status = 'CANCELLED'",
                            [order_id(5)]).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM audit_logs WHERE action = 'CONSOLE_ACTION' AND resource_id = %s",
                            [order_id(5)]).fetchone() == (0,)
    with pytest.raises(ActionRefused, match="COMPLETED"):
        cancel_order(ShownOrder(order_id(0), 4, "COMPLETED"), "SUP-9 why", seeded)


async def test_expire_anonymous_now_cancels_the_due_ones_with_history_and_audit(seeded: Profile) -> None:
    plant_orders(seeded)
    with ordersync_sql(seeded) as conn:
        conn.execute("UPDATE orders SET status = 'PENDING', completed_at = NULL, cancelled_at = NULL, "
                     "anonymous_expires_at = now() - interval '1 minute' WHERE id = ANY(%s)", [[order_id(2), order_id(4)]])
        due_before = conn.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL AND anonymous_expires_at < now() "
                                  "AND status NOT IN ('COMPLETED', 'CANCELLED')").fetchone()
    assert due_before is not None and due_before[0] >= 2
    async with opened_services(seeded) as services:
        result = await actions.run(services, expire_anonymous(due_before[0], seeded))
    assert result.changed == due_before[0]
    with ordersync_sql(seeded) as conn:
        rows = conn.execute("SELECT status, cancelled_at IS NOT NULL, version FROM orders WHERE id = ANY(%s) ORDER BY id",
                            [[order_id(2), order_id(4)]]).fetchall()
        assert rows == [("CANCELLED", True, 5), ("CANCELLED", True, 4)]
        assert conn.execute("SELECT count(*) FROM order_status_history WHERE order_id = ANY(%s) AND reason = 'anonymous order expired'",
                            [[order_id(2), order_id(4)]]).fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM audit_logs WHERE action = 'CONSOLE_ACTION' "
                            "AND new_value_encrypted::jsonb ->> 'action' = 'console.order.expire_anonymous'").fetchone() == (1,)


async def test_read_only_offers_no_order_action(seeded: Profile) -> None:
    plant_orders(seeded)
    async with open_console(seeded, "orders", read_only=True) as c:
        assert isinstance(c.screen, OrdersScreen) and not any(c.screen.is_offered(a) for a in c.screen.GUARDED_ACTIONS)
        await c.press("C")
        await c.settle()
        assert isinstance(c.screen, OrdersScreen)


async def _open_orders(pilot: Pilot[Any], *keys: str) -> None:
    pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]
    for _ in range(3):
        await pilot.pause(0.1)
    await pilot.press("colon")
    await pilot.pause()
    await pilot.press(*"orders", "enter")
    await pilot.pause(0.5)
    await pilot.press("slash", *f"restaurant={RESTAURANT}", "enter")
    await pilot.pause(0.8)
    if keys:
        await pilot.press(*keys)
        await pilot.pause(1.0)


def test_orders_at_80x24(snap_compare: Any, seeded: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "operator")
    plant_orders(seeded)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_orders(pilot)

    assert snap_compare(make_app(replace(seeded, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


def test_an_orders_detail_at_80x24(snap_compare: Any, seeded: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "operator")
    plant_orders(seeded)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_orders(pilot, "enter")

    assert snap_compare(make_app(replace(seeded, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


def test_orders_in_a_terminal_at_80x24(seeded: Profile, tmp_path: Path) -> None:
    plant_orders(seeded)
    with console_in_terminal(seeded, tmp_path, columns=80, lines=24) as term:
        term.wait_for("rcmd-tui │")
        term.press(":")
        term.send(b"orders\r")
        term.wait_for("OrderSync orders")
        term.press("/")
        term.send(f"customer={CUSTOMER_EMAIL}".encode())
        assert CUSTOMER_EMAIL in term.text()  # what is typed is seen while typing
        term.send(b"\r")
        term.wait_for("Hanok Kitchen")
        screen = term.text()
        rows = "\n".join(screen.splitlines()[2:-3])  # the filter line says what was typed; the rows never show it
        assert "m***@e***.com" in rows and "COMPLETED" in rows and CUSTOMER_EMAIL not in rows
        term.press("enter")
        term.wait_for("Timeline:")
        term.wait_for("moments")
        screen = term.text()
        assert "Amounts" in screen and "adds up" in screen and "PENDING (placed)" in screen
        term.press("z")  # the timeline alone, the whole screen high, and focused: End shows its last moment
        term.wait_for("READY → COMPLETED")
        assert "Amounts" not in term.text() and "PENDING (placed)" in term.text()
        term.press("end")
        term.wait_for("refund of 9,900 processed")


def test_report_orders_finds_a_customers_orders_masked(seeded: Profile, tmp_path: Path) -> None:
    plant_orders(seeded)
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(seeded), encoding="utf-8")
    done = run_cli(["report", "orders", "ordersync", "--format", "json", "--filter", f"customer={CUSTOMER_EMAIL}"],
                   {"RCMD_TUI_CONFIG": str(path)})
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["status"] for r in rows] == ["COMPLETED", "CANCELLED", "COMPLETED", "COMPLETED"]  # orders 0, 1, 3, 5
    assert {r["restaurant"] for r in rows} == {"Hanok Kitchen Seongsu"} and {r["customer"] for r in rows} == {"m***@e***.com"}
    assert rows[0]["total_amount"] == 34100 and CUSTOMER_EMAIL not in done.stdout


async def test_an_email_typed_as_a_word_or_in_part_says_how_to_find_it(seeded: Profile) -> None:
    plant_orders(seeded)
    async with open_console(seeded, "orders") as c:
        await c.press("slash", *CUSTOMER_EMAIL, "enter")
        await c.settle()
        said = str(c.screen.query_one("#filter-message").render())
        assert "found by its hash" in said and f"customer={CUSTOMER_EMAIL}" in said
        await c.press("ctrl+u", *"customer=minji", "enter")
        await c.settle()
        await until(lambda: "whole address" in c.table.placeholder, c.pilot)


async def test_a_customers_payments_show_who_paid_and_a_payments_story(seeded: Profile) -> None:
    plant_orders(seeded)
    async with open_console(seeded, "payments os") as c:
        for text in (f"customer={CUSTOMER_EMAIL}", f"customer={CUSTOMER}"):
            await c.press("slash", "ctrl+u", *text, "enter")
            await c.settle()
            assert [str(r.get("order_id")) for r in c.table.window] == [order_id(n) for n in (0, 1, 3, 5)], text
        first = c.table.window[0]
        assert (first.get("captured"), first.get("refunded")) == (34100, 9900)
        assert "m***@e***.com" in [cell.plain for cell in c.table.get_row_at(0)]
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, PaymentDetail)
        log = detail.query_one(RichLog)
        await until(lambda: len(log.lines) > 5, c.pilot)
        text = "\n".join(line.text for line in log.lines)
        for said in ("payment created: CARD 34,100", "AUTHORIZED 34,100", "CAPTURED 34,100", "refund of 9,900 requested",
                     "REFUNDED 9,900", "CREATE_PAYMENT (Payment)"):
            assert said in text, said
