"""The timeline view: ``:timeline kim@example.com`` and ``rcmd-tui report timeline --filter kim@example.com``."""

from __future__ import annotations

from rcmd_tui.data.lists.spec import BOTH, Column, FilterField, Kind, Lead, ListSpec, Merged, Ordering
from rcmd_tui.data.timeline.source import open_timeline
from rcmd_tui.data.timeline.streams import KINDS, LEADS, SYSTEMS

K = Kind

TIMELINE = ListSpec(
    key="timeline", system=BOTH, source=Merged(open=open_timeline), title="Timeline",
    columns=(
        Column("at", "Time (UTC)", K.TIME, width=16),
        Column("system", "Sys", K.ENUM, width=4),
        Column("kind", "Kind", K.ENUM, width=7),
        Column("what", "What", width=27),
        Column("result", "Result", width=10),
        Column("ref", "Ref", width=9),
        Column("user_id", "User id", K.UUID, shown=False),
        *(Column(lead, lead, shown=False, internal=True) for lead in LEADS),
        Column("rank", "Rank", K.INT, shown=False, internal=True),
        Column("row_id", "Row id", shown=False, internal=True),
    ),
    orderings=(Ordering("newest", ("at", "rank", "row_id")), Ordering("oldest", ("at", "rank", "row_id"), descending=False)),
    filters=(
        FilterField("system", "system", K.ENUM, values=SYSTEMS, help="rcmd or os"),
        FilterField("kind", "kind", K.ENUM, values=KINDS),
        FilterField("result", "result", fold_case=True, help="success, failure, completed, CANCELLED …"),
        FilterField("what", "what", help="~text in what happened, e.g. what~LOGIN"),
    ),
    time_column="at",
    id_columns=("rank", "row_id"),
    leads=(
        # One per kind of row; a row has the id of one (the others are empty, so their keys are not offered).
        Lead("jobs", "jobs", "id={job_id}", system="rcmd"),
        Lead("orders", "orders", "id={order_id}", system="ordersync"),
        Lead("sessions", "sessions", "id={rcmd_session_id}", system="rcmd"),
        Lead("sessions", "sessions", "id={os_session_id}", system="ordersync"),
        Lead("audit", "audit", "id={rcmd_audit_id}", system="rcmd"),
        Lead("audit", "audit", "id={os_audit_id}", system="ordersync"),
        Lead("logins", "logins", "id={login_id}", system="ordersync"),
    ),
)

VIEWS = (TIMELINE,)
