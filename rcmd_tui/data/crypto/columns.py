"""Every encrypted OrderSync column: where its ciphertext and key id live, what kind of value it holds
(which decides how it is masked), and which key type may protect it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    CARD = "card"
    IP = "ip"
    TEXT = "text"
    OPEN = "open"  # a business's own words (a restaurant's or a dish's name): encrypted at rest, shown once decrypted
    SECRET = "secret"  # noqa: S105 - a kind, not a password; password hashes, 2FA seeds: never revealed, whatever the role


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    table: str
    name: str  # logical name, also the associated-data column: "email" for email_encrypted
    kind: FieldKind
    key_type: str  # pii, payment or business: a key of another type is refused by policy
    key_id_column: str
    id_column: str = "id"

    @property
    def ciphertext_column(self) -> str:
        return f"{self.name}_encrypted"

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


def _col(table: str, name: str, kind: FieldKind, key_type: str, key_id_column: str | None = None) -> EncryptedColumn:
    return EncryptedColumn(table, name, kind, key_type, key_id_column or f"{name}_key_id")


K = FieldKind
COLUMNS: tuple[EncryptedColumn, ...] = (
    _col("users", "email", K.EMAIL, "pii"),
    _col("users", "phone", K.PHONE, "pii"),
    _col("users", "name", K.NAME, "pii"),
    _col("users", "password_hash", K.SECRET, "pii", "password_key_id"),
    _col("users", "two_factor_secret", K.SECRET, "pii"),
    _col("user_sessions", "ip_address", K.IP, "pii", "ip_key_id"),
    _col("user_sessions", "user_agent", K.TEXT, "pii", "ua_key_id"),
    _col("user_sessions", "device_info", K.TEXT, "pii", "device_key_id"),
    _col("login_attempts", "ip_address", K.IP, "pii", "ip_key_id"),
    _col("login_attempts", "user_agent", K.TEXT, "pii", "ua_key_id"),
    _col("restaurants", "name", K.OPEN, "business"),
    _col("restaurants", "address", K.ADDRESS, "business"),
    _col("restaurants", "phone", K.PHONE, "business"),
    _col("restaurants", "business_number", K.TEXT, "business"),
    _col("menus", "name", K.OPEN, "business"),
    _col("menus", "description", K.OPEN, "business"),
    _col("orders", "table_info", K.TEXT, "pii", "table_key_id"),
    _col("orders", "items", K.TEXT, "pii"),
    _col("orders", "special_requests", K.TEXT, "pii"),
    _col("payments", "external_id", K.TEXT, "payment", "external_key_id"),
    _col("payments", "card_info", K.CARD, "payment"),
    _col("payment_events", "event_data", K.TEXT, "payment"),
    _col("payment_refunds", "reason", K.TEXT, "payment"),
    _col("payment_refunds", "external_refund_id", K.TEXT, "payment", "external_refund_key_id"),
    _col("notification_templates", "title_template", K.OPEN, "business", "title_key_id"),
    _col("notification_templates", "content_template", K.OPEN, "business", "content_key_id"),
    _col("notification_logs", "recipient_info", K.PHONE, "pii", "recipient_key_id"),
    _col("notification_logs", "content", K.TEXT, "pii"),
    _col("audit_logs", "ip_address", K.IP, "pii", "ip_key_id"),
    _col("audit_logs", "user_agent", K.TEXT, "pii", "ua_key_id"),
    _col("audit_logs", "old_value", K.TEXT, "pii"),
    _col("audit_logs", "new_value", K.TEXT, "pii"),
)

BY_LABEL = {c.label: c for c in COLUMNS}


def column(table: str, name: str) -> EncryptedColumn:
    try:
        return BY_LABEL[f"{table}.{name}"]
    except KeyError:
        raise KeyError(f"{table}.{name} is not an encrypted OrderSync column") from None


def of_table(table: str) -> tuple[EncryptedColumn, ...]:
    return tuple(c for c in COLUMNS if c.table == table)
