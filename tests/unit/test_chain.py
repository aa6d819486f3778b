"""The hash chain and recorded times written at append: each row's hash follows from the
row before it, recorded times never go backwards in log order, and a log written before
rows carried hashes is given them once."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from taskstore import chain
from taskstore.database import open_database
from taskstore.events import TaskStatus
from taskstore.signals import event_appended
from taskstore.store import EventStore
from tests.unit.builders import META, NOW, status_changed, task_created, user_created

OLD_SCHEMA = """
CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, version INTEGER NOT NULL,
    type TEXT NOT NULL, schema_version INTEGER NOT NULL, occurred_at TEXT NOT NULL, payload TEXT NOT NULL,
    request_id TEXT NOT NULL, actor TEXT NOT NULL);
CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;
"""


def appended_three(store: EventStore) -> None:
    with event_appended.muted():
        store.append("user-1", 0, [user_created(1)], META)
        store.append("task-1", 0, [task_created(1)], META)
        store.append("task-1", 1, [status_changed(1, 2, TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)], META)


def test_each_row_hash_is_the_previous_hash_linked_to_the_row(store: EventStore) -> None:
    appended_three(store)
    rows = list(store.iter_rows())

    assert [row["position"] for row in rows] == [1, 2, 3]
    assert rows[0]["hash"] == chain.link(chain.GENESIS, rows[0])
    assert rows[2]["hash"] == chain.link(rows[1]["hash"], rows[2])
    assert chain.first_break(rows) is None


def test_changing_any_column_of_a_row_breaks_the_chain_at_that_row(store: EventStore) -> None:
    appended_three(store)
    rows = list(store.iter_rows())
    for column in ("stream_id", "version", "type", "occurred_at", "payload", "request_id", "actor"):
        altered = [dict(row) for row in rows]
        altered[1][column] = str(altered[1][column]) + "x"
        assert chain.first_break(altered) == 2, column


def test_a_removed_row_breaks_the_chain_at_the_row_after_it(store: EventStore) -> None:
    appended_three(store)
    rows = list(store.iter_rows())
    assert chain.first_break([rows[0], rows[2]]) == 3


def test_recorded_times_never_go_backwards_in_log_order(store: EventStore) -> None:
    earlier = dataclasses.replace(task_created(1), occurred_at=NOW - timedelta(hours=1))
    with event_appended.muted():
        store.append("user-1", 0, [user_created(1)], META)
        recorded = store.append("task-1", 0, [earlier], META)

    times = [row["occurred_at"] for row in store.iter_rows()]
    assert times[0] == times[1]
    assert recorded[0].event.occurred_at == NOW


def test_iter_rows_pages_through_the_whole_log_in_batches(store: EventStore) -> None:
    appended_three(store)
    assert [row["position"] for row in store.iter_rows(after=1, batch=1)] == [2, 3]


def test_load_rows_restores_rows_exactly_into_an_empty_log(store: EventStore, tmp_path: Path) -> None:
    appended_three(store)
    rows = list(store.iter_rows())
    target = EventStore(open_database(tmp_path / "copy.db"))
    target.create_schema()

    assert target.load_rows(rows) == 3
    assert list(target.iter_rows()) == rows
    with pytest.raises(ValueError, match="not empty"):
        target.load_rows(rows)


def test_a_log_written_before_the_hash_chain_is_given_its_hashes_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO events VALUES (1, 'user-1', 1, 'UserDeleted', 1, '2025-06-01T12:00:00.000000Z',"
            " '{\"user_id\":1}', 'req-old', 'old')"
        )
    store = EventStore(open_database(path))
    store.create_schema()
    rows = list(store.iter_rows())

    assert rows[0]["hash"] == chain.link(chain.GENESIS, rows[0])
    with pytest.raises(sqlite3.IntegrityError, match="UPDATE refused"):
        store.db.execute("UPDATE events SET actor = 'someone else'")
    store.create_schema()  # a second start changes nothing
    assert list(store.iter_rows()) == rows
