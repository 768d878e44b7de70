"""RCMD's lists: the audit log, users, and the keys of its Redis. Each table ordering is served by an index
(see the migrations)."""

from __future__ import annotations

from rcmd_tui.data.lists.spec import BOTH, BY_CREATED, Column, FilterField, Kind, Lead, ListSpec, Ordering, RedisKeys, Shorthand, Table
from rcmd_tui.data.rcmd.audit_who import Who
from rcmd_tui.data.rcmd.jobs import RCMD_JOBS
from rcmd_tui.data.rcmd.permissions_view import RCMD_PERMISSIONS
from rcmd_tui.data.rcmd.queue import RCMD_QUEUE
from rcmd_tui.data.rcmd.redis_keys import KEY_STATE, TYPES
from rcmd_tui.data.rcmd.schedules import RCMD_SCHEDULES
from rcmd_tui.data.rcmd.sessions import RCMD_SESSIONS

K = Kind
USER_BY_NAME = "SELECT id FROM users WHERE username = %s"

RCMD_AUDIT = ListSpec(
    key="audit", system="rcmd", source=Table("audit_logs", partitioned=True), title="RCMD audit log",
    columns=(
        Column("created_at", "Time (UTC)", K.TIME, width=19),
        Column("action", "Action", width=16),
        Column("result", "Result", K.ENUM, width=7),
        Column("who", "User", width=12, enriched=True),  # the username, or the console's operator (⚙)
        Column("user_id", "User id", K.UUID, width=10, shown=False),
        Column("resource_type", "Resource", width=10),
        Column("resource_id", "Resource id", width=14),
        Column("ip_address", "IP", K.INET, width=15),
        Column("details", "Details", K.JSON, width=40),
        Column("user_agent", "User agent", shown=False),
        Column("id", "Id", K.INT, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("action", "action", help="LOGIN, UPDATE, job.create …", fold_case=True),
        FilterField("user", "user_id", K.UUID, resolve=USER_BY_NAME, help="a user id or a username"),
        FilterField("resource", "resource_type", help="users, jobs, permissions …", fold_case=True),
        FilterField("resource_id", "resource_id"),
        FilterField("result", "result", K.ENUM, values=("success", "failure", "error")),
        FilterField("ip", "ip_address", K.INET, help="an address or a network such as 10.0.0.0/8"),
        FilterField("details", "details", K.JSON, help="~text searches the JSON (slow on big ranges: add since:)"),
        FilterField("id", "id", K.INT),
        FilterField("operator", "details", expr="(details->>'os_user')",
                    help="the OS user the console ran as, on its own rows (operator=kim; add since: on a big range)"),
    ),
    shorthands=(Shorthand("status", "result", {"failed": ("failure", "error"), "ok": ("success",),
                                                "success": ("success",), "error": ("error",)}),
                # console:yes keeps the rows the console wrote (its actions), console:no the rest.
                Shorthand("console", "action", {"yes": ("yes",), "no": ("no",)},
                          expr="CASE WHEN details->>'via' = 'rcmd-tui' THEN 'yes' ELSE 'no' END")),
    time_column="created_at",
    enrichers=(Who(),),
    # Who acted, and what else they did in both systems: where a reviewer goes next from a row.
    leads=(Lead("user", "users", "id={user_id}"), Lead("timeline", "timeline", "{user_id}", system=BOTH)),
)

RCMD_USERS = ListSpec(
    key="users", system="rcmd", source=Table("users"), title="RCMD users",
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
        FilterField("email", "email", fold_case=True),
        FilterField("role", "role", K.ENUM, values=("admin", "power_user", "user")),
        FilterField("active", "is_active", K.BOOL),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "is_active", {"active": ("true",), "inactive": ("false",)}),),
    time_column=None,
    leads=(Lead("sessions", "sessions", "user={id}"), Lead("permissions", "permissions", "user={id}"),
           Lead("jobs", "jobs", "user={id}"), Lead("audit", "audit", "user={id}"),
           # What was done to the user (the console's own actions among it): rows about them, whoever acted.
           Lead("changes", "audit", "resource_id={id}")),
)

REDIS_KEYS = ListSpec(
    key="redis", system="rcmd", source=RedisKeys(), title="RCMD Redis keys",
    columns=(
        Column("key", "Key", width=None),
        Column("type", "Type", K.ENUM, width=7, enriched=True),
        Column("ttl", "TTL", K.DURATION, width=10, enriched=True),
    ),
    orderings=(Ordering("name (per SCAN batch)", ("key",), descending=False),),
    filters=(FilterField("type", "type", K.ENUM, values=TYPES, help="string, hash, list, set, zset, stream"),),
    id_columns=("key",),
    enrichers=(KEY_STATE,),
)

VIEWS = (RCMD_AUDIT, RCMD_USERS, RCMD_SESSIONS, RCMD_PERMISSIONS, RCMD_JOBS, REDIS_KEYS, RCMD_QUEUE, RCMD_SCHEDULES)
