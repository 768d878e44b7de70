"""OrderSync order actions: cancel an order with a reason, and run the anonymous-order expiry now. Each is a
plan (re-checked, audited, confirmed first), run by the one runner like every other action.

OrderSync writes orders under optimistic locking (``version``), as it does users: the re-check locks the row
and refuses it unless its version and status are still the ones shown; the UPDATE matches the shown version
again and bumps it. A cancellation also writes the status-history row the application would write, so the
order's timeline tells who cancelled it and why; and a ``CONSOLE_ACTION`` audit row on the ``orders`` resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, Privilege, Statement, columns_privileges, update
from rcmd_tui.data.ordersync import audit as ordersync_audit
from rcmd_tui.data.ordersync.orders import OPEN

MIN_REASON = 4


@dataclass(frozen=True, slots=True)
class ShownOrder:
    """An order as the screen showed it: what a cancel checks, and how the confirmation names it."""

    id: str
    version: int
    status: str
    label: str = ""  # e.g. the restaurant and total, as the list showed them

    @property
    def name(self) -> str:
        return self.label or self.id[:8]


_AUDIT_NEEDS = columns_privileges("audit_logs", "INSERT", (
    "trace_id", "action", "resource_type", "resource_id", "new_value_encrypted", "new_value_key_id", "success",
    "error_message"))

_CHECK = sql.SQL(
    "SELECT coalesce(bool_and(o.version = %s AND o.status = %s), false), "
    "coalesce(string_agg('changed since it was shown: status ' || %s || ' → ' || o.status || ', version ' || %s || ' → ' "
    "|| o.version, ''), 'the order no longer exists') "
    "FROM (SELECT id, version, status FROM orders WHERE id = %s::uuid FOR UPDATE) AS o")


def _audit(action: str, resource_id: str | None, details: dict[str, object], profile: Profile) -> Statement:
    payload = {"action": action, "console_role": profile.role, "profile": profile.name, "via": "rcmd-tui", **details}
    return Statement(sql.SQL(ordersync_audit.INSERT),
                     tuple(ordersync_audit.params("CONSOLE_ACTION", "orders", resource_id, payload)), _AUDIT_NEEDS)


PAYMENT_OF = "SELECT payment_method, status, amount FROM payments WHERE order_id = %s::uuid"


def payment_words(payment: tuple[str, str, int] | None) -> str:
    """What a cancellation leaves of the order's payment: the console never moves money (only the payment gateway
    can release a hold or refund), so it says what is left to do there, and how :reconcile keeps it in sight.

    >>> payment_words(("CARD", "AUTHORIZED", 109890))
    'payment CARD 109,890 stays AUTHORIZED: release the hold in the payment gateway (:reconcile lists it as held-on-cancelled until then)'
    >>> payment_words(None)
    'no payment to settle'
    """
    if payment is None:
        return "no payment to settle"
    method, status, amount = payment
    money = f"{method} {amount:,}"
    if status == "AUTHORIZED":
        return (f"payment {money} stays AUTHORIZED: release the hold in the payment gateway "
                "(:reconcile lists it as held-on-cancelled until then)")
    if status == "CAPTURED":
        return (f"payment {money} stays CAPTURED: refund it in the payment gateway "
                "(:reconcile lists it as cancelled-but-captured until refunded)")
    return f"payment {money} is {status}: nothing to settle"


def cancel_order(order: ShownOrder, reason: str, profile: Profile, payment: tuple[str, str, int] | None = None) -> Plan:
    """An open order to CANCELLED, now, with the reason in its status history; refused if it changed since shown.
    Its payment is left as it is, and the confirmation says what that leaves to do."""
    reason = reason.strip()
    if order.status not in OPEN:
        raise ActionRefused(f"order {order.name} is {order.status}", "only a pending, accepted, preparing or ready order can be cancelled")
    if len(reason) < MIN_REASON:
        raise ActionRefused("a cancellation needs a reason", f"type why (at least {MIN_REASON} characters), e.g. a ticket number")
    check = Statement(_CHECK, (order.version, order.status, order.status, order.version, order.id),
                      columns_privileges("orders", "SELECT", ("id", "version", "status")))
    change = update("orders", {"status": sql.Literal("CANCELLED"), "cancelled_at": sql.SQL("now()"),
                               "version": sql.SQL("version + 1")},
                    sql.SQL("id = %s::uuid AND version = %s"), (order.id, order.version), where_columns=("id", "version"))
    history = Statement(sql.SQL(
        "INSERT INTO order_status_history (order_id, old_status, new_status, reason, message) "
        "VALUES (%s::uuid, %s, 'CANCELLED', %s, %s)"),
        (order.id, order.status, reason, f"cancelled in rcmd-tui by {ordersync_audit.os_user()} ({profile.role})"),
        columns_privileges("order_status_history", "INSERT", ("order_id", "old_status", "new_status", "reason", "message")),
        counts="none")
    details = {"reason": reason, "from_status": order.status, "version": order.version}
    return Plan(system="ordersync", title=f"Cancel OrderSync order {order.name}", targets=(order.name,), check=check,
                audit=_audit("console.order.cancel", order.id, details, profile), statements=(change, history),
                roles=("admin",), typed="cancel", changes="order cancelled",
                preview=(f"status: {order.status} → CANCELLED", "cancelled_at: now",
                         f"version: {order.version} → {order.version + 1} (refused if it is no longer {order.version})",
                         f"status history: {order.status} → CANCELLED, reason: {reason}", payment_words(payment)))


EXPIRE = sql.SQL("SELECT expire_anonymous_orders()")
DUE = ("SELECT count(*) FROM orders WHERE customer_id IS NULL AND anonymous_expires_at < now() "
       "AND status NOT IN ('COMPLETED', 'CANCELLED')")


def expire_anonymous(due: int, profile: Profile) -> Plan:
    """OrderSync's own expiry (``expire_anonymous_orders()``, seed-deviations O19), run now rather than at its
    next half hour: anonymous orders past their 24 hours, not yet finished, become CANCELLED."""
    needs = (Privilege("expire_anonymous_orders()", "EXECUTE"),
             *columns_privileges("orders", "UPDATE", ("status", "cancelled_at", "version")),
             *columns_privileges("order_status_history", "INSERT", ("order_id", "old_status", "new_status", "reason")))
    return Plan(system="ordersync", title="Expire anonymous orders now", targets=(f"{due} order(s) due",),
                audit=_audit("console.order.expire_anonymous", None, {"due_when_asked": due}, profile),
                statements=(Statement(EXPIRE, (), needs, counts="value"),), roles=("admin",), changes="order expired",
                preview=(f"{due} anonymous order(s) past their 24 hours and not finished: status → CANCELLED, "
                         "cancelled_at now, version + 1, a history row 'anonymous order expired'",))


