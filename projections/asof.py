"""Owns time travel: the read models as they were at an earlier point of the log.

A point is a log position, or a time: the last position recorded at or before it
(recorded times never go backwards in log order, so a time is always a prefix of the
log). The read models as of a position are built by replaying that prefix through the
same `project` functions as the live ones, into a private in-memory database, so they
answer filters, sorts and pages exactly as the live ones would have then. A built
state is kept for reuse, keyed by the hash of the prefix's last row: the hash chain
names a prefix of the log exactly, whatever file or position it came from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from projections import tasks, users
from taskstore import chain, codec
from taskstore.database import open_database
from taskstore.events import task_stream, user_stream
from taskstore.state import Task, User, fold_task, fold_user
from taskstore.store import EventStore

KEEP = 4  # built states kept per process; each holds one prefix's users and tasks
_built: OrderedDict[str, Database] = OrderedDict()
_lock = threading.Lock()
_VIEWS = (users, tasks)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Point:
    """A point of the log asked for: a position, or an instant (microseconds since the epoch)."""

    position: int | None = None
    instant_us: int | None = None


def resolve(store: EventStore, point: Point) -> int:
    """The log position a point names, no later than the end of the log (a point in the future is now)."""
    position = position_at(store, point.instant_us) if point.instant_us is not None else point.position or 0
    return min(position, store.last_position())


def task_at(store: EventStore, task_id: int, position: int) -> Task | None:
    """The task as it was after `position`; None if it did not exist then or was deleted by then."""
    task = fold_task(r.event for r in store.read_stream(task_stream(task_id)) if r.position <= position)
    return None if task is None or task.deleted else task


def user_at(store: EventStore, user_id: int, position: int) -> User | None:
    """The user as it was after `position`; None if it did not exist then or was deleted by then."""
    user = fold_user(r.event for r in store.read_stream(user_stream(user_id)) if r.position <= position)
    return None if user is None or user.deleted else user


def position_at(store: EventStore, instant_us: int) -> int:
    """The last position recorded at or before an instant (microseconds since the epoch); 0 if none."""
    try:
        text = codec.encode_time(_EPOCH + timedelta(microseconds=instant_us))
    except OverflowError:  # before year 1 or after year 9999: before or after every event
        return 0 if instant_us < 0 else store.last_position()
    row = store.db.execute(
        "SELECT position FROM events WHERE occurred_at <= ? ORDER BY occurred_at DESC, position DESC LIMIT 1",
        [text],
    ).fetchone()
    return 0 if row is None else int(row[0])


def views_at(store: EventStore, position: int) -> Database:
    """A read-only database holding users_view and tasks_view as they were after `position`."""
    key = _prefix_hash(store, position)
    with _lock:
        if key in _built:
            _built.move_to_end(key)
            return _built[key]
        db = _replayed(store, position)
        _built[key] = db
        while len(_built) > KEEP:  # not closed here: a request may still be reading it
            _built.popitem(last=False)
        return db


def _replayed(store: EventStore, position: int) -> Database:
    db = open_database(":memory:")
    for view in _VIEWS:
        view.create(db)
    with db.atomic():
        for record in store.iter_all():
            if record.position > position:
                break
            for view in _VIEWS:
                view.project(db, record)
    return db


def _prefix_hash(store: EventStore, position: int) -> str:
    row = store.db.execute("SELECT hash FROM events WHERE position = ?", [position]).fetchone()
    return chain.GENESIS if row is None else str(row[0])
