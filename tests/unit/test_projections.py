"""The read models: what each holds after sequences of commands, rebuilt and caught up."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from projections import by_status, checkpoints, durations, reminders, replay, tasks, users
from taskstore.dates import instant_us
from taskstore.errors import ConcurrencyConflict, DuplicateEmail
from taskstore.events import TaskStatus
from taskstore.signals import event_appended
from taskstore.store import EventStore
from tests.unit.builders import (
    DUE,
    META,
    add_task,
    add_user,
    patch_task,
    patch_user,
    remove_task,
    remove_user,
    task_created,
    user_created,
)

S = TaskStatus


def table(store: EventStore, name: str, order: str = "1") -> list[dict[str, Any]]:
    return list(store.db.query(f"SELECT * FROM {name} ORDER BY {order}"))


def status_rows(store: EventStore) -> list[tuple[str, int]]:
    return [(r["status"], r["task_id"]) for r in table(store, by_status.NAME, "task_id")]


def busy_history(store: EventStore) -> None:
    """Users and tasks created, changed, reassigned and deleted, with a cascade."""
    ada = add_user(store, "ada@example.com", "Ada")
    grace = add_user(store, "grace@example.com", "Grace")
    alan = add_user(store, "alan@example.com", "Alan")
    t1 = add_task(store, ada.user_id, "t1")
    t2 = add_task(store, ada.user_id, "t2", status=S.BLOCKED, due_date="2025-06-30T21:00:00Z")
    t3 = add_task(store, grace.user_id, "t3", description=None)
    t4 = add_task(store, alan.user_id, "t4", status=S.IN_PROGRESS)
    patch_task(store, t1.task_id, status=S.IN_PROGRESS)
    patch_task(store, t1.task_id, status=S.COMPLETED, description="done")
    patch_task(store, t2.task_id, user_id=grace.user_id, status=S.DEFERRED, due_date="2025-07-01T00:00:00+02:00")
    patch_task(store, t3.task_id, title="t3 renamed", warning_offset=0)
    patch_user(store, grace.user_id, contact_email="Grace@Navy.mil", last_name="Hopper")
    remove_task(store, t4.task_id)
    remove_user(store, alan.user_id)
    add_task(store, ada.user_id, "t5", status=S.CANCELLED)
    remove_user(store, ada.user_id)
    add_user(store, "ada@example.com", "Ada again")


# --- users_view ---------------------------------------------------------------------


def test_users_view_holds_each_live_user_with_a_case_folded_email_key(store: EventStore) -> None:
    ada = add_user(store, "Ada@Example.com", "Ada", "Lovelace")
    add_user(store, "grace@example.com", "Grace", "Hopper")

    assert table(store, users.NAME) == [
        {"user_id": ada.user_id, "first_name": "Ada", "last_name": "Lovelace", "contact_email": "Ada@Example.com",
         "email_key": "ada@example.com", "version": 1},
        {"user_id": 2, "first_name": "Grace", "last_name": "Hopper", "contact_email": "grace@example.com",
         "email_key": "grace@example.com", "version": 1},
    ]  # fmt: skip


def test_users_view_follows_updates_and_forgets_deleted_users(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    grace = add_user(store, "grace@example.com")

    patch_user(store, ada.user_id, last_name="Byron", contact_email="ADA@byron.org")
    remove_user(store, grace.user_id)

    [row] = table(store, users.NAME)
    assert (row["user_id"], row["last_name"], row["contact_email"], row["email_key"], row["version"]) == (
        1, "Byron", "ADA@byron.org", "ada@byron.org", 2,
    )  # fmt: skip
    assert users.user_with_email(store.db, "ada@BYRON.org") == 1
    assert users.user_with_email(store.db, "ada@example.com") is None
    assert users.user_with_email(store.db, "grace@example.com") is None


def test_the_address_of_a_deleted_user_can_be_used_again_but_not_twice(store: EventStore) -> None:
    first = add_user(store, "reuse@example.com")
    remove_user(store, first.user_id)

    second = add_user(store, "reuse@example.com")
    with pytest.raises(DuplicateEmail):
        add_user(store, "REUSE@example.com")

    assert second.user_id == first.user_id + 1
    assert [r["user_id"] for r in table(store, users.NAME)] == [second.user_id]


# --- tasks_view ---------------------------------------------------------------------


def test_tasks_view_holds_each_live_task_with_its_due_instant(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id, "Write report", due_date="2025-06-30T17:00:00.5-05:00")

    assert table(store, tasks.NAME) == [
        {"task_id": task.task_id, "user_id": ada.user_id, "title": "Write report", "description": "Gather data",
         "status": "NOT_STARTED", "due_date": "2025-06-30T17:00:00.5-05:00",
         "due_at_us": instant_us("2025-06-30T22:00:00.500Z"), "warning_offset": 1440, "version": 1},
    ]  # fmt: skip


def test_tasks_view_follows_field_status_and_owner_changes(store: EventStore) -> None:
    ada, grace = add_user(store, "ada@example.com"), add_user(store, "grace@example.com")
    task = add_task(store, ada.user_id)

    patch_task(store, task.task_id, title="New", description=None, due_date="2025-07-01T00:00:00Z", warning_offset=5)
    patch_task(store, task.task_id, user_id=grace.user_id, status=S.DEFERRED)

    [row] = table(store, tasks.NAME)
    assert row == {
        "task_id": task.task_id, "user_id": grace.user_id, "title": "New", "description": None, "status": "DEFERRED",
        "due_date": "2025-07-01T00:00:00Z", "due_at_us": instant_us("2025-07-01T00:00:00Z"), "warning_offset": 5,
        "version": 4,
    }  # fmt: skip
    assert row["version"] == store.stream_version(task.stream_id)


def test_tasks_view_forgets_a_deleted_task(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    kept, gone = add_task(store, ada.user_id, "kept"), add_task(store, ada.user_id, "gone")

    remove_task(store, gone.task_id)

    assert [r["task_id"] for r in table(store, tasks.NAME)] == [kept.task_id]
    assert tasks.get(store.db, gone.task_id) is None


def test_deleting_a_user_removes_exactly_their_tasks_from_every_view(store: EventStore) -> None:
    ada, grace = add_user(store, "ada@example.com"), add_user(store, "grace@example.com")
    add_task(store, ada.user_id, "a1", status=S.BLOCKED)
    add_task(store, ada.user_id, "a2", status=S.COMPLETED)
    kept = add_task(store, grace.user_id, "g1", status=S.BLOCKED)

    remove_user(store, ada.user_id)

    assert [r["task_id"] for r in table(store, tasks.NAME)] == [kept.task_id]
    assert status_rows(store) == [("BLOCKED", kept.task_id)]
    assert by_status.counts(store.db)["BLOCKED"] == 1
    assert by_status.counts(store.db)["COMPLETED"] == 0


def test_tasks_page_sorts_due_dates_by_the_instant_they_name_not_their_text(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    a = add_task(store, ada.user_id, "A", due_date="2025-06-30T17:00:00-05:00")
    b = add_task(store, ada.user_id, "B", due_date="2025-06-30T20:00:00+00:00")
    c = add_task(store, ada.user_id, "C", due_date="2025-06-30T21:00:00Z")

    ascending = [r["task_id"] for r in tasks.page(store.db, None, "dueDate", False, 0, 10)]
    descending = [r["task_id"] for r in tasks.page(store.db, None, "dueDate", True, 0, 10)]

    assert ascending == [b.task_id, c.task_id, a.task_id]
    assert descending == [a.task_id, c.task_id, b.task_id]


# --- tasks_by_status_view and task_status_counts_view -------------------------------


def test_the_status_views_follow_each_status_change(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id)
    assert status_rows(store) == [("NOT_STARTED", task.task_id)]

    for new in (S.IN_PROGRESS, S.BLOCKED, S.IN_PROGRESS, S.COMPLETED):
        patch_task(store, task.task_id, status=new)
        assert status_rows(store) == [(str(new), task.task_id)]
        assert by_status.counts(store.db) == {str(s): int(s == new) for s in S}


def test_the_status_counts_start_at_zero_for_all_six_statuses(store: EventStore) -> None:
    assert by_status.counts(store.db) == {str(s): 0 for s in S}


def test_the_status_views_partition_the_live_tasks_exactly_after_a_busy_history(store: EventStore) -> None:
    busy_history(store)

    live = [(r["status"], r["task_id"]) for r in table(store, tasks.NAME, "task_id")]
    assert status_rows(store) == live
    assert by_status.counts(store.db) == {str(s): Counter(s for s, _ in live)[str(s)] for s in S}


# --- projection_positions -----------------------------------------------------------


def test_every_read_model_records_the_last_position_it_applied(store: EventStore) -> None:
    busy_history(store)

    last = store.last_position()
    assert last > 20
    assert {r["name"]: r["position"] for r in table(store, checkpoints.TABLE)} == {
        users.NAME: last,
        tasks.NAME: last,
        by_status.NAME: last,
        reminders.NAME: last,
        durations.NAME: last,
    }


def test_a_failed_command_moves_no_checkpoint(store: EventStore) -> None:
    add_user(store, "ada@example.com")
    before = table(store, checkpoints.TABLE)

    with pytest.raises(DuplicateEmail):
        add_user(store, "ADA@example.com")

    assert table(store, checkpoints.TABLE) == before


# --- rebuild ------------------------------------------------------------------------


def test_a_rebuild_gives_exactly_the_live_read_models(store: EventStore) -> None:
    busy_history(store)
    live = replay.snapshot(store.db)

    replayed = replay.rebuild(store)

    assert replayed == store.last_position()
    assert replay.snapshot(store.db) == live


def test_rebuilding_twice_gives_the_same_read_models_as_once(store: EventStore) -> None:
    busy_history(store)
    replay.rebuild(store)
    once = replay.snapshot(store.db)

    replay.rebuild(store)

    assert replay.snapshot(store.db) == once


def test_a_rebuild_repairs_read_models_that_were_tampered_with(store: EventStore) -> None:
    busy_history(store)
    live = replay.snapshot(store.db)
    store.db.execute(f"DELETE FROM {tasks.NAME}")
    store.db.execute(f"UPDATE {users.NAME} SET first_name = 'Mallory'")
    store.db.execute(f"DROP TABLE {by_status.COUNTS}")

    replay.rebuild(store)

    assert replay.snapshot(store.db) == live


def test_a_rebuild_of_an_empty_log_gives_empty_read_models(store: EventStore) -> None:
    assert replay.rebuild(store) == 0

    snap = replay.snapshot(store.db)
    assert snap[users.NAME] == snap[tasks.NAME] == snap[by_status.NAME] == []
    assert [r["task_count"] for r in snap[by_status.COUNTS]] == [0] * 6


# --- catching up with events appended while nobody listened -------------------------


def test_catch_up_applies_events_appended_while_the_read_models_were_unsubscribed(store: EventStore) -> None:
    add_user(store, "ada@example.com")
    with event_appended.muted():
        store.append("user-2", 0, [user_created(2)], META)
        store.append("task-1", 0, [task_created(1, user_id=2, status=S.BLOCKED)], META)
    assert users.get(store.db, 2) is None
    assert tasks.get(store.db, 1) is None

    applied = replay.catch_up(store)

    assert applied == 2
    assert users.get(store.db, 2) is not None
    assert status_rows(store) == [("BLOCKED", 1)]
    caught_up = replay.snapshot(store.db)
    replay.rebuild(store)
    assert replay.snapshot(store.db) == caught_up


def test_catch_up_with_nothing_missed_changes_nothing(store: EventStore) -> None:
    busy_history(store)
    live = replay.snapshot(store.db)

    assert replay.catch_up(store) == 0
    assert replay.snapshot(store.db) == live


def test_the_next_append_fills_in_the_events_a_read_model_missed(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    with event_appended.muted():
        store.append("user-2", 0, [user_created(2)], META)
        store.append("task-1", 0, [task_created(1, user_id=2)], META)

    task = add_task(store, ada.user_id, "after")

    assert [r["user_id"] for r in table(store, users.NAME)] == [1, 2]
    assert [r["task_id"] for r in table(store, tasks.NAME)] == [1, task.task_id]
    assert status_rows(store) == [("NOT_STARTED", 1), ("NOT_STARTED", task.task_id)]
    assert {r["position"] for r in table(store, checkpoints.TABLE)} == {store.last_position()}
    followed = replay.snapshot(store.db)
    replay.rebuild(store)
    assert replay.snapshot(store.db) == followed


def test_a_command_that_conflicts_leaves_the_read_models_untouched(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    before = replay.snapshot(store.db)

    with pytest.raises(ConcurrencyConflict):
        store.append(ada.stream_id, 0, [user_created(1)], META)

    assert replay.snapshot(store.db) == before


def test_due_date_text_and_instant_survive_a_rebuild(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    add_task(store, ada.user_id, "A", due_date=DUE)
    add_task(store, ada.user_id, "B", due_date="2025-06-30T17:00:00.123456")

    replay.rebuild(store)

    assert [(r["due_date"], r["due_at_us"]) for r in table(store, tasks.NAME, "task_id")] == [
        (DUE, instant_us("2025-06-30T22:00:00Z")),
        ("2025-06-30T17:00:00.123456", instant_us("2025-06-30T17:00:00.123456Z")),
    ]
