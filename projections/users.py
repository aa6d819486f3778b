"""Owns users_view: one row per live user, with a case-folded email key that must be unique."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from projections import checkpoints
from taskstore.events import Recorded, UserCreated, UserDeleted, UserUpdated, stream_number
from taskstore.signals import event_appended
from taskstore.store import EventStore

NAME = "users_view"
TABLES = (NAME,)
SORTABLE = {"userId": "user_id", "firstName": "first_name", "lastName": "last_name", "contactEmail": "contact_email"}

CHANGEABLE = ("first_name", "last_name", "contact_email")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {NAME} (
    user_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_view_first_name ON {NAME} (first_name, user_id);
CREATE INDEX IF NOT EXISTS users_view_last_name ON {NAME} (last_name, user_id);
CREATE INDEX IF NOT EXISTS users_view_contact_email ON {NAME} (contact_email, user_id);
"""


def email_key(email: str) -> str:
    """The form in which two addresses are compared: case-insensitive."""
    return email.casefold()


def create(db: Database) -> None:
    db.executescript(SCHEMA)


def project(db: Database, record: Recorded) -> None:
    event = record.event
    match event:
        case UserCreated():
            db.execute(
                f"INSERT INTO {NAME} VALUES (?, ?, ?, ?, ?, ?)",
                [
                    event.user_id,
                    event.first_name,
                    event.last_name,
                    event.contact_email,
                    email_key(event.contact_email),
                    event.version,
                ],
            )
        case UserUpdated():
            values = {name: change["new"] for name, change in event.changes.items() if name in CHANGEABLE}
            if "contact_email" in values:
                values["email_key"] = email_key(values["contact_email"])
            _update(db, event.stream_id, {**values, "version": event.version})
        case UserDeleted():
            db.execute(f"DELETE FROM {NAME} WHERE user_id = ?", [event.user_id])


def on_event_appended(sender: EventStore, *, record: Recorded, **_: Any) -> None:
    checkpoints.follow(sender, NAME, project, record)


def subscribe() -> None:
    event_appended.connect(on_event_appended)


def get(db: Database, user_id: int) -> dict[str, Any] | None:
    return next(db.query(f"SELECT * FROM {NAME} WHERE user_id = ?", [user_id]), None)


def page(
    db: Database, sort: str, descending: bool, offset: int, limit: int, *, user_id: int | None = None
) -> list[dict[str, Any]]:
    """One page of users ordered by a column of `SORTABLE`, ties by id ascending; only the
    user `user_id` if it is given."""
    column = SORTABLE.get(sort, "user_id")
    direction = "DESC" if descending else "ASC"
    where, params = _only(user_id)
    return list(
        db.query(
            f"SELECT * FROM {NAME} {where} ORDER BY {column} {direction}, user_id ASC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )


def count(db: Database, *, user_id: int | None = None) -> int:
    """How many users `page` can list (only the user `user_id` if it is given): every page together."""
    where, params = _only(user_id)
    return int(db.execute(f"SELECT count(*) FROM {NAME} {where}", params).fetchone()[0])


def _only(user_id: int | None) -> tuple[str, list[Any]]:
    return ("WHERE user_id = ?", [user_id]) if user_id is not None else ("", [])


def user_with_email(db: Database, email: str) -> int | None:
    row = db.execute(f"SELECT user_id FROM {NAME} WHERE email_key = ?", [email_key(email)]).fetchone()
    return None if row is None else int(row[0])


def _update(db: Database, stream_id: str, values: dict[str, Any]) -> None:
    user_id = stream_number(stream_id)
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE {NAME} SET {assignments} WHERE user_id = ?", [*values.values(), user_id])
