"""The tables a person's timeline reads, each as one stream of moments in the timeline's own columns.

Every stream selects the same columns (``FIELDS``) from one table, for one person, plus its own key (``key_id``,
the table's id in its own type) so that the keyset condition and the ORDER BY run on the table's index
(``(user_id, created_at DESC, id DESC)`` and the like, migrations rcmd 0011 and ordersync 0013). The wrapper in
:mod:`rcmd_tui.data.timeline.source` adds the filter, the keyset bound and the limit around it; PostgreSQL
flattens the subquery, so they reach the index.

``row_id`` is the key as text that sorts as the key does (a bigint zero-padded), so rows merged from
several streams that share a moment still come in one fixed order: (time, stream rank, row_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KINDS = ("audit", "session", "login", "job", "order")
SYSTEMS = ("rcmd", "os")  # as the Sys column shows them (four characters wide)
# The person's ids a stream selects by: RCMD user ids, OrderSync user ids, or e-mail hashes (login attempts
# carry no user id, only the hash of the address typed).
Key = Literal["rcmd_ids", "ordersync_ids", "email_hashes"]

# A row's id, in the field its detail leads by (to its own view: the job, the order …); NULL in the others.
LEADS = ("rcmd_audit_id", "rcmd_session_id", "job_id", "os_audit_id", "os_session_id", "login_id", "order_id")
# The timeline's fields, in this order in every stream (each stream's SELECT names them all, NULL where it
# has nothing for one).
FIELDS = ("at", "system", "kind", "what", "result", "ref", "rank", "row_id", "user_id", *LEADS)


@dataclass(frozen=True, slots=True)
class Stream:
    rank: int  # breaks ties between streams at the same moment; unique
    system: str
    kind: str
    key: Key
    key_type: str  # the SQL type of the table's id, for the keyset bound
    table: str
    person: str  # the column the person's ids are matched against, by ``= ANY(%s)``
    what: str  # ours, fixed SQL expressions over the table's columns
    result: str
    ref: str = "NULL"
    lead: str = ""  # the field of FIELDS that holds the row's id, for the detail's lead to its own view
    user: str = "NULL"
    row_id: str = "id::text"

    @property
    def select(self) -> str:
        """FIELDS, then ``key_id`` (the table's id), for one person's ids: the first and only parameter."""
        leads = {f: "id::text" if f == self.lead else "NULL::text" for f in LEADS}
        values = {"at": "created_at", "system": f"'{'rcmd' if self.system == 'rcmd' else 'os'}'::text", "kind": f"'{self.kind}'::text",
                  "what": f"({self.what})::text", "result": f"({self.result})::text", "ref": f"coalesce(({self.ref})::text, '')",
                  "rank": str(self.rank), "row_id": self.row_id, "user_id": f"({self.user})::uuid", **leads}
        fields = ", ".join(f"{values[f]} AS {f}" for f in FIELDS)
        array = "text[]" if self.key == "email_hashes" else "uuid[]"
        return f"SELECT {fields}, id AS key_id FROM {self.table} WHERE {self.person} = ANY(%s::{array})"


STREAMS = (
    Stream(1, "rcmd", "audit", "rcmd_ids", "bigint", "audit_logs", "user_id",
           what="action || coalesce(' ' || resource_type, '')", result="result", ref="resource_id", lead="rcmd_audit_id",
           user="user_id", row_id="lpad(id::text, 20, '0')"),  # a bigint: padded, so its text sorts as the number
    Stream(2, "rcmd", "session", "rcmd_ids", "uuid", "sessions", "user_id",
           what="'session opened' || coalesce(' from ' || host(ip_address), '')",
           result="CASE WHEN is_active AND expires_at > now() THEN 'active' WHEN is_active THEN 'expired' ELSE 'ended' END",
           lead="rcmd_session_id", user="user_id"),
    Stream(3, "rcmd", "job", "rcmd_ids", "uuid", "jobs", "user_id",
           what="type || ' job' || coalesce(' ' || (payload->>'source'), '')", result="status",
           ref="left(id::text, 8)", lead="job_id", user="user_id"),
    Stream(4, "ordersync", "audit", "ordersync_ids", "uuid", "audit_logs", "user_id",
           what="action || coalesce(' ' || resource_type, '')",
           result="CASE WHEN success THEN 'success' ELSE 'failure' END", ref="resource_id", lead="os_audit_id", user="user_id"),
    Stream(5, "ordersync", "session", "ordersync_ids", "uuid", "user_sessions", "user_id",
           what="'session opened'", result="CASE WHEN is_revoked THEN 'revoked' WHEN expires_at > now() THEN 'active' ELSE 'expired' END",
           lead="os_session_id", user="user_id"),
    # Login attempts carry the hash of the address typed, not a user: attempts at an address nobody has show too.
    Stream(6, "ordersync", "login", "email_hashes", "uuid", "login_attempts", "email_hash",
           what="CASE WHEN success THEN 'login' ELSE 'login failed' END",
           result="CASE WHEN success THEN 'success' ELSE coalesce(failure_reason, 'failure') END", lead="login_id"),
    Stream(7, "ordersync", "order", "ordersync_ids", "uuid", "orders", "customer_id",
           what="'order ' || to_char(total_amount, 'FM999,999,999,990')", result="status", ref="left(id::text, 8)",
           lead="order_id", user="customer_id"),
)
assert len({s.rank for s in STREAMS}) == len(STREAMS)
