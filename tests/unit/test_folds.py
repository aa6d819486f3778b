"""Users and tasks as pure folds over their events."""

from __future__ import annotations

from dataclasses import replace

import pytest

from taskstore.events import Event, TaskStatus
from taskstore.state import Task, User, apply_task, apply_user, fold_task, fold_user
from tests.unit.builders import (
    DUE,
    reassigned,
    status_changed,
    task_created,
    task_deleted,
    task_updated,
    user_created,
    user_deleted,
    user_updated,
)

LIVE_USER = User(
    user_id=1,
    stream_id="user-1",
    version=1,
    first_name="Ada",
    last_name="Lovelace",
    contact_email="user1@example.com",
)
LIVE_TASK = Task(
    task_id=1,
    stream_id="task-1",
    version=1,
    user_id=1,
    title="Write report",
    description="Gather data",
    status=TaskStatus.NOT_STARTED,
    due_date=DUE,
    warning_offset=1440,
)
EVERY_EVENT: list[Event] = [
    user_created(1),
    user_updated(1, 2, first_name="Grace"),
    user_deleted(1, 3),
    task_created(1),
    task_updated(1, 2, title="Other", description=None),
    status_changed(1, 3, TaskStatus.NOT_STARTED, TaskStatus.BLOCKED),
    reassigned(1, 4, old=1, new=2),
    task_deleted(1, 5),
]
USER_STATES = [None, LIVE_USER, replace(LIVE_USER, deleted=True)]
TASK_STATES = [None, LIVE_TASK, replace(LIVE_TASK, deleted=True)]


# --- users --------------------------------------------------------------------------


def test_a_created_user_has_the_events_fields_and_version_one() -> None:
    assert fold_user([user_created(1)]) == LIVE_USER


def test_an_update_changes_only_the_named_fields_and_takes_the_events_version() -> None:
    user = fold_user([user_created(1), user_updated(1, 2, last_name="Byron", contact_email="ada@byron.org")])

    assert user == replace(LIVE_USER, version=2, last_name="Byron", contact_email="ada@byron.org")


def test_a_deleted_user_is_marked_deleted_and_keeps_its_last_values() -> None:
    user = fold_user([user_created(1), user_updated(1, 2, first_name="Grace"), user_deleted(1, 3)])

    assert user == replace(LIVE_USER, version=3, first_name="Grace", deleted=True)


def test_folding_no_events_gives_the_initial_state() -> None:
    assert fold_user([]) is None
    assert fold_user([], LIVE_USER) is LIVE_USER


def test_folding_from_an_initial_user_continues_where_it_left_off() -> None:
    assert fold_user([user_deleted(1, 2)], LIVE_USER) == replace(LIVE_USER, version=2, deleted=True)


def test_a_user_ignores_task_events() -> None:
    for event in EVERY_EVENT[3:]:
        assert apply_user(LIVE_USER, event) is LIVE_USER
        assert apply_user(None, event) is None


def test_user_updates_and_deletes_before_any_creation_leave_no_user() -> None:
    assert fold_user([user_updated(1, 2, first_name="Grace"), user_deleted(1, 3)]) is None


def test_applying_to_a_user_does_not_modify_the_state_it_was_given() -> None:
    before = replace(LIVE_USER)
    apply_user(LIVE_USER, user_updated(1, 2, first_name="Grace"))

    assert before == LIVE_USER


# --- tasks --------------------------------------------------------------------------


def test_a_created_task_has_the_events_fields_and_version_one() -> None:
    assert fold_task([task_created(1)]) == LIVE_TASK


def test_a_task_created_in_another_status_starts_in_it() -> None:
    assert fold_task([task_created(1, status=TaskStatus.DEFERRED)]) == replace(LIVE_TASK, status=TaskStatus.DEFERRED)


def test_a_task_update_changes_only_the_named_fields_and_can_clear_the_description() -> None:
    task = fold_task([task_created(1), task_updated(1, 2, description=None, warning_offset=0)])

    assert task == replace(LIVE_TASK, version=2, description=None, warning_offset=0)


def test_the_task_lifecycle_of_the_tutorial_folds_to_completed() -> None:
    events = [
        task_created(1),
        status_changed(1, 2, TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS),
        task_updated(1, 3, description="Gather data BLOCKED: waiting"),
        status_changed(1, 4, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED),
        status_changed(1, 5, TaskStatus.BLOCKED, TaskStatus.IN_PROGRESS),
        status_changed(1, 6, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED),
    ]

    task = fold_task(events)

    assert task == replace(
        LIVE_TASK, version=6, status=TaskStatus.COMPLETED, description="Gather data BLOCKED: waiting"
    )


def test_a_status_change_takes_the_new_status_whatever_the_old_one_says() -> None:
    task = apply_task(LIVE_TASK, status_changed(1, 2, TaskStatus.BLOCKED, TaskStatus.CANCELLED))

    assert task == replace(LIVE_TASK, version=2, status=TaskStatus.CANCELLED)


def test_a_reassigned_task_belongs_to_the_new_user() -> None:
    assert apply_task(LIVE_TASK, reassigned(1, 2, old=1, new=7)) == replace(LIVE_TASK, version=2, user_id=7)


def test_a_deleted_task_is_marked_deleted_and_keeps_its_last_values() -> None:
    task = fold_task(
        [task_created(1), status_changed(1, 2, TaskStatus.NOT_STARTED, TaskStatus.BLOCKED), task_deleted(1, 3)]
    )

    assert task == replace(LIVE_TASK, version=3, status=TaskStatus.BLOCKED, deleted=True)


def test_a_task_ignores_user_events() -> None:
    for event in EVERY_EVENT[:3]:
        assert apply_task(LIVE_TASK, event) is LIVE_TASK
        assert apply_task(None, event) is None


def test_task_events_before_any_creation_leave_no_task() -> None:
    assert fold_task(EVERY_EVENT[4:]) is None


# --- history is fact: apply never raises --------------------------------------------


@pytest.mark.parametrize("state", USER_STATES, ids=["none", "live", "deleted"])
@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_applying_any_event_to_any_user_state_never_raises(state: User | None, event: Event) -> None:
    result = apply_user(state, event)

    assert result is None or isinstance(result, User)


@pytest.mark.parametrize("state", TASK_STATES, ids=["none", "live", "deleted"])
@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_applying_any_event_to_any_task_state_never_raises(state: Task | None, event: Event) -> None:
    result = apply_task(state, event)

    assert result is None or isinstance(result, Task)


def test_an_event_type_the_fold_does_not_know_is_ignored() -> None:
    class TaskArchived(Event):
        pass

    unknown = TaskArchived(stream_id="task-1", version=2, occurred_at=task_created(1).occurred_at)

    assert apply_task(LIVE_TASK, unknown) is LIVE_TASK
    assert apply_user(LIVE_USER, unknown) is LIVE_USER


def test_a_change_to_a_field_the_state_does_not_have_is_ignored_not_raised() -> None:
    """A stored TaskUpdated naming a field this code does not know (written by a newer
    version, say) is still history: the fold applies what it knows and carries on."""
    task = apply_task(LIVE_TASK, task_updated(1, 2, title="Kept", priority="high"))
    user = apply_user(LIVE_USER, user_updated(1, 2, first_name="Kept", nickname="Countess"))

    assert task == replace(LIVE_TASK, version=2, title="Kept")
    assert user == replace(LIVE_USER, version=2, first_name="Kept")
