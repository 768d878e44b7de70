"""Command line: the console by default, plus `db`, `keys`, `check` and `demo`.

Every failure a person can cause or fix ends here as one line on stderr naming the target and
what to check, with exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rcmd_tui import __version__, keys_cli
from rcmd_tui.config import Appearance, Profile, load_profile
from rcmd_tui.data.infra.redact import redact
from rcmd_tui.errors import RcmdError, TargetError

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rcmd-tui",
        description="A keyboard-driven console for RCMD and OrderSync (PostgreSQL and Redis).",
        epilog="Without a command, opens the console. Configuration: docs/configuration.md.",
    )
    parser.add_argument("--version", action="version", version=f"rcmd-tui {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default $XDG_CONFIG_HOME/rcmd-tui/config.toml)")
    parser.add_argument("--profile", help="profile name in the config file")
    parser.add_argument("--read-only", action="store_true", help="hide and refuse every action that writes")
    parser.add_argument("--allow-unreachable", action="store_true",
                        help="open the console even when a target is down (it shows as DOWN)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = sub.add_parser("db", help="migrate, seed or maintain the databases of a profile")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    migrate_p = db_sub.add_parser("migrate", help="apply pending schema migrations")
    migrate_p.add_argument("--system", choices=("rcmd", "ordersync", "all"), default="all")
    seed_p = db_sub.add_parser("seed", help="fill both systems with demo data")
    seed_p.add_argument("--scale", choices=("small", "large"), default="small")
    seed_p.add_argument("--reset", action="store_true", help="delete every row (and RCMD's Redis keys) first")
    db_sub.add_parser("maintain", help="create audit partitions ahead and run the retention functions")

    sub.add_parser("check", help="check every target of the profile; exit 2 if any is down")
    rep = sub.add_parser("report", help="any list the console shows, headless: table, JSON or CSV",
                         description="Run a list of the console without it: the same filter language, masked values "
                                     "and error lines. 'rcmd-tui report --list' names the views.")
    rep.add_argument("view", nargs="?", help="a view, e.g. audit, users (a unique prefix is enough)")
    rep.add_argument("system", nargs="?", help="rcmd (default) or ordersync (os)")
    rep.add_argument("--list", action="store_true", help="name every view with its system and exit")
    rep.add_argument("--filter", default=None, metavar="EXPR",
                     help="the console's filter language, e.g. 'status:failed since:7d' (default: the view's own, "
                          "e.g. activity hides idle sessions; --filter '' shows every row)")
    rep.add_argument("--format", choices=("table", "json", "csv"), default="table")
    rep.add_argument("--limit", type=int, default=100, metavar="N", help="at most N rows (default 100; 0: every row)")
    rep.add_argument("--raw", action="store_true", help="csv, json: control characters as stored, not escaped (a table always is)")
    rep.add_argument("--watch", type=float, default=None, metavar="S",
                     help="run it again every S seconds until interrupted, like watch (a table redraws in place)")
    keys_cli.add_parser(sub)

    demo = sub.add_parser("demo", help="open the console on throwaway, seeded PostgreSQL and Redis")
    demo.add_argument("--scale", choices=("small", "large"), default="small")
    demo.add_argument("--serve", action="store_true",
                      help="do not open the console: keep the servers running and print the profile")
    demo.add_argument("--live", action="store_true", help="simulate activity: jobs, orders, logins, slow queries, locks")
    demo.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                      help="hide and refuse every action (as the global flag)")
    return parser


def _print(message: str) -> None:
    print(message, flush=True)


def textual_appearance() -> Appearance:
    """What Textual can draw; imported here, not at the top, to keep --help fast."""
    from rcmd_tui.widgets.appearance import textual_appearance as drawn  # noqa: PLC0415

    return drawn()


def _profile(args: argparse.Namespace) -> Profile:
    return load_profile(args.config, args.profile, appearance=textual_appearance())


def _cmd_migrate(args: argparse.Namespace) -> int:
    from rcmd_tui.data.infra import connections, migrate  # noqa: PLC0415 - keep --help fast

    profile = _profile(args)
    systems = ("rcmd", "ordersync") if args.system == "all" else (args.system,)
    total = 0
    for system in systems:
        target = profile.rcmd if system == "rcmd" else profile.ordersync
        if target is None:
            if args.system != "all":
                raise RcmdError(f"profile {profile.name!r} has no {system} target", f"configure {system}.dsn")
            continue
        with connections.connect(system, target, profile.timeouts, read_only=False, app_suffix="-migrate") as conn:
            applied = migrate.migrate(conn, system, target.schema, progress=_print)
        total += len(applied)
        if not applied:
            _print(f"{system}: up to date")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from rcmd_tui.data.demo.seed import seed_profile  # noqa: PLC0415

    seed_profile(_profile(args), args.scale, reset=args.reset, progress=_print)
    return 0


# (label, statement): a statement returns a count where its function does; the seed's void ones do not.
MAINTENANCE = {
    "rcmd": (("audit partitions created", "SELECT ensure_audit_partitions(CURRENT_DATE, 3)"),
             ("expired sessions removed", "SELECT cleanup_expired_sessions()"),
             ("old job logs removed", "SELECT cleanup_old_job_logs()")),
    "ordersync": (("audit partitions created", "SELECT ensure_audit_partitions(CURRENT_DATE, 3)"),
                  ("expired sessions cleaned", "SELECT cleanup_expired_sessions()"),
                  ("expired anonymous orders cancelled", "SELECT expire_anonymous_orders()"),
                  ("old login attempts cleaned", "SELECT cleanup_old_login_attempts()")),
}


def _cmd_maintain(args: argparse.Namespace) -> int:
    from rcmd_tui.data.infra import connections  # noqa: PLC0415

    profile = _profile(args)
    for system, target in (("rcmd", profile.rcmd), ("ordersync", profile.ordersync)):
        if target is None:
            continue
        done = []
        with connections.connect(system, target, profile.timeouts, read_only=False, app_suffix="-maintain") as conn:
            conn.autocommit = True  # each function commits on its own, as a cron job would run it
            for label, statement in MAINTENANCE[system]:
                row = conn.execute(statement).fetchone()
                count = row[0] if row else None
                done.append(f"{label}: {count}" if isinstance(count, int) else label)
        _print(f"{system}: " + "; ".join(done))
    return 0


def _preflight(profile: Profile) -> list[TargetError]:
    from rcmd_tui.data.infra.health import check_all_sync  # noqa: PLC0415

    return [TargetError(h.target, h.where, h.error, h.hint) for h in check_all_sync(profile) if not h.ok]


def _cmd_check(args: argparse.Namespace) -> int:
    from rcmd_tui.data.infra.health import check_all_sync  # noqa: PLC0415

    worst = 0
    for h in check_all_sync(_profile(args)):
        if h.ok:
            _print(f"{h.target} ({h.where}): up, {h.kind} {h.version}, {h.role}, {h.latency_ms:.1f} ms")
        else:
            print(f"rcmd-tui: {h.target} ({h.where}): {h.error}; {h.hint}", file=sys.stderr)
            worst = EXIT_USAGE
    return worst


def _cmd_report(args: argparse.Namespace) -> int:
    from rcmd_tui import report_cli  # noqa: PLC0415 - keep --help fast

    return report_cli.run(args, _profile, _preflight, _print)


def _cmd_console(args: argparse.Namespace) -> int:
    profile = _profile(args)
    if not args.allow_unreachable:
        failures = _preflight(profile)
        if failures:
            for failure in failures:
                print(f"rcmd-tui: {redact(str(failure))}", file=sys.stderr)
            return EXIT_USAGE
    from rcmd_tui.app import make_app  # noqa: PLC0415

    app = make_app(profile, read_only=args.read_only)
    result = app.run()
    # A crash ends run() with None, as a plain quit does: only return_code (1 after an unhandled exception,
    # whose traceback Textual has printed) tells them apart.
    return app.return_code or int(result or 0)


def _cmd_demo(args: argparse.Namespace) -> int:
    from rcmd_tui import demo  # noqa: PLC0415

    return demo.run(args.scale, serve=args.serve, live=args.live, read_only=args.read_only)


def _quiet_libraries() -> None:
    # Every failure here ends as one line of ours; psycopg's own warnings ("error ignored in rollback" when
    # Ctrl+C stops a demo mid-seed) would add lines a person cannot act on.
    psycopg_log = logging.getLogger("psycopg")
    psycopg_log.addHandler(logging.NullHandler())
    psycopg_log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _quiet_libraries()
    handlers = {"check": _cmd_check, "demo": _cmd_demo, "report": _cmd_report}
    try:
        if args.command == "keys":
            return keys_cli.run(args, _profile(args), _print)
        if args.command == "db":
            handler = {"migrate": _cmd_migrate, "seed": _cmd_seed, "maintain": _cmd_maintain}[args.db_command]
            return handler(args)
        return handlers.get(args.command, _cmd_console)(args)
    except RcmdError as err:
        print(f"rcmd-tui: {redact(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("rcmd-tui: interrupted", file=sys.stderr)
        return 130
