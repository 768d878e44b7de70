"""Locks: who blocks whom, as a tree (root blockers first, their waiters under them), then the oldest open
transactions. One statement per refresh; the tree is built here. Only the system's own database: a session
elsewhere on the server can neither wait on its tables nor hold back their vacuum (PostgreSQL 14 and later
count only the same database's transactions in a table's horizon).

``pg_blocking_pids`` is asked only for sessions waiting on a lock (it is not free, and nobody else can be
blocked). A waiter held up by two sessions shows under each; sessions waiting on each other in a cycle (the
deadlock detector ends those within ``deadlock_timeout``) are rooted at their lowest pid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.monitor.activity import SYSTEMS, one_line, titled

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
OLDEST = 10  # open transactions listed after the tree

LOCKS_SQL = """
WITH waiting AS (
    SELECT pid, pg_blocking_pids(pid) AS blocked_by FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND datname = current_database()
), involved AS (
    SELECT pid FROM waiting UNION SELECT unnest(blocked_by) FROM waiting
), oldest AS (
    SELECT pid FROM pg_stat_activity WHERE xact_start IS NOT NULL AND backend_type = 'client backend'
      AND datname = current_database() AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT %s
)
SELECT a.pid, a.backend_start, a.datname, a.usename, a.application_name, a.state, a.query_id,
       CASE WHEN a.wait_event IS NOT NULL THEN a.wait_event_type || ':' || a.wait_event END AS wait,
       now() - a.xact_start AS xact_age, a.query, w.blocked_by, l.mode, l.locktype,
       -- A wait on another transaction names no table; the row lock taken first does.
       coalesce(l.relation, (SELECT t.relation FROM pg_locks t WHERE t.pid = a.pid AND t.locktype = 'tuple' LIMIT 1))
           ::regclass::text AS relation, now() - l.waitstart AS waiting_for,
       i.pid IS NOT NULL AS in_tree, o.pid IS NOT NULL AS in_oldest
FROM pg_stat_activity a
LEFT JOIN involved i ON i.pid = a.pid
LEFT JOIN oldest o ON o.pid = a.pid
LEFT JOIN waiting w ON w.pid = a.pid
LEFT JOIN LATERAL (SELECT mode, locktype, relation, waitstart FROM pg_locks
                   WHERE pid = a.pid AND NOT granted LIMIT 1) l ON true
WHERE i.pid IS NOT NULL OR o.pid IS NOT NULL
"""

FIELDS = ("section", "tree", "who", "pid", "backend_start", "datname", "usename", "application_name", "state", "wait",
          "mode", "relation", "waiting_for", "xact_age", "waiters", "query_line", "query", "query_id", "blocked_by")


def blocking_tree(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each session of the blocking graph as a row of the tree, in the order it is drawn: ``tree`` (the path
    of pids, zero-padded) sorts it, ``who`` draws it, ``waiters`` counts the sessions under it."""
    by_pid = {r["pid"]: r for r in rows}
    children: dict[int, list[int]] = {}
    for r in rows:
        for blocker in r.get("blocked_by") or ():
            children.setdefault(blocker, []).append(r["pid"])
    out: list[dict[str, Any]] = []
    seen: set[int] = set()

    def under(pid: int, path: tuple[int, ...]) -> int:
        return sum(1 + under(c, (*path, c)) for c in sorted(children.get(pid, ())) if c not in path)

    def walk(pid: int, path: tuple[int, ...]) -> None:
        seen.add(pid)
        row = by_pid.get(pid, {"pid": pid})
        depth = len(path) - 1
        who = ("  " * (depth - 1) + "└ " if depth else "") + str(pid)
        out.append({**row, "section": "blocking", "tree": ".".join(f"{p:010d}" for p in path), "who": who,
                    "waiters": under(pid, path) or None})
        for child in sorted(children.get(pid, ())):
            if child not in path:  # a cycle ends here
                walk(child, (*path, child))

    roots = sorted(p for p in by_pid if not by_pid[p].get("blocked_by") and p in children)
    for root in roots:
        walk(root, (root,))
    for pid in sorted(children):  # only cycles are left
        if pid not in seen:
            walk(pid, (pid,))
    return out


async def read_locks(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    async with services.reader(system).connection() as conn:
        cur = await conn.execute(LOCKS_SQL, (OLDEST,))
        names = [d.name for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]
    for r in rows:
        r["query_line"] = one_line(r["query"])
    tree = blocking_tree([r for r in rows if r["in_tree"]])
    oldest = sorted((r for r in rows if r["in_oldest"]), key=lambda r: r["xact_age"], reverse=True)
    oldest_rows = [{**r, "section": "oldest", "tree": f"~{i:04d}", "who": str(r["pid"]), "waiters": None}
                   for i, r in enumerate(oldest)]
    return FIELDS, [tuple(r.get(f) for f in FIELDS) for r in tree + oldest_rows]


def locks_view(system: str) -> ListSpec:
    return ListSpec(
        key="locks", system=system, title=titled(system, "locks"),
        source=Snapshot(read=read_locks, refresh_s=2.0),
        columns=(
            Column("section", "Section", K.ENUM, width=8),
            Column("who", "Pid", width=9),
            Column("waiters", "Wtrs", K.INT, width=4),
            Column("mode", "Waits for", width=12),
            Column("relation", "Relation", width=10),
            Column("waiting_for", "Waited", K.DURATION, width=6),
            Column("xact_age", "Xact", K.DURATION, width=6),
            Column("query_line", "Statement", width=None),
            Column("state", "State", K.ENUM, width=8, shown=False),
            Column("datname", "Database", width=10, shown=False),
            Column("usename", "User", width=12, shown=False),
            Column("application_name", "Application", width=16, shown=False),
            Column("wait", "Wait", width=14, shown=False),
            Column("pid", "Pid (number)", K.INT, shown=False),
            Column("backend_start", "Connected (UTC)", K.TIME, shown=False),
            Column("blocked_by", "Blocked by", K.JSON, shown=False),
            Column("query_id", "Query id", K.INT, shown=False),
            Column("tree", "Tree", shown=False, internal=True),
            Column("query", "Statement (whole)", shown=False),
        ),
        orderings=(Ordering("tree", ("tree",), descending=False),),
        filters=(
            FilterField("section", "section", K.ENUM, values=("blocking", "oldest")),
            FilterField("pid", "pid", K.INT),
            FilterField("user", "usename"),
            FilterField("app", "application_name"),
            FilterField("relation", "relation"),
            FilterField("query", "query", help="~text in the statement"),
        ),
        id_columns=("tree",),
        family="monitor",
    )


VIEWS = tuple(locks_view(s) for s in SYSTEMS)
