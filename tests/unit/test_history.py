"""The history of a stream, computed from recorded events without any I/O."""

from __future__ import annotations

from taskstore.events import Event, Recorded, TaskStatus, TaskUpdated
from taskstore.history import Change, history
from tests.unit.builders import (
    NOW,
    reassigned,
    status_changed,
    task_created,
    task_deleted,
    task_updated,
    user_created,
    user_deleted,
    user_updated,
)


def recorded(*events: Event, first_position: int = 7) -> list[Recorded]:
    return [
        Recorded(position=first_position + i, event=e, request_id=f"req-{i}", actor=f"actor-{i}")
        for i, e in enumerate(events)
    ]


def test_a_task_creation_lists_every_field_but_the_id_from_none_to_its_value() -> None:
    created = task_created(task_id=4, user_id=2, title="Plan")
    [entry] = history(recorded(created))
    assert entry.changes == (
        Change("user_id", None, 2),
        Change("title", None, "Plan"),
        Change("description", None, created.description),
        Change("status", None, TaskStatus.NOT_STARTED),
        Change("due_date", None, created.due_date),
        Change("warning_offset", None, created.warning_offset),
    )


def test_a_user_creation_lists_names_and_email_but_not_the_id() -> None:
    [entry] = history(recorded(user_created(user_id=3, email="x@example.com")))
    assert entry.changes == (
        Change("first_name", None, "Ada"),
        Change("last_name", None, "Lovelace"),
        Change("contact_email", None, "x@example.com"),
    )


def test_an_entry_carries_the_records_version_position_type_time_request_and_actor() -> None:
    first, second = history(recorded(user_created(1), user_updated(1, 2, last_name="Byron"), first_position=40))
    assert (first.version, first.position, first.type) == (1, 40, "UserCreated")
    assert (second.version, second.position, second.type) == (2, 41, "UserUpdated")
    assert (second.occurred_at, second.request_id, second.actor) == (NOW, "req-1", "actor-1")


def test_an_update_lists_each_changed_field_with_its_old_and_new_value() -> None:
    changes = {"title": {"old": "Old", "new": "New"}, "warning_offset": {"old": 1440, "new": 5}}
    update = TaskUpdated(stream_id="task-1", version=2, occurred_at=NOW, changes=changes)
    [_, entry] = history(recorded(task_created(1), update))
    assert entry.changes == (Change("title", "Old", "New"), Change("warning_offset", 1440, 5))


def test_a_user_update_lists_its_changes() -> None:
    [_, entry] = history(recorded(user_created(1), user_updated(1, 2, contact_email="new@example.com")))
    assert entry.changes == (Change("contact_email", None, "new@example.com"),)


def test_a_status_change_is_a_change_of_status() -> None:
    change = status_changed(1, 2, TaskStatus.NOT_STARTED, TaskStatus.BLOCKED)
    [_, entry] = history(recorded(task_created(1), change))
    assert entry.changes == (Change("status", TaskStatus.NOT_STARTED, TaskStatus.BLOCKED),)
    assert not entry.deleted
    assert entry.cascade is None


def test_a_reassignment_is_a_change_of_user_id() -> None:
    [_, entry] = history(recorded(task_created(1, user_id=1), reassigned(1, 2, old=1, new=9)))
    assert entry.changes == (Change("user_id", 1, 9),)


def test_a_task_deletion_says_so_and_whether_it_was_a_cascade() -> None:
    direct = history(recorded(task_created(1), task_deleted(1, 2)))[-1]
    cascaded = history(recorded(task_created(1), task_deleted(1, 2, cascade=True)))[-1]
    assert (direct.deleted, direct.cascade, direct.changes) == (True, False, ())
    assert (cascaded.deleted, cascaded.cascade, cascaded.changes) == (True, True, ())


def test_a_user_deletion_says_so_without_a_cascade_flag() -> None:
    entry = history(recorded(user_created(1), user_deleted(1, 2)))[-1]
    assert (entry.deleted, entry.cascade, entry.changes) == (True, None, ())


def test_only_the_deletion_is_marked_deleted() -> None:
    entries = history(recorded(task_created(1), task_updated(1, 2, title="x"), task_deleted(1, 3)))
    assert [e.deleted for e in entries] == [False, False, True]
    assert [e.cascade for e in entries] == [None, None, False]


def test_an_empty_stream_has_an_empty_history() -> None:
    assert history([]) == []
