"""Owns the operator's check of a database: the log has no gaps, its hash chain holds, and
every read model equals a rebuild of it from the log, row by row.

`verify` only reads the live database, inside one read transaction (a consistent
snapshot even while the service writes); the rebuild goes into a private in-memory
database through the same `project` functions as the live appends.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from projections import checkpoints, replay
from projections.compare import Difference, first_difference
from taskstore import chain, codec
from taskstore.database import open_database
from taskstore.store import EventStore


@dataclass(frozen=True)
class Problem:
    """The first problem one check found; `position` names the event, where there is one."""

    check: str  # "positions", "versions", "hash chain", "replay" or "read models"
    message: str
    position: int | None = None
    difference: Difference | None = None


@dataclass
class Verification:
    events: int = 0
    streams: int = 0
    head_hash: str = chain.GENESIS
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: EventStore) -> Verification:
    """Check the log and the read models of `store`; never writes to it."""
    started = time.perf_counter()
    result = Verification()
    with read_snapshot(store.db):
        _check_log(store, result)
        _check_read_models(store, result)
    result.seconds = time.perf_counter() - started
    return result


def _check_log(store: EventStore, result: Verification) -> None:
    """Positions 1..N, each stream's versions 1..n, and the hash chain, in one pass over the rows."""
    versions: dict[str, int] = {}
    rows = _sequence_checked(store.iter_rows(), versions, result)
    broken = chain.first_break(rows)
    for _ in rows:  # the rest of the log still counts and is still checked for gaps
        pass
    result.streams = len(versions)
    if broken is not None:
        message = f"the log was altered at position {broken}: its hash does not follow from the rows before it"
        result.problems.append(Problem("hash chain", message, broken))


def _sequence_checked(
    rows: Iterable[Mapping[str, Any]], versions: dict[str, int], result: Verification
) -> Iterator[Mapping[str, Any]]:
    """The rows, passed through, while noting the first gap in positions and in a stream's versions."""
    gap: Problem | None = None
    skip: Problem | None = None
    previous = 0
    for row in rows:
        position, stream, version = row["position"], row["stream_id"], row["version"]
        if gap is None and position != previous + 1:
            gap = Problem(
                "positions", f"position {previous + 1} is missing: the row after {previous} is {position}", previous + 1
            )
        expected = versions.get(stream, 0) + 1
        if skip is None and version != expected:
            message = f"stream {stream} has version {version} at position {position}, expected version {expected}"
            skip = Problem("versions", message, position)
        versions[stream], previous = version, position
        result.events, result.head_hash = result.events + 1, row["hash"]
        yield row
    result.problems.extend(problem for problem in (gap, skip) if problem is not None)


def _check_read_models(store: EventStore, result: Verification) -> None:
    scratch = open_database(":memory:")
    try:
        try:
            replay.replay_into(store, scratch)
        except Exception as exc:  # a row the codec or a projection cannot take: name it
            position = _first_failing(store)
            message = f"the log cannot be replayed{'' if position is None else f' at position {position}'}: {exc}"
            result.problems.append(Problem("replay", message, position))
            return
        try:
            live = replay.snapshot(store.db)
        except sqlite3.OperationalError as exc:
            result.problems.append(Problem("read models", f"the live read models cannot be read: {exc}"))
            return
        difference = first_difference(store.db, _applied(live), _applied(replay.snapshot(scratch)))
        if difference is not None:
            result.problems.append(Problem("read models", difference.describe(), difference=difference))
    finally:
        scratch.close()


def _applied(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The snapshot less checkpoints at position 0: one that applied nothing is the same as none."""
    positions = [row for row in snapshot[checkpoints.TABLE] if row["position"] != 0]
    return {**snapshot, checkpoints.TABLE: positions}


def _first_failing(store: EventStore) -> int | None:
    """The position of the first event the codec or a projection cannot take, replayed one by one."""
    scratch = open_database(":memory:")
    try:
        replay.create_all(scratch)
        for row in store.iter_rows():
            try:
                record = codec.decode(row)
                for projection in replay.PROJECTIONS:
                    projection.project(scratch, record)
            except Exception:
                return int(row["position"])
        return None
    finally:
        scratch.close()


@contextmanager
def read_snapshot(db: Database) -> Iterator[None]:
    """One read transaction: every query inside sees the same state of the file."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("ROLLBACK")
