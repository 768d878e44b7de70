"""The payment reconcile view (`:reconcile`) against the seeded demo data: clean, it flags nothing; each rule,
planted here in one transaction on a fresh copy, is found on its payment (or order) with its numbers in words, and
nothing else is; the stale payment_current_state is one row that says when the console last refreshed it; the
rule filter and `rcmd-tui report reconcile` give the same rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.ordersync.payments import refresh_payment_state
from rcmd_tui.data.ordersync.reconcile import ORDERSYNC_RECONCILE, RULES, Flag, explain, read_flags
from tests.helpers import open_console, opened_services, run_cli, until

Key = tuple[str | None, str]  # (payment id or None, order id)


def _ordersync(profile: Profile) -> psycopg.Connection[Any]:
    assert profile.ordersync is not None
    return psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}", autocommit=True)


def _one(conn: psycopg.Connection[Any], query: str) -> tuple[str, str, int]:
    """A seeded payment as (id, order id, amount), chosen by ``query`` (the first by id, so runs agree)."""
    row = conn.execute(query + " ORDER BY p.id LIMIT 1").fetchone()
    assert row is not None, query
    return str(row[0]), str(row[1]), int(row[2])


CAPTURED = ("SELECT p.id, p.order_id, p.amount FROM payments p WHERE p.status = 'CAPTURED' AND p.amount > 100 "
            "AND NOT EXISTS (SELECT 1 FROM payment_refunds r WHERE r.payment_id = p.id)")
AUTHORIZED = "SELECT p.id, p.order_id, p.amount FROM payments p WHERE p.status = 'AUTHORIZED'"


def _event(conn: psycopg.Connection[Any], payment: str, kind: str, amount: int) -> None:
    conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, %s, %s)", [payment, kind, amount])


def _refund(conn: psycopg.Connection[Any], payment: str, amount: int) -> None:
    conn.execute("INSERT INTO payment_refunds (payment_id, amount, status, processed_at) VALUES (%s, %s, 'PROCESSED', now())",
                 [payment, amount])


# Each plant: what it breaks, as {key: rules}, and whether it changes the events the view copies. Written so that
# every rule is the only one, or one of two that cannot come apart (a refund beyond the capture with no event of
# it is also a refund without an event).
Plant = Callable[[psycopg.Connection[Any]], tuple[dict[Key, set[str]], bool]]


def plant_refund_over_capture(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, amount = _one(conn, CAPTURED)
    _refund(conn, pid, amount + 1000)
    return {(pid, oid): {"refund-over-capture", "refund-no-event"}}, False


def plant_refunded_over_capture(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, amount = _one(conn, CAPTURED)
    _refund(conn, pid, amount + 500)
    _event(conn, pid, "REFUNDED", amount + 500)
    return {(pid, oid): {"refund-over-capture", "refunded-over-capture"}}, True


def plant_captured_no_event(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, _ = _one(conn, CAPTURED)
    conn.execute("DELETE FROM payment_events WHERE payment_id = %s AND event_type = 'CAPTURED'", [pid])
    return {(pid, oid): {"captured-no-event"}}, True


def plant_event_not_captured(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, amount = _one(conn, AUTHORIZED)
    _event(conn, pid, "CAPTURED", amount)
    return {(pid, oid): {"event-not-captured"}}, True


def plant_capture_not_amount(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, amount = _one(conn, CAPTURED)
    _event(conn, pid, "CAPTURED", amount)  # charged twice
    return {(pid, oid): {"capture-not-amount"}}, True


def plant_refund_no_event(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, amount = _one(conn, CAPTURED)
    _refund(conn, pid, amount // 2)
    return {(pid, oid): {"refund-no-event"}}, False


def plant_event_no_refund(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, amount = _one(conn, CAPTURED)
    _event(conn, pid, "REFUNDED", amount // 2)
    return {(pid, oid): {"event-no-refund"}}, True


def plant_cancelled_but_captured(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, _ = _one(conn, CAPTURED)
    conn.execute("UPDATE orders SET status = 'CANCELLED', cancelled_at = now() WHERE id = %s", [oid])
    # Captured on a cancelled order but refunded in full (refund and event paired): nothing to reconcile.
    done, done_order, amount = _one(conn, CAPTURED + " AND p.id <> '" + pid + "'")
    conn.execute("UPDATE orders SET status = 'CANCELLED', cancelled_at = now() WHERE id = %s", [done_order])
    _refund(conn, done, amount)
    _event(conn, done, "REFUNDED", amount)
    return {(pid, oid): {"cancelled-but-captured"}}, True


def plant_held_on_cancelled(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, _ = _one(conn, AUTHORIZED)  # cancelled as the console cancels: the payment left as it was
    conn.execute("UPDATE orders SET status = 'CANCELLED', cancelled_at = now() WHERE id = %s", [oid])
    return {(pid, oid): {"held-on-cancelled"}}, False


def plant_amount_not_total(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, _ = _one(conn, CAPTURED)
    conn.execute("UPDATE orders SET subtotal = subtotal + 100, total_amount = total_amount + 100 WHERE id = %s", [oid])
    return {(pid, oid): {"amount-not-total"}}, False


def plant_completed_not_captured(conn: psycopg.Connection[Any]) -> tuple[dict[Key, set[str]], bool]:
    pid, oid, _ = _one(conn, AUTHORIZED)
    row = conn.execute("SELECT o.id FROM orders o WHERE o.status = 'PENDING' AND NOT EXISTS "
                       "(SELECT 1 FROM payments p WHERE p.order_id = o.id) ORDER BY o.id LIMIT 1").fetchone()
    assert row is not None
    unpaid = str(row[0])
    conn.execute("UPDATE orders SET status = 'COMPLETED', completed_at = now() WHERE id = ANY(%s)", [[oid, unpaid]])
    return {(pid, oid): {"completed-not-captured"}, (None, unpaid): {"completed-not-captured"}}, False


PLANTS: dict[str, Plant] = {
    "refund-over-capture": plant_refund_over_capture,
    "refunded-over-capture": plant_refunded_over_capture,
    "captured-no-event": plant_captured_no_event,
    "event-not-captured": plant_event_not_captured,
    "capture-not-amount": plant_capture_not_amount,
    "refund-no-event": plant_refund_no_event,
    "event-no-refund": plant_event_no_refund,
    "cancelled-but-captured": plant_cancelled_but_captured,
    "held-on-cancelled": plant_held_on_cancelled,
    "amount-not-total": plant_amount_not_total,
    "completed-not-captured": plant_completed_not_captured,
}


def plant(profile: Profile, rule: str) -> tuple[dict[Key, set[str]], bool]:
    with _ordersync(profile) as conn, conn.transaction():
        return PLANTS[rule](conn)


def found(flags: list[Flag]) -> dict[Key, set[str]]:
    """The rules each payment (or order) breaks, the stale view left out."""
    by: dict[Key, set[str]] = {}
    for f in flags:
        if f.rule != "state-view-stale":
            by.setdefault((None if f.payment_id is None else str(f.payment_id), str(f.order_id)), set()).add(f.rule)
    return by


def test_every_rule_but_the_views_has_a_plant_and_a_name_that_reads() -> None:
    assert set(PLANTS) == set(RULES) - {"state-view-stale"}
    assert all(rule == rule.lower() and " " not in rule and len(rule) <= 22 for rule in RULES)


async def test_clean_seed_data_flags_nothing(seeded: Profile) -> None:
    async with opened_services(seeded) as services:
        flags, _ = await read_flags(services, "ordersync")
        page = await open_source(ORDERSYNC_RECONCILE, services).first()
    assert flags == [] and page.records == ()


async def test_an_empty_reconcile_says_what_it_checked(seeded: Profile) -> None:
    async with open_console(seeded, "reconcile os") as c:
        await until(lambda: "checked against" in c.table.placeholder, c.pilot, seconds=20)
        assert c.table.placeholder.startswith("no rows: about ") and "payments checked against 11 rules" in c.table.placeholder
        assert c.table.placeholder.endswith("none is broken")


@pytest.mark.parametrize("rule", list(PLANTS))
async def test_each_rule_planted_is_found_and_nothing_else(seeded: Profile, rule: str) -> None:
    expected, touches_events = plant(seeded, rule)
    async with opened_services(seeded) as services:
        flags, last_refresh = await read_flags(services, "ordersync")
        # the rule's own filter keeps exactly its rows
        source = open_source(ORDERSYNC_RECONCILE, services, flt=compile_filter(ORDERSYNC_RECONCILE, f"rule={rule}"))
        kept = (await source.first()).records
    assert found(flags) == expected
    assert [f.rule for f in flags if f.rule == "state-view-stale"] == (["state-view-stale"] if touches_events else [])
    assert last_refresh is None if touches_events else True
    assert {r.get("rule") for r in kept} == {rule}
    assert all(r.get("explanation") == explain(next(f for f in flags if f.rule == rule and str(f.order_id) == str(r.get("order_id"))))
               for r in kept)


async def test_the_explanation_gives_the_numbers(seeded: Profile) -> None:
    with _ordersync(seeded) as conn, conn.transaction():
        pid, _, amount = _one(conn, CAPTURED)
        _refund(conn, pid, amount + 1000)
    async with opened_services(seeded) as services:
        flags, _ = await read_flags(services, "ordersync")
    said = {f.rule: explain(f) for f in flags}
    assert said == {"refund-over-capture": f"refunds {amount + 1000:,} > captured {amount:,}",
                    "refund-no-event": f"refund {amount + 1000:,} PROCESSED, no REFUNDED event of it"}


async def test_a_stale_state_view_is_one_row_that_says_when_the_console_last_refreshed_it(seeded: Profile) -> None:
    for rule in ("capture-not-amount", "event-not-captured"):  # two payments
        plant(seeded, rule)
    async with opened_services(seeded) as services:
        records = (await open_source(ORDERSYNC_RECONCILE, services).first()).records
        stale = records[0]  # first: it skews every reading of the view
        assert (stale.get("rule"), stale.get("payment_id"), stale.get("order_id")) == ("state-view-stale", None, None)
        assert stale.get("explanation") == "payment_current_state differs for 2 payments; no refresh by the console on record"
        await actions.run(services, refresh_payment_state(seeded))
        records = (await open_source(ORDERSYNC_RECONCILE, services).first()).records
    assert "state-view-stale" not in {r.get("rule") for r in records}
    assert {r.get("rule") for r in records} == {"capture-not-amount", "event-not-captured"}
    with _ordersync(seeded) as conn:  # stale again: the row now knows the console's refresh
        pid, _, amount = _one(conn, CAPTURED)
        _event(conn, pid, "CAPTURED", amount)
    async with opened_services(seeded) as services:
        flags, last_refresh = await read_flags(services, "ordersync")
    stale_flag = next(f for f in flags if f.rule == "state-view-stale")
    assert last_refresh is not None
    assert explain(stale_flag, last_refresh, last_refresh).endswith("1 payment; last refreshed by the console 0s ago")


def test_report_reconcile_prints_the_rows_for_cron(seeded: Profile, tmp_path: Path) -> None:
    expected, _ = plant(seeded, "amount-not-total")
    [(pid, oid)] = expected
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(seeded), encoding="utf-8")
    done = run_cli(["report", "reconcile", "ordersync", "--format", "json", "--filter", "rule=amount-not-total"],
                   {"RCMD_TUI_CONFIG": str(path)})
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert (row["rule"], row["payment_id"], row["order_id"]) == ("amount-not-total", pid, oid)
    assert row["explanation"] == f"amount {row['amount']:,} ≠ order total {row['amount'] + 100:,}"
    uuid.UUID(row["payment_id"])
