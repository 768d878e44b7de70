"""Export every row of a list that matches its filter, streamed from its row source so memory stays flat
however many rows there are. Encrypted fields are exported masked, never in clear.

The rows go into a hidden file of an unpredictable name beside the target, created exclusively and 0600
from the start (audit trails and user lists are not for every local account; a file or symlink planted at
a known name is neither reused nor followed). Only the complete file takes the target's name, and an
existing target is replaced only when asked; a cancelled or failed export leaves nothing behind.

Control characters, bidirectional overrides and invisible characters are escaped unless ``raw`` is asked
for: a person who prints the file with ``cat`` must not have the terminal run what the database held.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import stat
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from rcmd_tui.data.infra.files import create_private
from rcmd_tui.data.lists.format import typed
from rcmd_tui.data.lists.sources import RowSource
from rcmd_tui.data.lists.spec import ListSpec, Record
from rcmd_tui.errors import RcmdError
from rcmd_tui.text import escape_controls

Format = Literal["csv", "json"]
BATCH = 2000
_FORMULA = frozenset("=+-@")  # what a spreadsheet runs; fullwidth and small forms fold onto these (NFKC)
_FORMULA_START = ("\t", "\r")  # OWASP: a cell starting with these is guarded whatever follows


class ExportError(RcmdError):
    title = "Export"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int
    cancelled: bool


def exported(spec: ListSpec, name: str, value: Any) -> Any:
    return typed(spec.column(name), value)


def _is_formula(text: str) -> bool:
    """Would a spreadsheet run this cell? Spreadsheets skip leading blanks (a space, a newline) and read the
    fullwidth ＝ ＋ － ＠ as the ASCII ones; invisible format characters hide nothing either."""
    if text.startswith(_FORMULA_START):
        return True
    first = next((ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf"), "")
    return first != "" and unicodedata.normalize("NFKC", first)[:1] in _FORMULA


def csv_cell(value: Any, raw: bool = False) -> str:
    """A spreadsheet must not run a cell as a formula (OWASP CSV injection): such text gets a leading '.
    Booleans read as the screen shows them (yes, no). Unless ``raw``, control characters are escaped as the
    screen shows them (``\\x1b``, ``<U+202E>``), never cut."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    stored = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    text = stored if raw else escape_controls(stored, sys.maxsize)
    # Judged on the value as stored too: escaped, "\n=cmd" is inert, but it was written to be a formula.
    return "'" + text if _is_formula(stored) or _is_formula(text) else text


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the basic plane JSON spells a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_inert(text: str) -> str:
    """JSON text whose every non-printable character (C1 controls, DEL, bidirectional overrides, invisible
    characters; json.dumps leaves these raw) is a \\u escape: the same value to a parser, inert in a
    terminal, and every other letter still readable (ensure_ascii would spell é as \\u00e9 too)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _json_escape(ch) for ch in text)


class RowWriter:
    """CSV (a header of labels) or a JSON array of objects (field names as keys, typed values)."""

    def __init__(self, out: IO[str], fmt: Format, spec: ListSpec, columns: Sequence[str], raw: bool = False) -> None:
        self.out, self.fmt, self.spec, self.columns, self.raw = out, fmt, spec, list(columns), raw
        self.first = True
        if fmt == "csv":
            self.csv = csv.writer(out)
            self.csv.writerow([spec.column(c).label for c in self.columns])
        else:
            out.write("[")

    def _json(self, values: dict[str, Any]) -> str:
        text = json.dumps(values, ensure_ascii=False, default=str)
        return text if self.raw else json_inert(text)

    def rows(self, records: Sequence[Record]) -> None:
        for r in records:
            values = [exported(self.spec, c, r.get(c)) for c in self.columns]
            if self.fmt == "csv":
                self.csv.writerow([csv_cell(v, self.raw) for v in values])
            else:
                self.out.write(("\n" if self.first else ",\n") + self._json(dict(zip(self.columns, values, strict=True))))
                self.first = False

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if not self.first else "]\n")


def _exists(path: Path) -> ExportError:
    return ExportError(f"{path} exists", "confirm to replace it, or choose another name")


def check_target(path: Path, replace: bool = False) -> None:
    """Refuses a target that is a symlink (whatever it points to, the export would not land where the name
    says), a directory, or an existing file unless ``replace``."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}", "choose a directory you may write to") from None
    if stat.S_ISLNK(st.st_mode):
        raise ExportError(f"{path} is a symlink; choose another name", "an export never writes through a symlink")
    if stat.S_ISDIR(st.st_mode):
        raise ExportError(f"{path} is a directory", "add a file name ending .csv or .json")
    if not replace:
        raise _exists(path)


def _open_partial(path: Path) -> tuple[int, Path]:
    """The hidden file the rows go into, beside the target (so the final rename stays on one file system),
    of a name no one can guess and plant a file or symlink at beforehand."""
    partial = path.with_name(f".{path.name[:100]}.{secrets.token_hex(8)}.partial")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return create_private(partial), partial
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}", "choose a directory you may write to") from None


def _publish(partial: Path, path: Path, replace: bool) -> None:
    """The complete file takes the target's name. Without ``replace`` only a name still free: a hard link
    fails if a file (or symlink) took it meanwhile, where a rename would overwrite it."""
    check_target(path, replace)
    try:
        if replace:
            os.replace(partial, path)
            return
        try:
            os.link(partial, path, follow_symlinks=False)
        except FileExistsError:
            raise _exists(path) from None
        except OSError:  # a file system without hard links (FAT, some network shares): checked above, renamed
            os.replace(partial, path)
        else:
            partial.unlink()
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}", "choose a directory you may write to") from None


async def export(source: RowSource, columns: Sequence[str], path: Path, fmt: Format,
                 progress: Callable[[int], None] = lambda _n: None, cancelled: Callable[[], bool] = lambda: False,
                 batch: int = BATCH, *, replace: bool = False, raw: bool = False) -> ExportResult:
    """Every row of ``source`` into ``path``. An existing ``path`` is an ExportError unless ``replace``;
    ``raw`` writes control characters as stored instead of escaped."""
    check_target(path, replace)  # before the rows are read, not after minutes of them
    fd, partial = _open_partial(path)
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = RowWriter(out, fmt, source.spec, columns, raw)
            async with contextlib.aclosing(source.batches(batch)) as batches:
                async for records in batches:
                    writer.rows(records)
                    written += len(records)
                    progress(written)
                    if cancelled():
                        break
            writer.close()
        if cancelled():
            partial.unlink(missing_ok=True)
            return ExportResult(path, written, cancelled=True)
        _publish(partial, path, replace)
        return ExportResult(path, written, cancelled=False)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
