"""`rcmd-tui keys` end to end: list, generate, export and import between keyrings, check."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import psycopg

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.demo.ordersync_seed import KEY_PLAN
from tests.helpers import run_cli as run


def _config(profile: Profile, tmp_path: Path, name: str = "config.toml") -> list[str]:
    path = tmp_path / name
    path.write_text(profile_to_toml(profile))
    return ["--config", str(path)]


def test_list_shows_every_key_present_with_its_rows(seeded: Profile, tmp_path: Path) -> None:
    result = run([*_config(seeded, tmp_path), "keys", "list", "--exact"], {})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KEY", "ID", "TYPE", "VER", "STATUS", "KEYRING", "ROWS"]
    listed = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(listed) == {k.key_id for k in KEY_PLAN}
    for key in KEY_PLAN:
        assert listed[key.key_id][3:5] == [key.status, "present"]
        assert int(listed[key.key_id][5].replace(",", "")) > 0


def test_check_passes_then_finds_each_broken_value(seeded: Profile, tmp_path: Path) -> None:
    config = _config(seeded, tmp_path)
    clean = run([*config, "keys", "check"], {})
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines()[-1] == "every sampled value decrypted"
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn, autocommit=True) as conn:
        conn.execute("UPDATE ordersync.users SET phone_encrypted = 'v1:\x1b[2Jjunk' "
                     "WHERE id = (SELECT id FROM ordersync.users WHERE phone_key_id = 'ordersync/pii/v3' ORDER BY id LIMIT 1)")
        conn.execute("UPDATE ordersync.users SET name_key_id = 'ordersync/pii/v77' "
                     "WHERE id = (SELECT id FROM ordersync.users WHERE name_encrypted IS NOT NULL ORDER BY id LIMIT 1)")
    broken = run([*config, "keys", "check", "--sample", "100000"], {})
    assert broken.returncode == 1
    assert "\x1b" not in broken.stdout
    rows = {line.split()[0]: line for line in broken.stdout.splitlines()[1:] if not line.startswith(" ")}
    assert "malformed envelope: 1" in rows["ordersync/pii/v3"]
    assert rows["ordersync/pii/v77"].split()[1] == "UNKNOWN" and "unknown key id: 1" in rows["ordersync/pii/v77"]


def test_generate_rotates_and_audits(seeded: Profile, tmp_path: Path) -> None:
    config = _config(seeded, tmp_path)
    result = run([*config, "keys", "generate", "--type", "payment"], {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("generated ordersync/payment/v3 (ACTIVE)")
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn) as conn:
        statuses = dict(conn.execute("SELECT key_id, status FROM ordersync.encryption_keys WHERE key_type = 'payment'").fetchall())
        audit = conn.execute("SELECT resource_id FROM ordersync.audit_logs WHERE action = 'KEY_GENERATED'").fetchall()
    assert statuses == {"ordersync/payment/v1": "RETIRED", "ordersync/payment/v2": "ROTATING", "ordersync/payment/v3": "ACTIVE"}
    assert audit == [("ordersync/payment/v3",)]
    listed = run([*config, "keys", "list"], {})
    assert any(line.startswith("ordersync/payment/v3") and "present" in line for line in listed.stdout.splitlines())


def test_export_needs_yes_then_moves_keys_to_another_keyring(seeded: Profile, tmp_path: Path) -> None:
    config = _config(seeded, tmp_path)
    file = tmp_path / "keys.json"
    refused = run([*config, "keys", "export", str(file)], {})
    assert refused.returncode == 2 and "add --yes" in refused.stderr and not file.exists()
    exported = run([*config, "keys", "export", str(file), "--yes"], {})
    assert exported.returncode == 0, exported.stderr
    assert "in the clear" in exported.stderr
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert {k["key_id"] for k in json.loads(file.read_text())["keys"]} == {k.key_id for k in KEY_PLAN}
    again = run([*config, "keys", "export", str(file), "--yes"], {})
    assert again.returncode == 2 and "already exists" in again.stderr

    other = replace(seeded, keyring=replace(seeded.keyring, file=str(tmp_path / "other-machine.cfg")))
    other_config = _config(other, tmp_path, "other.toml")
    before = run([*other_config, "keys", "check"], {})
    assert before.returncode == 1 and "key missing from keyring" in before.stdout
    imported = run([*other_config, "keys", "import", str(file)], {})
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"imported {len(KEY_PLAN)} keys, 0 already present"
    assert run([*other_config, "keys", "check"], {}).returncode == 0
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn) as conn:
        actions = conn.execute("SELECT action, count(*) FROM ordersync.audit_logs WHERE action LIKE 'KEY_%' GROUP BY 1").fetchall()
    assert dict(actions) == {"KEY_EXPORTED": len(KEY_PLAN), "KEY_IMPORTED": len(KEY_PLAN)}


def test_import_refuses_a_different_key_under_the_same_id(seeded: Profile, tmp_path: Path) -> None:
    config = _config(seeded, tmp_path)
    file = tmp_path / "keys.json"
    file.write_text(json.dumps({"format": "rcmd-tui-keys/1", "keys": [{"key_id": "ordersync/pii/v3", "key": "A" * 43 + "="}]}))
    result = run([*config, "keys", "import", str(file)], {})
    assert result.returncode == 2 and "different key under 'ordersync/pii/v3'" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    result = run([*config, "keys", "import", str(bad)], {})
    assert result.returncode == 2 and "is not an rcmd-tui key export" in result.stderr and "Traceback" not in result.stderr


def test_read_only_refuses_key_changes(seeded: Profile, tmp_path: Path) -> None:
    result = run(["--read-only", *_config(seeded, tmp_path), "keys", "generate", "--type", "pii"], {})
    assert result.returncode == 2 and "read-only" in result.stderr
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM ordersync.encryption_keys WHERE key_id = 'ordersync/pii/v4'").fetchone() == (0,)
