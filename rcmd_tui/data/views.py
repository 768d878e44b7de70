"""The lists the console pages through, described once: columns, indexed orderings, filter fields.

Each ordering is served by an index (see the migrations); each filter field by an index or a small table.
"""

from __future__ import annotations

from rcmd_tui.data.encrypted_columns import column as encrypted
from rcmd_tui.data.listing import Column, FilterField, Kind, ListSpec, Ordering, Shorthand
from rcmd_tui.data.lookup import email_hash

K = Kind
USER_BY_NAME = "SELECT id FROM users WHERE username = %s"
ORDERSYNC_USER_BY_EMAIL_HASH = "SELECT id FROM users WHERE email_hash = %s"

RCMD_AUDIT = ListSpec(
    key="audit", system="rcmd", table="audit_logs", title="RCMD audit log",
    columns=(
        Column("created_at", "Time (UTC)", K.TIME, width=19),
        Column("action", "Action", width=16),
        Column("result", "Result", K.ENUM, width=7),
        Column("user_id", "User", K.UUID, width=10),
        Column("resource_type", "Resource", width=10),
        Column("resource_id", "Resource id", width=14),
        Column("ip_address", "IP", K.INET, width=15),
        Column("details", "Details", K.JSON, width=40),
        Column("user_agent", "User agent", shown=False),
        Column("id", "Id", K.INT, shown=False),
    ),
    orderings=(Ordering("newest", ("created_at", "id")), Ordering("oldest", ("created_at", "id"), descending=False)),
    filters=(
        FilterField("action", "action", help="LOGIN, UPDATE, job.create …"),
        FilterField("user", "user_id", K.UUID, resolve=USER_BY_NAME, help="a user id or a username"),
        FilterField("resource", "resource_type", help="users, jobs, permissions …"),
        FilterField("resource_id", "resource_id"),
        FilterField("result", "result", K.ENUM, values=("success", "failure", "error")),
        FilterField("ip", "ip_address", K.INET, help="an address or a network such as 10.0.0.0/8"),
        FilterField("details", "details", K.JSON, help="~text searches the JSON (slow on big ranges: add since:)"),
        FilterField("id", "id", K.INT),
    ),
    shorthands=(Shorthand("status", "result", {"failed": ("failure", "error"), "ok": ("success",),
                                                "success": ("success",), "error": ("error",)}),),
    time_column="created_at", partitioned=True,
)

ORDERSYNC_AUDIT = ListSpec(
    key="audit", system="ordersync", table="audit_logs", title="OrderSync audit log",
    columns=(
        Column("created_at", "Time (UTC)", K.TIME, width=19),
        Column("action", "Action", width=14),
        Column("success", "OK", K.BOOL, width=5),
        Column("user_id", "User", K.UUID, width=10),
        Column("resource_type", "Resource", width=10),
        Column("resource_id", "Resource id", width=14),
        Column("error_message", "Error", width=30),
        Column("duration_ms", "ms", K.INT, width=6),
        Column("trace_id", "Trace", width=12, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=(Ordering("newest", ("created_at", "id")), Ordering("oldest", ("created_at", "id"), descending=False)),
    filters=(
        FilterField("action", "action"),
        FilterField("user", "user_id", K.UUID, resolve=ORDERSYNC_USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="a user id or an e-mail address"),
        FilterField("resource", "resource_type"),
        FilterField("resource_id", "resource_id"),
        FilterField("trace", "trace_id"),
        FilterField("success", "success", K.BOOL),
        FilterField("error", "error_message"),
    ),
    shorthands=(Shorthand("status", "success", {"failed": ("false",), "ok": ("true",), "success": ("true",)}),),
    time_column="created_at", partitioned=True,
)

RCMD_USERS = ListSpec(
    key="users", system="rcmd", table="users", title="RCMD users",
    columns=(
        Column("username", "Username", width=18),
        Column("email", "E-mail", width=28),
        Column("role", "Role", K.ENUM, width=10),
        Column("is_active", "Active", K.BOOL, width=6),
        Column("is_verified", "Verified", K.BOOL, width=8, shown=False),
        Column("last_login_at", "Last login (UTC)", K.TIME, width=19),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("metadata", "Metadata", K.JSON, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=(Ordering("username", ("username",), descending=False), Ordering("username desc", ("username",))),
    filters=(
        FilterField("username", "username"),
        FilterField("email", "email"),
        FilterField("role", "role", K.ENUM, values=("admin", "power_user", "user")),
        FilterField("active", "is_active", K.BOOL),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "is_active", {"active": ("true",), "inactive": ("false",)}),),
    time_column=None,
)

ORDERSYNC_USERS = ListSpec(
    key="users", system="ordersync", table="users", title="OrderSync users",
    columns=(
        Column("email", "E-mail", width=26, encrypted=encrypted("users", "email")),
        Column("name", "Name", width=14, encrypted=encrypted("users", "name")),
        Column("phone", "Phone", width=14, encrypted=encrypted("users", "phone")),
        Column("role", "Role", width=10),
        Column("status", "Status", width=9),
        Column("created_at", "Created (UTC)", K.TIME, width=19),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=(Ordering("newest", ("created_at", "id")), Ordering("oldest", ("created_at", "id"), descending=False)),
    filters=(
        FilterField("email", "id", K.UUID, resolve=ORDERSYNC_USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="an exact e-mail address (by its hash)"),
        FilterField("role", "role"),
        FilterField("status", "status"),
        FilterField("id", "id", K.UUID),
    ),
    time_column="created_at",
)

VIEWS: dict[tuple[str, str], ListSpec] = {(v.key, v.system): v for v in (RCMD_AUDIT, ORDERSYNC_AUDIT, RCMD_USERS, ORDERSYNC_USERS)}
