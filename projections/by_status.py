"""Owns the per-status views: tasks_by_status_view (which live task is in which status)
and task_status_counts_view (how many live tasks each of the six statuses holds)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from projections import checkpoints
from taskstore.events import Recorded, TaskCreated, TaskDeleted, TaskStatus, TaskStatusChanged, stream_number
from taskstore.signals import event_appended
from taskstore.store import EventStore

NAME = "tasks_by_status_view"
COUNTS = "task_status_counts_view"
TABLES = (NAME, COUNTS)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {NAME} (
    status TEXT NOT NULL,
    task_id INTEGER NOT NULL UNIQUE,
    PRIMARY KEY (status, task_id)
);
CREATE TABLE IF NOT EXISTS {COUNTS} (
    status TEXT PRIMARY KEY,
    task_count INTEGER NOT NULL CHECK (task_count >= 0)
);
"""


def create(db: Database) -> None:
    db.executescript(SCHEMA)
    db.conn.executemany(
        f"INSERT OR IGNORE INTO {COUNTS} (status, task_count) VALUES (?, 0)",
        [(str(status),) for status in TaskStatus],
    )


def project(db: Database, record: Recorded) -> None:
    event = record.event
    match event:
        case TaskCreated():
            _enter(db, str(event.status), event.task_id)
        case TaskStatusChanged():
            task_id = stream_number(event.stream_id)
            _leave(db, str(event.old), task_id)
            _enter(db, str(event.new), task_id)
        case TaskDeleted():
            row = db.execute(f"SELECT status FROM {NAME} WHERE task_id = ?", [event.task_id]).fetchone()
            if row is not None:
                _leave(db, row[0], event.task_id)


def on_event_appended(sender: EventStore, *, record: Recorded, **_: Any) -> None:
    checkpoints.follow(sender, NAME, project, record)


def subscribe() -> None:
    event_appended.connect(on_event_appended)


def counts(db: Database) -> dict[str, int]:
    """Live tasks per status, all six present."""
    return {row[0]: row[1] for row in db.execute(f"SELECT status, task_count FROM {COUNTS} ORDER BY status")}


def _enter(db: Database, status: str, task_id: int) -> None:
    db.execute(f"INSERT INTO {NAME} (status, task_id) VALUES (?, ?)", [status, task_id])
    db.execute(f"UPDATE {COUNTS} SET task_count = task_count + 1 WHERE status = ?", [status])


def _leave(db: Database, status: str, task_id: int) -> None:
    db.execute(f"DELETE FROM {NAME} WHERE status = ? AND task_id = ?", [status, task_id])
    db.execute(f"UPDATE {COUNTS} SET task_count = task_count - 1 WHERE status = ?", [status])
