"""Payments whose events, refunds, status and order disagree (`:reconcile`): one row per payment and rule broken,
with the rule's name, the numbers that break it in words, and the payment's and order's ids and amounts.

The rules (``RULES``; docs/console.md, "Payments and reconcile"). "Captured" is what the payment's CAPTURED events
add up to, "refunded" its REFUNDED events, "refunds" its ``payment_refunds`` rows that are PROCESSED, as the seed's
``payment_current_state`` intends (events are the payment's history; the view is a copy):

- ``refund-over-capture``: the PROCESSED refunds add up to more than was captured.
- ``refunded-over-capture``: the REFUNDED events add up to more than was captured.
- ``captured-no-event``: the status is CAPTURED, but no CAPTURED event exists.
- ``event-not-captured``: a CAPTURED event exists, but the status is not CAPTURED.
- ``capture-not-amount``: the CAPTURED events add up to other than the payment's amount (charged twice, or in part).
- ``refund-no-event``: a PROCESSED refund has no REFUNDED event of its amount (paired by amount, so two refunds
  of 5,000 need two events of 5,000).
- ``event-no-refund``: a REFUNDED event has no PROCESSED refund of its amount.
- ``cancelled-but-captured``: the order is CANCELLED, money was captured, and the REFUNDED events give back less
  than it. The issue speaks of a COMPLETED payment; the seed's payments have no such status
  (``ck_payments_status``: PENDING, AUTHORIZED, CAPTURED, FAILED, CANCELLED): CAPTURED is the one that took money.
- ``amount-not-total``: the payment's amount is not its order's ``total_amount``.
- ``completed-not-captured``: the order is COMPLETED but its payment is not CAPTURED, or it has none (the row has
  no payment id then).
- ``state-view-stale``: ``payment_current_state`` differs from the events for some payments (one row, no payment):
  it needs a refresh (``R`` on `:payments`). PostgreSQL keeps no time of a materialized view's last refresh; the
  row says when the console last refreshed it (its audit row), which is how old the view is unless something
  else refreshed it since.

``net_amount = amount - fee`` is not a rule: ``ck_payments_amounts`` makes it impossible to break.

One statement per refresh (every 60 s), read whole and filtered and sorted in memory like any snapshot: the
events are summed once per payment (one pass over ``payment_events``, grouped), the refunds likewise, each
payment is joined to its order and judged against every rule in the same pass, and only the rows that break
one leave the server (at most ``MAX_ROWS`` + 1). The console's last refresh is looked up (an index on
``audit_logs (resource_type, resource_id)``) only when the view is found stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql
from psycopg.rows import class_row

from rcmd_tui.data.lists.format import duration
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, Lead, ListSpec, Ordering, Snapshot
from rcmd_tui.data.ordersync.payments import METHODS, STATE_VIEW, STATUSES

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
MAX_ROWS = 5000
ORDER_STATUSES = ("PENDING", "ACCEPTED", "PREPARING", "READY", "COMPLETED", "CANCELLED")  # ck_orders_status
REFRESH_S = 60.0
# The whole read judges every payment: at the large scale (500,000 orders) 2-4 s on two busy cores, near the
# console's usual statement_timeout, which is meant for a page of a list. This read, once a minute, may take longer.
READ_TIMEOUT_MS = 30_000

RULES = {
    "refund-over-capture": "PROCESSED refunds add up to more than was captured",
    "refunded-over-capture": "REFUNDED events add up to more than was captured",
    "captured-no-event": "status CAPTURED with no CAPTURED event",
    "event-not-captured": "a CAPTURED event, but the status is not CAPTURED",
    "capture-not-amount": "the CAPTURED events add up to other than the amount",
    "refund-no-event": "a PROCESSED refund with no REFUNDED event of its amount",
    "event-no-refund": "a REFUNDED event with no PROCESSED refund of its amount",
    "cancelled-but-captured": "captured on a CANCELLED order and not fully refunded",
    "held-on-cancelled": "still AUTHORIZED on a CANCELLED order: the hold on the customer's money was never released",
    "amount-not-total": "the payment's amount is not the order's total",
    "completed-not-captured": "a COMPLETED order without a CAPTURED payment",
    "state-view-stale": "payment_current_state differs from the events: refresh it",
}

# Every payment judged in one pass; the rules it breaks as an array, unnested into one row each.
RECONCILE_SQL = """
WITH ev AS (  -- AUTHORIZED and CANCELLED events (half of them) decide no rule
    SELECT payment_id,
           coalesce(sum(amount) FILTER (WHERE event_type = 'CAPTURED'), 0)::bigint AS captured,
           count(*) FILTER (WHERE event_type = 'CAPTURED') AS captures,
           coalesce(sum(amount) FILTER (WHERE event_type = 'REFUNDED'), 0)::bigint AS refunded
    FROM payment_events WHERE event_type IN ('CAPTURED', 'REFUNDED')
    GROUP BY payment_id
), rf AS (
    SELECT payment_id, sum(amount)::bigint AS refunds
    FROM payment_refunds WHERE status = 'PROCESSED'
    GROUP BY payment_id
), paired AS (  -- PROCESSED refunds against REFUNDED events, by payment and amount: the amounts left unpaired
    SELECT payment_id,
           array_agg(amount ORDER BY amount) FILTER (WHERE refunds > events) AS refunds_unpaired,
           array_agg(amount ORDER BY amount) FILTER (WHERE events > refunds) AS events_unpaired
    FROM (SELECT payment_id, amount, sum(refund) AS refunds, sum(event) AS events
          FROM (SELECT payment_id, amount, 1 AS refund, 0 AS event FROM payment_refunds WHERE status = 'PROCESSED'
                UNION ALL
                SELECT payment_id, amount, 0, 1 FROM payment_events WHERE event_type = 'REFUNDED') AS r
          GROUP BY payment_id, amount
          HAVING sum(refund) <> sum(event)) AS a
    GROUP BY payment_id
), pay AS (
    SELECT p.id AS payment_id, p.order_id, p.status, o.status AS order_status, p.payment_method AS method,
           p.amount, o.total_amount AS order_total, coalesce(ev.captured, 0) AS captured,
           coalesce(ev.captures, 0) AS captures, coalesce(ev.refunded, 0) AS refunded, coalesce(rf.refunds, 0) AS refunds,
           pr.refunds_unpaired, pr.events_unpaired, p.created_at,
           -- the view against the events it copies (no row: the payment has no events, or the view is older)
           (coalesce(ev.captured, 0), coalesce(ev.refunded, 0))
               IS DISTINCT FROM (coalesce(s.captured_amount, 0), coalesce(s.refunded_amount, 0)) AS stale
    FROM payments p
    JOIN orders o ON o.id = p.order_id
    LEFT JOIN ev ON ev.payment_id = p.id
    LEFT JOIN rf ON rf.payment_id = p.id
    LEFT JOIN paired pr ON pr.payment_id = p.id
    LEFT JOIN payment_current_state s ON s.payment_id = p.id
), judged AS (  -- only the payments that break a rule (or that the view has wrong) are kept, so few are
    SELECT * FROM (
        SELECT pay.*, array_remove(ARRAY[
            CASE WHEN refunds > captured THEN 'refund-over-capture' END,
            CASE WHEN refunded > captured THEN 'refunded-over-capture' END,
            CASE WHEN status = 'CAPTURED' AND captures = 0 THEN 'captured-no-event' END,
            CASE WHEN captures > 0 AND status <> 'CAPTURED' THEN 'event-not-captured' END,
            CASE WHEN captures > 0 AND captured <> amount THEN 'capture-not-amount' END,
            CASE WHEN refunds_unpaired IS NOT NULL THEN 'refund-no-event' END,
            CASE WHEN events_unpaired IS NOT NULL THEN 'event-no-refund' END,
            CASE WHEN order_status = 'CANCELLED' AND (status = 'CAPTURED' OR captures > 0)
                 AND refunded < CASE WHEN captures > 0 THEN captured ELSE amount END THEN 'cancelled-but-captured' END,
            CASE WHEN order_status = 'CANCELLED' AND status = 'AUTHORIZED' AND captures = 0
                 THEN 'held-on-cancelled' END,
            CASE WHEN amount <> order_total THEN 'amount-not-total' END,
            CASE WHEN order_status = 'COMPLETED' AND status <> 'CAPTURED' THEN 'completed-not-captured' END
        ], NULL) AS rules
        FROM pay) AS j
    WHERE cardinality(rules) > 0 OR stale
)
SELECT rule, payment_id, order_id, status, order_status, method, amount, order_total, captured, captures, refunded,
       refunds, refunds_unpaired, events_unpaired, created_at, NULL::bigint AS stale
FROM judged CROSS JOIN LATERAL unnest(rules) AS rule
UNION ALL
SELECT 'completed-not-captured', NULL, o.id, NULL, o.status, NULL, NULL, o.total_amount, NULL, NULL, NULL, NULL,
       NULL, NULL, o.created_at, NULL
FROM orders o
WHERE o.status = 'COMPLETED' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id)
UNION ALL
SELECT 'state-view-stale', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*)
FROM judged WHERE stale HAVING count(*) > 0
LIMIT %s
"""

# When the console last refreshed the view: its audit row (payments.refresh_payment_state, the only CONSOLE_ACTION
# about the view), through idx_audit_logs_resource. Another refresh (the seeder's, the owner's by hand) leaves no
# trace anywhere. The payload is not read: other rows' new values are ciphertext, which no cast may touch.
LAST_REFRESH_SQL = ("SELECT max(created_at) FROM audit_logs WHERE resource_type = %s AND resource_id = %s "
                    "AND action = 'CONSOLE_ACTION'")


@dataclass(frozen=True, slots=True)
class Flag:
    """A payment (or an order, or the view) breaking one rule, with the numbers the rule compares."""

    rule: str
    payment_id: Any  # a UUID; None for an order without a payment and for the view
    order_id: Any
    status: str | None
    order_status: str | None
    method: str | None
    amount: int | None
    order_total: int | None
    captured: int | None
    captures: int | None
    refunded: int | None
    refunds: int | None
    refunds_unpaired: list[int] | None
    events_unpaired: list[int] | None
    created_at: datetime | None
    stale: int | None


def _n(value: int | None) -> str:
    """A sum as people read money: thousands grouped.

    >>> _n(12000), _n(None)
    ('12,000', '0')
    """
    return f"{value or 0:,}"


def _amounts(values: Sequence[int] | None) -> str:
    """
    >>> _amounts([3000, 5000])
    '3,000, 5,000'
    """
    return ", ".join(_n(v) for v in values or ())


def explain(flag: Flag, last_refresh: datetime | None = None, now: datetime | None = None) -> str:
    """The rule's numbers in one line.

    >>> f = Flag("refund-over-capture", "p", "o", "CAPTURED", "COMPLETED", "CARD", 10000, 10000, 10000, 1, 0, 12000,
    ...          None, None, None, None)
    >>> explain(f)
    'refunds 12,000 > captured 10,000'
    >>> import dataclasses
    >>> explain(dataclasses.replace(f, rule="refund-no-event", refunds_unpaired=[3000]))
    'refund 3,000 PROCESSED, no REFUNDED event of it'
    >>> explain(dataclasses.replace(f, rule="completed-not-captured", payment_id=None, status=None))
    'order COMPLETED, no payment'
    """
    rule = flag.rule
    if rule == "refund-over-capture":
        return f"refunds {_n(flag.refunds)} > captured {_n(flag.captured)}"
    if rule == "refunded-over-capture":
        return f"REFUNDED events {_n(flag.refunded)} > captured {_n(flag.captured)}"
    if rule == "captured-no-event":
        return f"status CAPTURED, no CAPTURED event (amount {_n(flag.amount)})"
    if rule == "event-not-captured":
        return f"CAPTURED events {_n(flag.captured)}, status {flag.status}"
    if rule == "capture-not-amount":
        times = f" in {flag.captures} CAPTURED events" if (flag.captures or 0) > 1 else ""
        return f"captured {_n(flag.captured)}{times} ≠ amount {_n(flag.amount)}"
    if rule == "refund-no-event":
        many = len(flag.refunds_unpaired or ()) > 1
        return f"refund{'s' if many else ''} {_amounts(flag.refunds_unpaired)} PROCESSED, no REFUNDED event of {'them' if many else 'it'}"
    if rule == "event-no-refund":
        many = len(flag.events_unpaired or ()) > 1
        return f"REFUNDED event{'s' if many else ''} {_amounts(flag.events_unpaired)}, no PROCESSED refund of {'them' if many else 'it'}"
    if rule == "cancelled-but-captured":
        kept = flag.captured if flag.captures else flag.amount
        return f"order CANCELLED, payment {flag.status}: refunded {_n(flag.refunded)} of {_n(kept)}"
    if rule == "held-on-cancelled":
        return f"order CANCELLED, payment AUTHORIZED {_n(flag.amount)}: release the hold in the payment gateway"
    if rule == "amount-not-total":
        return f"amount {_n(flag.amount)} ≠ order total {_n(flag.order_total)}"
    if rule == "completed-not-captured":
        return f"order COMPLETED, payment {flag.status}" if flag.payment_id is not None else "order COMPLETED, no payment"
    if rule == "state-view-stale":
        count = flag.stale or 0
        when = ("no refresh by the console on record" if last_refresh is None else
                f"last refreshed by the console {duration((now or datetime.now(UTC)) - last_refresh)} ago")
        return f"{STATE_VIEW} differs for {count:,} payment{'s' if count != 1 else ''}; {when}"
    return RULES.get(rule, rule)


FIELDS = ("rule", "explanation", "payment_id", "order_id", "amount", "captured", "refunded", "refunds", "order_total",
          "status", "order_status", "method", "created_at", "seq")


def arrange(flags: Sequence[Flag], last_refresh: datetime | None, now: datetime) -> list[tuple[Any, ...]]:
    """The rows of the view: the stale view first (it skews every other reading), then newest first."""
    ranked = sorted(flags, key=lambda f: (f.rule != "state-view-stale", -(f.created_at or now).timestamp(), f.rule,
                                          str(f.payment_id), str(f.order_id)))
    return [(f.rule, explain(f, last_refresh, now), f.payment_id, f.order_id, f.amount, f.captured, f.refunded, f.refunds,
             f.order_total, f.status, f.order_status, f.method, f.created_at, seq) for seq, f in enumerate(ranked)]


async def read_flags(services: Services, system: str) -> tuple[list[Flag], datetime | None]:
    """Every flag (at most ``MAX_ROWS`` + 1), and when the console last refreshed the view if it is stale."""
    timeout_ms = max(services.profile.timeouts.statement_ms, READ_TIMEOUT_MS)
    async with services.reader(system).connection() as conn, conn.transaction():
        await conn.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(f"{timeout_ms}ms")))
        async with conn.cursor(row_factory=class_row(Flag)) as cur:
            await cur.execute(RECONCILE_SQL, (MAX_ROWS + 1,))
            flags = await cur.fetchall()
        last = None
        if any(f.rule == "state-view-stale" for f in flags):
            row = await (await conn.execute(LAST_REFRESH_SQL, (STATE_VIEW, STATE_VIEW))).fetchone()
            last = row[0] if row else None
    return flags, last


async def nothing_broken(services: Services, system: str) -> str:
    """What an empty reconcile view means: every payment checked, and how many there are (the planner's count: exact
    is a scan the check itself just paid for)."""
    async with services.reader(system).connection() as conn:
        row = await (await conn.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'payments'::regclass")).fetchone()
    payments = f"about {int(row[0]):,} payments" if row and row[0] and int(row[0]) > 0 else "every payment"
    rules = len(RULES) - 1  # the view's own staleness is not a rule a payment breaks
    return f"{payments} checked against {rules} rules (docs/console.md names them): none is broken"


async def read_reconcile(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    flags, last = await read_flags(services, system)
    return FIELDS, arrange(flags, last, datetime.now(UTC))


ORDERSYNC_RECONCILE = ListSpec(
    key="reconcile", system="ordersync", title="OrderSync payment reconcile",
    source=Snapshot(read=read_reconcile, refresh_s=REFRESH_S, max_rows=MAX_ROWS, empty=nothing_broken),
    columns=(
        Column("rule", "Rule", K.ENUM, width=22),
        Column("explanation", "Explanation", width=37),
        Column("payment_id", "Payment", K.UUID, width=8),
        Column("order_id", "Order", K.UUID, width=8),
        Column("amount", "Amount", K.MONEY, width=9),
        Column("captured", "Captured", K.MONEY, width=9),
        Column("refunded", "Refunded", K.MONEY, width=9),
        Column("refunds", "Refunds", K.MONEY, width=9, shown=False),
        Column("order_total", "Order total", K.MONEY, width=9, shown=False),
        Column("status", "Status", K.ENUM, width=10, shown=False),
        Column("order_status", "Order status", K.ENUM, width=10, shown=False),
        Column("method", "Method", K.ENUM, width=8, shown=False),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("seq", "Seq", K.INT, shown=False, internal=True),
    ),
    orderings=(Ordering("stale view first, then newest", ("seq",), descending=False),),
    filters=(
        FilterField("rule", "rule", K.ENUM, values=tuple(RULES), help="one of: " + ", ".join(RULES)),
        FilterField("payment", "payment_id", K.UUID, help="a payment id"),
        FilterField("order", "order_id", K.UUID, help="an order id"),
        FilterField("status", "status", K.ENUM, values=STATUSES, help="the payment's status"),
        FilterField("order_status", "order_status", K.ENUM, values=ORDER_STATUSES),
        FilterField("method", "method", K.ENUM, values=METHODS),
        FilterField("amount", "amount", K.MONEY, help="the payment's amount, e.g. amount>=50000"),
    ),
    time_column="created_at",
    id_columns=("rule", "payment_id", "order_id"),
    leads=(Lead("payment", "payments", "id={payment_id}"), Lead("orders", "orders", "id={order_id}")),
)
