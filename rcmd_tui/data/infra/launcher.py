"""Throwaway PostgreSQL and Redis servers for the demo, the suite and benchmarks.

Both servers run as children of this process in one private directory, listen on free
loopback ports only, and are stopped (and the directory removed) by :meth:`Servers.stop`,
at interpreter exit, or by the kernel when this process dies (``PR_SET_PDEATHSIG``).
PostgreSQL refuses to run as root, so as root it runs as an unprivileged system user.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rcmd_tui.errors import LauncherError

PG_SEARCH_DIRS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)
INSTALL_HINT_PG = (
    "install PostgreSQL 14 or newer (Debian/Ubuntu: apt-get install postgresql "
    "postgresql-contrib; Fedora: dnf install postgresql-server postgresql-contrib; "
    "macOS: brew install postgresql@16) or put its bin directory on PATH"
)
INSTALL_HINT_REDIS = (
    "install Redis 6 or newer (Debian/Ubuntu: apt-get install redis-server; "
    "Fedora: dnf install redis; macOS: brew install redis) or put redis-server on PATH"
)
UNPRIVILEGED_USERS = ("postgres", "nobody")
PR_SET_PDEATHSIG = 1


def _version_key(path: Path) -> tuple[int, ...]:
    digits = [int(part) for part in path.parts if part.isdigit()]
    return tuple(digits) or (0,)


def find_pg_bindir(search_path: str | None = None, patterns: tuple[str, ...] = PG_SEARCH_DIRS) -> Path:
    """The directory holding ``postgres`` and ``initdb``: PATH first, then the usual folders."""
    for name in ("postgres", "initdb"):
        found = shutil.which(name, path=search_path)
        if found:
            bindir = Path(found).resolve().parent
            if (bindir / "postgres").exists() and (bindir / "initdb").exists():
                return bindir
    candidates: list[Path] = []
    for pattern in patterns:
        candidates.extend(Path("/").glob(pattern.lstrip("/")))
    usable = [c for c in candidates if (c / "postgres").exists() and (c / "initdb").exists()]
    if not usable:
        raise LauncherError(f"no PostgreSQL server binaries (postgres, initdb) found: {INSTALL_HINT_PG}")
    return max(usable, key=_version_key)


def find_redis_server(search_path: str | None = None) -> Path:
    found = shutil.which("redis-server", path=search_path)
    if not found:
        raise LauncherError(f"no redis-server binary found: {INSTALL_HINT_REDIS}")
    return Path(found)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child after the uid switch, so the setting survives it.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise LauncherError(
        "running as root, and PostgreSQL refuses to run as root: create an unprivileged "
        "user named 'postgres' (useradd --system postgres) or run as a normal user"
    )


@dataclass(frozen=True, slots=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{dbname}"


@dataclass(frozen=True, slots=True)
class RedisServer:
    host: str
    port: int
    password: str

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@{self.host}:{self.port}/{db}"


@dataclass
class Servers:
    """A running pair; ``stop()`` is idempotent and safe from signal handlers and atexit."""

    root: Path
    pg: PgServer
    redis: RedisServer
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _stopped: bool = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for proc in reversed(self.processes):
            if proc.poll() is None:
                # SIGINT is PostgreSQL's fast shutdown; redis-server exits on it too.
                proc.send_signal(signal.SIGINT)
        for proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    @contextlib.contextmanager
    def outage(self, kind: str) -> Iterator[None]:
        """``kind`` ("postgres" or "redis") stopped for the block, then started again on the same port (PostgreSQL
        on the same data; Redis, which keeps none here, empty): a real outage for the fault tests."""
        index, port = (0, self.pg.port) if kind == "postgres" else (1, self.redis.port)
        proc = self.processes[index]
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        try:
            yield
        finally:
            user = _unprivileged_user()
            log = self.root / ("postgres.log" if kind == "postgres" else "redis.log")
            args = [str(a) for a in proc.args] if isinstance(proc.args, list | tuple) else [str(proc.args)]
            conf = Path(args[-1])
            if kind == "redis":  # its file held the password and was removed once it started
                _write_redis_conf(conf, port, self.redis.password, user)
            again = _spawn(args, user, log)
            self.processes[index] = again
            try:
                _wait_until(lambda: _tcp_open(port), again, kind, log)
            finally:
                if kind == "redis":
                    conf.unlink(missing_ok=True)

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _run(cmd: list[str], user: pwd.struct_passwd | None, log: Path) -> None:
    with log.open("ab") as out:
        result = subprocess.run(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-600:]
        raise LauncherError(f"{Path(cmd[0]).name} failed (exit {result.returncode}); log {log}: {tail}")


def _spawn(cmd: list[str], user: pwd.struct_passwd | None, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    try:
        return subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads exist yet at launch
            start_new_session=True,  # Ctrl-C in the terminal must not reach the servers first
        )
    finally:
        out.close()


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-800:]
            raise LauncherError(f"{what} exited during start-up (exit {proc.returncode}); log {log}: {tail}")
        if ready():
            return
        time.sleep(0.05)
    raise LauncherError(f"{what} did not accept connections within 30 s; log {log}")


def _tcp_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start_postgres(root: Path, bindir: Path, user: pwd.struct_passwd | None, servers: Servers) -> PgServer:
    data = root / "pg"
    password = secrets.token_urlsafe(18)
    pwfile = root / "pgpass.init"
    pwfile.write_text(password + "\n")
    if user:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    log = root / "postgres.log"
    log.touch()
    if user:
        os.chown(log, user.pw_uid, user.pw_gid)
    _run(
        [
            str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}", "--no-sync",
        ],
        user,
        log,
    )
    pwfile.unlink()
    has_pgss = any((bindir.parent / "lib").glob("pg_stat_statements.*")) or bool(
        list(Path("/usr/lib/postgresql").glob("*/lib/pg_stat_statements.so"))
    )
    for _attempt in range(5):
        port = free_port()
        cmd = [
            str(bindir / "postgres"), "-D", str(data), "-p", str(port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root}",
            # Throwaway data: durability buys nothing and costs the seeder minutes.
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_wal_size=4GB", "-c", "checkpoint_timeout=30min",
            "-c", "max_connections=200", "-c", "shared_buffers=256MB",
            "-c", "maintenance_work_mem=256MB", "-c", "log_min_messages=warning",
        ]
        if has_pgss:
            cmd += ["-c", "shared_preload_libraries=pg_stat_statements"]
        proc = _spawn(cmd, user, log)
        servers.processes.append(proc)
        try:
            _wait_until(lambda p=port: _tcp_open(p), proc, "PostgreSQL", log)  # type: ignore[misc]
        except LauncherError:
            if "could not bind" in log.read_text(errors="replace") and proc.poll() is not None:
                servers.processes.remove(proc)
                continue
            raise
        return PgServer("127.0.0.1", port, "postgres", password)
    raise LauncherError(f"PostgreSQL could not bind a free loopback port after 5 tries; log {log}")


def _write_redis_conf(conf: Path, port: int, password: str, user: pwd.struct_passwd | None) -> None:
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave \"\"\n"
        f"appendonly no\ndir {conf.parent}\nlogfile {conf.parent / 'redis.log'}\ndatabases 64\n"
    )
    if user:
        os.chown(conf, user.pw_uid, user.pw_gid)


def _start_redis(root: Path, binary: Path, user: pwd.struct_passwd | None, servers: Servers) -> RedisServer:
    password = secrets.token_urlsafe(18)
    log = root / "redis.log"
    log.touch()
    if user:
        os.chown(log, user.pw_uid, user.pw_gid)
    conf = root / "redis.conf"
    for _attempt in range(5):
        port = free_port()
        _write_redis_conf(conf, port, password, user)
        proc = _spawn([str(binary), str(conf)], user, log)
        servers.processes.append(proc)
        try:
            _wait_until(lambda p=port: _tcp_open(p), proc, "Redis", log)  # type: ignore[misc]
        except LauncherError:
            if proc.poll() is not None and "Address already in use" in log.read_text(errors="replace"):
                servers.processes.remove(proc)
                continue
            raise
        conf.unlink()  # holds the password
        return RedisServer("127.0.0.1", port, password)
    raise LauncherError(f"Redis could not bind a free loopback port after 5 tries; log {log}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(prefix: str = "rcmd-tui-") -> list[Path]:
    """Remove directories left by launchers that were killed outright (their servers died with them)."""
    removed = []
    for root in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        owner = root / "owner.pid"
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed


def start(*, search_path: str | None = None, prefix: str = "rcmd-tui-") -> Servers:
    """Start PostgreSQL and Redis; the caller owns the result and must ``stop()`` it."""
    sweep_stale(prefix)
    bindir = find_pg_bindir(search_path)
    redis_binary = find_redis_server(search_path)
    user = _unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o700)
    (root / "owner.pid").write_text(str(os.getpid()))
    if user:
        os.chown(root, user.pw_uid, user.pw_gid)
    servers = Servers(root=root, pg=PgServer("", 0, "", ""), redis=RedisServer("", 0, ""))
    atexit.register(servers.stop)
    try:
        servers.pg = _start_postgres(root, bindir, user, servers)
        servers.redis = _start_redis(root, redis_binary, user, servers)
    except BaseException:
        servers.stop()
        raise
    return servers


@contextlib.contextmanager
def running(**kwargs: str) -> Iterator[Servers]:
    servers = start(**kwargs)
    try:
        yield servers
    finally:
        servers.stop()
