"""OrderSync's lists: the audit log and users (encrypted fields decrypted by an enricher, masked)."""

from __future__ import annotations

from rcmd_tui.data.crypto.columns import column as encrypted
from rcmd_tui.data.lists.spec import BOTH, BY_CREATED, Column, FilterField, Kind, Lead, ListSpec, Shorthand, Table
from rcmd_tui.data.ordersync.audit_who import Who
from rcmd_tui.data.ordersync.lookup import USER_BY_EMAIL_HASH, email_hash
from rcmd_tui.data.ordersync.orders import ORDERSYNC_ORDERS
from rcmd_tui.data.ordersync.payments import ORDERSYNC_PAYMENTS
from rcmd_tui.data.ordersync.reconcile import ORDERSYNC_RECONCILE
from rcmd_tui.data.ordersync.restaurants import ORDERSYNC_MENUS, ORDERSYNC_RESTAURANTS

K = Kind
CONSOLE_ACTIONS = ("REVEAL_FIELD", "CONSOLE_ACTION", "KEY_GENERATED", "KEY_IMPORTED", "KEY_EXPORTED")  # seed-deviations O7
ORDERSYNC_USER_BY_EMAIL_HASH = USER_BY_EMAIL_HASH

ORDERSYNC_AUDIT = ListSpec(
    key="audit", system="ordersync", source=Table("audit_logs", partitioned=True), title="OrderSync audit log",
    columns=(
        Column("created_at", "Time (UTC)", K.TIME, width=19),
        # The seed's longest action whole (UPDATE_PERMISSIONS): an action cut mid-word read as another.
        Column("action", "Action", width=18),
        Column("success", "OK", K.BOOL, width=3),
        Column("who", "User", width=14, enriched=True),  # the masked e-mail, or the console's operator (⚙)
        # The console's rows: what it did and why (the field revealed, the action, the reason); else a failure's error.
        Column("note", "Note", width=18, enriched=True),
        Column("resource_type", "Resource", width=10),
        Column("resource_id", "Resource id", width=14),
        Column("error_message", "Error", width=30, shown=False),
        Column("duration_ms", "ms", K.INT, width=6),
        Column("trace_id", "Trace", width=12, shown=False),
        Column("ip_address", "IP", width=15, shown=False, encrypted=encrypted("audit_logs", "ip_address")),
        Column("user_agent", "User agent", shown=False, encrypted=encrypted("audit_logs", "user_agent")),
        Column("old_value", "Old value", shown=False, encrypted=encrypted("audit_logs", "old_value")),
        Column("new_value", "New value", shown=False, encrypted=encrypted("audit_logs", "new_value")),
        Column("user_id", "User id", K.UUID, width=10, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    enrichers=(Who(),),
    filters=(
        FilterField("action", "action", fold_case=True),
        FilterField("user", "user_id", K.UUID, resolve=ORDERSYNC_USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="a user id or an e-mail address"),
        FilterField("resource", "resource_type", fold_case=True),
        FilterField("resource_id", "resource_id"),
        FilterField("trace", "trace_id"),
        FilterField("id", "id", K.UUID),  # the primary key (id, created_at) serves it in every partition
        FilterField("success", "success", K.BOOL),
        FilterField("error", "error_message"),
        # The console's rows keep their payload as plain JSON (key id plain:console); no cast touches ciphertext.
        FilterField("operator", "new_value", expr="(CASE WHEN new_value_key_id = 'plain:console' "
                                                  "THEN new_value_encrypted::jsonb->>'os_user' END)",
                    help="the OS user the console ran as, on its own rows (operator=kim; add since: on a big range)"),
    ),
    shorthands=(Shorthand("status", "success", {"failed": ("false",), "ok": ("true",), "success": ("true",)}),
                # console:yes keeps the rows the console wrote (reveals, actions, key operations), through the action index.
                Shorthand("console", "action", {"yes": CONSOLE_ACTIONS})),
    time_column="created_at",
    # Who acted, and what else they did in both systems: where a reviewer goes next from a row.
    leads=(Lead("user", "users", "id={user_id}"), Lead("timeline", "timeline", "{user_id}", system=BOTH)),
)

ORDERSYNC_USERS = ListSpec(
    key="users", system="ordersync", source=Table("users"), title="OrderSync users",
    columns=(
        Column("email", "E-mail", width=26, encrypted=encrypted("users", "email")),
        Column("name", "Name", width=14, encrypted=encrypted("users", "name")),
        Column("phone", "Phone", width=14, encrypted=encrypted("users", "phone")),
        Column("role", "Role", width=10),
        Column("status", "Status", width=9),
        Column("created_at", "Created (UTC)", K.TIME, width=19),
        Column("failed_login_count", "Failed logins", K.INT, width=6, shown=False),
        Column("locked_until", "Locked until (UTC)", K.TIME, width=19, shown=False),
        Column("two_factor_enabled", "2FA", K.BOOL, width=5, shown=False),
        Column("version", "Version", K.INT, width=7, shown=False),
        # Whether a two-factor secret is stored, never the secret: what "reset 2FA" is offered on.
        Column("two_factor_secret_set", "2FA secret", K.BOOL, shown=False, internal=True,
               expr="two_factor_secret_encrypted IS NOT NULL"),
        Column("id", "Id", K.UUID, shown=False),
        Column("email_hash", "E-mail hash", shown=False, internal=True),  # finds the user's login attempts
    ),
    orderings=BY_CREATED,
    leads=(Lead("sessions", "sessions", "user={id}"), Lead("logins", "logins", "hash={email_hash}"),
           Lead("orders", "orders", "customer={id}"), Lead("audit", "audit", "user={id}")),
    filters=(
        FilterField("email", "id", K.UUID, resolve=ORDERSYNC_USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="an exact e-mail address (by its hash)"),
        FilterField("role", "role", fold_case=True),
        FilterField("status", "status", fold_case=True),
        FilterField("failed", "failed_login_count", K.INT, help="failed logins since the last success, e.g. failed>=5"),
        FilterField("locked", "locked_until", K.TIME, help="the lock's end: locked>now finds who is locked now"),
        FilterField("2fa", "two_factor_enabled", K.BOOL),
        FilterField("hash", "email_hash", help="an e-mail hash as stored (login attempts carry it)"),
        FilterField("id", "id", K.UUID),
    ),
    time_column="created_at",
)

ORDERSYNC_SESSIONS = ListSpec(
    key="sessions", system="ordersync", source=Table("user_sessions"), title="OrderSync sessions",
    # Token hashes are never read: they are what a stolen database would replay.
    columns=(
        Column("ip_address", "IP", width=15, encrypted=encrypted("user_sessions", "ip_address")),
        Column("is_revoked", "Revoked", K.BOOL, width=7),
        Column("expires_at", "Expires (UTC)", K.TIME, width=16),
        Column("last_activity_at", "Last activity", K.TIME, width=16),
        Column("user_agent", "User agent", width=24, encrypted=encrypted("user_sessions", "user_agent")),
        Column("device_info", "Device", width=20, shown=False, encrypted=encrypted("user_sessions", "device_info")),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("user_id", "User id", K.UUID, width=10, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("user", "user_id", K.UUID, resolve=ORDERSYNC_USER_BY_EMAIL_HASH, prepare=email_hash,
                    help="a user id or an e-mail address"),
        FilterField("revoked", "is_revoked", K.BOOL),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "is_revoked", {"revoked": ("true",), "active": ("false",)}),),
    time_column="created_at",
    leads=(Lead("user", "users", "id={user_id}"),),
)

ORDERSYNC_LOGINS = ListSpec(
    key="logins", system="ordersync", source=Table("login_attempts"), title="OrderSync login attempts",
    columns=(
        Column("created_at", "Time (UTC)", K.TIME, width=19),
        Column("success", "OK", K.BOOL, width=5),
        Column("failure_reason", "Reason", width=18),
        Column("ip_address", "IP", width=15, encrypted=encrypted("login_attempts", "ip_address")),
        Column("user_agent", "User agent", width=24, encrypted=encrypted("login_attempts", "user_agent")),
        Column("email_hash", "E-mail hash", width=12, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("email", "email_hash", prepare=email_hash, help="an exact e-mail address (by its hash)"),
        FilterField("hash", "email_hash", help="an e-mail hash as stored"),
        FilterField("success", "success", K.BOOL),
        FilterField("reason", "failure_reason", fold_case=True, help="INVALID_PASSWORD, ACCOUNT_LOCKED …"),
        FilterField("id", "id", K.UUID, help="one attempt (a timeline row leads here)"),
    ),
    shorthands=(Shorthand("status", "success", {"failed": ("false",), "ok": ("true",)}),),
    time_column="created_at",
    leads=(Lead("user", "users", "hash={email_hash}"),),
)

VIEWS = (ORDERSYNC_AUDIT, ORDERSYNC_USERS, ORDERSYNC_SESSIONS, ORDERSYNC_LOGINS, ORDERSYNC_ORDERS,
         ORDERSYNC_RESTAURANTS, ORDERSYNC_MENUS, ORDERSYNC_PAYMENTS, ORDERSYNC_RECONCILE)
