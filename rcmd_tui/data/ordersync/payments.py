"""OrderSync payments, newest first (`:payments`): method, status, the amounts, and what the payment's events say
was captured and refunded, beside the external id and the card, decrypted and masked.

The captured and refunded sums are the intent of the seed's ``payment_current_state`` (CAPTURED and REFUNDED
events summed per payment), computed from ``payment_events`` for the page's payments in one ``= ANY`` query
(:class:`~rcmd_tui.data.lists.enrich.Batch`), not read from the materialized view: the view is only as new as
its last refresh, and a support person asking "was I charged twice" needs the events as they are now. The
view itself is refreshed by :func:`refresh_payment_state` (the screen's ``R``).

Each filter pages by keyset over an index of its own (migration 0010): method and status lead an index that
ends in the list's order (created_at, id); an order finds its one payment through ``uk_payments_order_id``.
"""

from __future__ import annotations

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, Privilege, Statement
from rcmd_tui.data.crypto.columns import column as encrypted
from rcmd_tui.data.lists.enrich import Batch, DecryptLookup
from rcmd_tui.data.lists.spec import BY_CREATED, Column, FilterField, Kind, Lead, ListSpec, Shorthand, Table
from rcmd_tui.data.monitor.console_audit import system_audit
from rcmd_tui.data.ordersync.lookup import email_hash
from rcmd_tui.data.ordersync.orders import ANONYMOUS

K = Kind
METHODS = ("CARD", "KAKAOPAY", "TOSSPAY", "BANK", "CASH")  # ck_payments_method
STATUSES = ("PENDING", "AUTHORIZED", "CAPTURED", "FAILED", "CANCELLED")  # ck_payments_status

# The seed's payment_current_state, for the page's payments only; served by idx_payment_events_payment_id. The sums
# are bigint again (SUM of bigint is numeric), and a payment without events reads 0 and 0, as the view would if
# it had a row for it.
EVENT_SUMS = (
    "SELECT payment_id, "
    "coalesce(sum(amount) FILTER (WHERE event_type = 'CAPTURED'), 0)::bigint, "
    "coalesce(sum(amount) FILTER (WHERE event_type = 'REFUNDED'), 0)::bigint "
    "FROM payment_events WHERE payment_id = ANY(%s) GROUP BY payment_id"
)

# A customer's payments: the orders they placed (idx_orders_customer_created_id), each order's one payment.
PAYER_BY_ID = "SELECT id FROM orders WHERE customer_id = %s"
PAYER_BY_EMAIL_HASH = "SELECT o.id FROM orders o JOIN users u ON u.id = o.customer_id WHERE u.email_hash = %s"

ORDERSYNC_PAYMENTS = ListSpec(
    key="payments", system="ordersync", source=Table("payments"), title="OrderSync payments",
    columns=(
        # At 80 columns: when, how, where it stands and the money moved ("was I charged twice?"); the rest scrolls in.
        Column("created_at", "Created (UTC)", K.TIME, width=16),
        Column("payment_method", "Method", K.ENUM, width=8),
        Column("status", "Status", K.ENUM, width=10),
        Column("amount", "Amount", K.MONEY, width=8),
        Column("captured", "Captured", K.MONEY, width=8, enriched=True),
        Column("refunded", "Refunded", K.MONEY, width=8, enriched=True),
        Column("customer", "Customer", width=13, enriched=True, encrypted=encrypted("users", "email")),
        Column("card_info", "Card", width=20, encrypted=encrypted("payments", "card_info")),
        Column("fee", "Fee", K.MONEY, width=7),
        Column("net_amount", "Net", K.MONEY, width=9),
        Column("external_id", "External id", width=18, encrypted=encrypted("payments", "external_id")),
        Column("order_id", "Order id", K.UUID, width=10, shown=False),
        Column("customer_id", "Customer id", K.UUID, shown=False, enriched=True),
        Column("authorized_at", "Authorized (UTC)", K.TIME, width=19, shown=False),
        Column("captured_at", "Captured (UTC)", K.TIME, width=19, shown=False),
        Column("failed_at", "Failed (UTC)", K.TIME, width=19, shown=False),
        Column("version", "Version", K.INT, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("method", "payment_method", K.ENUM, values=METHODS),
        FilterField("status", "status", K.ENUM, values=STATUSES),
        FilterField("order", "order_id", K.UUID, help="an order id: its payment"),
        FilterField("customer", "order_id", K.UUID, resolve=PAYER_BY_EMAIL_HASH, resolve_id=PAYER_BY_ID, prepare=email_hash,
                    help="an exact e-mail address (by its hash) or a user id: every payment of their orders"),
        FilterField("amount", "amount", K.MONEY, help="the amount charged, e.g. amount>=50000"),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "status", {s.lower(): (s,) for s in STATUSES}),),
    time_column="created_at",
    enrichers=(Batch("id", ("captured", "refunded"), EVENT_SUMS, missing=(0, 0)),
               Batch("order_id", ("customer_id",), "SELECT id, customer_id FROM orders WHERE id = ANY(%s)"),
               DecryptLookup("customer_id", "customer", encrypted("users", "email"), absent=ANONYMOUS)),
    leads=(Lead("orders", "orders", "id={order_id}"), Lead("user", "users", "id={customer_id}"),
           Lead("changes", "audit", "resource_id={id}")),
)


# -- refreshing payment_current_state -----------------------------------------------------------------

STATE_VIEW = "payment_current_state"
REFRESH_FUNCTION = "console_refresh_payment_state()"  # migration 0010: runs as the view's owner
REFRESH_ACTION = "console.payment_state.refresh"
# A concurrent refresh reads every event and compares the result with the view row by row: at the large scale
# (500,000 orders) a few seconds, past the console's usual statement_timeout. This one transaction may take longer;
# lock_timeout still keeps it from queueing behind another refresh.
REFRESH_STATEMENT_TIMEOUT = "60s"

# One row: whether the view can be refreshed CONCURRENTLY (it exists and has been populated), and if not, why.
_CHECK = sql.SQL(
    "SELECT coalesce(bool_and(c.relispopulated), false), "
    "CASE WHEN count(c.oid) = 0 THEN %s || ' does not exist here' "
    "WHEN NOT bool_and(c.relispopulated) THEN %s || ' was never populated: its owner must run a plain REFRESH first' END "
    "FROM pg_class c WHERE c.oid = to_regclass(%s) AND c.relkind = 'm'")


def refresh_payment_state(profile: Profile) -> Plan:
    """``REFRESH MATERIALIZED VIEW CONCURRENTLY payment_current_state``, through the function migration 0010 gives the
    admin tier (REFRESH is the view's owner's alone). Readers of the view are not blocked meanwhile; a refresh
    already running holds the lock this one needs, and ``lock_timeout`` turns that into a refusal. Re-checked (the
    view exists and is populated, which CONCURRENTLY needs) and audited in OrderSync's log."""
    check = Statement(_CHECK, (STATE_VIEW, STATE_VIEW, STATE_VIEW), (Privilege(STATE_VIEW, "SELECT"),))
    longer = Statement(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(REFRESH_STATEMENT_TIMEOUT)),
                       counts="none")
    refresh = Statement(sql.SQL("SELECT {}()").format(sql.Identifier(REFRESH_FUNCTION.removesuffix("()"))), (),
                        (Privilege(REFRESH_FUNCTION, "EXECUTE"),))
    details = {"view": STATE_VIEW, "concurrently": True, "statement_timeout": REFRESH_STATEMENT_TIMEOUT}
    return Plan(
        system="ordersync", title=f"Refresh {STATE_VIEW}", targets=(STATE_VIEW,), check=check,
        audit=system_audit("ordersync", REFRESH_ACTION, STATE_VIEW, [STATE_VIEW], profile, details),
        statements=(longer, refresh), roles=("admin",), changes="view refreshed",
        preview=(f"{STATE_VIEW}: recomputed from payment_events (captured and refunded sums per payment)",
                 "readers are not blocked (CONCURRENTLY); the payments list reads the events themselves either way"),
    )
