"""Owns users and tasks as pure folds over their events: `apply(state, event) -> state`.

History is fact: `apply` never raises, reads no clock and ignores events it does not use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from functools import reduce
from typing import Any

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
)

_IDENTITY = frozenset({"user_id", "task_id", "stream_id", "version", "deleted"})


@dataclass(frozen=True, kw_only=True)
class User:
    user_id: int
    stream_id: str
    version: int
    first_name: str
    last_name: str
    contact_email: str
    deleted: bool = False


@dataclass(frozen=True, kw_only=True)
class Task:
    task_id: int
    stream_id: str
    version: int
    user_id: int
    title: str
    description: str | None
    status: TaskStatus
    due_date: str
    warning_offset: int
    deleted: bool = False


def apply_user(user: User | None, event: Event) -> User | None:
    match event:
        case UserCreated():
            return User(
                user_id=event.user_id,
                stream_id=event.stream_id,
                version=event.version,
                first_name=event.first_name,
                last_name=event.last_name,
                contact_email=event.contact_email,
            )
        case UserUpdated() if user is not None:
            return replace(user, version=event.version, **_new_values(user, event.changes))
        case UserDeleted() if user is not None:
            return replace(user, version=event.version, deleted=True)
    return user


def apply_task(task: Task | None, event: Event) -> Task | None:
    match event:
        case TaskCreated():
            return Task(
                task_id=event.task_id,
                stream_id=event.stream_id,
                version=event.version,
                user_id=event.user_id,
                title=event.title,
                description=event.description,
                status=event.status,
                due_date=event.due_date,
                warning_offset=event.warning_offset,
            )
        case TaskUpdated() if task is not None:
            return replace(task, version=event.version, **_new_values(task, event.changes))
        case TaskStatusChanged() if task is not None:
            return replace(task, version=event.version, status=event.new)
        case TaskReassigned() if task is not None:
            return replace(task, version=event.version, user_id=event.new_user_id)
        case TaskDeleted() if task is not None:
            return replace(task, version=event.version, deleted=True)
    return task


def fold_user(events: Iterable[Event], initial: User | None = None) -> User | None:
    return reduce(apply_user, events, initial)


def fold_task(events: Iterable[Event], initial: Task | None = None) -> Task | None:
    return reduce(apply_task, events, initial)


def _new_values(state: User | Task, changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The new value of each changed field the state has; a field it does not know is ignored."""
    known = {f.name for f in fields(state)} - _IDENTITY
    return {name: change["new"] for name, change in changes.items() if name in known}
