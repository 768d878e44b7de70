"""Every screen the console can open, on hostile data, read on the bytes a real pseudo-terminal receives: no
escape sequence, C1 control, bidirectional override or carriage return that came from PostgreSQL or Redis
ever reaches the terminal raw.

Hostile values go into every text, JSON and Redis field the screens show (each payload carries a marker, so
the console's own escape sequences never count). Adding a screen: one line in ``VISITS`` (the keys that reach
its rows and its detail); a destination without a line fails ``test_every_registered_screen_is_visited``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile
from rcmd_tui.navigation import destinations
from tests.terminal import console_in_terminal

# One of each family, short enough for a VARCHAR(50); the marker after each is what a test looks for.
PAYLOADS = {
    "osc52": "\x1b]52;c;SE9TVElMRQ==\x07",  # writes the clipboard
    "csi": "\x1b[2J\x1b[31mXCSI",  # clears the screen, colours
    "osc8": "\x1b]8;;http://evil/\x1b\\XLINK",  # a hidden link
    "dcs": "\x1bPXDCS\x1b\\",  # device control
    "c1": "\x9b31mXC1",  # CSI as one C1 character
    "bidi": "a\u202eXBIDI\u200b",  # right-to-left override, zero width
    "cr": "safe\rXCR",  # overwrites what came before on the line
    "paste": "\x1b[201~XPASTE",  # ends bracketed paste
    "markup": "[bold red]XMARKUP[/]",
}
# What must never be in the bytes received: each payload's active part, raw (and the C1 also as UTF-8).
FORBIDDEN = [p.encode() for k, p in PAYLOADS.items() if k != "markup"] + ["\x9b".encode(), b"\x9b31m"]
# What the same payloads look like once made inert: at least one shows on each screen visited.
VISIBLE = ("\\x1b", "\\x9b", "<U+202E>", "\\r", "[bold red]XMARKUP[/]")
NOW = datetime.now(UTC) + timedelta(minutes=5)  # newest of every list ordered newest first


def _all() -> str:
    return " ".join(PAYLOADS.values())


def _plant_rcmd(profile: Profile) -> None:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True) as conn:
        for i, payload in enumerate(PAYLOADS.values()):
            conn.execute(
                "INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, user_agent, result, created_at)"
                " VALUES (NULL, %s, %s, %s, %s, %s, 'success', %s)",
                [payload, payload[:50], payload, Jsonb({"v": payload, payload: [payload], "all": _all()}), _all(),
                 NOW + timedelta(seconds=i)])
            user = uuid.uuid4()
            conn.execute(
                "INSERT INTO users (id, username, email, password_hash, role, metadata, created_at) "
                "VALUES (%s, %s, %s, 'x', 'user', %s, %s)",
                [user, f"h{i}{payload}"[:50], f"hostile{i}@example.com", Jsonb({"note": payload, "all": _all()}),
                 NOW + timedelta(seconds=i)])
            conn.execute(  # the user's own row, so their timeline shows the payloads too
                "INSERT INTO audit_logs (user_id, action, resource_type, resource_id, result, created_at)"
                " VALUES (%s, %s, %s, %s, 'success', %s)", [user, payload, payload[:50], payload, NOW - timedelta(seconds=30 - i)])
            job = conn.execute(
                "INSERT INTO jobs (user_id, type, status, payload, error, created_at) VALUES (%s, 'copy', 'failed', %s, %s, %s) "
                "RETURNING id", [user, Jsonb({"src": payload, "all": _all()}), payload, NOW + timedelta(seconds=i)]).fetchone()
            assert job is not None
            conn.execute(  # the level too: the log colours a level it knows, and shows any other as text
                "INSERT INTO job_logs (job_id, level, message, details) VALUES (%s, 'error', %s, %s)",
                [job[0], payload, Jsonb({"path": payload, "all": _all()})])
            conn.execute(  # a cron expression nobody can read, and a template the run-now preview shows
                "INSERT INTO schedule_rules (user_id, name, description, rule_type, cron_expression, job_template, created_at) "
                "VALUES (%s, %s, %s, 'cron', %s, %s, %s)",
                [user, f"h{i}{payload}", payload, payload[:100], Jsonb({"type": "copy", "src": payload, "all": _all()}),
                 NOW + timedelta(seconds=i)])
            conn.execute(  # the token carries the payload too: only its fingerprint may ever show
                "INSERT INTO sessions (user_id, token, ip_address, user_agent, device_info, expires_at, created_at) "
                "VALUES (%s, %s, '10.9.9.9', %s, %s, %s, %s)",
                [user, f"tok{i}{payload}", payload, Jsonb({"os": payload, "all": _all()}), NOW + timedelta(days=1),
                 NOW + timedelta(seconds=i)])
            conn.execute(  # valid rules whose globs carry the payload, so the editor gets as far as its confirmation
                "INSERT INTO permissions (user_id, remote_id, permissions, path_rules, updated_at) VALUES (%s, %s, '{read}', %s, %s)",
                [user, f"hostile{i}{payload}"[:100], Jsonb([{"path": f"/{payload}/*", "allow": ["read"], "deny": ["delete"]},
                                                            {"path": "/" + _all().replace("/", "|"), "allow": ["write"]}]),
                 NOW + timedelta(seconds=i)])


def _plant_ordersync(profile: Profile) -> None:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}",
                         autocommit=True) as conn:
        for i, payload in enumerate(PAYLOADS.values()):
            user = uuid.uuid4()
            # plain:* key ids mark values stored unencrypted by design: the hostile text reaches the screen as is
            conn.execute(
                "INSERT INTO users (id, email_encrypted, email_key_id, email_hash, name_encrypted, name_key_id, "
                "phone_encrypted, phone_key_id, password_hash_encrypted, password_key_id, salt, created_at) "
                "VALUES (%s, %s, 'plain:test', %s, %s, 'plain:test', %s, 'plain:test', 'x', 'plain:test', 's', %s)",
                [user, f"h{i}{payload}@example.com", uuid.uuid4().hex, payload, payload, NOW + timedelta(seconds=i)])
            conn.execute(
                "INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, user_id, user_agent_encrypted, "
                "ua_key_id, old_value_encrypted, old_value_key_id, success, error_message, created_at) "
                "VALUES (%s, 'LOGIN', %s, %s, %s, %s, 'plain:test', %s, 'plain:test', false, %s, %s)",  # actions are a set
                [uuid.uuid4().hex, payload[:50], payload, user, payload, json.dumps({"v": payload}), _all(),
                 NOW + timedelta(seconds=i)])
            conn.execute(
                "INSERT INTO user_sessions (user_id, access_token_hash, ip_address_encrypted, ip_key_id, user_agent_encrypted, "
                "ua_key_id, device_info_encrypted, device_key_id, expires_at, created_at) "
                "VALUES (%s, %s, %s, 'plain:test', %s, 'plain:test', %s, 'plain:test', %s, %s)",
                [user, uuid.uuid4().hex, payload, payload, json.dumps({"os": payload}), NOW + timedelta(days=1),
                 NOW + timedelta(seconds=i)])
            conn.execute(
                "INSERT INTO login_attempts (email_hash, ip_address_encrypted, ip_key_id, user_agent_encrypted, ua_key_id, "
                "success, failure_reason, created_at) VALUES (%s, %s, 'plain:test', %s, 'plain:test', false, %s, %s)",
                [payload, payload, payload, payload[:50], NOW + timedelta(seconds=i)])
            _plant_order(conn, i, payload, user)


def _plant_order(conn: psycopg.Connection[tuple[object, ...]], i: int, payload: str, user: uuid.UUID) -> None:
    """A restaurant, a dish, an order, its history, payment, events and refund: every text the orders, restaurants,
    menus and payments screens show (names, items, requests, reasons, card) carries the payload."""
    restaurant, order, payment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = NOW + timedelta(seconds=i)
    conn.execute(
        "INSERT INTO restaurants (id, owner_id, name_encrypted, name_key_id, address_encrypted, address_key_id, phone_encrypted, "
        "phone_key_id, name_search, category, created_at) VALUES (%s, %s, %s, 'plain:test', %s, 'plain:test', %s, 'plain:test', "
        "%s, %s, %s)", [restaurant, user, f"h{i}{payload}", payload, payload, payload, payload[:50], at])
    conn.execute(
        "INSERT INTO menus (restaurant_id, name_encrypted, name_key_id, description_encrypted, description_key_id, price, category, "
        "created_at) VALUES (%s, %s, 'plain:test', %s, 'plain:test', 1000, %s, %s)", [restaurant, payload, payload, payload[:50], at])
    items = json.dumps([{"name": payload, "price": 1000, "quantity": 1, "note": payload}])
    conn.execute(
        "INSERT INTO orders (id, restaurant_id, customer_id, items_encrypted, items_key_id, special_requests_encrypted, "
        "special_requests_key_id, table_info_encrypted, table_key_id, subtotal, total_amount, status, created_at) "
        "VALUES (%s, %s, %s, %s, 'plain:test', %s, 'plain:test', %s, 'plain:test', 1000, 1000, 'PENDING', %s)",
        [order, restaurant, user, items, payload, payload, at])
    conn.execute("INSERT INTO order_status_history (order_id, old_status, new_status, changed_by, reason, message, created_at) "
                 "VALUES (%s, NULL, 'PENDING', %s, %s, %s, %s)", [order, user, payload, _all(), at])
    conn.execute(
        "INSERT INTO payments (id, order_id, amount, fee, net_amount, payment_method, external_id_encrypted, external_key_id, "
        "card_info_encrypted, card_info_key_id, status, created_at) VALUES (%s, %s, 1000, 0, 1000, 'CARD', %s, 'plain:test', "
        "%s, 'plain:test', 'CAPTURED', %s)", [payment, order, payload, payload, at])
    conn.execute("INSERT INTO payment_events (payment_id, event_type, amount, event_data_encrypted, event_data_key_id, created_at) "
                 "VALUES (%s, 'CAPTURED', 1000, %s, 'plain:test', %s)", [payment, payload, at])
    conn.execute("INSERT INTO payment_refunds (payment_id, amount, reason_encrypted, reason_key_id, status, created_at) "
                 "VALUES (%s, 10, %s, 'plain:test', 'PENDING', %s)", [payment, payload, at])
    conn.execute("INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, user_id, success, error_message, created_at) "
                 "VALUES (%s, 'CREATE_ORDER', 'Order', %s, %s, false, %s, %s)", [uuid.uuid4().hex, str(order), user, _all(), at])


def _plant_redis(profile: Profile) -> None:
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    for i, payload in enumerate(PAYLOADS.values()):
        key = f"hostile:{i}:{payload}".encode()
        client.hset(key, mapping={payload: payload, "bytes": b"\xff\xfe" + payload.encode(), "big": "x" * 1_000_000})
    client.set(b"hostile:string:\xff", _all().encode() + b"\xff" * 10)
    for n, payload in enumerate(PAYLOADS.values()):  # :queue shows Bull members and lock values (no-row, orphan-lock)
        client.lpush("bull:jobs:wait", payload)
        client.set(f"lock:job:hostile-{n}", payload)
    client.close()


# The `:` command of every destination, and the keys that then show its rows' details.
VISITS: dict[str, tuple[str, ...]] = {
    "home": ("enter",),
    "audit rcmd": ("enter",),
    "users rcmd": ("/", *"email~hostile", "enter", "D", "escape", "enter"),  # the confirmation names the user
    "redis rcmd": ("/", *"hostile*", "enter", "enter", "D", "escape"),
    "audit ordersync": ("enter",),
    "users ordersync": ("enter",),
    "sessions rcmd": ("R", "escape", "enter"),  # the confirmation names the user
    # the editor (confirmed up to its dialog: the diff and the title name the rules, the user and the remote), the access
    # check (its answer names the deciding rule's glob), then the detail's rules table
    "permissions rcmd": ("/", *"remote~hostile", "enter", "E", "down", "ctrl+u", *"no", "enter", "escape",
                         "A", *"/x", "enter", *"read", "enter", "escape", "enter"),
    "sessions ordersync": ("enter",),
    "logins ordersync": ("enter",),
    "jobs rcmd": ("enter",),
    "schedules rcmd": ("s", "N", "escape", "enter"),
    "queue rcmd": ("/", *"no-row", "enter", "enter"),  # newest first: the hostile rules; run now's confirmation names one
    "orders ordersync": ("enter",),  # the items, requests, history reasons and audit errors carry the payloads
    "restaurants ordersync": ("enter",),
    "menus ordersync": ("/", *"category~XCSI", "enter", "enter"),  # listed by restaurant: the hostile one found by its category
    "payments ordersync": ("enter",),
    "reconcile ordersync": ("enter",),
    # The monitoring views: a session runs a statement that carries the payloads (see _plant_session).
    **{f"{name} {system}": keys for system in ("rcmd", "ordersync") for name, keys in (
        # ctrl+u: the bar opens on the view's own filter, the cursor at its end
        ("activity", ("/", "ctrl+u", *"app~hostile", "enter", "enter")),
        ("monitor", ("/", "ctrl+u", *"app~hostile", "enter", "K", "escape", "enter")),
        ("locks", ("enter",)), ("statements", ("/", *"query~XCSI", "enter", "enter")), ("slow", ("enter",)),
        ("storage", ("enter",)), ("connections", ("enter",)), ("security", ("enter",)))},
    "redis-health rcmd": ("enter",),
    "retention rcmd": ("enter",), "retention ordersync": ("enter",),
    "timeline": ("/", *"hostile1@example.com kind=audit", "enter", "enter"),  # the hostile user's own audit row
}
# Views whose rows hold no text a client chooses (catalogue names, counts, application names, which the server
# itself reduces to printable ASCII; reconcile, whose rows are amounts, ids and the console's words): nothing hostile can show
# there, but nothing may be emitted either.
NO_HOSTILE_TEXT = {f"{name} {system}" for system in ("rcmd", "ordersync")
                   for name in ("storage", "connections", "security", "slow", "retention")} | {"redis-health rcmd", "reconcile ordersync"}


CONFIRMED = {"users rcmd": b"Deactivate 1 user", "sessions rcmd": b"Revoke 1 session", "redis rcmd": b"Delete Redis key",
             "permissions rcmd": b"Edit permissions of", "schedules rcmd": b"Run h",
             "monitor rcmd": b"Terminate 1 backend",
             "monitor ordersync": b"Terminate 1 backend"}
# Every screen class, by how the visits above reach it, or why it shows nothing from the data.
SCREEN_CLASSES = {
    "HomeScreen": "home", "ListScreen": "every list", "RcmdUsersScreen": "users rcmd",
    "RedisKeysScreen": "redis rcmd", "DetailScreen": "enter on every list", "RedisValueScreen": "enter on a key",
    "ConfirmScreen": "D on users rcmd and on a Redis value",
    "StandardScreen": "the base of all of the above",
    "HelpScreen": "no data: bindings", "ColumnChooser": "no data: column labels",
    "ExportScreen": "no data: the view's title and a path", "TextPrompt": "no data: a question",
    "CommandPrompt": "no data: destinations",
    "ActivityScreen": "activity and monitor", "BackendsScreen": "locks", "StatementsScreen": "statements",
    "StorageScreen": "storage", "RcmdSessionsScreen": "sessions rcmd",
    "RetentionScreen": "retention", "ArchiveScreen": "no data: the console's counts (a failed batch's message escaped)",
    "OrderSyncUsersScreen": "users ordersync", "OrderSyncSessionsScreen": "sessions ordersync", "RedisHealthScreen": "redis-health rcmd",
    "StatementDetail": "enter on activity and on slow queries",
    "PermissionsScreen": "permissions rcmd", "PermissionDetail": "enter on permissions rcmd",
    "PermissionForm": "E on permissions rcmd", "AccessCheck": "A on permissions rcmd",
    "JobsScreen": "jobs rcmd", "SchedulesScreen": "schedules rcmd", "QueueScreen": "queue rcmd",
    "JobDetail": "enter on jobs rcmd (its log lines carry the payloads)",
    "OrdersScreen": "orders ordersync", "PaymentsScreen": "payments ordersync",
    "OrderDetail": "enter on orders ordersync (items, history reasons and the audit error carry the payloads)",
    "OrderSyncAuditScreen": "audit ordersync", "AuditDetail": "enter on audit ordersync (old and new values carry the payloads)",
    "PanedDetail": "the base of JobDetail and OrderDetail", "TimelineDetail": "the base of OrderDetail and PaymentDetail",
    "PaymentDetail": "enter on payments ordersync (the refund reason and card carry the payloads)",
}


def test_every_registered_screen_is_visited(seeded: Profile) -> None:
    registered = {d.command for d in destinations(seeded)}
    assert registered == set(VISITS), f"add a line to VISITS for: {sorted(registered - set(VISITS))}"


def test_every_screen_class_is_visited_or_shows_no_data() -> None:
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen

    import rcmd_tui.screens

    found = set()
    for module_info in pkgutil.iter_modules(rcmd_tui.screens.__path__):
        module = importlib.import_module(f"rcmd_tui.screens.{module_info.name}")
        found |= {name for name, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Screen) and cls.__module__ == module.__name__}
    assert found == set(SCREEN_CLASSES), f"say how VISITS reaches: {sorted(found - set(SCREEN_CLASSES))}"


@contextlib.contextmanager
def _plant_session(profile: Profile) -> Iterator[None]:
    """A session whose running statement carries every payload (in a comment and a string), in an open
    transaction: activity, locks (the oldest transactions) and, once it ran, slow queries show it."""
    assert profile.rcmd is not None
    text = "/* " + _all().replace("*/", "") + " */ SELECT %s::text, pg_sleep(%s)"
    with psycopg.connect(profile.rcmd.dsn, application_name="hostile", autocommit=True) as conn:
        conn.execute(text, [_all(), 0])  # counted in pg_stat_statements with its comment
        conn.execute("BEGIN")

        def run() -> None:
            with contextlib.suppress(psycopg.Error):  # cancelled when the test ends
                conn.execute(text, [_all(), 60])

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        time.sleep(0.3)
        try:
            yield
        finally:
            conn.cancel_safe()
            thread.join(timeout=5)


@pytest.fixture
def hostile(seeded: Profile) -> Iterator[Profile]:
    _plant_rcmd(seeded)
    _plant_ordersync(seeded)
    _plant_redis(seeded)
    with _plant_session(seeded):
        yield seeded


def test_no_screen_emits_a_control_from_the_data(hostile: Profile, tmp_path: Path) -> None:
    with console_in_terminal(hostile, tmp_path, 80, 24) as term:
        term.wait_for("targets up")
        for command, keys in VISITS.items():
            start = len(term.received)
            term.press(":", *command, "enter")
            term.settle(0.5)
            term.press(*keys)
            term.settle(0.8)
            if command != "home" and command not in NO_HOSTILE_TEXT:  # the hostile rows are what shows, escaped, visible
                assert any(seen in term.text() for seen in VISIBLE), f"{command}:\n{term.text()}"
            if command != "home":
                term.press("Y" if command != "redis rcmd" else "y")  # copy: OSC 52 of escaped text only
                term.settle(0.3)
            seen = term.received[start:]
            if command in CONFIRMED:  # the confirmation dialog did open on the hostile target
                assert CONFIRMED[command] in seen, command
            for bad in FORBIDDEN:
                assert bad not in seen, f"{command}: {bad!r} reached the terminal"
            term.press("escape", "escape", "escape")
        assert "Traceback" not in term.text() and term.proc.poll() is None
