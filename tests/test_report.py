"""`rcmd-tui report`: any view of the console, headless, against seeded data; masked, typed, one error line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.lists.catalog import all_views
from tests.helpers import run_cli
from tests.listdata import fill_rcmd

HOSTILE = "\x1b]0;owned\x07\x1b[2J\rok\u202eevil\x9b31m"


@pytest.fixture
def config(seeded: Profile, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(seeded), encoding="utf-8")
    return {"RCMD_TUI_CONFIG": str(path)}


def test_list_names_every_view_with_its_system() -> None:
    listed = run_cli(["report", "--list"], {"XDG_CONFIG_HOME": "/nonexistent"})
    assert listed.returncode == 0, listed.stderr
    lines = [line.split()[:2] for line in listed.stdout.splitlines()]
    assert lines == [[v.key, v.system] for v in all_views()]
    assert ["audit", "rcmd"] in lines and ["users", "ordersync"] in lines and ["redis", "rcmd"] in lines


def test_failed_audit_rows_of_the_last_week_as_typed_json(config: dict[str, str]) -> None:
    done = run_cli(["report", "audit", "rcmd", "--filter", "status:failed since:7d", "--format", "json", "--limit", "0"], config)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows, "the seed has failed rows in the last week"
    week_ago = datetime.now(UTC) - timedelta(days=7, minutes=5)
    for row in rows:
        assert row["result"] in ("failure", "error")
        assert row["created_at"].endswith("Z") and datetime.fromisoformat(row["created_at"]) >= week_ago
        assert isinstance(row["details"], dict | None)
    times = [r["created_at"] for r in rows]
    assert times == sorted(times, reverse=True)  # the view's ordering: newest first
    limited = run_cli(["report", "audit", "--filter", "status:failed since:7d", "--format", "json", "--limit", "3"], config)
    assert json.loads(limited.stdout) == rows[:3]


def test_encrypted_fields_stay_masked_in_every_format(seeded: Profile, config: dict[str, str]) -> None:
    as_json = json.loads(run_cli(["report", "users", "os", "--format", "json", "--limit", "50"], config).stdout)
    assert len(as_json) == 50
    for row in as_json:
        assert "*" in row["email"] and "@" in row["email"]
        assert all(row[f] is None or "*" in row[f] for f in ("phone", "name"))
    as_csv = list(csv.reader(io.StringIO(run_cli(["report", "users", "os", "--format", "csv", "--limit", "5"], config).stdout)))
    assert as_csv[0][:3] == ["E-mail", "Name", "Phone"] and all("*" in r[0] for r in as_csv[1:])
    table = run_cli(["report", "users", "ordersync", "--limit", "5"], config).stdout.splitlines()
    assert table[0].split()[:2] == ["E-mail", "Name"] and len(table) == 6 and all("*" in line for line in table[1:])


def test_redis_keys_report_takes_a_glob(config: dict[str, str]) -> None:
    done = run_cli(["report", "redis", "--filter", "bull:jobs:* type=hash", "--format", "json", "--limit", "5"], config)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 5 and all(r["key"].startswith("bull:jobs:") and r["type"] == "hash" for r in rows)


def test_bad_input_is_one_line_and_exit_2(config: dict[str, str]) -> None:
    for args, says in ((["report", "audit", "--filter", "colour=red"], "this list has no field 'colour'"),
                       (["report", "nosuch"], "no view named 'nosuch'"),
                       (["report", "audit", "martian"], "audit has no system 'martian'"),
                       (["report"], "report needs a view")):
        done = run_cli(args, config)
        assert done.returncode == 2 and done.stdout == "", (args, done.stdout)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rcmd-tui: ") and says in lines[0], (args, done.stderr)


def _report_bytes(args: list[str], config: dict[str, str]) -> str:
    """stdout exactly as a terminal would get it (run_cli's text mode turns a lone CR into a newline)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCMD_TUI_", "PG"))} | config
    done = subprocess.run([sys.executable, "-m", "rcmd_tui", "report", *args], capture_output=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8")


def _live_controls(text: str) -> set[str]:
    return {ch for ch in text.replace("\r\n", "\n") if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")}


def test_every_format_escapes_control_characters_and_raw_keeps_csv_and_json_as_stored(
        profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile, rows=3, hostile=(HOSTILE,))
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(profile), encoding="utf-8")
    config = {"RCMD_TUI_CONFIG": str(path)}
    for fmt in ("table", "csv", "json"):
        out = _report_bytes(["audit", "--format", fmt, "--limit", "2"], config)
        assert _live_controls(out) == set(), fmt  # printed to a terminal, nothing in it runs
        assert ("<U+202E>" if fmt != "json" else "\\u202e") in out, fmt
    assert _live_controls(_report_bytes(["audit", "--format", "table", "--raw"], config)) == set()  # a table always is
    raw_csv = _report_bytes(["audit", "--format", "csv", "--limit", "2", "--raw"], config)
    assert any(HOSTILE in row for row in csv.reader(io.StringIO(raw_csv)))
    raw_json = _report_bytes(["audit", "--format", "json", "--limit", "2", "--raw"], config)
    assert "\u202e" in raw_json and json.loads(raw_json)[0]["action"] == HOSTILE
    assert json.loads(_report_bytes(["audit", "--format", "json", "--limit", "2"], config)) == json.loads(raw_json)
