"""OrderSync restaurants (`:restaurants`) and their menus (`:menus`), read-only.

A restaurant's and a dish's name are the business's own words (``FieldKind.OPEN``): stored encrypted, shown
decrypted. Its address, phone and business number, and its owner's e-mail, are masked until revealed.

Names are encrypted, so SQL can neither sort nor search them: restaurants page newest first over
(created_at, id), and ``name=`` finds restaurants by whole words of ``name_search``, the plaintext copy the
application keeps for search, through its GIN index (``idx_restaurants_name_search``). Menus page in the order a
restaurant shows them: (restaurant_id, category, sort_order, id). Both indexes that end in ``id`` are migration
0011's. Counts beside each restaurant (its menus, its open orders, today's orders) come from one batched query
each per page, never one per row.
"""

from __future__ import annotations

from rcmd_tui.data.crypto.columns import column as encrypted
from rcmd_tui.data.lists.enrich import Batch, DecryptLookup
from rcmd_tui.data.lists.spec import BY_CREATED, Column, FilterField, Kind, Lead, ListSpec, Ordering, Table
from rcmd_tui.data.ordersync.lookup import USER_BY_EMAIL_HASH, email_hash

K = Kind
STATUSES = ("ACTIVE", "SUSPENDED", "CLOSED", "DELETED")  # ck_restaurants_status

# A filter's resolve: restaurants having every word typed in their name (any case; 'simple' folds case only),
# written as idx_restaurants_name_search's expression so that index serves it. plainto_tsquery takes any text.
RESTAURANTS_BY_NAME_WORDS = ("SELECT id FROM restaurants "
                             "WHERE to_tsvector('simple', name_search) @@ plainto_tsquery('simple', %s)")

# Counts per page of restaurants, each one query over the page's ids, each served by an index that leads with
# restaurant_id (idx_menus_restaurant_id; idx_orders_restaurant_status; idx_orders_restaurant_created_id).
MENU_COUNTS = "SELECT restaurant_id, count(*) FROM menus WHERE restaurant_id = ANY(%s) GROUP BY restaurant_id"
# Open: not yet completed or cancelled, so the kitchen still owes it (READY included: not yet picked up).
OPEN_ORDER_COUNTS = ("SELECT restaurant_id, count(*) FROM orders WHERE restaurant_id = ANY(%s) "
                     "AND status = ANY('{PENDING,ACCEPTED,PREPARING,READY}') GROUP BY restaurant_id")
# Today is the UTC day, as every time the console shows is UTC.
TODAY_ORDER_COUNTS = ("SELECT restaurant_id, count(*) FROM orders WHERE restaurant_id = ANY(%s) "
                      "AND created_at >= date_trunc('day', now(), 'UTC') GROUP BY restaurant_id")

ORDERSYNC_RESTAURANTS = ListSpec(
    key="restaurants", system="ordersync", source=Table("restaurants"), title="OrderSync restaurants",
    columns=(
        Column("name", "Name", width=18, encrypted=encrypted("restaurants", "name")),
        Column("category", "Category", width=8),
        Column("status", "Status", K.ENUM, width=9),
        Column("owner_email", "Owner", width=16, enriched=True, encrypted=encrypted("users", "email")),
        Column("menus", "Menus", K.INT, width=5, enriched=True),
        Column("open_orders", "Open", K.INT, width=4, enriched=True),
        Column("orders_today", "Today", K.INT, width=5, enriched=True, shown=False),
        Column("created_at", "Created (UTC)", K.TIME, width=19),
        Column("address", "Address", width=24, shown=False, encrypted=encrypted("restaurants", "address")),
        Column("phone", "Phone", width=14, shown=False, encrypted=encrypted("restaurants", "phone")),
        Column("business_number", "Business no.", width=14, shown=False,
               encrypted=encrypted("restaurants", "business_number")),
        Column("business_hours", "Business hours", K.JSON, shown=False),
        Column("settings", "Settings", K.JSON, shown=False),
        # As stored (numeric, 8 places): FLOAT's display rounds to a tenth, about 10 km.
        Column("latitude", "Latitude", width=11, shown=False),
        Column("longitude", "Longitude", width=12, shown=False),
        Column("name_search", "Search name", width=18, shown=False),
        Column("updated_at", "Updated (UTC)", K.TIME, width=19, shown=False),
        Column("version", "Version", K.INT, width=7, shown=False),
        Column("owner_id", "Owner id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        # On id with a resolve, as user= is: the engine then binds the words into that index-served subquery
        # (a plain text field could only compile to = or ILIKE on name_search, which no index serves).
        FilterField("name", "id", K.UUID, resolve=RESTAURANTS_BY_NAME_WORDS,
                    help="words of the name (whole words, any case: name=교촌치킨), or an id"),
        FilterField("category", "category", fold_case=True),
        FilterField("status", "status", K.ENUM, values=STATUSES),
        FilterField("owner", "owner_id", K.UUID, resolve=USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="the owner's user id or exact e-mail address"),
        FilterField("id", "id", K.UUID),
    ),
    time_column="created_at",
    enrichers=(
        DecryptLookup("owner_id", "owner_email", encrypted("users", "email")),
        Batch("id", ("menus",), MENU_COUNTS, missing=(0,)),
        Batch("id", ("open_orders",), OPEN_ORDER_COUNTS, missing=(0,)),
        Batch("id", ("orders_today",), TODAY_ORDER_COUNTS, missing=(0,)),
    ),
    leads=(Lead("menus", "menus", "restaurant={id}"), Lead("orders", "orders", "restaurant={id}"),
           Lead("user", "users", "id={owner_id}"), Lead("changes", "audit", "resource_id={id}")),
)

SOLD_OUT = "sold out"
# What is left of today's limit, in words: a fixed expression of ours (sold_count is reset at midnight).
STOCK = ("CASE WHEN daily_limit IS NULL THEN 'no limit' "
         f"WHEN coalesce(sold_count, 0) >= daily_limit THEN '{SOLD_OUT}' "
         "ELSE (daily_limit - coalesce(sold_count, 0))::text || ' left' END")

ORDERSYNC_MENUS = ListSpec(
    key="menus", system="ordersync", source=Table("menus"), title="OrderSync menus",
    columns=(
        Column("name", "Menu", width=16, encrypted=encrypted("menus", "name")),
        Column("category", "Category", width=8),
        Column("price", "Price", K.MONEY, width=7),
        Column("discount_rate", "Disc%", K.INT, width=5),
        Column("is_available", "Avail", K.BOOL, width=5),
        Column("daily_limit", "Limit", K.INT, width=5),
        Column("sold_count", "Sold", K.INT, width=4),
        Column("stock", "Stock", width=8, expr=STOCK),
        Column("restaurant", "Restaurant", width=14, enriched=True, encrypted=encrypted("restaurants", "name")),
        Column("sort_order", "Sort", K.INT, width=4, shown=False),
        Column("description", "Description", width=24, shown=False, encrypted=encrypted("menus", "description")),
        Column("tags", "Tags", K.JSON, width=16, shown=False),
        Column("options", "Options", K.JSON, shown=False),
        Column("image_url", "Image", width=24, shown=False),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("updated_at", "Updated (UTC)", K.TIME, width=19, shown=False),
        Column("version", "Version", K.INT, width=7, shown=False),
        Column("restaurant_id", "Restaurant id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    # idx_menus_restaurant_category_id (0011): the seed's (restaurant_id, category, sort_order) with a unique tail.
    orderings=(Ordering("menu", ("restaurant_id", "category", "sort_order", "id"), descending=False),),
    filters=(
        FilterField("restaurant", "restaurant_id", K.UUID, resolve=RESTAURANTS_BY_NAME_WORDS,
                    help="a restaurant id, or words of its name"),
        FilterField("available", "is_available", K.BOOL),
        FilterField("category", "category", fold_case=True),
        FilterField("id", "id", K.UUID),
    ),
    enrichers=(DecryptLookup("restaurant_id", "restaurant", encrypted("restaurants", "name")),),
    leads=(Lead("restaurant", "restaurants", "id={restaurant_id}"),),
)
