"""Watching a busy server: the console's activity view (`:monitor`) at a 2 s refresh, beside pg_activity.

Throwaway servers from the launcher; a `pgbench -i -s 5` database under `pgbench -c 4` load the whole time.
Each tool runs in its own 120x40 pseudo-terminal (the terminal is read and rendered with pyte, so its output
never backs up) and connects as its own login role with pg_monitor (bench_console, bench_pgactivity), to the
same database. For each, after it has drawn its first screen and settled, one window (30 s by default):

- CPU: utime + stime of its process (and of any descendants, live or reaped) from /proc/<pid>/stat, before and
  after the window, as a percentage of one core over the window's wall time;
- statements: pg_stat_statements is reset for the tool's role just before the window; afterwards the sum of
  ``calls`` for that role (every top-level statement it sent, utility ones such as SET or BEGIN included) is
  divided by the refreshes the window holds (window / 2 s). The statements are listed with their calls.

pg_activity is measured twice: as it runs by default on the server's host (it then also reads each backend's
/proc entries), and in the mode it uses from any other host (SQL only; forced here by answering "no" to its
"can I read the postmaster's pid file" check). Beside them, the floor under any Textual console
(bench/textual_floor.py, the same pinned Textual, no I/O): idle, and repainting 30 lines every 2 s. Goals
(issue 12): under 5% of one core and at most 4 statements per refresh, and below pg_activity on both.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import os
import pty
import secrets
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyte
from psycopg import sql

from rcmd_tui.config import KeyringSettings, PgTarget, Profile, profile_to_toml
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.infra import launcher

REFRESH_S = 2.0
COLUMNS, LINES = 120, 40
TARGET_CPU_PCT = 5.0
TARGET_STATEMENTS = 4.0
DATABASE = "pgbench"
ROLES = {"console": "bench_console", "pg_activity": "bench_pgactivity"}
OURS = "rcmd-tui :monitor (activity)"
# pg_activity from another host: its local mode needs the postmaster's pid file; say it cannot read it.
REMOTE_PG_ACTIVITY = ("import sys, pgactivity.data as d; d.Data.pg_is_local_access = lambda self: False; "
                      "from pgactivity.cli import main; sys.argv[0] = 'pg_activity'; main()")


@dataclasses.dataclass(frozen=True)
class Measured:
    name: str
    cpu_pct: float | None = None
    statements: int | None = None
    refreshes: float = 0.0
    breakdown: tuple[tuple[int, str], ...] = ()
    tps: float = 0.0
    problem: str = ""  # why there is no figure

    @property
    def per_refresh(self) -> float | None:
        return None if self.statements is None else self.statements / self.refreshes

    @property
    def activity_reads(self) -> int | None:
        """How often it read pg_stat_activity: its most frequent statement that does (one a refresh in both tools)."""
        if self.statements is None:
            return None
        return max((calls for calls, query in self.breakdown if "pg_stat_activity" in query), default=0)

    @property
    def refreshed_as_asked(self) -> bool:
        return self.activity_reads is None or self.activity_reads >= self.refreshes - 1


# -- CPU from /proc -------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 (state) onward


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and its live descendants, plus cutime + cstime (descendants already reaped)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew, tree = bool(more), tree | more
    ticks = 0
    for pid in tree:
        fields = _stat(pid)
        if fields is not None:
            utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
            ticks += utime + stime + (cutime + cstime if pid == root else 0)
    return ticks / TICK


# -- a program in a pseudo-terminal ---------------------------------------------------------------------

class PtyProgram:
    """``cmd`` in a COLUMNS x LINES pseudo-terminal; what it draws is rendered by pyte and readable as text."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.fd, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        for inherited in ("NO_COLOR", "COLUMNS", "LINES"):
            env.pop(inherited, None)
        self.proc = subprocess.Popen(cmd, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True,
                                     start_new_session=True)
        os.close(secondary)
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, seconds: float) -> None:
        """Read (and render) whatever it writes for ``seconds``."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if select.select([self.fd], [], [], min(left, 0.1))[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    time.sleep(min(left, 0.1))
                    continue
                self.stream.feed(chunk)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, text: str, limit: float = 30) -> None:
        end = time.monotonic() + limit
        while text not in self.text():
            if time.monotonic() > end or self.proc.poll() is not None:
                state = "it exited" if self.proc.poll() is not None else f"not within {limit:g} s"
                raise RuntimeError(f"{text!r} never showed ({state}); the screen:\n{self.text().rstrip()}")
            self.pump(0.1)

    def type(self, keys: str) -> None:
        for key in keys:
            os.write(self.fd, key.encode())
            self.pump(0.15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.fd)


# -- the server ------------------------------------------------------------------------------------------

def _role_dsn(servers: launcher.Servers, role: str, password: str) -> str:
    return f"postgresql://{role}:{password}@{servers.pg.host}:{servers.pg.port}/{DATABASE}"


def prepare(servers: launcher.Servers, pgbench: Path, scale: int, password: str) -> bool:
    """The pgbench database and the two roles; whether pg_stat_statements is there to count statements."""
    with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        for role in ROLES.values():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE pg_monitor").format(
                sql.Identifier(role), sql.Literal(password)))
    # pgbench is a client (TCP and a password), so it runs as whoever runs the bench, root included.
    done = subprocess.run([str(pgbench), "-i", "-q", "-s", str(scale), servers.pg.dsn(DATABASE)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench -i failed (exit {done.returncode}): {done.stderr[-600:]}")
    with psycopg.connect(servers.pg.dsn(DATABASE), autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
        except psycopg.Error:
            return False
    return True


def _committed(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DATABASE]).fetchone()
    assert row is not None
    return int(row[0])


def _statements(conn: psycopg.Connection[Any], role: str) -> tuple[int, tuple[tuple[int, str], ...]]:
    rows = conn.execute("SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
                        "WHERE r.rolname = %s ORDER BY s.calls DESC, s.query", [role]).fetchall()
    return sum(int(c) for c, _ in rows), tuple((int(c), " ".join(str(q).split())) for c, q in rows)


def measure(name: str, role: str, program: PtyProgram, admin_dsn: str, window: float, settle: float,
            counting: bool) -> Measured:
    """One tool, already on its screen: ``settle`` seconds, then the window; the program is stopped after it."""
    try:
        program.pump(settle)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            if counting:
                conn.execute("SELECT pg_stat_statements_reset(userid => (SELECT oid FROM pg_roles WHERE rolname = %s))",
                             [role])
            commits = _committed(conn)
            cpu, started = tree_cpu_seconds(program.proc.pid), time.monotonic()
            program.pump(window)
            cpu, wall = tree_cpu_seconds(program.proc.pid) - cpu, time.monotonic() - started
            commits = _committed(conn) - commits
            statements, breakdown = _statements(conn, role) if counting else (None, ())
        if program.proc.poll() is not None:
            return Measured(name, problem=f"it exited during the window (exit {program.proc.returncode}):\n"
                                          f"{program.text().rstrip()}")
        return Measured(name, 100 * cpu / wall, statements, wall / REFRESH_S, breakdown, commits / wall)
    finally:
        program.stop()


# -- the tools -------------------------------------------------------------------------------------------

def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("RCMD_TUI_", "PG"))}


def console_on(dsn: str, redis_url: str, tmp: Path, command: str, *shown: str) -> PtyProgram:
    """rcmd-tui as an on-call engineer opens it: the home screen, then ``command``, until each of ``shown`` is on
    the screen."""
    profile = Profile(name="bench", rcmd=PgTarget(dsn), rcmd_redis_url=redis_url, role="oncall",
                      keyring=KeyringSettings("rcmd-tui-bench", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                              str(tmp / "keyring.cfg")))
    config = tmp / "config.toml"
    config.write_text(profile_to_toml(profile), encoding="utf-8")
    program = PtyProgram([sys.executable, "-m", "rcmd_tui", "--config", str(config)], _clean_env())
    try:
        program.wait_for("rcmd-tui │")
        program.pump(1)
        program.type(command + "\r")
        for text in shown:
            program.wait_for(text)
    except BaseException:
        program.stop()
        raise
    return program


def console(servers: launcher.Servers, password: str, tmp: Path) -> PtyProgram:
    """`:monitor`, live from the start, every 2 s (the statements listed below show it), the load's sessions listed."""
    return console_on(_role_dsn(servers, ROLES["console"], password), servers.redis.url(), tmp, ":monitor",
                      "RCMD activity", "pgbench")


def pg_activity(servers: launcher.Servers, password: str, venv: Path, remote: bool) -> PtyProgram:
    conninfo = (f"host={servers.pg.host} port={servers.pg.port} dbname={DATABASE} user={ROLES['pg_activity']} "
                f"password={password}")
    cmd = ([str(venv / "bin" / "python"), "-c", REMOTE_PG_ACTIVITY] if remote else [str(venv / "bin" / "pg_activity")])
    program = PtyProgram([*cmd, "--refresh", f"{REFRESH_S:g}", conninfo], _clean_env())
    try:
        program.wait_for("pgbench")  # its process list, with the load's sessions in it
    except BaseException:
        program.stop()
        raise
    return program


def textual_floor(repaint: bool) -> PtyProgram:
    program = PtyProgram([sys.executable, "-m", "bench.textual_floor", *([] if repaint else ["--idle"])], _clean_env())
    try:
        program.wait_for("floor" if not repaint else "   29 ")
    except BaseException:
        program.stop()
        raise
    return program


def pg_activity_version(venv: Path) -> str | None:
    binary = venv / "bin" / "pg_activity"
    if not binary.exists():
        return None
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


@contextlib.contextmanager
def load(pgbench: Path, dsn: str, clients: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """pgbench running until the block ends (its -T is only a bound in case this process is killed)."""
    with log.open("wb") as out:
        proc = subprocess.Popen([str(pgbench), "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
                                 "-T", "3600", dsn], stdout=out, stderr=subprocess.STDOUT)
    try:
        time.sleep(2)  # its connections are up
        if proc.poll() is not None:
            raise RuntimeError(f"pgbench exited (exit {proc.returncode}): {log.read_text(errors='replace')[-600:]}")
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait()


# -- output ----------------------------------------------------------------------------------------------

def _cpu(m: Measured) -> str:
    return "-" if m.cpu_pct is None else f"{m.cpu_pct:5.2f}%"


def _per_refresh(m: Measured) -> str:
    if m.per_refresh is None:
        return "-"
    return f"{m.per_refresh:5.2f} ({m.statements} in {m.refreshes:.0f}; pg_stat_activity read {m.activity_reads} times)"


def _ratio(theirs: float | None, ours: float | None) -> str:
    if theirs is None or ours is None:
        return "-"
    return f"{theirs / ours:.1f}x" if ours > 0 else "ours is 0"


def _verdict(ok: bool | None) -> str:
    return "NOT JUDGED" if ok is None else "met" if ok else "MISSED"


def _floor(ours: Measured, floors: list[Measured]) -> None:
    if not floors:
        return
    print("  the floor under any Textual console (bench/textual_floor.py, no I/O; CPU only):")
    for f in floors:
        if f.problem:
            print(f"    {f.name}: NOT MEASURED: {f.problem}")
        else:
            print(f"    {f.name}: CPU {_cpu(f)} of one core; rcmd-tui / it: {_ratio(ours.cpu_pct, f.cpu_pct)}")


def _goals(ours: Measured, baselines: list[Measured]) -> str:
    assert ours.cpu_pct is not None
    cpu = [b.cpu_pct for b in baselines if b.cpu_pct is not None]
    statements = [b.per_refresh for b in baselines if b.per_refresh is not None]
    ours_n = ours.per_refresh
    cpu_below = all(ours.cpu_pct < c for c in cpu) if cpu else None
    statements_below = None if ours_n is None or not statements else all(ours_n < n for n in statements)
    not_counted = "not counted: pg_stat_statements is not loaded on this server"
    lines = [
        f"CPU under {TARGET_CPU_PCT:g}% of one core: {ours.cpu_pct:.2f}%: {_verdict(ours.cpu_pct < TARGET_CPU_PCT)}",
        f"at most {TARGET_STATEMENTS:g} statements per refresh: "
        + (f"{ours_n:.2f}: {_verdict(ours_n <= TARGET_STATEMENTS)}" if ours_n is not None else not_counted),
        f"CPU below pg_activity: {ours.cpu_pct:.2f}% against {' and '.join(f'{c:.2f}%' for c in cpu) or 'no baseline'}: "
        f"{_verdict(cpu_below)}",
        "statements per refresh below pg_activity: "
        + (f"{ours_n:.2f} against {' and '.join(f'{n:.2f}' for n in statements) or 'no baseline'}: {_verdict(statements_below)}"
           if ours_n is not None else not_counted),
    ]
    both = None if cpu_below is None or statements_below is None else cpu_below and statements_below
    lines.append(f"below pg_activity on both: {_verdict(both)}")
    return "\n".join(f"    {line}" for line in lines)


def report(ours: Measured, baselines: list[Measured], floors: list[Measured], window: float, clients: int,
           scale: int) -> None:
    print(f"monitoring a server under pgbench -c {clients} (scale {scale}) at a {REFRESH_S:g} s refresh, "
          f"{window:g} s window each, {COLUMNS}x{LINES} pty")
    print(f"  CPU: utime + stime of the tool's process tree from /proc/<pid>/stat (1/{TICK} s ticks) over the window, "
          f"as % of one core")
    print(f"  statements: pg_stat_statements reset for the tool's own role (pg_monitor) before the window; the sum of its "
          f"calls after it, / (window / {REFRESH_S:g} s)")
    width = max(len(m.name) for m in (ours, *baselines))
    for m in (ours, *baselines):
        if m.problem:
            print(f"  {m.name:<{width}} NOT MEASURED: {m.problem}")
            continue
        print(f"  {m.name:<{width}} CPU {_cpu(m)} of one core | statements per refresh {_per_refresh(m)} "
              f"| load meanwhile {m.tps:,.0f} tps")
        if not m.refreshed_as_asked:
            print(f"  {'':<{width}} WARNING: it did not refresh every {REFRESH_S:g} s (pg_stat_activity read "
                  f"{m.activity_reads} times, {m.refreshes:.0f} expected): its figures are not those of a live view")
    measured = [b for b in baselines if not b.problem]
    for b in measured:
        print(f"  {b.name} / rcmd-tui: CPU {_ratio(b.cpu_pct, ours.cpu_pct)}, "
              f"statements {_ratio(b.per_refresh, ours.per_refresh)}")
    if not ours.problem:
        _floor(ours, floors)
        print("  goals (issue 12):")
        if not ours.refreshed_as_asked:
            print(f"    NOT JUDGED: the console's view did not refresh every {REFRESH_S:g} s in the window")
        else:
            print(_goals(ours, measured))
    print("  statements each sent in its window (pg_stat_statements, calls per statement; texts cut):")
    for m in [m for m in (ours, *measured) if not m.problem]:
        print(f"    {m.name}:")
        for calls, query in m.breakdown:
            print(f"      {calls:5d}  {query[:100]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-venv", type=Path, default=Path(".venv-bench"), help="the venv holding pg_activity")
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured per tool")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds each tool runs on its screen first")
    parser.add_argument("--scale", type=int, default=5, help="pgbench -i -s")
    parser.add_argument("--clients", type=int, default=4, help="pgbench -c")
    parser.add_argument("--only", choices=("console", "pg_activity"),
                        help="measure that tool alone (while iterating: the goals need both)")
    args = parser.parse_args()
    bindir = launcher.find_pg_bindir()
    pgbench = bindir / "pgbench" if (bindir / "pgbench").exists() else Path(shutil.which("pgbench") or "pgbench")
    version = pg_activity_version(args.baseline_venv)
    password = secrets.token_urlsafe(12)
    with launcher.running() as servers, tempfile.TemporaryDirectory() as tmp:
        counting = prepare(servers, pgbench, args.scale, password)
        admin = servers.pg.dsn(DATABASE)
        with load(pgbench, admin, args.clients, Path(tmp) / "pgbench.log"):
            ours = (Measured(OURS, problem="left out (--only pg_activity)") if args.only == "pg_activity" else
                    measure(OURS, ROLES["console"], console(servers, password, Path(tmp)), admin, args.window,
                            args.settle, counting))
            baselines = []
            for remote, label in ((False, "on the server's host, reads /proc too"), (True, "from another host, SQL only")):
                if args.only == "console":
                    break
                name = f"{version or 'pg_activity'} ({label})"
                if version is None:
                    baselines.append(Measured(name, problem=f"pg_activity is not installed in {args.baseline_venv} "
                                                            f"(make bench installs it there)"))
                    continue
                try:
                    program = pg_activity(servers, password, args.baseline_venv, remote)
                except RuntimeError as exc:
                    baselines.append(Measured(name, problem=f"pg_activity did not run: {exc}"))
                    continue
                baselines.append(measure(name, ROLES["pg_activity"], program, admin, args.window, args.settle, counting))
            floors = []
            for repaint, label in ((False, "idle"), (True, f"repainting {30} lines every {REFRESH_S:g} s")):
                if args.only == "pg_activity":
                    break
                name = f"bare Textual app, {label}"
                try:
                    floors.append(measure(name, "", textual_floor(repaint), admin, args.window, args.settle, False))
                except RuntimeError as exc:
                    floors.append(Measured(name, problem=str(exc)))
    report(ours, baselines, floors, args.window, args.clients, args.scale)


if __name__ == "__main__":
    main()
