"""`rcmd-tui demo`: throwaway servers, migrated and seeded, a profile and keyring, then the console."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psycopg
from psycopg import sql

from rcmd_tui.config import KeyringSettings, PgTarget, Profile, profile_to_toml
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.demo.people import Person
from rcmd_tui.data.demo.seed import seed_profile
from rcmd_tui.data.infra import launcher, migrate

DEMO_DATABASES = ("rcmd", "ordersync")


@dataclass(frozen=True, slots=True)
class Demo:
    servers: launcher.Servers
    profile: Profile
    config_path: Path
    tips: str = ""  # what to try first: said on the home screen, where the lines printed before it are hidden


def tips_for(people: list[Person], live: bool) -> str:
    """The demo's first things to try, one line at 80 columns where it can."""
    tips = [f":timeline {people[0].username} (one person, both systems)"] if people else []
    tips.append(":locks (a lock wait every 15-30 s)" if live else ":audit os (decrypted, masked)")
    return "try " + " · ".join(tips)


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def prepare(scale: str = "small", *, progress: Callable[[str], None] = print, role: str = "admin",
            live: bool = False) -> Demo:
    """Start, migrate, seed and write a profile; the caller must ``demo.servers.stop()``."""
    progress("starting throwaway PostgreSQL and Redis ...")
    servers = launcher.start()
    try:
        with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
            for db in DEMO_DATABASES:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        for db in DEMO_DATABASES:
            with psycopg.connect(servers.pg.dsn(db)) as conn:
                migrate.migrate(conn, db, "public", progress=None)
        progress("migrated both systems")
        keyring_file = servers.root / "keyring.cfg"
        profile = Profile(
            name="demo",
            rcmd=PgTarget(dsn=servers.pg.dsn("rcmd")),
            rcmd_redis_url=servers.redis.url(0),
            ordersync=PgTarget(dsn=servers.pg.dsn("ordersync")),
            role=role,  # type: ignore[arg-type]
            banner="darkgreen",
            time_zone="Europe/Berlin",  # schedules' next runs then cross a daylight-saving change in spring and autumn
            keyring=KeyringSettings(service="rcmd-tui-demo",
                                    backend=f"{DemoFileKeyring.__module__}.{DemoFileKeyring.__qualname__}",
                                    file=str(keyring_file)),
        )
        people: list[Person] = []
        seed_profile(profile, scale, progress=progress, people_found=people)
        config_path = servers.root / "config.toml"
        config_path.touch(mode=0o600)
        config_path.write_text(profile_to_toml(profile))
        return Demo(servers, profile, config_path, tips_for(people, live))
    except BaseException:
        servers.stop()
        raise


def run(scale: str = "small", *, serve: bool = False, live: bool = False, read_only: bool = False) -> int:
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    demo = prepare(scale, live=live)
    simulator = None
    try:
        if live:
            from rcmd_tui.data.demo.live import Simulator  # noqa: PLC0415 - only with --live

            simulator = Simulator(demo.profile)
            simulator.start()
        if serve:
            print(f"demo servers are running; profile written to {demo.config_path}")
            print(f"  export RCMD_TUI_CONFIG={demo.config_path}")
            print(f"  psql '{demo.profile.rcmd.dsn if demo.profile.rcmd else ''}'")
            print("press Ctrl-C to stop them and remove their data", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
            return 0
        from rcmd_tui.app import make_app  # noqa: PLC0415 - keep `demo --serve` free of textual

        os.environ.setdefault("RCMD_TUI_CONFIG", str(demo.config_path))
        app = make_app(demo.profile, read_only=read_only, tips=demo.tips)
        result = app.run()
        return app.return_code or int(result or 0)  # a crash ends run() with None too: return_code tells it
    finally:
        if simulator is not None:
            simulator.stop()
        demo.servers.stop()
        sys.stdout.flush()
