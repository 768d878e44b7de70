"""The filter bar's language, checked against a list's known fields and compiled to bound parameters.

    field=value  field!=value  field~text  field>value  field<value
    since:2h  until:2026-05-01  between:2026-05-01..2026-05-31  between:7d..2d
    status:failed            (a shorthand the list defines)
    anything else            free text (a table: the rows already loaded; a snapshot: all of it;
                             Redis keys: the SCAN glob; a timeline: the person it follows)

Each term compiles twice: to SQL with bound parameters (for a table) and to a predicate on records (for a
snapshot or Redis keys, filtered in memory). Values go to the server as parameters; only our own column
names and fixed expressions become SQL. Quoting follows the shell: action="LOGIN FAILED". Times without a
zone are UTC.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from rcmd_tui.data.lists.spec import FilterField, Kind, ListSpec, Record, Shorthand
from rcmd_tui.errors import RcmdError
from rcmd_tui.text import bytes_text

_DURATION = re.compile(r"^(\d+)(s|m|h|d|w|mo|y)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400, "y": 365 * 86400}
_OPERATORS = ("!=", ">=", "<=", "=", "~", ">", "<")
_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(!=|>=|<=|=|~|>|<)(.*)$", re.DOTALL)
_WORD_COLON = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)
TIME_WORDS = ("since", "until", "between")


class FilterError(RcmdError):
    title = "Filter"


Test = Callable[[Record], bool]


@dataclass(frozen=True, slots=True)
class UuidPrefix:
    """The short id the console shows (``9b59c94f``): every UUID that starts so, as a range the primary key's
    index serves (``id BETWEEN 9b59c94f-0000-… AND 9b59c94f-ffff-…``).

    >>> p = UuidPrefix.of("9b59c94f")
    >>> str(p.low), str(p.high)
    ('9b59c94f-0000-0000-0000-000000000000', '9b59c94f-ffff-ffff-ffff-ffffffffffff')
    >>> UuidPrefix.of("9b5"), UuidPrefix.of("not-hex!")
    (None, None)
    """

    digits: str
    low: uuid.UUID
    high: uuid.UUID

    @classmethod
    def of(cls, raw: str) -> UuidPrefix | None:
        digits = raw.replace("-", "").lower()
        if not 4 <= len(digits) < 32 or any(c not in "0123456789abcdef" for c in digits):
            return None
        return cls(digits, uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f")))

    def holds(self, value: Any) -> bool:
        return value is not None and str(value).replace("-", "").lower().startswith(self.digits)


@dataclass(frozen=True, slots=True)
class Lookup:
    """A name a term looks up (user=bob): if it finds nobody, an empty list can say so."""

    field: str
    raw: str
    query: str  # the field's resolve subquery, ours
    value: Any  # bound


@dataclass(frozen=True, slots=True)
class Spelling:
    """A term on a column of few values (action=login): if it matches nothing, recent values like it are
    worth naming (auth.login)."""

    field: str
    column: str
    raw: str


@dataclass(frozen=True, slots=True)
class Filter:
    """A compiled filter: a WHERE fragment with its parameters, the same terms as a predicate on records,
    and the free-text words."""

    text: str
    where: sql.Composable
    params: tuple[Any, ...]
    words: tuple[str, ...] = ()
    tests: tuple[Test, ...] = field(default=(), compare=False)
    lookups: tuple[Lookup, ...] = field(default=(), compare=False)
    spellings: tuple[Spelling, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.params and not self.words and self.where == EVERYTHING

    @property
    def has_terms(self) -> bool:
        return self.where is not EVERYTHING

    def test(self, record: Record) -> bool:
        return all(t(record) for t in self.tests)


EVERYTHING = sql.SQL("TRUE")
NO_FILTER = Filter("", EVERYTHING, ())


def parse_duration(text: str) -> timedelta | None:
    m = _DURATION.match(text.strip().lower())
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)]) if m else None


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A moment: a duration ago (2h, 6mo) or an ISO date or date-time (UTC unless it names a zone)."""
    now = now or datetime.now(UTC)
    text = text.strip()
    try:
        ago = parse_duration(text)
        if ago is not None:
            return now - ago
    except (OverflowError, ValueError):  # 100000y: before year 1, or too big for a duration
        raise FilterError(f"{text!r} is too far back", "use a duration within a few thousand years, e.g. 10y") from None
    if text.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(text.replace("T", " ") if "T" in text else text)
    except ValueError:
        raise FilterError(f"{text!r} is not a time",
                          "use a duration ago (90s, 15m, 2h, 7d, 2w, 6mo, 1y) or a date such as 2026-05-01 or '2026-05-01 13:30'") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class JumpError(FilterError):
    title = "Jump"


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def jump_moment(text: str, descending: bool, now: datetime | None = None) -> datetime:
    """Where ``t TEXT`` goes. A bare date means that whole day: newest first, its last moment (so the page
    starts with the day's newest row, not the day before's); oldest first, its first."""
    try:
        moment = parse_when(text, now)
    except FilterError as exc:
        raise JumpError(exc.message, exc.hint) from None
    if descending and _DATE_ONLY.match(text.strip()):
        return moment + timedelta(days=1) - timedelta(microseconds=1)
    return moment


def _value(f: FilterField, raw: str, op: str) -> Any:
    what = f"{f.name}{op}{raw}"
    if op == "~":
        if f.kind not in (Kind.TEXT, Kind.JSON, Kind.ENUM):
            raise FilterError(f"{what}: {f.name} is not text, so ~ does not apply", f"use {f.name}={raw}")
        if not raw:
            raise FilterError(f"{what}: nothing to look for", f"type some text after {f.name}~")
        return "%" + raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if op in (">", "<", ">=", "<=") and f.kind not in (Kind.INT, Kind.MONEY, Kind.COUNT, Kind.TIME, Kind.DURATION, Kind.FLOAT):
        raise FilterError(f"{what}: {f.name} cannot be compared with {op}", f"use {f.name}={raw}")
    if f.kind in (Kind.INT, Kind.MONEY, Kind.COUNT):
        try:  # an amount as it is shown (34,100) is taken as typed
            number = int(raw.replace(",", "").replace("_", "") if f.kind in (Kind.MONEY, Kind.COUNT) else raw)
        except ValueError:
            raise FilterError(f"{what}: {raw!r} is not a whole number", f"type a number after {f.name}{op}") from None
        # Bound beyond bigint, psycopg sends a numeric, and the comparison no longer uses the bigint index.
        if not -(2**63) <= number < 2**63:
            raise FilterError(f"{what}: {raw} is out of range for {f.name}", "no stored value is that large: check the number")
        return number
    if f.kind is Kind.TIME:
        return parse_when(raw)
    if f.kind is Kind.DURATION:
        span = parse_duration(raw)
        if span is None:
            raise FilterError(f"{what}: {raw!r} is not a duration", f"e.g. {f.name}{op}30s, {f.name}{op}5m or {f.name}{op}2h")
        return span
    if f.kind is Kind.FLOAT:
        try:
            return float(raw)
        except ValueError:
            raise FilterError(f"{what}: {raw!r} is not a number", f"e.g. {f.name}{op}100 or {f.name}{op}2.5") from None
    if f.kind is Kind.BOOL:
        lowered = raw.lower()
        if lowered not in ("true", "false", "yes", "no", "t", "f"):
            raise FilterError(f"{what}: {raw!r} is not true or false", f"use {f.name}=true or {f.name}=false")
        return lowered in ("true", "yes", "t")
    if f.kind is Kind.ENUM and f.values:
        canonical = next((v for v in f.values if v.lower() == raw.lower()), None)
        if canonical is None:
            raise FilterError(f"{what}: {raw!r} is not a {f.name}", "use one of: " + ", ".join(f.values))
        return canonical
    if f.kind is Kind.INET:
        try:
            return str(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            raise FilterError(f"{what}: {raw!r} is not an IP address or network", "use 10.0.0.7 or 10.0.0.0/8") from None
    if f.kind is Kind.UUID and f.resolve is None:
        try:
            return uuid.UUID(raw)
        except ValueError:
            prefix = UuidPrefix.of(raw) if op in ("=", "!=") else None
            if prefix is None:
                raise FilterError(f"{what}: {raw!r} is not a UUID or the start of one",
                                  "type the id, or its first characters as the console shows them (4 or more)") from None
            return prefix
    return raw


def _clause(f: FilterField, op: str, value: Any, raw: str) -> tuple[sql.Composable, list[Any]]:
    col: sql.Composable = sql.SQL(f.expr) if f.expr else sql.Identifier(f.column)
    if isinstance(value, UuidPrefix):
        return sql.SQL("{} {} %s AND %s").format(col, sql.SQL("NOT BETWEEN" if op == "!=" else "BETWEEN")), [value.low, value.high]
    if op == "~":
        return sql.SQL("{}::text ILIKE %s").format(col), [value]
    if f.kind is Kind.INET:
        inner = sql.SQL("{} <<= %s::inet").format(col)
        return (sql.SQL("NOT ({})").format(inner) if op == "!=" else inner), [value]
    if f.fold_case and op in ("=", "!="):
        # login finds LOGIN: the spellings a few-valued column uses, matched with = ANY so its index still serves.
        spellings = list(dict.fromkeys([str(value), str(value).upper(), str(value).lower()]))
        return sql.SQL("{} {} (%s)").format(col, sql.SQL("<> ALL" if op == "!=" else "= ANY")), [spellings]
    if f.kind is Kind.UUID and f.resolve is not None:
        try:
            given = uuid.UUID(raw)
            if f.resolve_id is not None:
                membership = sql.SQL("NOT IN" if op == "!=" else "IN")
                return sql.SQL("{} {} ({})").format(col, membership, sql.SQL(f.resolve_id)), [given]
            return sql.SQL("{} {} %s").format(col, sql.SQL(op)), [given]
        except ValueError:
            found = f.prepare(raw) if f.prepare else raw
            membership = sql.SQL("NOT IN" if op == "!=" else "IN")
            return sql.SQL("{} {} ({})").format(col, membership, sql.SQL(f.resolve)), [found]
    return sql.SQL("{} {} %s").format(col, sql.SQL(op)), [value]


def _lookup(f: FilterField, raw: str) -> list[Lookup]:
    if f.kind is not Kind.UUID or f.resolve is None:
        return []
    try:
        uuid.UUID(raw)
    except ValueError:
        return [Lookup(f.name, raw, f.resolve, f.prepare(raw) if f.prepare else raw)]
    return []


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return bytes_text(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _same(f: FilterField, have: Any, want: Any) -> bool:
    if have is None:
        return False
    if f.kind is Kind.INET:
        try:
            return ipaddress.ip_address(str(have).split("/")[0]) in ipaddress.ip_network(str(want), strict=False)
        except ValueError:
            return False
    if f.fold_case:
        return _text(have).lower() == _text(want).lower()
    if f.kind in (Kind.UUID, Kind.TEXT, Kind.ENUM):
        return _text(have) == _text(want)
    return bool(have == want)


def _test(f: FilterField, op: str, value: Any, raw: str) -> Test:
    """The term as a predicate on records: what a snapshot or Redis keys filter in memory."""
    if f.expr is not None:  # judged by the table's SQL, which alone can read the expression
        return lambda r: True
    name = f.column
    if op == "~":
        needle = raw.lower()
        return lambda r: r.get(name) is not None and needle in _text(r.get(name)).lower()
    if f.kind is Kind.UUID and f.resolve is not None:
        try:
            value = uuid.UUID(raw)
        except ValueError:
            value = raw  # a name: matched against the value as shown (no look-up in memory)
    if isinstance(value, UuidPrefix):
        negate = op == "!="
        return lambda r: value.holds(r.get(name)) is not negate
    if op in ("=", "!="):
        negate = op == "!="
        return lambda r: _same(f, r.get(name), value) is not negate
    compare: dict[str, Callable[[Any, Any], bool]] = {">": lambda a, b: a > b, "<": lambda a, b: a < b,
                                                      ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}
    check = compare[op]
    return lambda r: r.get(name) is not None and check(r.get(name), value)


def _time_test(spec: ListSpec, start: datetime | None, end: datetime | None) -> Test:
    name = spec.time_column or ""

    def test(r: Record) -> bool:
        moment = r.get(name)
        return moment is not None and (start is None or moment >= start) and (end is None or moment < end)

    return test


def _shorthand_test(s: Shorthand, values: tuple[str, ...]) -> Test:
    if s.expr is not None:  # judged by the table's SQL
        return lambda r: True
    wanted = {v.lower() for v in values}

    def test(r: Record) -> bool:
        have = r.get(s.column)
        text = ("true" if have else "false") if isinstance(have, bool) else _text(have).lower()
        return text in wanted

    return test


def _time_clause(spec: ListSpec, word: str, raw: str, now: datetime) -> tuple[sql.Composable, list[Any]]:
    if spec.time_column is None:
        raise FilterError(f"{word}:{raw}: this list has no time column", "filter on a field instead")
    try:
        return _time_bounds(spec.time_column, word, raw, now)
    except FilterError as exc:  # named with the term it came from, as every other filter error is
        named = exc.message if exc.message.startswith(f"{word}:") else f"{word}:{raw}: {exc.message}"
        raise FilterError(named, exc.hint) from None


def _time_bounds(column: str, word: str, raw: str, now: datetime) -> tuple[sql.Composable, list[Any]]:
    col = sql.Identifier(column)
    if word == "since":
        return sql.SQL("{} >= %s").format(col), [parse_when(raw, now)]
    if word == "until":
        return sql.SQL("{} < %s").format(col), [parse_when(raw, now)]
    start, sep, end = raw.partition("..")
    if not sep or not start or not end:
        raise FilterError(f"between:{raw}: expected two times joined by ..", "e.g. between:2026-05-01..2026-06-01 or between:7d..2d")
    a, b = sorted((parse_when(start, now), parse_when(end, now)))
    return sql.SQL("{} >= %s AND {} < %s").format(col, col), [a, b]


def _shorthand(s: Shorthand, raw: str) -> tuple[sql.Composable, list[Any]]:
    values = s.values.get(raw.lower())
    if values is None:
        raise FilterError(f"{s.name}:{raw}: unknown {s.name}", "use one of: " + ", ".join(s.values))
    col: sql.Composable = sql.SQL(s.expr) if s.expr else sql.Identifier(s.column)
    return sql.SQL("{} = ANY(%s)").format(col), [list(values)]


def field_names(spec: ListSpec) -> dict[str, FilterField]:
    """Each field by its name, and by the heading of the column it filters (``ok=`` for ``success=``)."""
    names = {f.name: f for f in spec.filters}
    for c in spec.columns:
        field = next((f for f in spec.filters if f.column == c.name), None)
        label = c.label.lower().replace(" ", "_")
        if field is not None and label.isidentifier() and label not in names:
            names[label] = field
    return names


def _example(f: FilterField) -> str:
    if f.values:
        return f.values[0]
    return {Kind.INT: "42", Kind.MONEY: "50000", Kind.COUNT: "1000", Kind.BOOL: "true", Kind.TIME: "2h",
            Kind.INET: "10.0.0.0/8", Kind.DURATION: "30s", Kind.FLOAT: "100", Kind.UUID: "<id>"}.get(f.kind, "…")


def known(spec: ListSpec) -> str:
    names = [f.name for f in spec.filters] + [s.name + ":" for s in spec.shorthands]
    if spec.time_column:
        names += ["since:", "until:", "between:"]
    return ", ".join(names)


def _no_spaced_operators(tokens: list[str], fields: dict[str, FilterField]) -> None:
    """``status = running`` (or ``status =running``, ``status= running``) is a field term with spaces in it, not
    three words to look for: say how to write it, rather than quietly searching for the words.

    >>> _no_spaced_operators(["status", "=", "running"], {"status": FilterField("status", "status")})
    Traceback (most recent call last):
    rcmd_tui.data.lists.filters.FilterError: status = running: no spaces around =; write status=running
    """
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        op = next((o for o in _OPERATORS if token.startswith(o)), None)
        if op is not None and before.lower() in fields:  # "status" then "=" or "=running"
            value = token[len(op):] or after
            said = " ".join(t for t in (before, token, after if not token[len(op):] else "") if t)
            raise FilterError(f"{said}: no spaces around {op}", f"write {before}{op}{value or '…'}")
        field_op = next((o for o in _OPERATORS if token.endswith(o)), None)
        if field_op is not None and token[: -len(field_op)].lower() in fields and after:  # "status=" then "running"
            name = token[: -len(field_op)]
            raise FilterError(f"{token} {after}: no space after {field_op}", f"write {name}{field_op}{after}")


def compile_filter(spec: ListSpec, text: str, now: datetime | None = None) -> Filter:
    """Check ``text`` against the list's fields; raises FilterError naming the bad part and the fix."""
    now = now or datetime.now(UTC)
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise FilterError(f"{text!r}: a quote is not closed", 'close it: action="LOGIN FAILED"') from None
    fields = field_names(spec)
    _no_spaced_operators(tokens, fields)
    shorthands = {s.name: s for s in spec.shorthands}
    clauses: list[sql.Composable] = []
    params: list[Any] = []
    words: list[str] = []
    tests: list[Test] = []
    lookups: list[Lookup] = []
    spellings: list[Spelling] = []
    for token in tokens:
        m = _FIELD.match(token)
        colon = _WORD_COLON.match(token)
        if m and not (colon and ":" in token.split(m.group(2), 1)[0]):
            name, op, raw = m.groups()
            f = fields.get(name.lower())
            if f is None:
                raise FilterError(f"{token}: this list has no field {name!r}", f"filter on one of: {known(spec)}")
            if not raw:
                raise FilterError(f"{token}: {f.name} needs a value after {op}",
                                  f"type {f.help}" if f.help else f"type one, e.g. {name}{op}{_example(f)}")
            value = _value(f, raw, op)
            clause, values = _clause(f, op, value, raw)
            tests.append(_test(f, op, value, raw))
            lookups += _lookup(f, raw)
            if f.fold_case and op == "=":
                spellings.append(Spelling(f.name, f.column, raw))
        elif colon and not colon.group(2) and colon.group(1) in TIME_WORDS:
            raise FilterError(f"{token} needs a time after the colon", f"e.g. {token}2h or {token}2026-05-01")
        elif colon and not colon.group(2) and colon.group(1) in shorthands:
            raise FilterError(f"{token} needs a value after the colon",
                              "use one of: " + ", ".join(shorthands[colon.group(1)].values))
        elif colon and not colon.group(2) and colon.group(1).lower() in fields:
            f = fields[colon.group(1).lower()]
            raise FilterError(f"{token} needs a value after the colon",
                              f"type {f.help}" if f.help else f"type one, e.g. {token}{_example(f)}")
        elif colon and colon.group(1) in TIME_WORDS:
            clause, values = _time_clause(spec, colon.group(1), colon.group(2), now)
            word = colon.group(1)
            tests.append(_time_test(spec, values[0] if word != "until" else None,
                                    values[-1] if word != "since" else None))
        elif colon and colon.group(1) in shorthands:
            clause, values = _shorthand(shorthands[colon.group(1)], colon.group(2))
            tests.append(_shorthand_test(shorthands[colon.group(1)], tuple(values[0])))
        elif colon and colon.group(1).lower() in fields:
            f = fields[colon.group(1).lower()]
            value = _value(f, colon.group(2), "=")
            clause, values = _clause(f, "=", value, colon.group(2))
            tests.append(_test(f, "=", value, colon.group(2)))
            lookups += _lookup(f, colon.group(2))
        elif colon and spec.source.words != "glob" and not colon.group(2).startswith("/"):  # a URL-ish word stays free text
            raise FilterError(f"{token}: this list has no {colon.group(1)}:", f"filter on one of: {known(spec)}")
        else:
            by_email = [f.name for f in spec.filters if f.prepare is not None]
            if "@" in token and by_email and spec.source.words == "loaded":
                # Masked in every row, an e-mail is never found by the loaded rows' words; only by its hash.
                raise FilterError(f"{token}: an e-mail address is found by its hash, not as a word",
                                  f"write {by_email[0]}={token}")
            words.append(token)
            continue
        clauses.append(sql.SQL("({})").format(clause))
        params += values
    if spec.source.words == "glob" and len(words) > 1:
        raise FilterError(f"{' '.join(words)}: one glob pattern, not {len(words)} words", "e.g. bull:* or session:*")
    if spec.source.words == "subject" and len(words) > 1:
        raise FilterError(f"{' '.join(words)}: one person, not {len(words)} words",
                          "type one e-mail address, RCMD username or user id")
    where: sql.Composable = sql.SQL(" AND ").join(clauses) if clauses else EVERYTHING
    return Filter(text.strip(), where, tuple(params), tuple(words), tuple(tests), tuple(lookups), tuple(spellings))


def compile_what_holds(spec: ListSpec, text: str) -> tuple[Filter, FilterError | None]:
    """``text`` typed after a view's name at the : prompt: the filter, or, when a part of it is wrong, the parts
    that hold on their own and together (``:timeline ann kind=bogus`` still finds ann), with the error.

    Parts are dropped only when each is wrong alone: where every part holds alone and only their sum fails (two
    people), or an operator has spaces around it (``user= bob``), nothing is kept: no part can be trusted to mean
    what was meant.
    """
    try:
        return compile_filter(spec, text), None
    except FilterError as exc:
        error = exc
    try:
        tokens = shlex.split(text)
        _no_spaced_operators(tokens, field_names(spec))
    except (ValueError, FilterError):  # an open quote, a spaced operator: the parts are not what was meant
        return NO_FILTER, error
    kept = []
    for token in tokens:
        try:
            compile_filter(spec, shlex.quote(token))
        except FilterError:
            continue
        kept.append(token)
    if not kept or len(kept) == len(tokens):
        return NO_FILTER, error
    try:
        return compile_filter(spec, shlex.join(kept)), error
    except FilterError:
        return NO_FILTER, error


def matches_words(words: tuple[str, ...], cells: list[str]) -> bool:
    """The free-text filter on loaded rows: every word appears in some cell, case-insensitively."""
    haystack = "\x00".join(cells).lower()
    return all(w.lower() in haystack for w in words)
