"""The states time travel keeps: a new point replays only the events after the nearest kept
state of the same log, a replay leaves copies behind every stride, a kept state of another
log is never a start, and a kept point is served while another point is being replayed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from projections import asof, replay, tasks
from taskstore.database import open_database
from taskstore.events import Recorded, TaskStatus
from taskstore.state import fold_task
from taskstore.store import EventStore
from tests.unit.builders import add_task, add_user, patch_task


@pytest.fixture(autouse=True)
def small_strides(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(asof, "MIN_STRIDE", 1)
    monkeypatch.setattr(asof, "KEEP_ANCHORS", 4)
    asof.clear()
    yield
    asof.clear()


@pytest.fixture
def replayed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions replayed into tasks_view from now on, in order."""
    seen: list[int] = []
    project = tasks.project

    def counting(db: Database, record: Recorded) -> None:
        seen.append(record.position)
        project(db, record)

    monkeypatch.setattr(tasks, "project", counting)
    return seen


def history(store: EventStore, events: int, title: str = "t") -> None:
    """One user, one task, then status changes up to `events` events in all."""
    user = add_user(store, f"{title}@example.com")
    task = add_task(store, user.user_id, title)
    statuses = [TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED]
    for n in range(events - 2):
        patch_task(store, task.task_id, status=statuses[n % 2])


def titles_and_statuses(db: Database) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.execute("SELECT task_id, title, status FROM tasks_view ORDER BY task_id")]


def folded(store: EventStore, position: int) -> list[tuple[Any, ...]]:
    task = fold_task(r.event for r in store.read_stream("task-1") if r.position <= position)
    return [] if task is None else [(task.task_id, task.title, str(task.status))]


def test_a_replay_keeps_a_copy_every_stride_and_an_earlier_point_starts_from_one(
    store: EventStore, replayed: list[int]
) -> None:
    history(store, 40)
    replayed.clear()
    assert asof.stride(40) == 10  # the log in KEEP_ANCHORS parts

    assert titles_and_statuses(asof.views_at(store, 38)) == folded(store, 38)
    assert replayed == list(range(1, 39))

    replayed.clear()
    assert titles_and_statuses(asof.views_at(store, 25)) == folded(store, 25)
    assert replayed == list(range(21, 26))  # from the copy kept at 20


def test_a_later_point_starts_from_the_point_asked_for_before(store: EventStore, replayed: list[int]) -> None:
    history(store, 40)
    asof.views_at(store, 12)
    replayed.clear()

    assert titles_and_statuses(asof.views_at(store, 17)) == folded(store, 17)
    assert replayed == list(range(13, 18))


def test_the_same_point_again_replays_nothing(store: EventStore, replayed: list[int]) -> None:
    history(store, 20)
    first = asof.views_at(store, 15)
    replayed.clear()

    assert asof.views_at(store, 15) is first
    assert replayed == []


def test_a_state_kept_for_another_log_is_never_a_start(replayed: list[int]) -> None:
    one, other = (EventStore(open_database(":memory:")) for _ in range(2))
    for store, title in ((one, "one"), (other, "other")):
        store.create_schema()
        replay.create_all(store.db)
        history(store, 12, title)
    asof.views_at(one, 10)  # keeps the state at 10, and copies at 3, 6 and 9
    replayed.clear()

    assert titles_and_statuses(asof.views_at(other, 11)) == folded(other, 11)
    assert replayed == list(range(1, 12))  # same positions, but a different chain: from the start


def test_points_are_forgotten_beyond_what_is_kept(
    store: EventStore, replayed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(asof, "KEEP_POINTS", 2)
    monkeypatch.setattr(asof, "KEEP_ANCHORS", 0)
    history(store, 10)
    for position in (3, 5, 7):
        asof.views_at(store, position)
    replayed.clear()

    assert titles_and_statuses(asof.views_at(store, 4)) == folded(store, 4)
    assert replayed == [1, 2, 3, 4]  # the state at 3 was the oldest, and is gone
    assert len(asof.kept()) == 2


def test_a_kept_point_is_served_while_another_point_is_replayed(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(store, 30)
    kept = asof.views_at(store, 10)
    entered, release = threading.Event(), threading.Event()
    project = tasks.project

    def stalling(db: Database, record: Recorded) -> None:
        if record.position == 25:
            entered.set()
            release.wait(10)
        project(db, record)

    monkeypatch.setattr(tasks, "project", stalling)
    slow = threading.Thread(target=asof.views_at, args=(store, 28))
    slow.start()
    try:
        assert entered.wait(10)
        answer: list[Database] = []
        quick = threading.Thread(target=lambda: answer.append(asof.views_at(store, 10)))
        quick.start()
        quick.join(5)
        assert answer == [kept]  # served while the replay to 28 is still stalled
        assert slow.is_alive()
    finally:
        release.set()
        slow.join(10)


class Announcing:
    """The replay lock, setting `arrived` as each request reaches it (past the cache check)."""

    def __init__(self, lock: Any, arrived: threading.Event) -> None:
        self.lock, self.arrived = lock, arrived

    def __enter__(self) -> None:
        self.arrived.set()
        self.lock.acquire()

    def __exit__(self, *_: object) -> None:
        self.lock.release()


def replay_while_another_waits(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, first: int, second: int
) -> tuple[list[int], list[Database]]:
    """Ask for `first`, and for `second` once the first replay is under way and the second
    request is waiting for it; the positions replayed, and the two answers."""
    replayed: list[int] = []
    started, arrived = threading.Event(), threading.Event()
    project = tasks.project

    def stalling(db: Database, record: Recorded) -> None:
        replayed.append(record.position)
        if not started.is_set():
            started.set()
            assert arrived.wait(10)
        project(db, record)

    monkeypatch.setattr(tasks, "project", stalling)
    answers: dict[int, Database] = {}
    one = threading.Thread(target=lambda: answers.update({first: asof.views_at(store, first)}))
    one.start()
    assert started.wait(10)
    monkeypatch.setattr(asof, "_replaying", Announcing(asof._replaying, arrived))
    two = threading.Thread(target=lambda: answers.update({second: asof.views_at(store, second)}))
    two.start()
    for thread in (one, two):
        thread.join(10)
    return replayed, [answers[first], answers[second]]


def test_two_requests_for_the_same_new_point_replay_it_once(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    history(store, 30)
    monkeypatch.setattr(asof, "KEEP_ANCHORS", 0)

    replayed, (one, two) = replay_while_another_waits(store, monkeypatch, 20, 20)

    assert one is two
    assert replayed == list(range(1, 21))


def test_a_new_point_asked_during_a_replay_starts_from_what_that_replay_kept(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(store, 40)  # copies every 10 positions

    replayed, (_, at_36) = replay_while_another_waits(store, monkeypatch, 38, 36)

    assert replayed == list(range(1, 39)) + list(range(31, 37))
    assert titles_and_statuses(at_36) == folded(store, 36)
