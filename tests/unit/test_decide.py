"""The rules: pure functions from live state and a request to the events it causes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from taskstore import decide
from taskstore.errors import DuplicateEmail, UnknownUser
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
)
from taskstore.state import Task, User
from tests.unit.builders import DUE, NOW

ADA = User(
    user_id=1, stream_id="user-1", version=3, first_name="Ada", last_name="Lovelace", contact_email="ada@example.com"
)
GRACE = User(
    user_id=2, stream_id="user-2", version=1, first_name="Grace", last_name="Hopper", contact_email="g@example.com"
)
TASK = Task(
    task_id=5,
    stream_id="task-5",
    version=4,
    user_id=1,
    title="Write report",
    description="Gather data",
    status=TaskStatus.IN_PROGRESS,
    due_date=DUE,
    warning_offset=1440,
)
NEW_TASK: dict[str, Any] = {"user_id": 1, "title": "Write report", "due_date": DUE, "warning_offset": 60}


# --- users --------------------------------------------------------------------------


def test_creating_a_user_gives_one_user_created_event_at_version_one() -> None:
    fields = {"first_name": "Ada", "last_name": "Lovelace", "contact_email": "ada@example.com"}

    events = decide.create_user(9, fields, None, NOW)

    assert events == [
        UserCreated(
            stream_id="user-9",
            version=1,
            occurred_at=NOW,
            user_id=9,
            first_name="Ada",
            last_name="Lovelace",
            contact_email="ada@example.com",
        )
    ]


def test_creating_a_user_with_an_address_another_user_has_raises_duplicate_email() -> None:
    fields = {"first_name": "Ada", "last_name": "L", "contact_email": "ADA@example.com"}

    with pytest.raises(DuplicateEmail) as raised:
        decide.create_user(9, fields, 1, NOW)

    assert raised.value.code == "DUPLICATE_EMAIL"
    assert "ADA@example.com" in raised.value.message


def test_updating_a_user_records_old_and_new_of_each_changed_field_only() -> None:
    events = decide.update_user(ADA, {"first_name": "Augusta", "last_name": "Lovelace"}, None, NOW)

    assert events == [
        UserUpdated(
            stream_id="user-1", version=4, occurred_at=NOW, changes={"first_name": {"old": "Ada", "new": "Augusta"}}
        )
    ]


def test_updating_a_user_to_the_values_it_has_gives_no_events() -> None:
    same = {"first_name": "Ada", "last_name": "Lovelace", "contact_email": "ada@example.com"}

    assert decide.update_user(ADA, same, 1, NOW) == []


def test_a_user_may_change_the_case_of_their_own_address() -> None:
    [event] = decide.update_user(ADA, {"contact_email": "Ada@Example.com"}, ADA.user_id, NOW)

    assert isinstance(event, UserUpdated)
    assert event.changes == {"contact_email": {"old": "ada@example.com", "new": "Ada@Example.com"}}


def test_updating_a_user_to_an_address_another_user_has_raises_duplicate_email() -> None:
    with pytest.raises(DuplicateEmail):
        decide.update_user(ADA, {"contact_email": "g@example.com"}, GRACE.user_id, NOW)


def test_deleting_a_user_gives_user_deleted_at_the_next_version() -> None:
    assert decide.delete_user(ADA, NOW) == [UserDeleted(stream_id="user-1", version=4, occurred_at=NOW, user_id=1)]


# --- creating and deleting tasks ----------------------------------------------------


def test_creating_a_task_gives_task_created_not_started_with_no_description_by_default() -> None:
    [event] = decide.create_task(7, ADA, NEW_TASK, NOW)

    assert event == TaskCreated(
        stream_id="task-7",
        version=1,
        occurred_at=NOW,
        task_id=7,
        user_id=1,
        title="Write report",
        description=None,
        status=TaskStatus.NOT_STARTED,
        due_date=DUE,
        warning_offset=60,
    )


def test_creating_a_task_keeps_the_given_status_description_and_due_date_text() -> None:
    fields = {**NEW_TASK, "status": TaskStatus.BLOCKED, "description": "why", "due_date": "2025-06-30T22:00:00.000Z"}

    [event] = decide.create_task(7, ADA, fields, NOW)

    assert isinstance(event, TaskCreated)
    assert (event.status, event.description, event.due_date) == (TaskStatus.BLOCKED, "why", "2025-06-30T22:00:00.000Z")


def test_creating_a_task_for_a_user_that_does_not_exist_raises_unknown_user() -> None:
    with pytest.raises(UnknownUser) as raised:
        decide.create_task(7, None, {**NEW_TASK, "user_id": 42}, NOW)

    assert raised.value.code == "INVALID_USER_ID"
    assert "42" in raised.value.message


def test_creating_a_task_for_a_deleted_user_raises_unknown_user() -> None:
    with pytest.raises(UnknownUser):
        decide.create_task(7, replace(ADA, deleted=True), NEW_TASK, NOW)


def test_deleting_a_task_gives_task_deleted_at_the_next_version_naming_its_user() -> None:
    assert decide.delete_task(TASK, NOW) == [
        TaskDeleted(stream_id="task-5", version=5, occurred_at=NOW, task_id=5, user_id=1, cascade=False)
    ]


def test_a_task_deleted_with_its_user_is_marked_as_a_cascade() -> None:
    [event] = decide.delete_task(TASK, NOW, cascade=True)

    assert isinstance(event, TaskDeleted)
    assert event.cascade is True


# --- updating tasks -----------------------------------------------------------------


def test_changing_the_status_gives_one_status_change_with_old_and_new() -> None:
    events = decide.update_task(TASK, {"status": TaskStatus.BLOCKED}, None, NOW)

    assert events == [
        TaskStatusChanged(
            stream_id="task-5", version=5, occurred_at=NOW, old=TaskStatus.IN_PROGRESS, new=TaskStatus.BLOCKED
        )
    ]


@pytest.mark.parametrize("old", list(TaskStatus))
@pytest.mark.parametrize("new", list(TaskStatus))
def test_any_status_may_be_set_from_any_other(old: TaskStatus, new: TaskStatus) -> None:
    events = decide.update_task(replace(TASK, status=old), {"status": new}, None, NOW)

    assert events == (
        [] if old == new else [TaskStatusChanged(stream_id="task-5", version=5, occurred_at=NOW, old=old, new=new)]
    )


def test_setting_every_field_to_the_value_it_has_gives_no_events() -> None:
    same = {
        "user_id": 1,
        "title": "Write report",
        "description": "Gather data",
        "status": TaskStatus.IN_PROGRESS,
        "due_date": DUE,
        "warning_offset": 1440,
    }

    assert decide.update_task(TASK, same, None, NOW) == []


def test_a_due_date_naming_the_same_instant_in_other_words_is_a_change() -> None:
    [event] = decide.update_task(TASK, {"due_date": "2025-06-30T22:00:00Z"}, None, NOW)

    assert isinstance(event, TaskUpdated)
    assert event.changes == {"due_date": {"old": DUE, "new": "2025-06-30T22:00:00Z"}}


def test_clearing_the_description_records_a_change_to_none() -> None:
    [event] = decide.update_task(TASK, {"description": None}, None, NOW)

    assert isinstance(event, TaskUpdated)
    assert event.changes == {"description": {"old": "Gather data", "new": None}}


def test_a_patch_of_fields_owner_and_status_gives_update_then_reassign_then_status_at_consecutive_versions() -> None:
    fields = {"status": TaskStatus.DEFERRED, "user_id": 2, "due_date": "2025-07-15T17:00:00-05:00", "title": "Later"}

    events = decide.update_task(TASK, fields, GRACE, NOW)

    assert events == [
        TaskUpdated(
            stream_id="task-5",
            version=5,
            occurred_at=NOW,
            changes={
                "title": {"old": "Write report", "new": "Later"},
                "due_date": {"old": DUE, "new": "2025-07-15T17:00:00-05:00"},
            },
        ),
        TaskReassigned(stream_id="task-5", version=6, occurred_at=NOW, old_user_id=1, new_user_id=2),
        TaskStatusChanged(
            stream_id="task-5", version=7, occurred_at=NOW, old=TaskStatus.IN_PROGRESS, new=TaskStatus.DEFERRED
        ),
    ]


def test_a_patch_where_only_the_status_changes_gives_the_status_change_at_the_next_version() -> None:
    fields = {"title": "Write report", "user_id": 1, "status": TaskStatus.COMPLETED}

    events = decide.update_task(TASK, fields, None, NOW)

    assert [(type(e).__name__, e.version) for e in events] == [("TaskStatusChanged", 5)]


def test_reassigning_a_task_to_a_user_that_does_not_exist_raises_unknown_user() -> None:
    with pytest.raises(UnknownUser):
        decide.update_task(TASK, {"user_id": 42, "title": "New"}, None, NOW)


def test_reassigning_a_task_to_a_deleted_user_raises_unknown_user() -> None:
    with pytest.raises(UnknownUser):
        decide.update_task(TASK, {"user_id": 2}, replace(GRACE, deleted=True), NOW)


def test_naming_the_current_owner_needs_no_owner_and_gives_no_reassignment() -> None:
    assert decide.update_task(TASK, {"user_id": 1}, None, NOW) == []


def test_deciding_does_not_modify_the_state_or_fields_it_was_given() -> None:
    fields = {"status": TaskStatus.DEFERRED, "user_id": 2, "title": "Later"}
    fields_before, task_before = dict(fields), replace(TASK)

    decide.update_task(TASK, fields, GRACE, NOW)

    assert fields == fields_before
    assert task_before == TASK
