"""Owns time travel: the read models as they were at an earlier point of the log.

A point is a log position, or a time: the last position recorded at or before it
(recorded times never go backwards in log order, so a time is always a prefix of the
log). The read models as of a position are built by replaying that prefix through the
same `project` functions as the live ones, into a private in-memory database, so they
answer filters, sorts and pages exactly as the live ones would have then.

Built states are kept for reuse, keyed by the hash of their prefix's last row: the hash
chain names a prefix of the log exactly, whatever file or position it came from. A new
point starts from the latest kept state at or before it whose hash is this log's hash at
that position, and replays only the events after it. A replay also keeps a copy of the
state at every `stride` positions it passes, so any point in a part of the log a replay
has passed through is at most a stride of events away from a start.
Each process keeps at most `KEEP_POINTS` asked-for states and `KEEP_ANCHORS` copies.

A kept state is served at once, even while a replay runs. Replays run one at a time, each
choosing its start once it runs: requests for new points that arrive together then take
turns, each starting from what the ones before it kept, instead of all replaying from
the start of the log at once (which, under one interpreter lock, makes every one of them
as slow as all of them together).
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

KEEP_POINTS = 4  # asked-for states kept per process
KEEP_ANCHORS = 8  # copies kept from inside replays, as starting points
MIN_STRIDE = 5_000  # a replay keeps a copy every `stride(last)` positions: never less than this apart
_VIEWS = (users, tasks)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _State:
    position: int
    db: Database


_points: OrderedDict[str, _State] = OrderedDict()
_anchors: OrderedDict[str, _State] = OrderedDict()
_lock = threading.Lock()  # guards the two caches; held only briefly
_replaying = threading.Lock()  # held through a replay


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


def stride(last_position: int) -> int:
    """How often a replay keeps a copy: the log split into `KEEP_ANCHORS` parts, at least `MIN_STRIDE`."""
    return max(MIN_STRIDE, -(-last_position // max(KEEP_ANCHORS, 1)))


def views_at(store: EventStore, position: int) -> Database:
    """A read-only database holding users_view and tasks_view as they were after `position`."""
    key = _prefix_hash(store, position)
    with _lock:
        if (hit := _cached(key)) is not None:
            return hit
    with _replaying:  # one replay at a time: the next one starts from what this one keeps
        with _lock:
            if (hit := _cached(key)) is not None:
                return hit
        state = _replayed(store, position, _start(store, position))
        with _lock:
            _points[key] = state
            while len(_points) > KEEP_POINTS:  # not closed here: a request may still be reading it
                _points.popitem(last=False)
        return state.db


def clear() -> None:
    """Forget every kept state (for tests and benchmarks that measure a replay from the start)."""
    with _lock:
        _points.clear()
        _anchors.clear()


def kept() -> list[int]:
    """The size in bytes of each state kept, points and copies."""
    with _lock:
        states = [state for cache in (_points, _anchors) for state in cache.values()]
    return [_size(state.db) for state in states]


def _size(db: Database) -> int:
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    return int(pages) * int(db.execute("PRAGMA page_size").fetchone()[0])


def _cached(key: str) -> Database | None:
    for cache in (_points, _anchors):
        if key in cache:
            cache.move_to_end(key)
            return cache[key].db
    return None


def _start(store: EventStore, position: int) -> _State | None:
    """The latest kept state at or before `position` that is a prefix of this log, if any."""
    with _lock:
        kept = [(key, state) for cache in (_points, _anchors) for key, state in cache.items()]
    kept.sort(key=lambda item: item[1].position, reverse=True)
    for key, state in kept:
        if state.position <= position and _prefix_hash(store, state.position) == key:
            return state
    return None


def _replayed(store: EventStore, position: int, start: _State | None) -> _State:
    db = open_database(":memory:")
    if start is None:
        for view in _VIEWS:
            view.create(db)
        after = 0
    else:
        start.db.conn.backup(db.conn)
        after = start.position
    every = stride(store.last_position())
    records = store.iter_all(after)
    while after < position:
        until = min(position, (after // every + 1) * every)
        with db.atomic():
            for record in records:
                for view in _VIEWS:
                    view.project(db, record)
                if record.position >= until:
                    break
        after = until
        if after % every == 0 and after < position:
            _keep_anchor(store, after, db)
    return _State(position, db)


def _keep_anchor(store: EventStore, position: int, db: Database) -> None:
    if KEEP_ANCHORS <= 0:
        return
    key = _prefix_hash(store, position)
    with _lock:
        if key in _anchors or key in _points:
            return
    copy = open_database(":memory:")
    db.conn.backup(copy.conn)
    with _lock:
        _anchors[key] = _State(position, copy)
        while len(_anchors) > KEEP_ANCHORS:
            _anchors.popitem(last=False)


def _prefix_hash(store: EventStore, position: int) -> str:
    row = store.db.execute("SELECT hash FROM events WHERE position = ?", [position]).fetchone()
    return chain.GENESIS if row is None else str(row[0])
