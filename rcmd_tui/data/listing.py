"""What a list view is: a table, its columns, the orderings an index serves, the fields it filters on.

Screens describe their list with a :class:`ListSpec`; :mod:`rcmd_tui.data.pager` turns it into keyset
queries, :mod:`rcmd_tui.data.filters` checks and compiles filters against it, and
:mod:`rcmd_tui.data.export` streams it. Nothing here knows about widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rcmd_tui.data.encrypted_columns import EncryptedColumn


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    UUID = "uuid"
    TIME = "time"
    JSON = "json"
    INET = "inet"
    BOOL = "bool"
    ENUM = "enum"


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the SQL column (or, with ``expr``, the output name)
    label: str
    kind: Kind = Kind.TEXT
    width: int | None = None
    shown: bool = True  # shown until the user chooses otherwise
    expr: str | None = None  # a fixed SQL expression (ours, never user input) instead of the column
    encrypted: EncryptedColumn | None = None  # decrypted in data/, then masked until revealed


@dataclass(frozen=True, slots=True)
class Ordering:
    """An order an index serves. The last column makes the key unique, so keyset paging never skips."""

    name: str
    columns: tuple[str, ...]
    descending: bool = True


@dataclass(frozen=True, slots=True)
class FilterField:
    """A field a person may filter on, and the SQL column it checks."""

    name: str
    column: str
    kind: Kind = Kind.TEXT
    values: tuple[str, ...] = ()  # the allowed values of an ENUM
    # For a UUID reference such as user: a subquery that finds the id from a name, used when the value
    # is not a UUID. Ours, fixed; the value is still bound.
    resolve: str | None = None
    help: str = ""
    prepare: Callable[[str], str] | None = None  # e.g. an e-mail address to the hash the table is indexed by


@dataclass(frozen=True, slots=True)
class Shorthand:
    """``status:failed`` and friends: a word that stands for a set of values of one column."""

    name: str
    column: str
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListSpec:
    key: str  # what the `:` prompt calls it, e.g. "audit"
    system: str  # rcmd or ordersync: which pool
    table: str
    title: str
    columns: tuple[Column, ...]
    orderings: tuple[Ordering, ...]
    filters: tuple[FilterField, ...] = ()
    shorthands: tuple[Shorthand, ...] = ()
    time_column: str | None = None  # since:, between:, and jump to a time
    id_columns: tuple[str, ...] = ("id",)  # what identifies a row (for marks and details)
    partitioned: bool = False

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ordering(self, name: str | None = None) -> Ordering:
        if name is None:
            return self.orderings[0]
        for o in self.orderings:
            if o.name == name:
                return o
        raise KeyError(name)

    def selected(self) -> tuple[str, ...]:
        """Every column a query reads: the shown ones, the key columns and the ids."""
        names = [c.name for c in self.columns]
        for o in self.orderings:
            names += [n for n in o.columns if n not in names]
        names += [n for n in self.id_columns if n not in names]
        return tuple(dict.fromkeys(names))


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
