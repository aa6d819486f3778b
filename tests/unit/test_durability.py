"""A write that returned success is on disk: WAL mode, synchronous=FULL, and the data is
there when the file is opened again, even by a process that never closed it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from projections import replay, tasks, users
from taskstore.commands import load_task, load_user
from taskstore.database import BUSY_TIMEOUT_MS, open_database
from taskstore.events import TaskStatus
from taskstore.store import EventStore
from tests.unit.builders import add_task, add_user, patch_task

ROOT = Path(__file__).resolve().parents[2]
FULL = 2


def open_store(path: Path) -> EventStore:
    """The store as the API opens it for each request (after preparing the file once)."""
    store = EventStore(open_database(path))
    store.create_schema()
    replay.create_all(store.db)
    replay.subscribe_all()
    return store


def test_connections_from_open_database_use_wal_and_synchronous_full(tmp_path: Path) -> None:
    first = open_database(tmp_path / "fresh.db")
    again = open_database(tmp_path / "fresh.db")

    for db in (first, again):
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    first.close()
    again.close()


def test_wal_mode_is_a_property_of_the_file_seen_by_any_client(tmp_path: Path) -> None:
    open_database(tmp_path / "fresh.db").close()

    plain = sqlite3.connect(tmp_path / "fresh.db")
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        plain.close()


def test_open_database_creates_the_missing_parent_folder(tmp_path: Path) -> None:
    db = open_database(tmp_path / "data" / "nested" / "taskstore.db")

    assert (tmp_path / "data" / "nested" / "taskstore.db").exists()
    db.close()


def test_writes_are_there_after_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "taskstore.db"
    store = open_store(path)
    ada = add_user(store, "ada@example.com")
    task = add_task(store, ada.user_id, "Write report")
    patch_task(store, task.task_id, status=TaskStatus.COMPLETED)
    live = replay.snapshot(store.db)
    log = store.read_all()
    store.db.close()

    reopened = open_store(path)

    assert reopened.read_all() == log
    assert load_user(reopened, ada.user_id) == ada
    assert load_task(reopened, task.task_id).status is TaskStatus.COMPLETED
    assert replay.snapshot(reopened.db) == live
    reopened.db.close()


def test_a_write_is_visible_to_another_connection_as_soon_as_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "taskstore.db"
    writer, reader = open_store(path), open_store(path)

    ada = add_user(writer, "ada@example.com")

    assert users.get(reader.db, ada.user_id) is not None
    assert reader.last_position() == 1
    writer.db.close()
    reader.db.close()


def test_a_write_survives_a_process_that_exits_without_closing_the_database(tmp_path: Path) -> None:
    path = tmp_path / "taskstore.db"
    open_store(path).db.close()
    script = textwrap.dedent(
        f"""
        import os
        from tests.unit.test_durability import open_store
        from tests.unit.builders import add_task, add_user
        store = open_store({str(path)!r})
        ada = add_user(store, "ada@example.com")
        add_task(store, ada.user_id, "Survive")
        print(store.last_position(), flush=True)
        os._exit(0)  # no close, no checkpoint, no atexit
        """
    )

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    store = open_store(path)
    assert [r.event.stream_id for r in store.read_all()] == ["user-1", "task-1"]
    assert tasks.get(store.db, 1)["title"] == "Survive"  # type: ignore[index]
    store.db.close()
