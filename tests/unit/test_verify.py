"""verify: a clean log passes; a gap, a skipped stream version, an altered row and a read
model edited by hand are each named; and verify itself changes nothing."""

from __future__ import annotations

from typing import Any

from projections import replay
from projections.verify import Problem, verify
from taskstore import chain
from taskstore.database import open_database
from taskstore.store import EventStore
from tests.unit.builders import small_history


def problem(store: EventStore, check: str) -> Problem:
    found = [p for p in verify(store).problems if p.check == check]
    assert found, verify(store).problems
    return found[0]


def rechained(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with every hash recomputed, so only what was changed in them is wrong."""
    previous = chain.GENESIS
    for row in rows:
        row["hash"] = previous = chain.link(previous, row)
    return rows


def loaded(rows: list[dict[str, Any]]) -> EventStore:
    store = EventStore(open_database(":memory:"))
    store.create_schema()
    store.load_rows(rows)
    replay.rebuild(store)
    return store


def test_a_clean_log_passes_with_its_counts_and_head_hash(store: EventStore) -> None:
    small_history(store)
    result = verify(store)

    assert result.ok, result.problems
    assert (result.events, result.streams) == (9, 5)
    assert result.head_hash == list(store.iter_rows())[-1]["hash"]


def test_an_empty_log_passes(store: EventStore) -> None:
    result = verify(store)
    assert result.ok, result.problems
    assert (result.events, result.streams, result.head_hash) == (0, 0, chain.GENESIS)


def test_verify_changes_nothing_in_the_database_it_checks(store: EventStore) -> None:
    small_history(store)
    store.db.execute("UPDATE tasks_view SET title = 'edited by hand' WHERE task_id = 2")
    rows, views = list(store.iter_rows()), replay.snapshot(store.db)
    verify(store)
    assert list(store.iter_rows()) == rows
    assert replay.snapshot(store.db) == views


def test_a_missing_position_is_named(store: EventStore) -> None:
    small_history(store)
    store.db.execute("DROP TRIGGER events_refuse_delete")
    store.db.execute("DELETE FROM events WHERE position = 4")

    gap = problem(store, "positions")
    assert gap.position == 4
    assert "position 4 is missing" in gap.message
    assert problem(store, "hash chain").position == 5  # the row after it no longer follows
    assert verify(store).events == 8


def test_a_log_that_does_not_start_at_position_one_has_a_gap(store: EventStore) -> None:
    small_history(store)
    store.db.execute("DROP TRIGGER events_refuse_delete")
    store.db.execute("DELETE FROM events WHERE position = 1")
    assert problem(store, "positions").position == 1


def test_a_skipped_stream_version_is_named_even_when_the_chain_was_rewritten_to_match(store: EventStore) -> None:
    small_history(store)
    rows = [dict(row) for row in store.iter_rows()]
    rows[6]["version"] = 4  # task-1's third event (position 7) claims version 4
    skipped = loaded(rechained(rows))

    found = problem(skipped, "versions")
    assert found.position == 7
    assert "task-1" in found.message
    assert [p.check for p in verify(skipped).problems] == ["versions"]


def test_a_row_altered_behind_the_services_back_is_named_by_position(store: EventStore) -> None:
    small_history(store)
    store.db.execute("DROP TRIGGER events_refuse_update")
    store.db.execute("UPDATE events SET actor = 'someone else' WHERE position = 6")

    assert problem(store, "hash chain").position == 6


def test_a_read_model_cell_edited_by_hand_is_named_by_table_key_and_column(store: EventStore) -> None:
    small_history(store)
    store.db.execute("UPDATE tasks_view SET title = 'edited by hand' WHERE task_id = 2")

    found = problem(store, "read models").difference
    assert found is not None
    assert (found.table, found.key, found.column) == ("tasks_view", {"task_id": 2}, "title")
    assert (found.live, found.rebuilt) == ("edited by hand", "second")
    assert [p.check for p in verify(store).problems] == ["read models"]


def test_a_read_model_row_deleted_by_hand_is_named_as_missing_from_the_live_side(store: EventStore) -> None:
    small_history(store)
    store.db.execute("DELETE FROM users_view WHERE user_id = 2")

    found = problem(store, "read models").difference
    assert found is not None
    assert (found.table, found.key, found.column, found.live) == ("users_view", {"user_id": 2}, None, None)
    assert found.rebuilt is not None
    assert found.rebuilt["first_name"] == "Grace"
    assert "only in the rebuilt" in found.describe()


def test_a_read_model_row_added_by_hand_is_named_as_extra_on_the_live_side(store: EventStore) -> None:
    small_history(store)
    store.db.execute("INSERT INTO tasks_by_status_view (status, task_id) VALUES ('COMPLETED', 99)")

    found = problem(store, "read models").difference
    assert found is not None
    assert (found.table, found.key, found.rebuilt) == (
        "tasks_by_status_view",
        {"status": "COMPLETED", "task_id": 99},
        None,
    )
    assert "only in the live" in found.describe()


def test_a_payload_the_codec_cannot_decode_is_named_by_position(store: EventStore) -> None:
    small_history(store)
    store.db.execute("DROP TRIGGER events_refuse_update")
    store.db.execute("UPDATE events SET payload = '{\"nonsense\": 1}' WHERE position = 8")

    assert problem(store, "replay").position == 8
    assert problem(store, "hash chain").position == 8
