"""The event store: optimistic concurrency, all-or-none appends, an append-only table
guarded by the database itself, and reads in the right order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskstore.database import open_database
from taskstore.errors import ConcurrencyConflict
from taskstore.events import TaskStatus
from taskstore.signals import event_appended
from taskstore.store import EventStore, Meta, StreamAppend
from tests.unit.builders import (
    META,
    status_changed,
    task_created,
    task_deleted,
    user_created,
    user_deleted,
    user_updated,
)

RAW_INSERT = (
    "INSERT INTO events (stream_id, version, type, schema_version, occurred_at, payload, request_id, actor)"
    " VALUES (?, ?, 'UserDeleted', 1, '2025-06-01T12:00:00.000000Z', '{\"user_id\": 1}', 'req-raw', 'raw')"
)


@pytest.fixture
def quiet() -> Iterator[None]:
    """No receiver runs: the store alone."""
    with event_appended.muted():
        yield


def rows(store: EventStore) -> list[tuple[Any, ...]]:
    return list(store.db.execute("SELECT * FROM events ORDER BY position").fetchall())


def file_store(path: Path) -> EventStore:
    store = EventStore(open_database(path))
    store.create_schema()
    return store


class Boom(RuntimeError):
    pass


def failing_receiver(sender: Any, **_: Any) -> None:
    raise Boom("a read model failed")


# --- optimistic concurrency ---------------------------------------------------------


@pytest.mark.usefixtures("quiet")
def test_appending_with_a_stale_expected_version_raises_conflict_and_writes_nothing(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)

    with pytest.raises(ConcurrencyConflict) as raised:
        store.append("user-1", 0, [user_created(1)], META)

    assert raised.value.code == "CONFLICT"
    assert rows(store) == before


@pytest.mark.usefixtures("quiet")
def test_appending_with_an_expected_version_ahead_of_the_stream_raises_conflict(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)

    with pytest.raises(ConcurrencyConflict):
        store.append("user-1", 2, [user_deleted(1, 3)], META)

    assert store.stream_version("user-1") == 1
    assert store.last_position() == 1


@pytest.mark.usefixtures("quiet")
def test_a_new_stream_must_be_expected_at_version_zero(store: EventStore) -> None:
    with pytest.raises(ConcurrencyConflict):
        store.append("user-1", 1, [user_updated(1, 2, first_name="Ada")], META)

    assert rows(store) == []


@pytest.mark.usefixtures("quiet")
def test_a_second_writer_that_read_the_same_version_gets_a_conflict(tmp_path: Path) -> None:
    first, second = file_store(tmp_path / "log.db"), file_store(tmp_path / "log.db")
    first.append("user-1", 0, [user_created(1)], META)
    seen_by_both = first.stream_version("user-1")
    assert second.stream_version("user-1") == seen_by_both

    first.append("user-1", seen_by_both, [user_updated(1, 2, first_name="Grace")], META)
    with pytest.raises(ConcurrencyConflict):
        second.append("user-1", seen_by_both, [user_updated(1, 2, first_name="Ada")], META)

    [_, kept] = second.read_stream("user-1")
    assert kept.event == user_updated(1, 2, first_name="Grace")
    first.db.close()
    second.db.close()


@pytest.mark.usefixtures("quiet")
def test_events_that_do_not_follow_the_expected_version_are_refused_and_nothing_is_written(
    store: EventStore,
) -> None:
    with pytest.raises(ValueError, match="does not follow"):
        store.append("user-1", 0, [user_created(1, version=2)], META)
    with pytest.raises(ValueError, match="does not follow"):
        store.append("user-1", 0, [user_created(2)], META)  # an event of another stream

    assert rows(store) == []


# --- all or none --------------------------------------------------------------------


@pytest.mark.usefixtures("quiet")
def test_a_multi_stream_append_writes_every_stream_in_the_order_given(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    store.append("task-1", 0, [task_created(1)], META)

    recorded = store.append_streams(
        [
            StreamAppend("task-1", 1, [task_deleted(1, 2, cascade=True)]),
            StreamAppend("user-1", 1, [user_deleted(1, 2)]),
        ],
        META,
    )

    assert [r.position for r in recorded] == [3, 4]
    assert [r.event.stream_id for r in recorded] == ["task-1", "user-1"]
    assert store.stream_version("task-1") == 2
    assert store.stream_version("user-1") == 2


@pytest.mark.usefixtures("quiet")
def test_a_multi_stream_append_with_a_stale_second_stream_writes_neither_stream(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)

    with pytest.raises(ConcurrencyConflict):
        store.append_streams(
            [
                StreamAppend("task-1", 0, [task_created(1)]),
                StreamAppend("user-1", 0, [user_updated(1, 1, first_name="Grace")]),
            ],
            META,
        )

    assert store.read_stream("task-1") == []
    assert rows(store) == before


@pytest.mark.usefixtures("quiet")
def test_a_multi_stream_append_whose_second_stream_breaks_the_version_sequence_writes_neither(
    store: EventStore,
) -> None:
    with pytest.raises(ValueError):
        store.append_streams(
            [StreamAppend("user-1", 0, [user_created(1)]), StreamAppend("task-1", 0, [task_created(2)])],
            META,
        )

    assert rows(store) == []


def test_an_error_in_a_read_model_rolls_the_append_back_and_reaches_the_caller(store: EventStore) -> None:
    with event_appended.connected_to(failing_receiver), pytest.raises(Boom):
        store.append("user-1", 0, [user_created(1)], META)

    assert rows(store) == []
    assert list(store.db.execute("SELECT * FROM users_view")) == []
    assert not store.db.conn.in_transaction


def test_an_error_in_a_read_model_rolls_back_every_stream_of_a_multi_stream_append(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    store.append("task-1", 0, [task_created(1)], META)
    before = rows(store)

    with event_appended.connected_to(failing_receiver), pytest.raises(Boom):
        store.append_streams(
            [
                StreamAppend("task-1", 1, [task_deleted(1, 2, cascade=True)]),
                StreamAppend("user-1", 1, [user_deleted(1, 2)]),
            ],
            META,
        )

    assert rows(store) == before
    assert [r[0] for r in store.db.execute("SELECT task_id FROM tasks_view")] == [1]
    assert [r[0] for r in store.db.execute("SELECT user_id FROM users_view")] == [1]


@pytest.mark.usefixtures("quiet")
def test_appends_inside_a_transaction_that_fails_later_are_all_rolled_back(store: EventStore) -> None:
    with pytest.raises(Boom), store.transaction():
        store.append("user-1", 0, [user_created(1)], META)
        store.append("user-2", 0, [user_created(2)], META)
        raise Boom("the command failed after appending")

    assert rows(store) == []
    assert not store.db.conn.in_transaction


# --- the database itself guards the log ---------------------------------------------


@pytest.mark.usefixtures("quiet")
def test_the_database_refuses_to_update_an_event(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.conn.execute("UPDATE events SET payload = '{}' WHERE position = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.conn.execute("UPDATE events SET version = 7")

    assert rows(store) == before


@pytest.mark.usefixtures("quiet")
def test_the_database_refuses_to_delete_an_event(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.conn.execute("DELETE FROM events WHERE position = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.conn.execute("DELETE FROM events")

    assert rows(store) == before


@pytest.mark.usefixtures("quiet")
def test_the_database_refuses_a_second_event_for_the_same_stream_version_even_from_raw_sql(
    store: EventStore,
) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)

    with pytest.raises(sqlite3.IntegrityError, match=r"UNIQUE|append-only"):
        store.db.conn.execute(RAW_INSERT, ["user-1", 1])

    assert rows(store) == before


@pytest.mark.usefixtures("quiet")
def test_the_database_refuses_a_version_below_one(store: EventStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.db.conn.execute(RAW_INSERT, ["user-1", 0])

    assert rows(store) == []


@pytest.mark.usefixtures("quiet")
def test_insert_or_replace_through_the_stores_connection_cannot_overwrite_an_event(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)

    with pytest.raises(sqlite3.IntegrityError):
        store.db.conn.execute(RAW_INSERT.replace("INSERT", "INSERT OR REPLACE", 1), ["user-1", 1])

    assert rows(store) == before


def closed_file_store_with_one_event(path: Path) -> list[tuple[Any, ...]]:
    store = file_store(path)
    store.append("user-1", 0, [user_created(1)], META)
    before = rows(store)
    store.db.close()
    return before


@pytest.mark.usefixtures("quiet")
def test_a_plain_sqlite_connection_cannot_update_or_delete_an_event(tmp_path: Path) -> None:
    """The guard is in the file, not in the store's connection: any other client is refused too."""
    before = closed_file_store_with_one_event(tmp_path / "log.db")

    plain = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            plain.execute("UPDATE events SET payload = '{}'")
        with pytest.raises(sqlite3.IntegrityError):
            plain.execute("DELETE FROM events")
        after = plain.execute("SELECT * FROM events ORDER BY position").fetchall()
    finally:
        plain.close()

    assert after == before


@pytest.mark.usefixtures("quiet")
def test_a_plain_sqlite_connection_cannot_overwrite_an_event_with_insert_or_replace(tmp_path: Path) -> None:
    """REPLACE deletes the row it collides with; without recursive triggers (a setting of
    each connection, off by default) the delete trigger does not fire, so the file must
    refuse the insert itself."""
    before = closed_file_store_with_one_event(tmp_path / "log.db")

    plain = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            plain.execute(RAW_INSERT.replace("INSERT", "INSERT OR REPLACE", 1), ["user-1", 1])
        after = plain.execute("SELECT * FROM events ORDER BY position").fetchall()
    finally:
        plain.close()

    assert after == before


# --- positions and reads ------------------------------------------------------------


def test_positions_run_one_to_n_without_gaps_even_after_failed_appends(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)
    with pytest.raises(ConcurrencyConflict):
        store.append("user-1", 0, [user_created(1)], META)
    with event_appended.connected_to(failing_receiver), pytest.raises(Boom):
        store.append("user-2", 0, [user_created(2)], META)
    store.append("user-2", 0, [user_created(2)], META)
    store.append("task-1", 0, [task_created(1, user_id=2)], META)
    store.append(
        "task-1",
        1,
        [
            status_changed(1, 2, TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS),
            status_changed(1, 3, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED),
        ],
        META,
    )

    positions = [r.position for r in store.read_all()]
    assert positions == list(range(1, 6))
    assert store.last_position() == 5


@pytest.mark.usefixtures("quiet")
def test_appended_events_read_back_equal_with_their_request_metadata(store: EventStore) -> None:
    events = [user_created(1), user_updated(1, 2, first_name="Grace"), user_deleted(1, 3)]
    meta = Meta(request_id="req-1234", actor="alice")

    returned = store.append("user-1", 0, events, meta)

    read = store.read_stream("user-1")
    assert read == returned
    assert [r.event for r in read] == events
    assert {(r.request_id, r.actor) for r in read} == {("req-1234", "alice")}


@pytest.mark.usefixtures("quiet")
def test_read_stream_returns_one_stream_in_version_order(store: EventStore) -> None:
    store.append("task-1", 0, [task_created(1)], META)
    store.append("task-2", 0, [task_created(2)], META)
    store.append("task-1", 1, [status_changed(1, 2, TaskStatus.NOT_STARTED, TaskStatus.BLOCKED)], META)
    store.append("task-1", 2, [task_deleted(1, 3)], META)

    read = store.read_stream("task-1")

    assert [r.event.version for r in read] == [1, 2, 3]
    assert {r.event.stream_id for r in read} == {"task-1"}
    assert store.read_stream("task-3") == []


@pytest.mark.usefixtures("quiet")
def test_read_all_returns_events_after_a_position_in_position_order_up_to_a_limit(store: EventStore) -> None:
    for user_id in range(1, 6):
        store.append(f"user-{user_id}", 0, [user_created(user_id)], META)

    assert [r.event.stream_id for r in store.read_all()] == [f"user-{n}" for n in range(1, 6)]
    assert [r.position for r in store.read_all(after=2)] == [3, 4, 5]
    assert [r.position for r in store.read_all(after=1, limit=2)] == [2, 3]
    assert store.read_all(after=5) == []


@pytest.mark.usefixtures("quiet")
def test_iter_all_yields_the_whole_log_in_order_across_batches(store: EventStore) -> None:
    for user_id in range(1, 8):
        store.append(f"user-{user_id}", 0, [user_created(user_id)], META)

    assert [r.position for r in store.iter_all(batch=3)] == list(range(1, 8))
    assert [r.position for r in store.iter_all(after=4, batch=2)] == [5, 6, 7]
    assert list(store.iter_all(after=7)) == []


@pytest.mark.usefixtures("quiet")
def test_latest_stream_of_a_type_is_the_one_appended_last(store: EventStore) -> None:
    assert store.latest_stream_of("UserCreated") is None
    store.append("user-1", 0, [user_created(1)], META)
    store.append("user-2", 0, [user_created(2)], META)
    store.append("user-1", 1, [user_deleted(1, 2)], META)

    assert store.latest_stream_of("UserCreated") == "user-2"
    assert store.latest_stream_of("UserDeleted") == "user-1"


# --- an empty events list is a guard ------------------------------------------------


@pytest.mark.usefixtures("quiet")
def test_an_empty_events_list_at_the_right_version_writes_nothing(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)

    assert store.append("user-1", 1, [], META) == []
    assert store.append("user-9", 0, [], META) == []

    assert store.last_position() == 1
    assert store.read_stream("user-9") == []


@pytest.mark.usefixtures("quiet")
def test_an_empty_events_list_at_a_stale_version_raises_conflict(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)

    with pytest.raises(ConcurrencyConflict):
        store.append("user-1", 0, [], META)
    with pytest.raises(ConcurrencyConflict):
        store.append_streams([StreamAppend("user-1", 2, []), StreamAppend("task-1", 0, [task_created(1)])], META)

    assert store.last_position() == 1
    assert store.read_stream("task-1") == []


@pytest.mark.usefixtures("quiet")
def test_an_empty_guard_at_the_right_version_lets_the_other_streams_through(store: EventStore) -> None:
    store.append("user-1", 0, [user_created(1)], META)

    recorded = store.append_streams([StreamAppend("user-1", 1, []), StreamAppend("task-1", 0, [task_created(1)])], META)

    assert [r.event.stream_id for r in recorded] == ["task-1"]
    assert store.stream_version("user-1") == 1
