"""RCMD jobs, newest first: the list a user's detail leads to (``J``). Issue 14 deepens it (progress bars, the
Bull queue beside each row, live updates, actions); this is its plain list, a `rcmd-tui report jobs` view too."""

from __future__ import annotations

from rcmd_tui.data.lists.enrich import Lookup
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Table

K = Kind
TYPES = ("copy", "move", "delete", "sync", "backup")  # jobs.check_type
STATUSES = ("pending", "queued", "running", "completed", "failed", "cancelled")  # jobs.check_status

RCMD_JOBS = ListSpec(
    key="jobs", system="rcmd", source=Table("jobs"), title="RCMD jobs",
    columns=(
        Column("created_at", "Created (UTC)", K.TIME, width=19),
        Column("type", "Type", K.ENUM, width=6),
        Column("status", "Status", K.ENUM, width=9),
        Column("progress", "%", K.INT, width=3),
        Column("username", "User", width=12, enriched=True),
        Column("retry_count", "Tries", K.INT, width=5),
        Column("error", "Error", width=24),
        Column("priority", "Prio", K.INT, width=4, shown=False),
        Column("max_retries", "Max tries", K.INT, width=5, shown=False),
        Column("started_at", "Started (UTC)", K.TIME, width=19, shown=False),
        Column("completed_at", "Completed (UTC)", K.TIME, width=19, shown=False),
        Column("payload", "Payload", K.JSON, shown=False),
        Column("result", "Result", K.JSON, shown=False),
        Column("user_id", "User id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=(Ordering("newest", ("created_at", "id")), Ordering("oldest", ("created_at", "id"), descending=False)),
    filters=(
        FilterField("user", "user_id", K.UUID, resolve="SELECT id FROM users WHERE username = %s",
                    help="a user id or a username"),
        FilterField("status", "status", K.ENUM, values=STATUSES),
        FilterField("type", "type", K.ENUM, values=TYPES),
        FilterField("id", "id", K.UUID),
    ),
    time_column="created_at",
    enrichers=(Lookup("user_id", "username", "users", "username"),),
)
