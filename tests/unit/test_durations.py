"""Time in status: added up from the events' recorded times, and summarised for finished tasks."""

from __future__ import annotations

import dataclasses
import statistics
from datetime import timedelta

from projections import durations, replay
from taskstore.events import Event, TaskStatus
from taskstore.store import EventStore
from tests.unit.builders import META, NOW, status_changed, task_created, task_deleted

S = TaskStatus


class Log:
    """Appends task events with chosen recorded times (minutes after NOW), keeping each stream's version.

    Times must not go back: the store records a time earlier than the last one as the last one."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.versions: dict[int, int] = {}
        self.statuses: dict[int, TaskStatus] = {}

    def create(self, task_id: int, minute: float, status: TaskStatus = S.NOT_STARTED) -> None:
        self._append(task_id, task_created(task_id, status=status), minute)
        self.statuses[task_id] = status

    def move(self, task_id: int, minute: float, new: TaskStatus) -> None:
        version = self.versions[task_id] + 1
        self._append(task_id, status_changed(task_id, version, self.statuses[task_id], new), minute)
        self.statuses[task_id] = new

    def delete(self, task_id: int, minute: float) -> None:
        self._append(task_id, task_deleted(task_id, self.versions[task_id] + 1), minute)

    def _append(self, task_id: int, event: Event, minute: float) -> None:
        event = dataclasses.replace(event, occurred_at=NOW + timedelta(minutes=minute))
        self.store.append(event.stream_id, event.version - 1, [event], META)
        self.versions[task_id] = event.version


def seconds_in(store: EventStore) -> dict[tuple[int, str], float]:
    rows = store.db.query(f"SELECT * FROM {durations.NAME}")
    return {(r["task_id"], r["status"]): r["micros"] / 1_000_000 for r in rows}


def test_each_status_change_adds_the_time_since_the_old_status_was_entered(store: EventStore) -> None:
    log = Log(store)
    log.create(1, 0)
    log.move(1, 10, S.IN_PROGRESS)
    log.move(1, 25, S.BLOCKED)
    log.move(1, 30.5, S.IN_PROGRESS)
    log.move(1, 60, S.COMPLETED)

    assert seconds_in(store) == {
        (1, "NOT_STARTED"): 10 * 60,
        (1, "IN_PROGRESS"): (15 + 29.5) * 60,
        (1, "BLOCKED"): 5.5 * 60,
    }


def test_the_status_a_task_is_in_now_gathers_no_time_until_it_is_left(store: EventStore) -> None:
    log = Log(store)
    log.create(1, 0, S.BLOCKED)

    assert seconds_in(store) == {}
    log.move(1, 1, S.DEFERRED)
    assert seconds_in(store) == {(1, "BLOCKED"): 60}


def test_deleting_a_task_removes_its_times(store: EventStore) -> None:
    log = Log(store)
    log.create(1, 0)
    log.create(2, 0)
    log.move(1, 2, S.COMPLETED)
    log.move(2, 3, S.COMPLETED)
    log.delete(1, 4)

    assert seconds_in(store) == {(2, "NOT_STARTED"): 180}
    assert list(durations.finished_time_in_status(store.db)) == ["NOT_STARTED"]
    assert durations.finished_time_in_status(store.db)["NOT_STARTED"].tasks == 1


def test_the_summary_counts_only_finished_tasks_with_median_and_p90_of_their_times(store: EventStore) -> None:
    log = Log(store)
    minutes = [1, 2, 4, 8, 16, 32]
    for task_id in range(1, 8):
        log.create(task_id, 0)
    for task_id, minute in enumerate(minutes, start=1):
        log.move(task_id, minute, S.CANCELLED if task_id % 2 else S.COMPLETED)
    log.move(7, 1000, S.IN_PROGRESS)  # open: not counted

    summary = durations.finished_time_in_status(store.db)

    seconds = [m * 60.0 for m in minutes]
    assert summary == {
        "NOT_STARTED": durations.Spread(
            tasks=6,
            median_seconds=statistics.median(seconds),
            p90_seconds=round(statistics.quantiles(seconds, n=10, method="inclusive")[8], 3),
        )
    }


def test_a_single_finished_task_has_its_own_time_as_median_and_p90(store: EventStore) -> None:
    log = Log(store)
    log.create(1, 0, S.IN_PROGRESS)
    log.move(1, 0.0001, S.COMPLETED)  # 6 ms

    assert durations.finished_time_in_status(store.db) == {
        "IN_PROGRESS": durations.Spread(tasks=1, median_seconds=0.006, p90_seconds=0.006)
    }


def test_statuses_come_in_the_contracts_order_and_the_final_one_is_not_counted(store: EventStore) -> None:
    log = Log(store)
    log.create(1, 0, S.DEFERRED)
    log.move(1, 1, S.BLOCKED)
    log.move(1, 2, S.NOT_STARTED)
    log.move(1, 3, S.COMPLETED)
    log.create(2, 0, S.CANCELLED)  # created finished: passed through nothing

    assert list(durations.finished_time_in_status(store.db)) == ["NOT_STARTED", "BLOCKED", "DEFERRED"]


def test_a_reopened_task_is_not_finished_and_an_earlier_finish_counts_once_it_finishes_again(
    store: EventStore,
) -> None:
    log = Log(store)
    log.create(1, 0)
    log.move(1, 1, S.COMPLETED)
    log.move(1, 3, S.IN_PROGRESS)
    assert durations.finished_time_in_status(store.db) == {}

    log.move(1, 6, S.CANCELLED)

    assert {status: s.median_seconds for status, s in durations.finished_time_in_status(store.db).items()} == {
        "NOT_STARTED": 60.0,
        "IN_PROGRESS": 180.0,
        "COMPLETED": 120.0,
    }


def test_a_rebuild_gives_exactly_the_live_times(store: EventStore) -> None:
    log = Log(store)
    log.create(1, 0)
    log.create(2, 1, S.BLOCKED)
    log.move(1, 2.5, S.IN_PROGRESS)
    log.move(2, 3, S.COMPLETED)
    log.move(1, 4, S.NOT_STARTED)
    log.delete(2, 5)
    log.move(1, 7, S.CANCELLED)
    live = replay.snapshot(store.db)

    replay.rebuild(store)

    assert replay.snapshot(store.db) == live
    assert seconds_in(store) == {(1, "NOT_STARTED"): 2.5 * 60 + 3 * 60, (1, "IN_PROGRESS"): 90}
