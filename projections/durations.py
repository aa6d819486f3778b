"""Owns task_status_time_view: per live task, the time it has spent in each status it has
left, and task_status_since_view: per live task, its status now and when it entered it.

Times are the events' recorded times (`occurred_at`), never a clock: a task enters its
initial status when its `TaskCreated` was recorded; each `TaskStatusChanged` adds the
time since the task entered the old status to that status (a status visited twice adds
both visits) and enters the new one. Time is kept in whole microseconds, so sums are
exact. `TaskDeleted` removes the task's rows. The time in the status a task is in now is
not in task_status_time_view until it leaves it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from projections import checkpoints
from taskstore.dates import moment_us
from taskstore.events import FINISHED as FINISHED_STATUSES
from taskstore.events import Recorded, TaskCreated, TaskDeleted, TaskStatus, TaskStatusChanged, stream_number
from taskstore.signals import event_appended
from taskstore.store import EventStore

NAME = "task_status_time_view"
SINCE = "task_status_since_view"
TABLES = (NAME, SINCE)
FINISHED = tuple(sorted(str(status) for status in FINISHED_STATUSES))

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {NAME} (
    task_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    micros INTEGER NOT NULL CHECK (micros >= 0),
    PRIMARY KEY (task_id, status)
);
CREATE TABLE IF NOT EXISTS {SINCE} (
    task_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    entered_at_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS task_status_since_status ON {SINCE} (status, task_id);
"""


@dataclass(frozen=True)
class Spread:
    """How long the finished tasks that passed through one status spent in it, in seconds."""

    tasks: int
    median_seconds: float
    p90_seconds: float


def create(db: Database) -> None:
    db.executescript(SCHEMA)


def project(db: Database, record: Recorded) -> None:
    event = record.event
    match event:
        case TaskCreated():
            at = moment_us(event.occurred_at)
            db.execute(f"INSERT INTO {SINCE} VALUES (?, ?, ?)", [event.task_id, str(event.status), at])
        case TaskStatusChanged():
            _change(db, stream_number(event.stream_id), str(event.new), moment_us(event.occurred_at))
        case TaskDeleted():
            for table in TABLES:
                db.execute(f"DELETE FROM {table} WHERE task_id = ?", [event.task_id])


def on_event_appended(sender: EventStore, *, record: Recorded, **_: Any) -> None:
    checkpoints.follow(sender, NAME, project, record)


def subscribe() -> None:
    event_appended.connect(on_event_appended)


def finished_time_in_status(db: Database) -> dict[str, Spread]:
    """For the live tasks now COMPLETED or CANCELLED: per status any of them passed through
    before reaching the status it is in now, how many did, and the median and 90th percentile
    of the seconds each spent in it (all its visits added up), rounded to milliseconds.

    The median is `statistics.median`; the 90th percentile is
    `statistics.quantiles(seconds, n=10, method="inclusive")[8]`, and the one value itself
    when a single task passed through. Statuses come in the contract's order; one that no
    finished task passed through is left out. A task created finished has passed through none.
    """
    seconds: dict[str, list[float]] = defaultdict(list)
    rows = db.execute(
        f"SELECT t.status, t.micros FROM {NAME} AS t JOIN {SINCE} AS s ON s.task_id = t.task_id"
        " WHERE s.status IN (?, ?) ORDER BY t.status, t.micros",
        list(FINISHED),
    )
    for status, micros in rows:
        seconds[status].append(micros / 1_000_000)
    return {str(status): _spread(seconds[status]) for status in TaskStatus if seconds[status]}


def _spread(seconds: list[float]) -> Spread:
    p90 = seconds[0] if len(seconds) == 1 else statistics.quantiles(seconds, n=10, method="inclusive")[8]
    return Spread(tasks=len(seconds), median_seconds=round(statistics.median(seconds), 3), p90_seconds=round(p90, 3))


def _change(db: Database, task_id: int, new: str, at: int) -> None:
    row = db.execute(f"SELECT status, entered_at_us FROM {SINCE} WHERE task_id = ?", [task_id]).fetchone()
    if row is None:  # a status change of a task this view never saw created: history is fact, so ignore it
        return
    old, entered = row
    db.execute(
        f"INSERT INTO {NAME} (task_id, status, micros) VALUES (?, ?, ?)"
        " ON CONFLICT (task_id, status) DO UPDATE SET micros = micros + excluded.micros",
        [task_id, old, max(0, at - entered)],
    )
    db.execute(f"UPDATE {SINCE} SET status = ?, entered_at_us = ? WHERE task_id = ?", [new, at, task_id])
