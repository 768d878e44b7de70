"""Start-up: `rcmd-tui --help`, and the first frame of the home screen in a real pseudo-terminal.

Baselines in the same run, on the same throwaway servers: `pg_activity --help`, and the first frame
of harlequin (postgres adapter) on the same PostgreSQL. Both are installed in their own venv
(`make bench` builds .venv-bench; harlequin pins its own dependencies, so it never shares ours).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import psycopg

from rcmd_tui.config import KeyringSettings, PgTarget, Profile, profile_to_toml
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.infra import launcher, migrate

RUNS = 7
CSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]")


def wall(cmd: list[str], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def first_frame(cmd: list[str], marker: bytes, timeout: float = 30) -> float:
    """Seconds from exec to ``marker`` drawn on a 120x40 pseudo-terminal."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True,
                            start_new_session=True)
    os.close(secondary)
    out, found = b"", None
    try:
        while time.perf_counter() - started < timeout:
            if select.select([primary], [], [], 0.02)[0]:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                if marker in CSI.sub(b"", out):
                    found = time.perf_counter() - started
                    break
    finally:
        proc.kill()
        proc.wait()
        os.close(primary)
    if found is None:
        raise RuntimeError(f"{cmd[0]} drew no {marker!r} in {timeout} s: {CSI.sub(b'', out)[-500:]!r}")
    return found


def median_frame(cmd: list[str], marker: bytes, runs: int = RUNS) -> float:
    return statistics.median(first_frame(cmd, marker) for _ in range(runs)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-venv", type=Path, default=Path(".venv-bench"))
    args = parser.parse_args()
    ours_bin = Path(sys.executable).parent / "rcmd-tui"
    pg_activity = args.baseline_venv / "bin" / "pg_activity"
    harlequin = args.baseline_venv / "bin" / "harlequin"
    ours = wall([str(ours_bin), "--help"])
    theirs = wall([str(pg_activity), "--help"])
    verdict = "ok" if ours < 200 else "OVER 200 ms"
    print(f"--help                 rcmd-tui {ours:6.0f} ms [{verdict}] | pg_activity {theirs:6.0f} ms -> {theirs / ours:.1f}x")
    with launcher.running() as servers, tempfile.TemporaryDirectory() as tmp:
        with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "rcmd"')
        with psycopg.connect(servers.pg.dsn("rcmd")) as conn:
            for system in ("rcmd", "ordersync"):
                migrate.migrate(conn, system, system)
        dsn = servers.pg.dsn("rcmd")
        profile = Profile(name="bench", rcmd=PgTarget(dsn, schema="rcmd"), rcmd_redis_url=servers.redis.url(),
                          ordersync=PgTarget(dsn, schema="ordersync"),
                          keyring=KeyringSettings("rcmd-tui-bench", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                                  str(Path(tmp) / "keyring.cfg")))
        config = Path(tmp) / "config.toml"
        config.write_text(profile_to_toml(profile), encoding="utf-8")
        ours = median_frame([str(ours_bin), "--config", str(config)], "rcmd-tui │".encode())
        theirs = median_frame([str(harlequin), "--locale", "C", "-a", "postgres", dsn], b"Data Catalog")
    verdict = "ok" if ours < 1000 else "OVER 1 s"
    print(f"first frame            rcmd-tui home {ours:6.0f} ms [{verdict}] | harlequin {theirs:6.0f} ms -> {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
