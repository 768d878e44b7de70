"""`rcmd-tui report`: printing only; the work is in data/lists/report.py."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import all_views, find_view
from rcmd_tui.data.lists.report import report
from rcmd_tui.data.lists.spec import ListSpec, RedisKeys, Snapshot
from rcmd_tui.errors import RcmdError, TargetError


def _kind(spec: ListSpec) -> str:
    if isinstance(spec.source, Snapshot):
        return "snapshot"
    if isinstance(spec.source, RedisKeys):
        return "redis keys"
    return f"table {spec.source.name}"


def list_views(print_line: Callable[[str], None]) -> int:
    views = all_views()
    width = max(len(v.key) for v in views)
    for v in views:
        print_line(f"{v.key:<{width}}  {v.system:<9}  {v.title}  ({_kind(v)})")
    return 0


async def _run(profile: Profile, spec: ListSpec, args: argparse.Namespace) -> int:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        written, cut = await report(services, spec, args.filter, args.format, args.limit, sys.stdout, raw=args.raw)
    except RcmdError:
        raise
    except Exception as exc:  # told as one line naming the target, like every other command
        target = f"{spec.system}-redis" if isinstance(spec.source, RedisKeys) else spec.system
        raise describe(exc, target, services.where(target)) from None
    finally:
        await services.close()
    sys.stdout.flush()
    if cut:  # on stderr: the output stays what was asked for
        print(f"rcmd-tui: the first {written:,} rows; more match (--limit 0 prints them all)", file=sys.stderr)
    return 0


def run(args: argparse.Namespace, load_profile: Callable[[argparse.Namespace], Profile],
        preflight: Callable[[Profile], list[TargetError]], print_line: Callable[[str], None]) -> int:
    if args.list:
        return list_views(print_line)
    if not args.view:
        raise RcmdError("report needs a view", "name one (rcmd-tui report --list shows them), e.g. rcmd-tui report audit")
    if args.limit < 0:
        raise RcmdError(f"--limit {args.limit}: not a number of rows", "use a whole number; 0 means every row")
    profile = load_profile(args)
    spec = find_view(" ".join(w for w in (args.view, args.system) if w), profile)
    needed = f"{spec.system}-redis" if isinstance(spec.source, RedisKeys) else spec.system
    down = [f for f in preflight(profile) if f.target == needed]
    if down:
        raise down[0]
    return asyncio.run(_run(profile, spec, args))
