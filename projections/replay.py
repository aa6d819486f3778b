"""Owns the set of read models as a whole: creating them, subscribing them, rebuilding
them from the log, and taking a snapshot of them to compare two databases row by row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlite_utils import Database

from projections import by_status, checkpoints, durations, reminders, tasks, users
from taskstore.events import Recorded
from taskstore.store import EventStore


class Projection(Protocol):
    NAME: str
    TABLES: tuple[str, ...]

    def create(self, db: Database) -> None: ...

    def project(self, db: Database, record: Recorded) -> None: ...

    def subscribe(self) -> None: ...


PROJECTIONS: tuple[Projection, ...] = (users, tasks, by_status, reminders, durations)  # type: ignore[assignment]
BATCH = 5000
Progress = Callable[[int], None]


def create_all(db: Database) -> None:
    """Create every read model's tables that do not exist yet."""
    checkpoints.create(db)
    for projection in PROJECTIONS:
        projection.create(db)


def subscribe_all() -> None:
    """Keep every read model up to date with each append, inside the append's transaction."""
    for projection in PROJECTIONS:
        projection.subscribe()


def rebuild(store: EventStore, progress: Progress | None = None) -> int:
    """Drop every read model and replay the whole log, in position order; returns the events replayed.

    `progress`, if given, is called after every batch with the number of events replayed so far."""
    with store.transaction():
        return _replay(store, store.db, progress)


def replay_into(source: EventStore, target: Database, progress: Progress | None = None) -> int:
    """Build every read model afresh in `target` (another database, e.g. a scratch one) by
    replaying the whole log of `source` through the same `project` functions; `source` is
    only read. Returns the events replayed."""
    with EventStore(target).transaction():
        return _replay(source, target, progress)


def _replay(source: EventStore, target: Database, progress: Progress | None) -> int:
    for projection in PROJECTIONS:
        for table in projection.TABLES:
            target.execute(f"DROP TABLE IF EXISTS {table}")
    target.execute(f"DROP TABLE IF EXISTS {checkpoints.TABLE}")
    create_all(target)
    replayed, last = 0, 0
    for record in source.iter_all(batch=BATCH):
        for projection in PROJECTIONS:
            projection.project(target, record)
        replayed, last = replayed + 1, record.position
        if progress is not None and replayed % BATCH == 0:
            progress(replayed)
    for projection in PROJECTIONS:
        checkpoints.advance(target, projection.NAME, last)
    if progress is not None:
        progress(replayed)
    return replayed


def catch_up(store: EventStore) -> int:
    """Apply to each read model the events after its checkpoint (appended while nobody listened)."""
    db = store.db
    with store.transaction():
        create_all(db)
        done = {p.NAME: checkpoints.position(db, p.NAME) for p in PROJECTIONS}
        applied = 0
        for record in store.iter_all(after=min(done.values()), batch=BATCH):
            for projection in PROJECTIONS:
                if record.position > done[projection.NAME]:
                    projection.project(db, record)
            applied += 1
        last = store.last_position()
        for projection in PROJECTIONS:
            checkpoints.advance(db, projection.NAME, max(last, done[projection.NAME]))
    return applied


def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every read model, in a fixed order, for comparing two states exactly."""
    tables = [table for projection in PROJECTIONS for table in projection.TABLES]
    tables.append(checkpoints.TABLE)
    return {table: list(db.query(f"SELECT * FROM {table} ORDER BY 1, 2")) for table in tables}


class ViewLookups:
    """The `taskstore.commands.Lookups` the commands need, answered from the read models."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def user_with_email(self, email: str) -> int | None:
        return users.user_with_email(self.db, email)

    def tasks_of_user(self, user_id: int) -> list[int]:
        return tasks.ids_of_user(self.db, user_id)
