"""`rcmd-tui report`: printing only; the work is in data/lists/report.py."""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import sys
import time
from collections.abc import Callable
from typing import IO, cast

from rich.cells import cell_len, set_cell_size

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import all_views, find_view
from rcmd_tui.data.lists.report import report
from rcmd_tui.data.lists.spec import ListSpec, Merged, RedisKeys, Snapshot
from rcmd_tui.errors import RcmdError, TargetError


def _kind(spec: ListSpec) -> str:
    if isinstance(spec.source, Snapshot):
        return "snapshot"
    if isinstance(spec.source, RedisKeys):
        return "redis keys"
    if isinstance(spec.source, Merged):
        return "merged from tables of both systems"
    return f"table {spec.source.name}"


def list_views(print_line: Callable[[str], None]) -> int:
    views = all_views()
    width = max(len(v.key) for v in views)
    for v in views:
        print_line(f"{v.key:<{width}}  {v.system:<9}  {v.title}  ({_kind(v)})")
    return 0


CLEAR = "\x1b[H\x1b[2J"


class Clipped(io.TextIOBase):
    r"""A terminal's lines cut at its width (by display cells), so a redrawn table never wraps.

    >>> out = io.StringIO()
    >>> _ = Clipped(out, 6).write("abcdefgh\nxy\n한국어입니다\n")
    >>> out.getvalue().splitlines()
    ['abcdef', 'xy', '한국어']
    """

    def __init__(self, out: IO[str], width: int) -> None:
        self.out, self.width, self.at = out, width, 0

    def write(self, text: str) -> int:
        for piece in text.splitlines(keepends=True):
            line, newline = piece.rstrip("\n"), piece.endswith("\n")
            room = self.width - self.at
            kept = set_cell_size(line, room) if cell_len(line) > room else line
            self.out.write(kept.rstrip() if cell_len(line) > room else kept)
            self.at = 0 if newline else self.at + cell_len(kept)
            if newline:
                self.out.write("\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


async def _once(services: Services, spec: ListSpec, args: argparse.Namespace, out: IO[str]) -> None:
    filter_text = spec.default_filter if args.filter is None else args.filter
    try:
        written, cut = await report(services, spec, filter_text, args.format, args.limit, out, raw=args.raw)
    except RcmdError:
        raise
    except Exception as exc:  # told as one line naming the target, like every other command
        raise describe(exc, spec.target, services.where(spec.target)) from None
    sys.stdout.flush()
    if cut:  # on stderr: the output stays what was asked for
        print(f"rcmd-tui: the first {written:,} rows; more match (--limit 0 prints them all)", file=sys.stderr)


async def _run(profile: Profile, spec: ListSpec, args: argparse.Namespace) -> int:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        if args.watch is None:
            await _once(services, spec, args, sys.stdout)
            return 0
        redraw = args.format == "table" and sys.stdout.isatty()
        out = cast(IO[str], Clipped(sys.stdout, shutil.get_terminal_size().columns)) if redraw else sys.stdout
        while True:  # until interrupted, as watch; each run is whole (a JSON array, a CSV with its header)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
            heading = f"Every {args.watch:g}s: rcmd-tui report {spec.command}    {stamp}"
            if args.format == "table":
                print((CLEAR if redraw else "") + heading + "\n", flush=True)
            await _once(services, spec, args, out)
            if not redraw:
                print(flush=True)
            await asyncio.sleep(args.watch)
    finally:
        await services.close()


def run(args: argparse.Namespace, load_profile: Callable[[argparse.Namespace], Profile],
        preflight: Callable[[Profile], list[TargetError]], print_line: Callable[[str], None]) -> int:
    if args.list:
        return list_views(print_line)
    if not args.view:
        raise RcmdError("report needs a view", "name one (rcmd-tui report --list shows them), e.g. rcmd-tui report audit")
    if args.watch is not None and not args.watch >= 0.2:
        raise RcmdError(f"--watch {args.watch:g}: too short an interval", "use at least 0.2 seconds, e.g. --watch 2")
    if args.limit < 0:
        raise RcmdError(f"--limit {args.limit}: not a number of rows", "use a whole number; 0 means every row")
    profile = load_profile(args)
    spec = find_view(" ".join(w for w in (args.view, args.system) if w), profile)
    down = [f for f in preflight(profile) if f.target == spec.target]
    if down:
        raise down[0]
    try:
        return asyncio.run(_run(profile, spec, args))
    except KeyboardInterrupt:  # the way out of --watch
        return 0
