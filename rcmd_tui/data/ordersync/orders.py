"""OrderSync orders, newest first (`:orders`): the restaurant by name and the customer by masked e-mail (each one
batched, decrypted look-up per page), status, the amounts, age and estimated time.

Support finds an order by its customer's exact e-mail (through ``email_hash``), its restaurant (an id, or the
words of its name, through ``name_search``), status, a time range, an amount range or an anonymous token; each filter
pages by keyset over an index of its own (migration 0012), so the millionth order costs what the first does.
"""

from __future__ import annotations

from rcmd_tui.data.crypto.columns import column as encrypted
from rcmd_tui.data.lists.enrich import DecryptLookup
from rcmd_tui.data.lists.spec import BY_CREATED, Column, FilterField, Kind, Lead, ListSpec, Shorthand, Table
from rcmd_tui.data.ordersync.lookup import USER_BY_EMAIL_HASH, email_hash
from rcmd_tui.data.ordersync.restaurants import RESTAURANTS_BY_NAME_WORDS

K = Kind
STATUSES = ("PENDING", "ACCEPTED", "PREPARING", "READY", "COMPLETED", "CANCELLED")  # ck_orders_status
OPEN = ("PENDING", "ACCEPTED", "PREPARING", "READY")  # not yet completed or cancelled: may still be cancelled
ANONYMOUS = "anonymous"  # what the customer column says of an order without a customer

ORDERSYNC_ORDERS = ListSpec(
    key="orders", system="ordersync", source=Table("orders"), title="OrderSync orders",
    columns=(
        Column("created_at", "Created (UTC)", K.TIME, width=16),
        Column("restaurant", "Restaurant", width=14, enriched=True, encrypted=encrypted("restaurants", "name")),
        Column("customer", "Customer", width=14, enriched=True, encrypted=encrypted("users", "email")),
        Column("status", "Status", K.ENUM, width=9),
        Column("total_amount", "Total", K.MONEY, width=7),
        # An open order: how long it has waited so far; a finished one: how long it took.
        Column("age", "Age", K.DURATION, width=6, expr="coalesce(completed_at, cancelled_at, now()) - created_at"),
        Column("estimated_time", "Est m", K.INT, width=5),  # minutes the restaurant estimated
        Column("subtotal", "Subtotal", K.MONEY, width=9, shown=False),
        Column("discount_amount", "Discount", K.MONEY, width=9, shown=False),
        Column("tax_amount", "Tax", K.MONEY, width=9, shown=False),
        Column("table_info", "Table", width=8, shown=False, encrypted=encrypted("orders", "table_info")),
        Column("special_requests", "Special requests", width=20, shown=False, encrypted=encrypted("orders", "special_requests")),
        # Shown by the detail as lines (masked where they hold more than a dish), never as a cell.
        Column("items", "Items", shown=False, internal=True, encrypted=encrypted("orders", "items")),
        Column("accepted_at", "Accepted (UTC)", K.TIME, width=19, shown=False),
        Column("preparing_at", "Preparing (UTC)", K.TIME, width=19, shown=False),
        Column("ready_at", "Ready (UTC)", K.TIME, width=19, shown=False),
        Column("completed_at", "Completed (UTC)", K.TIME, width=19, shown=False),
        Column("cancelled_at", "Cancelled (UTC)", K.TIME, width=19, shown=False),
        Column("anonymous_token", "Anonymous token", width=16, shown=False),
        Column("anonymous_expires_at", "Anonymous until (UTC)", K.TIME, width=19, shown=False),
        Column("restaurant_id", "Restaurant id", K.UUID, shown=False),
        Column("customer_id", "Customer id", K.UUID, shown=False),
        Column("version", "Version", K.INT, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("customer", "customer_id", K.UUID, resolve=USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="an exact e-mail address (by its hash) or a user id"),
        FilterField("status", "status", K.ENUM, values=STATUSES),
        FilterField("restaurant", "restaurant_id", K.UUID, resolve=RESTAURANTS_BY_NAME_WORDS,
                    help="a restaurant id, or words of its name (every word, whole, any case)"),
        FilterField("total", "total_amount", K.MONEY, help="the amount charged, e.g. total>=50000"),
        FilterField("token", "anonymous_token", help="an anonymous order's token, exactly"),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "status", {"open": OPEN, **{s.lower(): (s,) for s in STATUSES}}),),
    time_column="created_at",
    enrichers=(DecryptLookup("restaurant_id", "restaurant", encrypted("restaurants", "name")),
               DecryptLookup("customer_id", "customer", encrypted("users", "email"), absent=ANONYMOUS)),
    leads=(Lead("user", "users", "id={customer_id}"), Lead("restaurant", "restaurants", "id={restaurant_id}"),
           Lead("payment", "payments", "order={id}"), Lead("changes", "audit", "resource_id={id}")),
)
