"""The store's filtered read after a position, its read snapshot, and where a feed resumes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from projections import replay
from taskstore.database import open_database
from taskstore.events import Recorded
from taskstore.feed import read_feed, resume_from
from taskstore.store import EventStore
from tests.unit.builders import META, add_task, add_user, patch_task, remove_user, user_created


def some_log(store: EventStore) -> None:
    """Eight events: users 1 and 2, tasks 1 and 2 of user 1 (task 1 retitled), then user 1 deleted."""
    add_user(store, "a@example.com")
    add_user(store, "b@example.com")
    add_task(store, 1)
    add_task(store, 1)
    patch_task(store, 1, title="Other")
    remove_user(store, 1)


def positions(records: list[Recorded]) -> list[int]:
    return [r.position for r in records]


def test_read_all_filters_by_type(store: EventStore) -> None:
    some_log(store)
    everything = store.read_all()
    wanted = [r.position for r in everything if type(r.event).__name__ == "TaskDeleted"]
    assert len(wanted) == 2
    assert positions(store.read_all(event_type="TaskDeleted")) == wanted
    assert positions(store.read_all(wanted[0], event_type="TaskDeleted")) == wanted[1:]


def test_read_all_filters_by_stream_and_by_both(store: EventStore) -> None:
    some_log(store)
    everything = store.read_all()
    task_one = [r.position for r in everything if r.event.stream_id == "task-1"]
    assert positions(store.read_all(stream_id="task-1")) == task_one
    assert positions(store.read_all(stream_id="task-1", limit=2)) == task_one[:2]
    deleted = [r.position for r in everything if r.event.stream_id == "task-1" and r.event.version == 3]
    assert positions(store.read_all(stream_id="task-1", event_type="TaskDeleted")) == deleted
    assert store.read_all(stream_id="user-2", event_type="TaskCreated") == []


def test_filtered_reads_use_the_indexes(store: EventStore) -> None:
    def plan(where: str) -> str:
        rows = store.db.execute(f"EXPLAIN QUERY PLAN SELECT * FROM events WHERE position > 0 AND {where}")
        return " ".join(str(row[-1]) for row in rows)

    assert "events_type_position" in plan("type = 'TaskCreated' ORDER BY position")
    assert "events_stream_version" in plan("stream_id = 'task-1' ORDER BY position")


def test_reads_in_a_snapshot_do_not_see_a_later_commit(db_path: Path) -> None:
    writer = EventStore(open_database(db_path))
    writer.create_schema()
    replay.create_all(writer.db)
    reader = EventStore(open_database(db_path))
    try:
        writer.append("user-1", 0, [user_created(1)], META)
        with reader.snapshot():
            assert reader.last_position() == 1
            writer.append("user-2", 0, [user_created(2)], META)
            assert reader.last_position() == 1
            assert positions(reader.read_all()) == [1]
        assert reader.last_position() == 2
        assert not reader.db.conn.in_transaction
    finally:
        reader.db.close()
        writer.db.close()


def test_a_snapshot_inside_a_transaction_reads_that_transaction(store: EventStore) -> None:
    with store.transaction():
        store.append("user-1", 0, [user_created(1)], META)
        with store.snapshot():
            assert store.last_position() == 1
        assert store.db.conn.in_transaction


def test_a_feed_page_resumes_after_its_last_event_while_more_remain(store: EventStore) -> None:
    some_log(store)
    page = read_feed(store, 2, 3)
    assert (positions(page.events), page.next_after, page.has_more) == ([3, 4, 5], 5, True)


def test_a_filtered_feed_that_reaches_the_end_resumes_from_the_end_of_the_log(store: EventStore) -> None:
    some_log(store)
    page = read_feed(store, 0, 10, event_type="TaskCreated")
    assert (positions(page.events), page.next_after, page.has_more) == ([3, 4], store.last_position(), False)


@pytest.mark.parametrize(
    ("after", "returned", "has_more", "last", "expected"),
    [
        (0, [], False, 0, 0),  # an empty log
        (5, [], False, 9, 9),  # nothing wanted up to the end: skip to it
        (12, [], False, 9, 12),  # past the end: never go back
        (2, [3, 4], False, 9, 9),  # the end reached: resume from it
        (2, [3, 4], True, 9, 4),  # more to come: resume after the last returned
    ],
)
def test_the_resume_position(
    store: EventStore, after: int, returned: list[int], has_more: bool, last: int, expected: int
) -> None:
    add_user(store, "a@example.com")
    template = store.read_all()[0]
    records = [Recorded(position=p, event=template.event, request_id="r", actor="a") for p in returned]
    assert resume_from(after, records, has_more, last) == expected


def test_a_consumer_reading_while_another_connection_writes_gets_every_event_once(db_path: Path) -> None:
    writer = EventStore(open_database(db_path))
    writer.create_schema()
    replay.create_all(writer.db)
    reader = EventStore(open_database(db_path))
    appended = 300

    def write() -> None:
        for n in range(1, appended + 1):
            writer.append(f"user-{n}", 0, [user_created(n)], META)

    thread = threading.Thread(target=write)
    seen: list[int] = []
    after = 0
    try:
        thread.start()
        deadline = time.monotonic() + 60
        while thread.is_alive() or after < appended:
            assert time.monotonic() < deadline, f"stuck at {after}"
            page = read_feed(reader, after, 3, event_type="UserCreated")
            assert page.next_after >= after
            seen.extend(positions(page.events))
            after = page.next_after
    finally:
        thread.join()
        reader.db.close()
        writer.db.close()
    assert seen == list(range(1, appended + 1))
