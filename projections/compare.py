"""Owns the row-by-row comparison of two snapshots of the read models (`replay.snapshot`),
naming the first row where they differ."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class Difference:
    """The first row where a live read model and its rebuild disagree. `column` is None for a
    row only one side has: `live` or `rebuilt` is then None."""

    table: str
    key: dict[str, Any]
    column: str | None
    live: Any
    rebuilt: Any

    def describe(self) -> str:
        key = ", ".join(f"{name}={value!r}" for name, value in self.key.items())
        if self.column is None:
            side = "rebuilt" if self.live is None else "live"
            return f"{self.table} row ({key}) is only in the {side} read model"
        return f"{self.table} row ({key}) column {self.column}: live {self.live!r}, rebuilt {self.rebuilt!r}"


def first_difference(
    db: Database, live: Mapping[str, list[dict[str, Any]]], rebuilt: Mapping[str, list[dict[str, Any]]]
) -> Difference | None:
    """The first row, in table then key order, where two snapshots of the read models differ."""
    for table, rebuilt_rows in rebuilt.items():
        keys = _key_columns(db, table)
        ours = {tuple(row[k] for k in keys): row for row in live.get(table, [])}
        theirs = {tuple(row[k] for k in keys): row for row in rebuilt_rows}
        for key in _in_order(ours.keys() | theirs.keys()):
            named = dict(zip(keys, key, strict=True))
            here, there = ours.get(key), theirs.get(key)
            if here is None or there is None:
                return Difference(table, named, None, here, there)
            for column, value in here.items():
                other = there.get(column)
                if value != other or type(value) is not type(other):
                    return Difference(table, named, column, value, other)
    return None


def _key_columns(db: Database, table: str) -> list[str]:
    """The primary key's columns; every column for a table without one."""
    keys: list[str] = db.table(table).pks
    return list(db.table(table).columns_dict) if keys == ["rowid"] else keys


def _in_order(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    try:
        return sorted(keys)
    except TypeError:  # a value of the wrong type, edited in by hand
        return sorted(keys, key=repr)
