"""Small builders shared by the unit tests: events with sensible defaults, and commands
run the way the API runs them (read models answering the lookups, a fixed `Meta`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.replay import ViewLookups
from taskstore import commands
from taskstore.events import (
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
from taskstore.store import EventStore, Meta

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
META = Meta(request_id="req-00000000-0000-0000-0000-000000000000", actor="tester")
DUE = "2025-06-30T17:00:00-05:00"


def user_created(user_id: int = 1, version: int = 1, email: str | None = None) -> UserCreated:
    return UserCreated(
        stream_id=user_stream(user_id),
        version=version,
        occurred_at=NOW,
        user_id=user_id,
        first_name="Ada",
        last_name="Lovelace",
        contact_email=email or f"user{user_id}@example.com",
    )


def user_updated(user_id: int, version: int, **new: Any) -> UserUpdated:
    changes = {name: {"old": None, "new": value} for name, value in new.items()}
    return UserUpdated(stream_id=user_stream(user_id), version=version, occurred_at=NOW, changes=changes)


def user_deleted(user_id: int, version: int) -> UserDeleted:
    return UserDeleted(stream_id=user_stream(user_id), version=version, occurred_at=NOW, user_id=user_id)


def task_created(
    task_id: int = 1, user_id: int = 1, status: TaskStatus = TaskStatus.NOT_STARTED, title: str = "Write report"
) -> TaskCreated:
    return TaskCreated(
        stream_id=task_stream(task_id),
        version=1,
        occurred_at=NOW,
        task_id=task_id,
        user_id=user_id,
        title=title,
        description="Gather data",
        status=status,
        due_date=DUE,
        warning_offset=1440,
    )


def task_updated(task_id: int, version: int, **new: Any) -> TaskUpdated:
    changes = {name: {"old": None, "new": value} for name, value in new.items()}
    return TaskUpdated(stream_id=task_stream(task_id), version=version, occurred_at=NOW, changes=changes)


def status_changed(task_id: int, version: int, old: TaskStatus, new: TaskStatus) -> TaskStatusChanged:
    return TaskStatusChanged(stream_id=task_stream(task_id), version=version, occurred_at=NOW, old=old, new=new)


def reassigned(task_id: int, version: int, old: int, new: int) -> TaskReassigned:
    return TaskReassigned(
        stream_id=task_stream(task_id), version=version, occurred_at=NOW, old_user_id=old, new_user_id=new
    )


def task_deleted(task_id: int, version: int, user_id: int = 1, cascade: bool = False) -> TaskDeleted:
    return TaskDeleted(
        stream_id=task_stream(task_id),
        version=version,
        occurred_at=NOW,
        task_id=task_id,
        user_id=user_id,
        cascade=cascade,
    )


def add_user(store: EventStore, email: str, first: str = "Ada", last: str = "Lovelace") -> User:
    fields = {"first_name": first, "last_name": last, "contact_email": email}
    return commands.create_user(store, ViewLookups(store.db), fields, META)


def add_task(
    store: EventStore,
    user_id: int,
    title: str = "Write report",
    status: TaskStatus = TaskStatus.NOT_STARTED,
    due_date: str = DUE,
    description: str | None = "Gather data",
) -> Task:
    fields = {
        "user_id": user_id,
        "title": title,
        "description": description,
        "status": status,
        "due_date": due_date,
        "warning_offset": 1440,
    }
    return commands.create_task(store, fields, META)


def patch_task(store: EventStore, task_id: int, **fields: Any) -> Task:
    return commands.update_task(store, task_id, fields, META)


def patch_user(store: EventStore, user_id: int, **fields: Any) -> User:
    return commands.update_user(store, ViewLookups(store.db), user_id, fields, META)


def remove_user(store: EventStore, user_id: int) -> None:
    commands.delete_user(store, ViewLookups(store.db), user_id, META)


def remove_task(store: EventStore, task_id: int) -> None:
    commands.delete_task(store, task_id, META)


def small_history(store: EventStore) -> None:
    """2 users and 3 tasks (5 streams, 9 events): created, changed and one deleted."""
    ada = add_user(store, "ada@example.com", "Ada")
    grace = add_user(store, "grace@example.com", "Grace")
    first = add_task(store, ada.user_id, "first")  # position 3
    add_task(store, grace.user_id, "second")  # position 4
    third = add_task(store, ada.user_id, "third")  # position 5
    patch_task(store, first.task_id, status=TaskStatus.IN_PROGRESS)  # position 6
    patch_task(store, first.task_id, title="first, renamed")  # position 7
    patch_task(store, third.task_id, status=TaskStatus.BLOCKED)  # position 8
    remove_task(store, third.task_id)  # position 9
