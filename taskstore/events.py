"""Owns the event types: what can happen to users and tasks, named in the past tense.

Payloads hold plain values only. A stored type name is never renamed; a payload that
changes shape bumps `schema_version` and gets an upcaster in `taskstore.codec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


class TaskStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    BLOCKED = "BLOCKED"
    DEFERRED = "DEFERRED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


#: The statuses a task is finished in: no reminder, and time in status is counted up to them.
FINISHED = frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class Event:
    schema_version: ClassVar[int] = 1
    stream_id: str  # "task-42", "user-7"
    version: int  # 1, 2, 3... within that stream
    occurred_at: datetime  # UTC, timezone-aware: when the event was recorded


@dataclass(frozen=True, kw_only=True)
class UserCreated(Event):
    user_id: int
    first_name: str
    last_name: str
    contact_email: str


@dataclass(frozen=True, kw_only=True)
class UserUpdated(Event):
    """`changes` maps each changed field to `{"old": ..., "new": ...}`."""

    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class UserDeleted(Event):
    user_id: int


@dataclass(frozen=True, kw_only=True)
class TaskCreated(Event):
    task_id: int
    user_id: int
    title: str
    description: str | None
    status: TaskStatus
    due_date: str  # exactly as the client sent it
    warning_offset: int


@dataclass(frozen=True, kw_only=True)
class TaskUpdated(Event):
    """`changes` maps each changed field to `{"old": ..., "new": ...}`."""

    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TaskStatusChanged(Event):
    old: TaskStatus
    new: TaskStatus


@dataclass(frozen=True, kw_only=True)
class TaskReassigned(Event):
    old_user_id: int
    new_user_id: int


@dataclass(frozen=True, kw_only=True)
class TaskDeleted(Event):
    """`cascade` is true when the task went because its user was deleted."""

    task_id: int
    user_id: int
    cascade: bool = False


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        UserCreated,
        UserUpdated,
        UserDeleted,
        TaskCreated,
        TaskUpdated,
        TaskStatusChanged,
        TaskReassigned,
        TaskDeleted,
    )
}


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """An event as stored: its global position and who asked for it."""

    position: int
    event: Event
    request_id: str
    actor: str


def user_stream(user_id: int) -> str:
    return f"user-{user_id}"


def task_stream(task_id: int) -> str:
    return f"task-{task_id}"


def stream_number(stream_id: str) -> int:
    """The user or task id a stream belongs to: 42 for "task-42"."""
    return int(stream_id.rsplit("-", 1)[1])
