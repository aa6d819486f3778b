"""Owns projection_positions: the last log position each read model has applied."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from taskstore.events import Recorded
from taskstore.store import EventStore

TABLE = "projection_positions"


def create(db: Database) -> None:
    db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, position INTEGER NOT NULL)")


def advance(db: Database, name: str, position: int) -> None:
    db.execute(
        f"INSERT INTO {TABLE} (name, position) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        [name, position],
    )


def position(db: Database, name: str) -> int:
    row = db.execute(f"SELECT position FROM {TABLE} WHERE name = ?", [name]).fetchone()
    return 0 if row is None else int(row[0])


def follow(store: EventStore, name: str, project: Callable[[Database, Recorded], None], record: Recorded) -> None:
    """Apply a just-appended event to one read model, first replaying any events it missed
    (appended while it was not subscribed), so a read model never skips a position."""
    db = store.db
    behind = position(db, name)
    if behind < record.position - 1:
        for missed in store.read_all(after=behind, limit=record.position - 1 - behind):
            project(db, missed)
    project(db, record)
    advance(db, name, record.position)
