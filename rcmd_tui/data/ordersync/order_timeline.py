"""One order's story in time order, for its detail: its status history, the status times on the order row, its
payment (created, authorized, captured, failed), the payment's events and refunds, and the audit rows about the
order or its payment, merged.

A status time on the row and the history row that records the same change are one moment, not two; where only
one of them has it, the moment says so (``row only`` / ``history only``), because that is how a support engineer
sees the application skip a write. The audit rows are read from the order's creation on (a day before, for clock
skew), so the partitions before it are never scanned.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
import psycopg_pool

from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Decryptor, Field, Plain
from rcmd_tui.data.crypto.masking import mask_email

SKEW = timedelta(days=1)
SAME_MOMENT = timedelta(seconds=2)  # a row's status time and its history row, written by one request
ROW_TIMES = (("accepted_at", "ACCEPTED"), ("preparing_at", "PREPARING"), ("ready_at", "READY"),
             ("completed_at", "COMPLETED"), ("cancelled_at", "CANCELLED"))
AUDIT_LIMIT = 200  # an order with more audit rows says how many it left out
ORDER_TYPES = ("Order", "order", "orders", "ORDER")  # what the application and the triggers call the resource
PAYMENT_TYPES = ("Payment", "payment", "payments", "PAYMENT")

EMAIL = column("users", "email")
EVENT_DATA = column("payment_events", "event_data")
REFUND_REASON = column("payment_refunds", "reason")


@dataclass(frozen=True, slots=True)
class Moment:
    at: datetime
    source: str  # status, payment, event, refund, audit
    what: str  # one line, as shown (values from the database still to be made inert by the screen)
    detail: str = ""
    warn: bool = False  # a disagreement (a status time with no history row, a failed audit row)
    masked: Field = None  # an encrypted detail (an event's data, a refund's reason): shown masked, never in full


@dataclass(frozen=True, slots=True)
class Timeline:
    moments: tuple[Moment, ...]
    audit_left_out: int = 0


_HISTORY = ("SELECT h.old_status, h.new_status, h.changed_by, h.reason, h.message, h.created_at "
            "FROM order_status_history h WHERE h.order_id = %s::uuid ORDER BY h.created_at, h.id")
_ORDER = ("SELECT created_at, accepted_at, preparing_at, ready_at, completed_at, cancelled_at, status "
          "FROM orders WHERE id = %s::uuid")
_PAYMENT = ("SELECT id, status, amount, fee, payment_method, created_at, authorized_at, captured_at, failed_at "
            "FROM payments WHERE order_id = %s::uuid")
_PAYMENT_BY_ID = ("SELECT id, status, amount, fee, payment_method, created_at, authorized_at, captured_at, failed_at "
                  "FROM payments WHERE id = %s::uuid")
_EVENTS = ("SELECT event_type, amount, event_data_encrypted, event_data_key_id, created_at, id "
           "FROM payment_events WHERE payment_id = %s ORDER BY created_at, id")
_REFUNDS = ("SELECT amount, status, reason_encrypted, reason_key_id, created_at, processed_at, id "
            "FROM payment_refunds WHERE payment_id = %s ORDER BY created_at, id")
_AUDIT = ("SELECT created_at, action, resource_type, user_id, success, error_message, new_value_encrypted, new_value_key_id "
          "FROM audit_logs WHERE created_at >= %s AND ((resource_type = ANY(%s) AND resource_id = %s) "
          "OR (resource_type = ANY(%s) AND resource_id = %s)) ORDER BY created_at, id LIMIT %s")
_USERS = "SELECT id, role, email_encrypted, email_key_id FROM users WHERE id = ANY(%s)"


def money(amount: Any) -> str:
    """An amount as people read it.

    >>> money(1234500), money(None)
    ('1,234,500', '?')
    """
    return f"{amount:,}" if isinstance(amount, int) else "?"


def _person(users: dict[Any, str], user_id: Any) -> str:
    if user_id is None:
        return ""
    return users.get(user_id, f"user {str(user_id)[:8]}")


def _console_note(text: Any, key_id: Any) -> str:
    """A console action's own audit payload (plain JSON): who did it and why, in a few words."""
    if key_id != "plain:console" or not isinstance(text, str):
        return ""
    try:
        payload = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [f"{k} {payload[k]}" for k in ("action", "reason", "os_user", "db_role") if payload.get(k)]
    return ", ".join(parts)


def _history_moments(history: list[tuple[Any, ...]], row: tuple[Any, ...], users: dict[Any, str]) -> list[Moment]:
    moments = []
    matched: set[str] = set()
    times = dict(zip((c for c, _ in ROW_TIMES), row[1:6], strict=True))
    for old, new, by, reason, message, at in history:
        row_time = next((times[c] for c, s in ROW_TIMES if s == new), None)
        on_row = row_time is not None and abs(row_time - at) <= SAME_MOMENT
        if on_row:
            matched.add(new)
        change = f"{old} → {new}" if old else f"{new} (placed)"
        who = _person(users, by)
        detail = "; ".join(p for p in (f"by {who}" if who else "", f"reason: {reason}" if reason else "",
                                       f"message: {message}" if message else "") if p)
        missing_row = new != "PENDING" and not on_row and new in {s for _, s in ROW_TIMES}
        moments.append(Moment(at, "status", change + ("   (history only: the row has no matching time)" if missing_row else ""),
                              detail, warn=missing_row))
    created = row[0]
    if not any(h[1] == "PENDING" for h in history) and created is not None:
        moments.append(Moment(created, "status", "placed (row only: no history row)", warn=bool(history)))
    for (name, status), at in zip(ROW_TIMES, row[1:6], strict=True):
        if at is not None and status not in matched:
            moments.append(Moment(at, "status", f"{status} at {name} (row only: no history row)", warn=True))
    return moments


def _payment_moments(payment: tuple[Any, ...], events: list[tuple[Any, ...]], refunds: list[tuple[Any, ...]],
                     decryptor: Decryptor) -> list[Moment]:
    _pid, status, amount, fee, method, created, authorized, captured, failed = payment
    moments = [Moment(created, "payment", f"payment created: {method} {money(amount)} (fee {money(fee)}), now {status}")]
    for label, at in (("authorized", authorized), ("captured", captured), ("failed", failed)):
        if at is not None:
            moments.append(Moment(at, "payment", f"payment {label} (on the payment row)"))
    for kind, value, data, key_id, at, eid in events:
        moments.append(Moment(at, "event", f"{kind} {money(value)}", masked=decryptor.field(EVENT_DATA, data, key_id, eid)))
    for value, state, reason, key_id, at, processed, rid in refunds:
        masked = decryptor.field(REFUND_REASON, reason, key_id, rid)
        moments.append(Moment(at, "refund", f"refund of {money(value)} requested, now {state}", masked=masked,
                              warn=state == "FAILED"))
        if processed is not None:
            moments.append(Moment(processed, "refund", f"refund of {money(value)} processed"))
    return moments


async def read_timeline(pool: psycopg_pool.AsyncConnectionPool[Any], decryptor: Decryptor, order_id: str) -> Timeline:
    """Every moment of one order, oldest first (an order that no longer exists has none)."""
    async with pool.connection() as conn:
        row = await (await conn.execute(_ORDER, [order_id])).fetchone()
        if row is None:
            return Timeline(())
        history = await (await conn.execute(_HISTORY, [order_id])).fetchall()
        payment = await (await conn.execute(_PAYMENT, [order_id])).fetchone()
        return await _assemble(conn, decryptor, row[0], history, row, payment, order_id)


async def read_payment_timeline(pool: psycopg_pool.AsyncConnectionPool[Any], decryptor: Decryptor, payment_id: str) -> Timeline:
    """One payment's moments, oldest first: the payment row's times, its events and refunds, its audit rows."""
    async with pool.connection() as conn:
        payment = await (await conn.execute(_PAYMENT_BY_ID, [payment_id])).fetchone()
        if payment is None:
            return Timeline(())
        return await _assemble(conn, decryptor, payment[5], [], None, payment, None)


async def _assemble(conn: psycopg.AsyncConnection[Any], decryptor: Decryptor, since: datetime, history: list[tuple[Any, ...]],
                    row: tuple[Any, ...] | None, payment: tuple[Any, ...] | None, order_id: str | None) -> Timeline:
    """The rest of a timeline, read on ``conn``: the payment's events and refunds, the audit rows about the order
    (if any) and the payment, the people named; then decrypted and merged in time order."""
    events: list[tuple[Any, ...]] = []
    refunds: list[tuple[Any, ...]] = []
    if payment is not None:
        events = await (await conn.execute(_EVENTS, [payment[0]])).fetchall()
        refunds = await (await conn.execute(_REFUNDS, [payment[0]])).fetchall()
    payment_id = str(payment[0]) if payment is not None else ""
    audit = await (await conn.execute(_AUDIT, [since - SKEW, list(ORDER_TYPES), order_id or "", list(PAYMENT_TYPES),
                                               payment_id, AUDIT_LIMIT + 1])).fetchall()
    people = {r[2] for r in history if r[2] is not None} | {r[3] for r in audit if r[3] is not None}
    found = await (await conn.execute(_USERS, [list(people)])).fetchall() if people else []

    def decrypt() -> list[Moment]:
        users = {}
        for uid, role, text, key_id in found:
            email = decryptor.field(EMAIL, text, key_id, uid)
            shown = mask_email(email.text) if isinstance(email, Plain) else str(uid)[:8]
            users[uid] = f"{str(role).lower()} {shown}"
        moments = _history_moments(history, row, users) if row is not None else []
        if payment is not None:
            moments += _payment_moments(payment, events, refunds, decryptor)
        for at, action, resource, user_id, success, error, text, key_id in audit[:AUDIT_LIMIT]:
            who = _person(users, user_id)
            note = _console_note(text, key_id)
            detail = "; ".join(p for p in (f"by {who}" if who else "", note, f"error: {error}" if error else "") if p)
            moments.append(Moment(at, "audit", f"{action} ({resource})" + ("" if success else " FAILED"), detail,
                                  warn=not success))
        return moments

    # Off the event loop: the first use of a key may wait on the keyring.
    moments = await asyncio.to_thread(decrypt)
    order = {"status": 0, "payment": 1, "event": 2, "refund": 3, "audit": 4}
    moments.sort(key=lambda m: (m.at, order.get(m.source, 9)))
    return Timeline(tuple(moments), max(0, len(audit) - AUDIT_LIMIT))


@dataclass(frozen=True, slots=True)
class Amounts:
    subtotal: int | None
    discount: int | None
    tax: int | None
    total: int | None

    @property
    def holds(self) -> bool:
        """``total = subtotal - discount + tax`` (a missing discount or tax counts as 0, as their defaults).

        >>> Amounts(21000, 0, 2100, 23100).holds, Amounts(21000, 1000, 2100, 23100).holds
        (True, False)
        """
        if self.subtotal is None or self.total is None:
            return False
        return self.total == self.subtotal - (self.discount or 0) + (self.tax or 0)

    def sentence(self) -> str:
        """The check in words.

        >>> Amounts(21000, 0, 2100, 23100).sentence()
        'total 23,100 = subtotal 21,000 − discount 0 + tax 2,100: adds up'
        >>> Amounts(21000, 1000, 2100, 23100).sentence()
        'total 23,100, but subtotal 21,000 − discount 1,000 + tax 2,100 = 22,100: does NOT add up'
        """
        parts = f"subtotal {money(self.subtotal)} − discount {money(self.discount or 0)} + tax {money(self.tax or 0)}"
        if self.holds:
            return f"total {money(self.total)} = {parts}: adds up"
        expected = (self.subtotal or 0) - (self.discount or 0) + (self.tax or 0)
        return f"total {money(self.total)}, but {parts} = {money(expected)}: does NOT add up"


ITEM_FIELDS = frozenset({"menu_id", "name", "price", "quantity", "options", "option", "size", "category", "discount"})


@dataclass(frozen=True, slots=True)
class Item:
    quantity: str
    name: str
    price: str
    line_total: str
    other: tuple[tuple[str, str], ...] = ()  # fields that are not a dish's: shown masked until revealed


def read_items(text: str) -> list[Item] | None:
    """The order's lines from its decrypted ``items`` (None: not a JSON list of objects).

    >>> read_items('[{"menu_id": "m1", "name": "김치찌개", "price": 8000, "quantity": 2, "note": "call 010-1234-5678"}]')
    [Item(quantity='2', name='김치찌개', price='8,000', line_total='16,000', other=(('note', 'call 010-1234-5678'),))]
    >>> read_items('not json'), read_items('{"a": 1}')
    (None, None)
    """
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, list) or not all(isinstance(i, dict) for i in document):
        return None
    items = []
    for i in document:
        quantity, price = i.get("quantity"), i.get("price")
        total = money(quantity * price) if isinstance(quantity, int) and isinstance(price, int) else "?"
        other = tuple((str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                      for k, v in i.items() if k not in ITEM_FIELDS)
        items.append(Item(str(quantity), str(i.get("name", "?")), money(price), total, other))
    return items
