"""`rcmd-tui keys`: list, generate, import, export, check. Printing only; the work is in data/crypto/keys.py."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rcmd_tui.config import Profile
from rcmd_tui.errors import RcmdError
from rcmd_tui.text import escape_controls

CHECK_STATEMENT_MS = 60_000  # a check samples every column of every table; a 5 s interactive limit is too tight


def add_parser(sub: Any) -> None:
    keys = sub.add_parser("keys", help="OrderSync encryption keys: list, generate, import, export, check")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    listing = keys_sub.add_parser("list", help="keys in encryption_keys and in the data, against the keyring")
    listing.add_argument("--exact", action="store_true", help="count every row (default: estimate big tables from a sample)")
    gen = keys_sub.add_parser("generate", help="a new key into the keyring and encryption_keys")
    gen.add_argument("--type", required=True, choices=("pii", "payment", "business"), dest="key_type")
    gen.add_argument("--no-activate", action="store_true", help="add it as ROTATING; leave the ACTIVE key as it is")
    exp = keys_sub.add_parser("export", help="write key material to a new file (0600), for moving to another machine")
    exp.add_argument("file", type=Path)
    exp.add_argument("key_ids", nargs="*", help="default: every key in encryption_keys")
    exp.add_argument("--yes", action="store_true", help="confirm: the file holds the keys in the clear")
    imp = keys_sub.add_parser("import", help="put keys from an export file into the keyring")
    imp.add_argument("file", type=Path)
    imp.add_argument("--replace", action="store_true", help="overwrite a different key under the same id")
    chk = keys_sub.add_parser("check", help="decrypt a sample of every key's rows; exit 1 on any failure")
    chk.add_argument("--sample", type=int, default=20, help="rows per key and column (default 20)")


def _warn(message: str) -> None:
    print(f"rcmd-tui: warning: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, profile: Profile, print_line: Callable[[str], None]) -> int:
    from rcmd_tui.data.crypto import keys  # noqa: PLC0415 - keep --help fast
    from rcmd_tui.data.crypto.decrypt import Decryptor  # noqa: PLC0415
    from rcmd_tui.data.crypto.keystore import KeyStore  # noqa: PLC0415
    from rcmd_tui.data.infra import connections  # noqa: PLC0415 - keep --help fast

    if profile.ordersync is None:
        raise RcmdError(f"profile {profile.name!r} has no OrderSync target", "configure ordersync.dsn")
    def out(line: str) -> None:  # key ids and failure details come from the database: never raw to a terminal
        print_line(escape_controls(line, 10_000))

    store = KeyStore(profile.keyring, timeout_s=profile.keyring_timeout_s)
    timeouts = profile.timeouts
    if args.keys_command == "check":
        timeouts = replace(timeouts, statement_ms=max(timeouts.statement_ms, CHECK_STATEMENT_MS))
    if args.keys_command in ("generate", "import") and (args.read_only or profile.read_only):
        raise RcmdError(f"'keys {args.keys_command}' writes, and this session is read-only",
                        "drop --read-only (or read_only in the profile) to manage keys")
    if args.keys_command == "export" and not args.yes:
        raise RcmdError(f"export writes key material in the clear to {args.file}",
                        "add --yes to confirm, keep the file off shared disks, and delete it after the import")
    with connections.connect("ordersync", profile.ordersync, timeouts, read_only=False, app_suffix="-keys") as conn:
        if args.keys_command == "list":
            return _list(keys.usage(conn, store, exact=args.exact), store, out)
        if args.keys_command == "generate":
            info = keys.generate(conn, profile, store, args.key_type, activate=not args.no_activate)
            out(f"generated {info.key_id} ({info.status}); keyring service {profile.keyring.service!r}")
            return 0
        if args.keys_command == "export":
            _warn(f"{args.file} will hold key material in the clear: move it safely and delete it after the import")
            ids = args.key_ids or sorted(keys.catalog(conn))
            written = keys.export_keys(conn, profile, store, ids, args.file)
            out(f"exported {len(written)} keys to {args.file} (mode 0600)")
            return 0
        if args.keys_command == "import":
            imported, same = keys.import_keys(conn, profile, store, args.file, replace_existing=args.replace)
            out(f"imported {len(imported)} keys, {len(same)} already present")
            _warn(f"delete {args.file} now that its keys are in the keyring")
            return 0
        catalog = keys.catalog(conn)
        reports = keys.check(conn, Decryptor(store, catalog, profile.aad, retired=profile.retired_keys), args.sample)
        return _check(reports, out)


def _list(usage: list[Any], store: Any, out: Callable[[str], None]) -> int:
    out(f"{'KEY ID':<28} {'TYPE':<9} {'VER':>3}  {'STATUS':<9} {'KEYRING':<8} {'ROWS':>12}")
    estimated = False
    for u in usage:
        keyring = {True: "present", False: "MISSING", None: "locked"}[u.in_keyring]
        rows = f"{'~' if u.estimated else ''}{u.rows:,}"
        estimated |= u.estimated
        out(f"{u.key_id:<28} {u.key_type or '?':<9} {u.version if u.version is not None else '?':>3}  {u.status:<9} "
            f"{keyring:<8} {rows:>12}")
    if estimated:
        out("~ estimated from a sample of the big tables; --exact counts every row")
    problem = store.status()
    if problem is not None:
        out(f"keyring: {problem}")
    return 0


def _check(reports: list[Any], out: Callable[[str], None]) -> int:
    out(f"{'KEY ID':<28} {'STATUS':<9} {'SAMPLED':>8} {'OK':>6} {'FAILED':>7}  FAILURES")
    failed = 0
    for r in reports:
        kinds = ", ".join(f"{kind.value}: {n}" for kind, n in r.failures.most_common())
        out(f"{r.key_id:<28} {r.status:<9} {r.sampled:>8} {r.ok:>6} {r.failed:>7}  {kinds}")
        if r.example:
            out(f"{'':<28} first: {r.example}")
        failed += r.failed
    out(f"{'failures: ' + str(failed) if failed else 'every sampled value decrypted'}")
    return 1 if failed else 0
