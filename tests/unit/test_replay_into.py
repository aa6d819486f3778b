"""Replaying the log elsewhere: `replay_into` builds the read models of another database
from the log without touching the source, and `rebuild` reports its progress by batch."""

from __future__ import annotations

import pytest

from projections import replay
from taskstore.database import open_database
from taskstore.signals import event_appended
from taskstore.store import EventStore
from tests.unit.builders import META, small_history, user_created


def test_replay_into_a_scratch_database_gives_the_live_read_models(store: EventStore) -> None:
    small_history(store)
    rows, live = list(store.iter_rows()), replay.snapshot(store.db)
    scratch = open_database(":memory:")

    assert replay.replay_into(store, scratch) == 9
    assert replay.snapshot(scratch) == live
    assert list(store.iter_rows()) == rows
    assert replay.snapshot(store.db) == live


def test_replay_into_replaces_whatever_the_target_held(store: EventStore) -> None:
    small_history(store)
    scratch = open_database(":memory:")
    replay.create_all(scratch)
    scratch.execute("INSERT INTO users_view VALUES (77, 'Stale', 'Row', 'stale@example.com', 'stale@example.com', 1)")

    replay.replay_into(store, scratch)

    assert replay.snapshot(scratch) == replay.snapshot(store.db)


def test_rebuild_reports_progress_after_every_batch_and_at_the_end(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay, "BATCH", 3)
    with event_appended.muted():
        for user_id in range(1, 8):
            store.append(f"user-{user_id}", 0, [user_created(user_id)], META)
    done: list[int] = []

    assert replay.rebuild(store, progress=done.append) == 7
    assert done == [3, 6, 7]


def test_rebuild_without_a_progress_callback_still_replays_everything(store: EventStore) -> None:
    small_history(store)
    live = replay.snapshot(store.db)
    assert replay.rebuild(store) == 9
    assert replay.snapshot(store.db) == live
