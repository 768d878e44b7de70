"""Migrations against a real PostgreSQL: complete, idempotent, and refusing edited history."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from rcmd_tui.data.infra import migrate
from rcmd_tui.errors import MigrationError

SEEDS = Path(__file__).parent.parent / "docs" / "seeds"
DEVIATIONS = Path(__file__).parent.parent / "docs" / "seed-deviations.md"
# Seed objects that deliberately do not exist; each must be named in docs/seed-deviations.md.
ABSENT = {
    "rcmd": {"sessions_2025_q1", "jobs_2025_01", "audit_logs_2025_01", "idx_job_logs_cleanup", "idx_jobs_recent",
             "check_users_email"},
    "ordersync": {"audit_logs_y2025m01", "audit_logs_archive_pkey"},
}


def _sql_blocks(text: str) -> str:
    return "\n".join(re.findall(r"```sql\n(.*?)```", text, flags=re.S))


def seed_objects(system: str) -> dict[str, set[str]]:
    text = _sql_blocks((SEEDS / f"{system}-schema.md").read_text(encoding="utf-8"))
    return {
        "table": set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(?!IF\b)(\w+)", text)),
        "index": set(re.findall(r"CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?(?!IF\b)(\w+)", text)),
        "trigger": set(re.findall(r"CREATE TRIGGER (\w+)", text)),
        "function": set(re.findall(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)", text)),
        "view": set(re.findall(r"CREATE MATERIALIZED VIEW (\w+)", text)),
        "constraint": set(re.findall(r"CONSTRAINT (\w+)", text)),
    }


CATALOG = {
    "table": "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind IN ('r', 'p')",
    "index": "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind IN ('i', 'I')",
    "trigger": "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
               "WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal",
    "function": "SELECT proname FROM pg_proc WHERE pronamespace = %s::regnamespace",
    "view": "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'm'",
    "constraint": "SELECT conname FROM pg_constraint WHERE connamespace = %s::regnamespace",
}


@pytest.mark.parametrize("system", ["rcmd", "ordersync"])
def test_every_seed_object_exists_or_is_a_documented_deviation(db: str, system: str) -> None:
    deviations = DEVIATIONS.read_text(encoding="utf-8")
    with psycopg.connect(db) as conn:
        for kind, expected in seed_objects(system).items():
            present = {r[0] for r in conn.execute(CATALOG[kind], [system]).fetchall()}
            missing = expected - present - ABSENT[system]
            assert not missing, f"{system} {kind}s from the seed missing after migrating: {sorted(missing)}"
    for name in ABSENT[system]:
        assert name in deviations, f"{name} is absent but docs/seed-deviations.md does not say why"


@pytest.mark.parametrize("layout", ["own-database", "shared-database"])
def test_migrate_twice_applies_nothing_the_second_time(fresh_db: str, layout: str) -> None:
    schemas = {"rcmd": "public", "ordersync": "public"} if layout == "own-database" else \
        {"rcmd": "rcmd", "ordersync": "ordersync"}
    systems = ["rcmd"] if layout == "own-database" else ["rcmd", "ordersync"]
    with psycopg.connect(fresh_db) as conn:
        for system in systems:
            first = migrate.migrate(conn, system, schemas[system])
            assert [m.version for m in first] == [m.version for m in migrate.load(system)]
        for system in systems:
            assert migrate.migrate(conn, system, schemas[system]) == []
        rows = conn.execute("SELECT count(*) FROM rcmd.schema_migrations" if layout == "shared-database"
                            else "SELECT count(*) FROM public.schema_migrations").fetchone()
        assert rows is not None and rows[0] == len(migrate.load("rcmd"))


def test_a_changed_applied_file_is_refused(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = migrate.load

    def edited(system: str) -> list[migrate.Migration]:
        found = original(system)
        first = found[0]
        return [migrate.Migration(first.version, first.name, first.sql + "\n-- edited\n"), *found[1:]]

    monkeypatch.setattr(migrate, "load", edited)
    with psycopg.connect(db) as conn, pytest.raises(MigrationError) as info:
        migrate.migrate(conn, "rcmd", "rcmd")
    assert "0001_users_sessions.sql changed after it was applied" in str(info.value)


def test_an_unknown_applied_migration_is_refused(db: str) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO rcmd.schema_migrations VALUES (9999, 'from_the_future', 'x', now(), 1)")
        conn.commit()
        with pytest.raises(MigrationError, match="does not know"):
            migrate.migrate(conn, "rcmd", "rcmd")


def test_a_failing_file_leaves_nothing_behind(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = migrate.load

    def broken(system: str) -> list[migrate.Migration]:
        return [*original(system), migrate.Migration(99, "broken", "CREATE TABLE half_done (id int); SELECT 1/0;")]

    monkeypatch.setattr(migrate, "load", broken)
    with psycopg.connect(fresh_db) as conn:
        with pytest.raises(MigrationError, match=r"0099_broken\.sql failed: division by zero"):
            migrate.migrate(conn, "rcmd", "public")
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (original("rcmd")[-1].version,)


def test_partitions_are_created_ahead_and_functions_run(db: str) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        for schema in ("rcmd", "ordersync"):
            conn.execute(f"SET search_path = {schema}, public")
            created = conn.execute("SELECT ensure_audit_partitions(CURRENT_DATE - 400, 6)").fetchone()
            assert created is not None and created[0] >= 12
            parts = conn.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_logs'::regclass").fetchone()
            assert parts is not None and parts[0] >= 19
        conn.execute("SET search_path = public")  # functions pin their own search_path
        conn.execute("SELECT rcmd.cleanup_expired_sessions(), rcmd.cleanup_old_job_logs(), rcmd.create_monthly_partition()")
        conn.execute("SELECT ordersync.cleanup_expired_sessions(), ordersync.expire_anonymous_orders(), "
                     "ordersync.reset_daily_menu_sales(), ordersync.cleanup_old_login_attempts(), "
                     "ordersync.create_audit_log_partition()")
        assert conn.execute("SELECT * FROM ordersync.archive_old_audit_logs()").fetchone() == (0,)


def test_audit_trigger_writes_rows_the_check_allows(db: str) -> None:
    with psycopg.connect(db) as conn:
        conn.execute("SET search_path = ordersync, public")
        conn.execute("INSERT INTO users (email_encrypted, email_key_id, email_hash, password_hash_encrypted, "
                     "password_key_id, salt) VALUES ('v1:x', 'k', repeat('a', 64), 'v1:y', 'k', 's')")
        row = conn.execute("SELECT action, length(trace_id), new_value_key_id FROM audit_logs").fetchone()
        assert row == ("INSERT_users", 32, "plain:trigger")


def test_console_roles_enforce_the_tiers(db: str) -> None:
    with psycopg.connect(db) as conn:
        members = dict(conn.execute(
            "SELECT r.rolname, array_agg(m.rolname ORDER BY m.rolname) FROM pg_auth_members a "
            "JOIN pg_roles r ON r.oid = a.member JOIN pg_roles m ON m.oid = a.roleid "
            "WHERE r.rolname LIKE 'rcmd_tui_%' GROUP BY r.rolname").fetchall())
        assert members["rcmd_tui_oncall"] == ["pg_monitor", "pg_signal_backend", "rcmd_tui_support"]
        assert members["rcmd_tui_admin"] == ["rcmd_tui_oncall"]
        conn.execute("SET ROLE rcmd_tui_support")
        conn.execute("SELECT count(*) FROM rcmd.jobs, ordersync.orders")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE rcmd.jobs SET status = 'cancelled'")
        conn.rollback()
        conn.execute("SET ROLE rcmd_tui_admin")
        conn.execute("UPDATE rcmd.jobs SET status = 'cancelled' WHERE false")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM rcmd.users")
        conn.rollback()
