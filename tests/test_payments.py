"""OrderSync payments (`:payments`) against the seeded demo data: captured and refunded sums come from the payment
events as they are now (not from the materialized view), card info shows its issuer and last four only, the filters
page through the payments they name; refreshing payment_current_state asks first, runs through the admin tier's
function, is audited, and is offered neither in a read-only session nor to a support role; and the real console at
80x24."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rcmd_tui.config import Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import ActionRefused
from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.crypto.masking import mask_card
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.format import shown
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.ordersync.payments import ORDERSYNC_PAYMENTS, REFRESH_ACTION, refresh_payment_state
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.payments import PaymentsScreen
from rcmd_tui.widgets.key_footer import shown_bindings
from tests.helpers import login_as, open_console, opened_services, until_confirm
from tests.terminal import console_in_terminal

SPEC = ORDERSYNC_PAYMENTS


@pytest.fixture(autouse=True)
def _fixed_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "operator")


def _ordersync(profile: Profile) -> psycopg.Connection[Any]:
    assert profile.ordersync is not None
    return psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}", autocommit=True)


def _captured_payment(profile: Profile) -> tuple[str, int]:
    with _ordersync(profile) as conn:
        row = conn.execute("SELECT p.id::text, p.amount FROM payments p WHERE p.status = 'CAPTURED' AND NOT EXISTS "
                           "(SELECT 1 FROM payment_refunds r WHERE r.payment_id = p.id) ORDER BY p.id LIMIT 1").fetchone()
    assert row is not None
    return row[0], row[1]


def _state(profile: Profile, payment: str) -> tuple[int, int] | None:
    with _ordersync(profile) as conn:
        row = conn.execute("SELECT captured_amount::bigint, refunded_amount::bigint FROM payment_current_state "
                           "WHERE payment_id = %s", [payment]).fetchone()
    return None if row is None else (row[0], row[1])


def _refresh_audit(profile: Profile) -> list[dict[str, Any]]:
    with _ordersync(profile) as conn:
        rows = conn.execute("SELECT resource_type, resource_id, new_value_encrypted, new_value_key_id, success FROM audit_logs "
                            "WHERE action = 'CONSOLE_ACTION' AND resource_type = 'payment_current_state'").fetchall()
    return [{"resource": (r[0], r[1]), "payload": json.loads(r[2]), "key": r[3], "success": r[4]} for r in rows]


def _recorder(told: list[str]) -> Callable[..., None]:
    return lambda message, **_: told.append(message)


async def _records(profile: Profile, text: str = "") -> list[Record]:
    async with opened_services(profile) as services:
        flt = compile_filter(SPEC, text) if text else None
        source = open_source(SPEC, services, flt=flt) if flt else open_source(SPEC, services)
        return list((await source.first()).records)


# The list ---------------------------------------------------------------------------------------------


async def test_captured_and_refunded_are_summed_from_the_events_as_they_are_now(seeded: Profile) -> None:
    pid, amount = _captured_payment(seeded)
    with _ordersync(seeded) as conn:  # a partial refund the view has not been refreshed for
        conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, 'REFUNDED', 700)", [pid])
    [row] = await _records(seeded, f"id={pid}")
    assert (row.get("amount"), row.get("captured"), row.get("refunded")) == (amount, amount, 700)
    assert _state(seeded, pid) == (amount, 0)  # the view still says what it said at its last refresh
    # A payment with no events at all (a pending one) reads 0 and 0, as the view would.
    pending = await _records(seeded, "status=PENDING")
    assert pending and all((r.get("captured"), r.get("refunded")) == (0, 0) for r in pending)


async def test_card_info_shows_the_issuer_and_last_four_only_and_the_external_id_nothing(seeded: Profile) -> None:
    rows = await _records(seeded, "method=CARD")
    assert rows and all(r.get("payment_method") == "CARD" for r in rows)
    card_column, external_column = SPEC.column("card_info"), SPEC.column("external_id")
    for r in rows:
        card, external = r.get("card_info"), r.get("external_id")
        assert isinstance(card, Plain) and isinstance(external, Plain)
        digits = re.sub(r"\D", "", card.text)
        masked = shown(card_column, card)
        assert masked == mask_card(card.text) and re.fullmatch(r"\S+ \*\*\*\* \d{4}", masked), masked
        assert masked.endswith(digits[-4:]) and digits[:4] not in masked.split()[-1] + masked.split()[0]
        assert card.text not in masked
        assert external.text.startswith("tgen_") and shown(external_column, external) == f"•••• ({len(external.text)} chars)"
    cash = await _records(seeded, "method=CASH")
    assert cash and all(r.get("card_info") is None for r in cash)  # no card: NULL, not a failure


async def test_the_filters_find_what_they_name(seeded: Profile) -> None:
    with _ordersync(seeded) as conn:
        row = conn.execute("SELECT id::text, order_id::text FROM payments WHERE status = 'AUTHORIZED' ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    pid, oid = row
    [by_order] = await _records(seeded, f"order={oid}")
    assert str(by_order.get("id")) == pid
    # the lead from a payment's detail to its order
    lead = next(lead for lead in SPEC.leads if lead.view == "orders")
    assert lead.filter_for(by_order) == f"id={oid}"
    rows = await _records(seeded, "status=captured method=kakaopay amount>=20000 since:400d")
    assert rows and all((r.get("status"), r.get("payment_method")) == ("CAPTURED", "KAKAOPAY") and r.get("amount") >= 20000
                        for r in rows)
    times = [r.get("created_at") for r in rows]
    assert times == sorted(times, reverse=True)  # newest first


# Refreshing payment_current_state ----------------------------------------------------------------------


async def test_refresh_is_confirmed_runs_and_is_audited(seeded: Profile) -> None:
    pid, amount = _captured_payment(seeded)
    with _ordersync(seeded) as conn:
        conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, 'REFUNDED', 500)", [pid])
    async with open_console(seeded, "payments os") as c:
        assert isinstance(c.screen, PaymentsScreen) and c.screen.is_offered("refresh_state")
        assert "refresh_state" in {b.action for b in shown_bindings(c.app.screen)}
        await c.press("R")
        confirm = await until_confirm(c.pilot, c.app)
        said = "\n".join(confirm.statements)
        assert "SET LOCAL statement_timeout = '60s'" in said and 'SELECT "console_refresh_payment_state"()' in said
        assert "to_regclass('payment_current_state')" in said and "INSERT INTO audit_logs" in said
        assert confirm.typed is None
        await c.press("enter")
        await c.settle()
        assert not isinstance(c.screen, ConfirmScreen) and c.error() == ""
    assert _state(seeded, pid) == (amount, 500)
    [row] = _refresh_audit(seeded)
    assert row["resource"] == ("payment_current_state", "payment_current_state") and row["success"] is True
    assert row["key"] == "plain:console"
    payload = row["payload"]
    assert payload["action"] == REFRESH_ACTION and payload["console_role"] == "admin" and payload["os_user"] == "operator"
    assert payload["db_user"] and payload["db_role"] and payload["concurrently"] is True


async def test_the_admin_tier_refreshes_through_its_function_and_support_may_not(seeded: Profile) -> None:
    pid, amount = _captured_payment(seeded)
    with _ordersync(seeded) as conn:
        conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, 'REFUNDED', 300)", [pid])
    plan = refresh_payment_state(seeded)
    with login_as(seeded, "ordersync", "pay_support", "rcmd_tui_support") as support:
        async with opened_services(support) as services:
            assert not await actions.action_is_offered(services, "ordersync", plan.roles, plan.privileges)
            with pytest.raises(ActionRefused, match="the database refused it"):
                await actions.run(services, plan)
    assert _state(seeded, pid) == (amount, 0) and _refresh_audit(seeded) == []  # nothing ran, nothing audited
    # The admin tier does not own the view: REFRESH is refused to it, the function is not.
    with login_as(seeded, "ordersync", "pay_admin", "rcmd_tui_admin") as admin:
        assert admin.ordersync is not None
        with psycopg.connect(admin.ordersync.dsn, options=f"-c search_path={admin.ordersync.schema}") as conn, \
                pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY payment_current_state")
        async with opened_services(admin) as services:
            assert await actions.action_is_offered(services, "ordersync", plan.roles, plan.privileges)
            assert (await actions.run(services, plan)).changed == 1
    assert _state(seeded, pid) == (amount, 300)
    [row] = _refresh_audit(seeded)
    assert row["payload"]["db_user"] == "pay_admin"


async def test_read_only_and_the_support_console_role_are_offered_no_refresh(seeded: Profile) -> None:
    for profile, read_only, why in ((seeded, True, "read-only"), (replace(seeded, role="support"), False, "support console role")):
        async with open_console(profile, "payments os", read_only=read_only) as c:
            assert isinstance(c.screen, PaymentsScreen) and not c.screen.is_offered("refresh_state")
            assert "refresh_state" not in {b.action for b in shown_bindings(c.app.screen)}
            told: list[str] = []
            c.screen.notify = _recorder(told)  # type: ignore[method-assign]
            await c.press("R")
            await c.settle()
            assert any(why in m for m in told) and not isinstance(c.screen, ConfirmScreen)
    assert _refresh_audit(seeded) == []


# The real console ---------------------------------------------------------------------------------------


def test_at_80x24_payments_read_in_a_real_terminal(seeded: Profile, tmp_path: Path) -> None:
    with console_in_terminal(seeded, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"payments", "enter")
        term.wait_for("OrderSync payments")
        term.wait_for("row 1 of")
        assert term.line(0).startswith(" OrderSync payments │")
        header = next(line for line in term.screen.display if "Method" in line)
        assert header.split()[:7] == ["Created", "(UTC)", "Method", "Status", "Amount", "Captured", "Refunded"], header
        rows = [line for line in term.screen.display if re.match(r"\s*\d{4}-\d\d-\d\d \d\d:\d\d ", line)]
        assert len(rows) >= 10, term.text()
        assert re.search(r"row 1 of ≈?\d", term.text())
        assert any(re.search(r"(CARD|KAKAOPAY|TOSSPAY|BANK|CASH)\s+(CAPTURED|AUTHORIZED|PENDING|FAILED|CANCELLED)", line)
                   for line in rows)
        assert "tgen_" not in term.text()  # the external ids stay masked
        term.send(b"\x1b[C" * 8)  # right: the list scrolls sideways to the card column
        term.settle()
        assert re.search(r"\*\*\*\* \d{4}", term.text()), term.text()  # issuer and last four, nothing more
