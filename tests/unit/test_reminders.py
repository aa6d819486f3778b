"""reminders_view: when each open task's reminder fires, moved or removed by every change at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from projections import checkpoints, reminders, replay
from taskstore.events import TaskStatus
from taskstore.store import EventStore
from tests.unit.builders import DUE, add_task, add_user, patch_task, remove_task, remove_user

S = TaskStatus
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fires_at(due_date: str, offset_minutes: int) -> int:
    """Microseconds since the epoch of `due_date - offset`, read by Python's own ISO 8601 parser."""
    moment = datetime.fromisoformat(due_date)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment - timedelta(minutes=offset_minutes) - EPOCH) // timedelta(microseconds=1)


def schedule(store: EventStore) -> dict[int, int]:
    """task id -> remind_at_us, for every row of reminders_view."""
    return {r["task_id"]: r["remind_at_us"] for r in store.db.query(f"SELECT * FROM {reminders.NAME}")}


def test_an_open_task_is_reminded_its_offset_before_its_due_date(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id, due_date=DUE)

    assert schedule(store) == {task.task_id: fires_at(DUE, 1440)}
    assert fires_at(DUE, 1440) == fires_at("2025-06-29T22:00:00Z", 0)


def test_a_task_created_completed_or_cancelled_has_no_reminder(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    add_task(store, ada.user_id, status=S.COMPLETED)
    add_task(store, ada.user_id, status=S.CANCELLED)
    blocked = add_task(store, ada.user_id, status=S.BLOCKED)

    assert list(schedule(store)) == [blocked.task_id]


def test_changing_the_due_date_or_the_offset_moves_the_reminder_at_once(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id)

    patch_task(store, task.task_id, due_date="2025-07-01T08:00:00+02:00")
    assert schedule(store) == {task.task_id: fires_at("2025-07-01T08:00:00+02:00", 1440)}

    patch_task(store, task.task_id, warning_offset=0)
    assert schedule(store) == {task.task_id: fires_at("2025-07-01T08:00:00+02:00", 0)}

    patch_task(store, task.task_id, due_date="2025-08-01T00:00:00.25", warning_offset=64000)
    assert schedule(store) == {task.task_id: fires_at("2025-08-01T00:00:00.25", 64000)}


def test_a_change_of_title_owner_or_open_status_leaves_the_reminder_where_it_is(store: EventStore) -> None:
    ada, grace = add_user(store, "ada@example.com"), add_user(store, "grace@example.com")
    task = add_task(store, ada.user_id)
    before = schedule(store)

    patch_task(store, task.task_id, title="Renamed", user_id=grace.user_id, status=S.IN_PROGRESS)
    patch_task(store, task.task_id, status=S.DEFERRED)

    assert schedule(store) == before


def test_completing_or_cancelling_a_task_removes_its_reminder_at_once(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    done, dropped, kept = (add_task(store, ada.user_id, title) for title in ("done", "dropped", "kept"))

    patch_task(store, done.task_id, status=S.COMPLETED)
    patch_task(store, dropped.task_id, status=S.CANCELLED)
    patch_task(store, done.task_id, status=S.CANCELLED)

    assert list(schedule(store)) == [kept.task_id]


def test_a_task_reopened_from_completed_gets_its_reminder_back_with_its_latest_schedule(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id)
    patch_task(store, task.task_id, status=S.COMPLETED)
    patch_task(store, task.task_id, due_date="2026-01-01T00:00:00Z", warning_offset=60)
    assert schedule(store) == {}

    patch_task(store, task.task_id, status=S.IN_PROGRESS)

    assert schedule(store) == {task.task_id: fires_at("2026-01-01T00:00:00Z", 60)}


def test_a_task_created_cancelled_and_then_opened_gets_a_reminder(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id, status=S.CANCELLED, due_date="2025-05-05T05:05:05Z")

    patch_task(store, task.task_id, status=S.NOT_STARTED)

    assert schedule(store) == {task.task_id: fires_at("2025-05-05T05:05:05Z", 1440)}


def test_deleting_a_task_or_its_user_removes_its_reminder_open_or_finished(store: EventStore) -> None:
    ada, grace = add_user(store, "ada@example.com"), add_user(store, "grace@example.com")
    gone = add_task(store, ada.user_id, "gone")
    finished = add_task(store, grace.user_id, "finished", status=S.COMPLETED)
    cascaded = add_task(store, grace.user_id, "cascaded")
    kept = add_task(store, ada.user_id, "kept")

    remove_task(store, gone.task_id)
    remove_user(store, grace.user_id)

    assert list(schedule(store)) == [kept.task_id]
    assert [r["task_id"] for r in store.db.query(f"SELECT * FROM {reminders.PARKED}")] == []
    assert finished.task_id not in schedule(store)
    assert cascaded.task_id not in schedule(store)


def test_due_lists_reminders_up_to_and_including_until_soonest_first_ties_by_task_id(store: EventStore) -> None:
    ada = add_user(store, "ada@example.com")
    late = add_task(store, ada.user_id, "late", due_date="2025-07-02T00:00:00Z")
    tie_b = add_task(store, ada.user_id, "tie b", due_date="2025-07-01T05:00:00+05:00")
    tie_a = add_task(store, ada.user_id, "tie a", due_date="2025-07-01T00:00:00Z")
    early = add_task(store, ada.user_id, "early", due_date="2025-06-30T00:00:00")
    tie = fires_at("2025-07-01T00:00:00Z", 1440)

    def ids(until: int, offset: int = 0, limit: int = 10) -> list[int]:
        return [row["task_id"] for row in reminders.due(store.db, until, offset, limit)]

    assert ids(tie) == [early.task_id, tie_b.task_id, tie_a.task_id]
    assert ids(tie - 1) == [early.task_id]
    assert ids(fires_at("2025-07-02T00:00:00Z", 1440)) == [early.task_id, tie_b.task_id, tie_a.task_id, late.task_id]
    assert ids(tie, offset=1, limit=1) == [tie_b.task_id]
    [row] = reminders.due(store.db, tie, 0, 1)
    assert (row["title"], row["remind_at_us"]) == ("early", fires_at("2025-06-30T00:00:00Z", 1440))


def reminder_history(store: EventStore) -> None:
    """Tasks moved, finished, re-opened while rescheduled, cancelled and deleted."""
    ada, grace = add_user(store, "ada@example.com"), add_user(store, "grace@example.com")
    t1 = add_task(store, ada.user_id, "t1")
    t2 = add_task(store, ada.user_id, "t2", status=S.COMPLETED, due_date="2025-01-01T00:00:00Z")
    t3 = add_task(store, grace.user_id, "t3")
    patch_task(store, t1.task_id, status=S.COMPLETED)
    patch_task(store, t1.task_id, due_date="2025-09-09T09:09:09.9-09:00")
    patch_task(store, t1.task_id, status=S.BLOCKED, warning_offset=7)
    patch_task(store, t2.task_id, warning_offset=3)
    patch_task(store, t2.task_id, status=S.NOT_STARTED)
    patch_task(store, t3.task_id, status=S.CANCELLED)
    add_task(store, grace.user_id, "t4", status=S.DEFERRED)
    remove_user(store, grace.user_id)


def test_a_rebuild_gives_exactly_the_live_reminders(store: EventStore) -> None:
    reminder_history(store)
    live = replay.snapshot(store.db)

    replay.rebuild(store)

    assert replay.snapshot(store.db) == live
    assert sorted(schedule(store)) == [1, 2]


def test_reminders_replayed_alone_while_the_other_read_models_are_at_the_end_give_the_live_rows(
    store: EventStore,
) -> None:
    reminder_history(store)
    live = replay.snapshot(store.db)
    for table in reminders.TABLES:
        store.db.execute(f"DELETE FROM {table}")
    checkpoints.advance(store.db, reminders.NAME, 0)

    replay.catch_up(store)

    assert replay.snapshot(store.db) == live
