"""Owns the rules: pure functions from live state plus a request to the events it causes.

A request that changes nothing yields no events. Nothing here reads a clock or the
database; the caller passes `now` and whatever state the rule needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from taskstore.errors import DuplicateEmail, UnknownUser
from taskstore.events import (
    Event,
    TaskCreated,
    TaskDeleted,
    TaskReassigned,
    TaskStatus,
    TaskStatusChanged,
    TaskUpdated,
    UserCreated,
    UserDeleted,
    UserUpdated,
    task_stream,
    user_stream,
)
from taskstore.state import Task, User

USER_FIELDS = ("first_name", "last_name", "contact_email")
TASK_FIELDS = ("title", "description", "due_date", "warning_offset")


def create_user(user_id: int, fields: Mapping[str, Any], email_owner: int | None, now: datetime) -> list[Event]:
    """The `UserCreated` event. Raises DuplicateEmail if another user has the address."""
    if email_owner is not None:
        raise DuplicateEmail(_duplicate(fields["contact_email"]))
    return [
        UserCreated(
            stream_id=user_stream(user_id),
            version=1,
            occurred_at=now,
            user_id=user_id,
            **{name: fields[name] for name in USER_FIELDS},
        )
    ]


def update_user(user: User, fields: Mapping[str, Any], email_owner: int | None, now: datetime) -> list[Event]:
    """A `UserUpdated` event for the fields that change, or nothing. Raises DuplicateEmail."""
    if email_owner not in (None, user.user_id):
        raise DuplicateEmail(_duplicate(fields["contact_email"]))
    changes = _changes(user, fields, USER_FIELDS)
    if not changes:
        return []
    return [UserUpdated(stream_id=user.stream_id, version=user.version + 1, occurred_at=now, changes=changes)]


def delete_user(user: User, now: datetime) -> list[Event]:
    """The `UserDeleted` event; the caller deletes the user's tasks in the same append."""
    return [UserDeleted(stream_id=user.stream_id, version=user.version + 1, occurred_at=now, user_id=user.user_id)]


def create_task(task_id: int, owner: User | None, fields: Mapping[str, Any], now: datetime) -> list[Event]:
    """The `TaskCreated` event. Raises UnknownUser if the owner does not exist."""
    if owner is None or owner.deleted:
        raise UnknownUser(_unknown_user(fields["user_id"]))
    return [
        TaskCreated(
            stream_id=task_stream(task_id),
            version=1,
            occurred_at=now,
            task_id=task_id,
            user_id=owner.user_id,
            title=fields["title"],
            description=fields.get("description"),
            status=fields.get("status", TaskStatus.NOT_STARTED),
            due_date=fields["due_date"],
            warning_offset=fields["warning_offset"],
        )
    ]


def update_task(task: Task, fields: Mapping[str, Any], new_owner: User | None, now: datetime) -> list[Event]:
    """Events for what changes: fields, then owner, then status. Raises UnknownUser."""
    events: list[Event] = []
    version = task.version
    if changes := _changes(task, fields, TASK_FIELDS):
        version += 1
        events.append(TaskUpdated(stream_id=task.stream_id, version=version, occurred_at=now, changes=changes))
    if "user_id" in fields and fields["user_id"] != task.user_id:
        if new_owner is None or new_owner.deleted:
            raise UnknownUser(_unknown_user(fields["user_id"]))
        version += 1
        events.append(
            TaskReassigned(
                stream_id=task.stream_id,
                version=version,
                occurred_at=now,
                old_user_id=task.user_id,
                new_user_id=new_owner.user_id,
            )
        )
    if "status" in fields and fields["status"] != task.status:
        version += 1
        events.append(
            TaskStatusChanged(
                stream_id=task.stream_id, version=version, occurred_at=now, old=task.status, new=fields["status"]
            )
        )
    return events


def delete_task(task: Task, now: datetime, *, cascade: bool = False) -> list[Event]:
    """The `TaskDeleted` event (`cascade` when its user is being deleted)."""
    return [
        TaskDeleted(
            stream_id=task.stream_id,
            version=task.version + 1,
            occurred_at=now,
            task_id=task.task_id,
            user_id=task.user_id,
            cascade=cascade,
        )
    ]


def _changes(current: object, fields: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {
        name: {"old": getattr(current, name), "new": fields[name]}
        for name in names
        if name in fields and fields[name] != getattr(current, name)
    }


def _duplicate(email: str) -> str:
    return f"The email address {email} is already used by another user"


def _unknown_user(user_id: object) -> str:
    return f"User {user_id} does not exist"
