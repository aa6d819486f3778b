"""Owns tasks_view: one row per live task, indexed for every documented sort and the status filter.

`due_at_us` is the instant the due date names (microseconds since the epoch, UTC), so
due dates sort by time, not by text; `due_date` keeps the text exactly as it was sent.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from projections import checkpoints
from taskstore.dates import instant_us
from taskstore.events import (
    Recorded,
    TaskCreated,
    TaskDeleted,
    TaskReassigned,
    TaskStatusChanged,
    TaskUpdated,
    stream_number,
)
from taskstore.signals import event_appended
from taskstore.store import EventStore

NAME = "tasks_view"
TABLES = (NAME,)
SORTABLE = {
    "taskId": "task_id",
    "userId": "user_id",
    "taskTitle": "title",
    "taskStatus": "status",
    "dueDate": "due_at_us",
    "warningOffset": "warning_offset",
}

CHANGEABLE = ("title", "description", "due_date", "warning_offset")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {NAME} (
    task_id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    due_date TEXT NOT NULL,
    due_at_us INTEGER NOT NULL,
    warning_offset INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_view_user ON {NAME} (user_id, task_id);
CREATE INDEX IF NOT EXISTS tasks_view_title ON {NAME} (title, task_id);
CREATE INDEX IF NOT EXISTS tasks_view_status ON {NAME} (status, task_id);
CREATE INDEX IF NOT EXISTS tasks_view_due ON {NAME} (due_at_us, task_id);
CREATE INDEX IF NOT EXISTS tasks_view_status_due ON {NAME} (status, due_at_us, task_id);
CREATE INDEX IF NOT EXISTS tasks_view_offset ON {NAME} (warning_offset, task_id);
"""


def create(db: Database) -> None:
    db.executescript(SCHEMA)


def project(db: Database, record: Recorded) -> None:
    event = record.event
    match event:
        case TaskCreated():
            db.execute(
                f"INSERT INTO {NAME} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    event.task_id,
                    event.user_id,
                    event.title,
                    event.description,
                    str(event.status),
                    event.due_date,
                    instant_us(event.due_date),
                    event.warning_offset,
                    event.version,
                ],
            )
        case TaskUpdated():
            values = {name: change["new"] for name, change in event.changes.items() if name in CHANGEABLE}
            if "due_date" in values:
                values["due_at_us"] = instant_us(values["due_date"])
            _update(db, event.stream_id, {**values, "version": event.version})
        case TaskStatusChanged():
            _update(db, event.stream_id, {"status": str(event.new), "version": event.version})
        case TaskReassigned():
            _update(db, event.stream_id, {"user_id": event.new_user_id, "version": event.version})
        case TaskDeleted():
            db.execute(f"DELETE FROM {NAME} WHERE task_id = ?", [event.task_id])


def on_event_appended(sender: EventStore, *, record: Recorded, **_: Any) -> None:
    checkpoints.follow(sender, NAME, project, record)


def subscribe() -> None:
    event_appended.connect(on_event_appended)


def get(db: Database, task_id: int) -> dict[str, Any] | None:
    return next(db.query(f"SELECT * FROM {NAME} WHERE task_id = ?", [task_id]), None)


def page(
    db: Database,
    status: str | None,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    *,
    user_id: int | None = None,
) -> list[dict[str, Any]]:
    """One page of tasks (of one status, of one user, if given) ordered by a `SORTABLE`
    column, ties by id."""
    column = SORTABLE.get(sort, "task_id")
    direction = "DESC" if descending else "ASC"
    where, params = _where(status, user_id)
    return list(
        db.query(
            f"SELECT * FROM {NAME} {where} ORDER BY {column} {direction}, task_id ASC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )


def count(db: Database, status: str | None, *, user_id: int | None = None) -> int:
    """How many tasks (of one status, of one user, if given) `page` can list: every page together."""
    where, params = _where(status, user_id)
    return int(db.execute(f"SELECT count(*) FROM {NAME} {where}", params).fetchone()[0])


def _where(status: str | None, user_id: int | None) -> tuple[str, list[Any]]:
    conditions = {"status = ?": status, "user_id = ?": user_id}
    given = {condition: value for condition, value in conditions.items() if value is not None}
    return ("WHERE " + " AND ".join(given) if given else ""), list(given.values())


def ids_of_user(db: Database, user_id: int) -> list[int]:
    return [row[0] for row in db.execute(f"SELECT task_id FROM {NAME} WHERE user_id = ? ORDER BY task_id", [user_id])]


def _update(db: Database, stream_id: str, values: dict[str, Any]) -> None:
    task_id = stream_number(stream_id)
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE {NAME} SET {assignments} WHERE task_id = ?", [*values.values(), task_id])
