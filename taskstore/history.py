"""Owns the history of one stream: its recorded events as entries saying what changed.

Pure: no I/O, no clock. Field names are the internal ones (`title`, `due_date`...); the
HTTP layer and the command line rename them for their readers. History is fact, so an
event type this module does not know yields an entry with no changes rather than an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from taskstore.events import (
    Event,
    Recorded,
    TaskCreated,
    TaskDeleted,
    TaskReassigned,
    TaskStatusChanged,
    TaskUpdated,
    UserCreated,
    UserDeleted,
    UserUpdated,
)

_ENVELOPE = frozenset({"stream_id", "version", "occurred_at"})
#: The id field of each creation event: it names the stream, so it is not a change.
_CREATED_ID = {TaskCreated: "task_id", UserCreated: "user_id"}


class Change(NamedTuple):
    """One field's value before and after an event (`old` is None when it had none)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One event of a stream as its history shows it.

    `deleted` is true only for the stream's deletion; `cascade` is set only on a task's
    deletion and says whether the task went because its user was deleted.
    """

    version: int
    position: int
    type: str
    occurred_at: datetime
    request_id: str
    actor: str
    changes: tuple[Change, ...]
    deleted: bool = False
    cascade: bool | None = None


def history(records: Iterable[Recorded]) -> list[Entry]:
    """The entries of one stream's recorded events, in the order given (version order)."""
    return [entry(record) for record in records]


def entry(record: Recorded) -> Entry:
    """The history entry of one recorded event."""
    event = record.event
    return Entry(
        version=event.version,
        position=record.position,
        type=type(event).__name__,
        occurred_at=event.occurred_at,
        request_id=record.request_id,
        actor=record.actor,
        changes=tuple(changes(event)),
        deleted=isinstance(event, TaskDeleted | UserDeleted),
        cascade=event.cascade if isinstance(event, TaskDeleted) else None,
    )


def changes(event: Event) -> list[Change]:
    """What `event` changed, field by field, in the resource's field order."""
    match event:
        case TaskCreated() | UserCreated():
            skip = _ENVELOPE | {_CREATED_ID[type(event)]}
            names = [f.name for f in dataclasses.fields(event) if f.name not in skip]
            return [Change(name, None, getattr(event, name)) for name in names]
        case TaskUpdated(changes=changed) | UserUpdated(changes=changed):
            return [Change(name, value["old"], value["new"]) for name, value in changed.items()]
        case TaskStatusChanged(old=old, new=new):
            return [Change("status", old, new)]
        case TaskReassigned(old_user_id=old, new_user_id=new):
            return [Change("user_id", old, new)]
    return []
