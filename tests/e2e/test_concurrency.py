"""Four worker processes on one SQLite file, eight client threads, 2,000 mixed writes: no
5xx and no "database is locked", every successful write in the log exactly once with the
events it must have appended, nothing from a failed one, no gaps, and a rebuild that
equals the live read models."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from projections import replay
from taskstore.database import open_database
from tests.e2e.live import rebuild, start_server, verify
from tests.e2e.mixed_writes import Pool, assert_appended, client, events_by_request, gaps, seed

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


def test_positions_and_stream_versions_have_no_gaps(run: Any) -> None:
    server, _ = run
    assert gaps(server.events()) == ([], {})


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
    verified = verify(server.db_path)
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
