"""Four worker processes on one SQLite file, eight client threads, 2,000 mixed writes: no
5xx and no "database is locked", every successful write in the log exactly once with the
events it must have appended, nothing from a failed one, no gaps, and a rebuild that
equals the live read models."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from projections import replay
from taskstore.database import open_database
from tests.e2e.live import LiveServer, rebuild, start_server, taskstore_command
from tests.e2e.mixed_writes import Pool, Write, client, seed

pytestmark = pytest.mark.e2e
WORKERS, THREADS, WRITES = 4, 8, 2000
# Commands run under the write lock, so writers to the same stream queue instead of
# conflicting: a 409 (retries exhausted, or the database stayed busy) is a failure here.
EXPECTED_FAILURES = {400: {"DUPLICATE_EMAIL", "INVALID_USER_ID"}, 404: {"RESOURCE_NOT_FOUND"}}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The server after the workload, and every write with its answer (seed writes first)."""
    server = start_server(tmp_path_factory.mktemp("concurrency"), extra=("--workers", str(WORKERS)))
    pool = Pool()
    writes = seed(server, pool)
    start = threading.Barrier(THREADS)
    began = time.monotonic()
    with ThreadPoolExecutor(THREADS) as threads:
        batches = threads.map(lambda n: client(server, pool, n, WRITES // THREADS, start), range(THREADS))
        mixed = [w for batch in batches for w in batch]
    seconds = time.monotonic() - began
    statuses = Counter(w.reply.status for w in mixed)
    kinds = Counter(f"{w.kind} {w.reply.status}" for w in mixed)
    print(f"\n{len(mixed)} writes from {THREADS} threads to {WORKERS} workers in {seconds:.1f}s", end=" ")
    print(f"({len(mixed) / seconds:.0f} writes/s); by status: {dict(sorted(statuses.items()))}")
    hot = {f"/users/{u}" for u in pool.hot_users} | {f"/tasks/{t}" for t in pool.hot_tasks}
    print(f"by kind: {dict(sorted(kinds.items()))}; {sum(w.path in hot for w in mixed)} on the hot users and tasks;")
    print(f"{len(server.events())} events in the log")
    yield server, writes + mixed
    server.stop()


def events_by_request(server: LiveServer) -> dict[str, list[sqlite3.Row]]:
    grouped: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in server.events():
        grouped[row["request_id"]].append(row)
    return grouped


def test_no_write_gets_a_server_error_or_a_locked_database(run: Any) -> None:
    server, writes = run
    assert len(writes) >= WRITES
    unexpected = [
        (w.method, w.path, w.reply.status, w.reply.body)
        for w in writes
        if w.reply.status >= 300 and w.reply.body["code"] not in EXPECTED_FAILURES.get(w.reply.status, set())
    ]
    assert unexpected == []
    assert all(w.reply.status in (200, 201, 204, 400, 404) for w in writes)
    assert not any(b"locked" in w.reply.raw for w in writes)
    assert "database is locked" not in server.log()
    assert "Traceback" not in server.log()


def test_every_successful_write_is_in_the_log_once_and_no_failed_one_is(run: Any) -> None:
    server, writes = run
    grouped = events_by_request(server)
    succeeded = [w for w in writes if w.reply.status < 300]
    assert len({w.reply.request_id for w in writes}) == len(writes)
    assert sorted(grouped) == sorted(w.reply.request_id for w in succeeded)
    log = server.events()
    for write in succeeded:
        assert_appended(write, grouped[write.reply.request_id], log)


def assert_appended(write: Write, rows: list[sqlite3.Row], log: list[sqlite3.Row]) -> None:
    """The events `write` must have appended, from what the log held before it."""
    target = write.path.rsplit("/", 1)[-1]
    types = [(row["type"], row["stream_id"]) for row in rows]
    match write.kind:
        case "create_user":
            assert types == [("UserCreated", f"user-{write.reply.body['userId']}")]
        case "create_task":
            assert types == [("TaskCreated", f"task-{write.reply.body['taskId']}")]
        case "patch_user":
            assert types == [("UserUpdated", f"user-{target}")]
        case "delete_task":
            assert types == [("TaskDeleted", f"task-{target}")]
        case "patch_task":
            before = status_before(log, f"task-{target}", rows[0]["position"])
            changed = "taskStatus" in write.body and write.body["taskStatus"] != before  # type: ignore[operator]
            assert types == [("TaskUpdated", f"task-{target}")] + [("TaskStatusChanged", f"task-{target}")] * changed
            assert write.reply.body["taskStatus"] == write.body.get("taskStatus", before)  # type: ignore[union-attr]
        case "delete_user":
            owned = live_tasks_of(log, int(target), rows[0]["position"])
            assert sorted(types) == sorted(
                [("TaskDeleted", f"task-{t}") for t in owned] + [("UserDeleted", f"user-{target}")]
            )
            assert all(json.loads(r["payload"])["cascade"] for r in rows if r["type"] == "TaskDeleted")


def status_before(log: list[sqlite3.Row], stream: str, position: int) -> str:
    status = "NOT_STARTED"
    for row in log:
        if row["stream_id"] == stream and row["position"] < position and row["type"] == "TaskStatusChanged":
            status = json.loads(row["payload"])["new"]
    return status


def live_tasks_of(log: list[sqlite3.Row], user_id: int, position: int) -> set[int]:
    owned: set[int] = set()
    for row in (r for r in log if r["position"] < position):
        payload = json.loads(row["payload"])
        if row["type"] == "TaskCreated" and payload["user_id"] == user_id:
            owned.add(payload["task_id"])
        elif row["type"] == "TaskDeleted":
            owned.discard(payload["task_id"])
    return owned


def test_positions_and_stream_versions_have_no_gaps(run: Any) -> None:
    server, _ = run
    log = server.events()
    assert [row["position"] for row in log] == list(range(1, len(log) + 1))
    versions: dict[str, list[int]] = defaultdict(list)
    for row in log:
        versions[row["stream_id"]].append(row["version"])
    assert {s: v for s, v in versions.items() if v != list(range(1, len(v) + 1))} == {}


def test_the_live_state_keeps_the_rules(run: Any) -> None:
    server, _ = run
    users = [u for page in range(100) for u in server.request("GET", f"/users?_perPage=100&_page={page}").body["users"]]
    emails = Counter(u["contactEmail"].casefold() for u in users)
    assert [e for e, n in emails.items() if n > 1] == []
    live_users = {u["userId"] for u in users}
    assert [t for t in server.all_tasks() if t["userId"] not in live_users] == []


def test_a_rebuild_equals_the_live_read_models_and_verify_passes(run: Any, tmp_path: Path) -> None:
    server, _ = run
    live = snapshot(server.db_path)
    copy = tmp_path / "copy.db"
    with closing(sqlite3.connect(server.db_path)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    assert f"Replayed {len(server.events())} events" in rebuild(copy)
    assert snapshot(copy) == live
    verified = subprocess.run(
        [*taskstore_command(), "verify", "--db", str(server.db_path)], capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    ready = server.request("GET", "/readyz", token=None)
    assert (ready.status, ready.body) == (200, {"status": "ready", "position": len(server.events())})


def test_every_request_has_one_json_line_in_the_server_log(run: Any) -> None:
    server, writes = run
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    logged = Counter((line["request_id"], line["method"], line["path"], line["status"]) for line in lines)
    for write in writes:
        assert logged[(write.reply.request_id, write.method, write.path, write.reply.status)] == 1
    assert {line["token"] for line in lines if line["request_id"] in {w.reply.request_id for w in writes}} == {"e2e"}


def snapshot(path: Path) -> dict[str, list[dict[str, Any]]]:
    db = open_database(path)
    try:
        return replay.snapshot(db)
    finally:
        db.close()
