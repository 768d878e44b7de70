"""What a list view is: where its rows come from, its columns, the orderings it offers, the fields it filters
on, and the enrichers that add to each page.

A view is a :class:`ListSpec`. :mod:`rcmd_tui.data.lists.sources` opens a row source for it (a keyset table,
a catalogue snapshot or a Redis SCAN), :mod:`rcmd_tui.data.lists.filters` checks and compiles filters against
it, :mod:`rcmd_tui.data.lists.enrich` adds what SQL does not give (decrypted fields, names for ids, Redis
state), and :mod:`rcmd_tui.data.lists.export` streams it. Nothing here knows about widgets.
"""

from __future__ import annotations

import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from rcmd_tui.data.crypto.columns import EncryptedColumn, FieldKind

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services
    from rcmd_tui.data.lists.enrich import Enricher
    from rcmd_tui.data.lists.filters import Filter
    from rcmd_tui.data.lists.sources import RowSource


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    UUID = "uuid"
    TIME = "time"
    JSON = "json"
    INET = "inet"
    BOOL = "bool"
    ENUM = "enum"
    FLOAT = "float"
    DURATION = "duration"  # a timedelta (or seconds)
    BYTES = "bytes"  # a size in bytes (an int), shown as 1.5 MB
    PROGRESS = "progress"  # a percentage 0-100 (an int), drawn as a bar as wide as the column
    MONEY = "money"  # an amount in the currency's smallest unit (an int), shown as 34,100
    COUNT = "count"  # how many rows, calls or scans (an int), shown as 1,234,567; an id or a pid stays INT


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the SQL column (or, with ``expr``, the output name; or what an enricher provides)
    label: str
    kind: Kind = Kind.TEXT
    width: int | None = None
    shown: bool = True  # shown until the user chooses otherwise
    expr: str | None = None  # a fixed SQL expression (ours, never user input) instead of the column
    # Decrypted by the decrypt enricher (with ``enriched``: by an enricher reading another table), then masked
    # until revealed.
    encrypted: EncryptedColumn | None = None
    enriched: bool = False  # not read by SQL: an enricher of the view provides it
    internal: bool = False  # an ordering key or a handle for actions: never in a detail or the column chooser

    @property
    def selected(self) -> bool:
        """Whether the query reads this column itself (an enricher fills the others)."""
        return not self.enriched and self.encrypted is None

    @property
    def masked(self) -> bool:
        """Whether its decrypted value is masked until revealed (a business's own words are not)."""
        return self.encrypted is not None and self.encrypted.kind is not FieldKind.OPEN


@dataclass(frozen=True, slots=True)
class Ordering:
    """An order the source serves (an index, for a table). The last column makes the key unique, so keyset
    paging never skips."""

    name: str
    columns: tuple[str, ...]
    descending: bool = True


# The usual orderings of a table listed by time: newest first (the default), oldest first; id breaks ties.
BY_CREATED = (Ordering("newest", ("created_at", "id")), Ordering("oldest", ("created_at", "id"), descending=False))


@dataclass(frozen=True, slots=True)
class FilterField:
    """A field a person may filter on, and the column it checks."""

    name: str
    column: str
    kind: Kind = Kind.TEXT
    values: tuple[str, ...] = ()  # the allowed values of an ENUM
    # For a UUID reference such as user: a subquery that finds the id from a name, used when the value
    # is not a UUID. Ours, fixed; the value is still bound.
    resolve: str | None = None
    # With ``resolve``: the subquery for a UUID value, when that UUID is not the column's own kind of id (a
    # customer's id finds their orders' payments). Default: a UUID is compared with the column.
    resolve_id: str | None = None
    help: str = ""
    prepare: Callable[[str], str] | None = None  # e.g. an e-mail address to the hash the table is indexed by
    fold_case: bool = False  # = and != also find the value upper- or lower-cased: login finds LOGIN
    # A fixed SQL expression (ours, never input) checked instead of the column: a JSON field such as the operator the
    # console wrote into a row. Only a table's SQL can judge it; loaded rows are not re-judged in memory.
    expr: str | None = None


@dataclass(frozen=True, slots=True)
class Shorthand:
    """``status:failed`` and friends: a word that stands for a set of values of one column."""

    name: str
    column: str
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expr: str | None = None  # as FilterField.expr: a fixed SQL expression instead of the column


# -- where rows come from ---------------------------------------------------------------------------

# What the filter's free words do: filter the loaded rows, filter all rows, be a Redis MATCH glob, or name whom
# the list is about (a person's timeline: the source looks them up).
Words = Literal["loaded", "all", "glob", "subject"]
BOTH = "both"  # the system of a view that reads both systems (a person's timeline)


@dataclass(frozen=True, slots=True)
class Table:
    """A table (or partitioned table) paged by keyset over an index: millions of rows, 100 at a time."""

    name: str
    partitioned: bool = False
    words: ClassVar[Words] = "loaded"  # free words filter the loaded rows, never the table
    any_column_sort: ClassVar[bool] = False  # only the orderings an index serves


# What an empty snapshot says, given the services and the view's system.
EmptySays = Callable[["Services", str], Awaitable[str]]
# Rows a snapshot reads itself: the field names, then the rows. Given the services and the view's system.
Reader = Callable[["Services", str], Awaitable[tuple[Sequence[str], Sequence[Sequence[Any]]]]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A catalogue query (``pg_stat_activity``, ``pg_locks`` …) read whole on an interval, then filtered and
    sorted in memory, so sorting by any column and filtering cost no query.

    ``read`` instead of ``query``: rows the console makes itself (Redis INFO, rows grouped after decryption,
    a tree), read whole the same way. ``redis``: they come from the system's Redis, which is the target its
    failures name."""

    query: str = ""  # ours, fixed
    refresh_s: float = 2.0
    max_rows: int = 10_000
    read: Reader | None = field(default=None, compare=False)
    redis: bool = False
    # What nothing at all means, for a view that lists problems: what was checked ("487,000 payments against 12
    # rules: none broken"), so an empty screen reads as a result, not as a failure to look.
    empty: EmptySays | None = field(default=None, compare=False)
    words: ClassVar[Words] = "all"  # the snapshot is whole: words filter all of it
    any_column_sort: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Keys by SCAN (never KEYS); the filter's free word is the MATCH glob. SCAN cannot go back, so the keys
    seen are kept, at most ``max_keys`` of them."""

    max_keys: int = 5000
    scan_count: int = 500
    words: ClassVar[Words] = "glob"  # the word is the MATCH pattern
    any_column_sort: ClassVar[bool] = False


# Opens the row source of a Merged view: given the services, the view, its ordering, filter and page size.
Opener = Callable[["Services", "ListSpec", "Ordering", "Filter", int], "RowSource"]


@dataclass(frozen=True, slots=True)
class Merged:
    """Rows merged from several tables, possibly of both systems, by a source of the view's own (``open``): each
    page is a keyset read of every table, merged in the ordering. The filter's free word names the subject."""

    open: Opener = field(compare=False)
    words: ClassVar[Words] = "subject"
    any_column_sort: ClassVar[bool] = False


Source = Table | Snapshot | RedisKeys | Merged


@dataclass(frozen=True, slots=True)
class Lead:
    """From a row's detail to another view, filtered to what concerns that row (a user's sessions, audit …).

    ``filter`` is a filter text with ``{field}`` places filled from the row, e.g. ``user={id}``."""

    name: str  # what the detail's key is called: sessions, permissions, logins, audit
    view: str
    filter: str
    system: str | None = None  # default: the row's own system

    def filter_for(self, record: Record) -> str | None:
        """The filter for ``record``, or None when a field it needs is empty.

        >>> Lead("audit", "audit", "user={id}").filter_for(Record(("u1",), ("id",), ()))
        'user=u1'
        """
        values = {}
        for name in _places(self.filter):
            value = record.get(name)
            if value is None or value == "":
                return None
            values[name] = str(value)
        return self.filter.format(**values)


# A message of a feed, read: the identity of the row it is about (as text, in id_columns order) and the fields
# it changes; None for a message that is not about a row or cannot be read (it is untrusted: skipped, never shown).
FeedUpdate = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Feed:
    """A Redis pub/sub channel whose messages change rows of the view (a job's progress and status). The rows
    on screen take the changes as they come, in place; ``fallback_s``: the page is also read again this often,
    for what the messages do not carry (and messages lost while Redis was away)."""

    channel: str
    parse: Callable[[bytes], FeedUpdate | None] = field(compare=False)
    fallback_s: float = 10.0


def _places(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


@dataclass(frozen=True, slots=True)
class ListSpec:
    key: str  # what the `:` prompt and `rcmd-tui report` call it, e.g. "audit"
    system: str  # rcmd or ordersync: which pool (and which Redis)
    title: str
    columns: tuple[Column, ...]
    orderings: tuple[Ordering, ...]
    source: Source
    filters: tuple[FilterField, ...] = ()
    shorthands: tuple[Shorthand, ...] = ()
    time_column: str | None = None  # since:, between:, and jump to a time
    id_columns: tuple[str, ...] = ("id",)  # what identifies a row (for marks, details, re-reads)
    enrichers: tuple[Enricher, ...] = ()  # run once per page, batched, in this order (after decryption)
    default_filter: str = ""  # the filter a screen opens with, shown like any other (idle sessions hidden …)
    aliases: tuple[str, ...] = ()  # other names the `:` prompt knows it by (monitor for activity)
    family: str | None = None  # views shown side by side, one key each (the monitoring views)
    tab: str = ""  # its short name in the family's tab line (default: key)
    leads: tuple[Lead, ...] = ()  # where a row's detail leads, one key each
    feed: Feed | None = None  # live changes to the rows on screen, from Redis pub/sub
    about: str = ""  # a standing word at the status line's end: what a person would otherwise ask (why no archive)

    @property
    def reads_redis(self) -> bool:
        return isinstance(self.source, RedisKeys) or (isinstance(self.source, Snapshot) and self.source.redis)

    @property
    def target(self) -> str:
        """The target its rows come from: what a failure names and what must be up for it to open."""
        return f"{self.system}-redis" if self.reads_redis else self.system

    @property
    def table(self) -> str:
        if not isinstance(self.source, Table):
            raise TypeError(f"{self.title} is not read from a table")
        return self.source.name

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def column_or_none(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def ordering(self, name: str | None = None) -> Ordering:
        if name is None:
            return self.orderings[0]
        for o in self.orderings:
            if o.name == name:
                return o
        raise KeyError(name)

    def selected(self) -> tuple[str, ...]:
        """Every field a record holds: the columns, the ordering keys and the ids."""
        names = [c.name for c in self.columns]
        for o in self.orderings:
            names += [n for n in o.columns if n not in names]
        names += [n for n in self.id_columns if n not in names]
        return tuple(dict.fromkeys(names))

    @property
    def encrypted_columns(self) -> tuple[EncryptedColumn, ...]:
        """The row's own encrypted columns (an enriched one comes decrypted from another table's row)."""
        return tuple(c.encrypted for c in self.columns if c.encrypted is not None and not c.enriched)

    @property
    def name(self) -> str:
        return self.key

    @property
    def command(self) -> str:
        return self.key if self.system == BOTH else f"{self.key} {self.system}"


@dataclass(frozen=True, slots=True)
class Record:
    """One row of a list: its values by column name, and its position in the current ordering."""

    values: tuple[Any, ...]
    names: tuple[str, ...]
    sort_key: tuple[Any, ...]
    positions: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # shared by a page's records

    def get(self, name: str) -> Any:
        at = self.positions.get(name)
        return self.values[at if at is not None else self.names.index(name)]

    def identity(self, spec: ListSpec) -> tuple[Any, ...]:
        return tuple(self.get(n) for n in spec.id_columns)

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(self.names, self.values, strict=True))
