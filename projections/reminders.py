"""Owns reminders_view: one row per live task whose status is not COMPLETED or CANCELLED,
with the instant its reminder fires, and reminders_parked_view: the due instant and
offset of each live finished task, so that re-opening it brings its reminder back.

`remind_at_us` is the due date's instant (microseconds since the epoch, UTC; see
`taskstore.dates.instant_us`) minus `warning_offset` minutes. Nothing here reads a clock.

Why the projection keeps the due instant and offset of finished tasks itself, instead of
reading them from tasks_view when a task is re-opened: each read model advances on its
own checkpoint. A read model that missed events, or one added to an existing database,
replays the log from its own position while tasks_view is already at the end of the log,
and then tasks_view holds a later due date than the event being replayed. Using only its
own tables, this projection gives the same rows whatever the other read models hold, in
a live append, a catch-up or a `rebuild`: its state is a function of the log prefix alone.
The task's owner, title and status are joined from tasks_view only when reading, when
every read model stands at the same position (they advance in the append's transaction).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from projections import checkpoints, tasks
from taskstore.dates import instant_us
from taskstore.events import (
    FINISHED,
    Recorded,
    TaskCreated,
    TaskDeleted,
    TaskStatusChanged,
    TaskUpdated,
    stream_number,
)
from taskstore.signals import event_appended
from taskstore.store import EventStore

NAME = "reminders_view"
PARKED = "reminders_parked_view"
TABLES = (NAME, PARKED)
MINUTE_US = 60_000_000

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {NAME} (
    task_id INTEGER PRIMARY KEY,
    remind_at_us INTEGER NOT NULL,
    due_at_us INTEGER NOT NULL,
    warning_offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_view_remind_at ON {NAME} (remind_at_us, task_id);
CREATE TABLE IF NOT EXISTS {PARKED} (
    task_id INTEGER PRIMARY KEY,
    due_at_us INTEGER NOT NULL,
    warning_offset INTEGER NOT NULL
);
"""


def create(db: Database) -> None:
    db.executescript(SCHEMA)


def project(db: Database, record: Recorded) -> None:
    event = record.event
    match event:
        case TaskCreated():
            due_at_us = instant_us(event.due_date)
            if event.status in FINISHED:
                db.execute(f"INSERT INTO {PARKED} VALUES (?, ?, ?)", [event.task_id, due_at_us, event.warning_offset])
            else:
                remind = due_at_us - event.warning_offset * MINUTE_US
                db.execute(
                    f"INSERT INTO {NAME} VALUES (?, ?, ?, ?)", [event.task_id, remind, due_at_us, event.warning_offset]
                )
        case TaskUpdated():
            _reschedule(db, stream_number(event.stream_id), event.changes)
        case TaskStatusChanged():
            if event.new in FINISHED:
                _park(db, stream_number(event.stream_id))
            else:
                _unpark(db, stream_number(event.stream_id))
        case TaskDeleted():
            for table in TABLES:
                db.execute(f"DELETE FROM {table} WHERE task_id = ?", [event.task_id])


def on_event_appended(sender: EventStore, *, record: Recorded, **_: Any) -> None:
    checkpoints.follow(sender, NAME, project, record)


def subscribe() -> None:
    event_appended.connect(on_event_appended)


def due(db: Database, until_us: int, offset: int, limit: int, *, user_id: int | None = None) -> list[dict[str, Any]]:
    """One page of the reminders firing at or before `until_us` (of one user's tasks, if given),
    soonest first, ties by task id; each row is the task's tasks_view row plus its `remind_at_us`."""
    mine, params = _mine(user_id)
    return list(
        db.query(
            f"SELECT t.*, r.remind_at_us FROM {_JOINED} WHERE r.remind_at_us <= ?{mine}"
            " ORDER BY r.remind_at_us, r.task_id LIMIT ? OFFSET ?",
            [until_us, *params, limit, offset],
        )
    )


def count_due(db: Database, until_us: int, *, user_id: int | None = None) -> int:
    """How many reminders `due` can list for `until_us` (and `user_id`): every page together."""
    if user_id is None:  # the index on remind_at_us alone answers it, without the join
        row = db.execute(f"SELECT count(*) FROM {NAME} WHERE remind_at_us <= ?", [until_us])
    else:
        mine, params = _mine(user_id)
        row = db.execute(f"SELECT count(*) FROM {_JOINED} WHERE r.remind_at_us <= ?{mine}", [until_us, *params])
    return int(row.fetchone()[0])


_JOINED = f"{NAME} AS r JOIN {tasks.NAME} AS t ON t.task_id = r.task_id"


def _mine(user_id: int | None) -> tuple[str, list[Any]]:
    return (" AND t.user_id = ?", [user_id]) if user_id is not None else ("", [])


def _reschedule(db: Database, task_id: int, changes: dict[str, dict[str, Any]]) -> None:
    values: dict[str, Any] = {}
    if "due_date" in changes:
        values["due_at_us"] = instant_us(changes["due_date"]["new"])
    if "warning_offset" in changes:
        values["warning_offset"] = changes["warning_offset"]["new"]
    if not values:
        return
    assignments = ", ".join(f"{column} = ?" for column in values)
    for table in TABLES:  # the task's row is in one of them
        db.execute(f"UPDATE {table} SET {assignments} WHERE task_id = ?", [*values.values(), task_id])
    db.execute(
        f"UPDATE {NAME} SET remind_at_us = due_at_us - warning_offset * {MINUTE_US} WHERE task_id = ?", [task_id]
    )


def _park(db: Database, task_id: int) -> None:
    """Move an open task's schedule aside when it finishes (nothing if it was finished already)."""
    db.execute(
        f"INSERT INTO {PARKED} SELECT task_id, due_at_us, warning_offset FROM {NAME} WHERE task_id = ?", [task_id]
    )
    db.execute(f"DELETE FROM {NAME} WHERE task_id = ?", [task_id])


def _unpark(db: Database, task_id: int) -> None:
    """Give a re-opened task its reminder back (nothing if it was open already)."""
    db.execute(
        f"INSERT INTO {NAME} SELECT task_id, due_at_us - warning_offset * {MINUTE_US}, due_at_us, warning_offset"
        f" FROM {PARKED} WHERE task_id = ?",
        [task_id],
    )
    db.execute(f"DELETE FROM {PARKED} WHERE task_id = ?", [task_id])
