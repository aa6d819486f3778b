"""Nothing acknowledged is ever lost: two worker processes on a real file take mixed writes
from several client threads, the whole server (master and workers) is killed with SIGKILL
while writes are in flight, and a new server on the same file, recovered from the WAL
without any repair, shows every write that was answered 2xx, each once in the log.

Each thread writes only to users and tasks it created itself, one request at a time, so
the last acknowledged write of every resource is known, and at most one write per thread
(the one the kill cut off) may or may not have been applied: what a thread finds after
the restart is exactly what its acknowledged writes left, or that with its one
unanswered write applied too."""

from __future__ import annotations

import http.client
import random
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.live import LiveServer, send, start_server, verify
from tests.e2e.mixed_writes import Pool, Write, assert_appended, events_by_request, gaps, next_write

pytestmark = pytest.mark.e2e
WORKERS, THREADS = 2, 6
ANSWERED_BEFORE_KILL = 400  # the kill comes once this many writes have been answered
KINDS = {"create_user", "patch_user", "delete_user", "create_task", "patch_task", "delete_task"}
State = dict[str, dict[str, Any] | None]  # "/tasks/7" -> the resource, or None once deleted


@dataclass
class Attempt:
    """A write sent when the server was killed: it got no answer."""

    kind: str
    method: str
    path: str
    body: dict[str, Any] | None
    error: str  # ConnectionResetError, RemoteDisconnected...: the server died with the request in it


@dataclass
class Run:
    """One client thread's writes: those answered, then the one the kill cut off."""

    n: int
    answered: list[Write] = field(default_factory=list)
    cut: Attempt | None = None


@dataclass
class Crash:
    server: LiveServer  # the server started again on the file
    runs: list[Run]
    killed: list[int]  # the pids SIGKILL took
    wal_bytes: int  # the size of the WAL the kill left beside the file
    in_main_file: int  # events in the file without its WAL: the rest were only in the WAL

    def answered(self) -> list[Write]:
        return [w for run in self.runs for w in run.answered]


def writer(server: LiveServer, run: Run, start: threading.Barrier, stop: threading.Event) -> None:
    """Thread `run.n`: mixed writes to its own users and tasks on one kept-alive connection,
    until a write gets no answer (the server is gone) or `stop` is set."""
    pool, rng = Pool(), random.Random(run.n)
    conn = server.connection()
    try:
        start.wait(timeout=30)
        for i in range(100_000):
            if stop.is_set():
                return
            kind, method, path, body = next_write(pool, rng, run.n, i)
            try:
                reply = send(conn, method, path, body, server.token)
            except (OSError, http.client.HTTPException) as exc:  # reset, refused, or cut off mid-answer
                run.cut = Attempt(kind, method, path, body, type(exc).__name__)
                return
            write = Write(kind, method, path, body, reply)
            pool.add(write)
            run.answered.append(write)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crash]:
    """The workload, SIGKILL in the middle of it, and a server started again on the same file."""
    workdir = tmp_path_factory.mktemp("crash")
    first = start_server(workdir, extra=("--workers", str(WORKERS)), own_group=True)
    runs = [Run(n) for n in range(THREADS)]
    start, stop = threading.Barrier(THREADS + 1), threading.Event()
    try:
        with ThreadPoolExecutor(THREADS) as threads:
            done = [threads.submit(writer, first, run, start, stop) for run in runs]
            try:
                start.wait(timeout=30)
                deadline = time.monotonic() + 10
                while sum(len(run.answered) for run in runs) < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
                    time.sleep(0.005)
                killed = first.crash()
            finally:
                stop.set()  # the threads end at the kill; this only matters if something failed before it
            for future in done:
                future.result(timeout=30)
    finally:
        first.stop()  # a no-op after the kill
    wal = first.db_path.with_name(first.db_path.name + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    in_main_file = events_without_wal(first.db_path, workdir / "main-file-only.db")
    first.log_path.rename(workdir / "killed-server.log")
    again = start_server(workdir, extra=("--workers", str(WORKERS)))
    yield Crash(again, runs, killed, wal_bytes, in_main_file)
    again.stop()


def test_the_kill_took_master_and_workers_while_writes_were_in_flight(crash: Crash) -> None:
    answered = crash.answered()
    cut = Counter(r.cut.error for r in crash.runs if r.cut is not None)
    print(f"\n{len(answered)} writes answered before the kill; cut off: {dict(cut)};", end=" ")
    print(f"{len(crash.server.events())} events after the restart, {crash.in_main_file} of them", end=" ")
    print(f"in the file without its WAL ({crash.wal_bytes} bytes)")
    assert len(crash.killed) == 1 + WORKERS, crash.killed
    assert len(answered) >= ANSWERED_BEFORE_KILL
    assert cut.total() == THREADS  # every thread was still writing when the server died...
    assert cut.keys() - {
        "ConnectionRefusedError",
        "BrokenPipeError",
    }  # ...and some had sent a request that got no answer
    acknowledged = [w for w in answered if w.reply.status < 300]
    assert {w.kind for w in acknowledged} == KINDS
    assert all(w.reply.status in (200, 201, 204, 400, 404) for w in answered)


def test_the_file_opens_and_serves_after_the_kill_without_repair(crash: Crash) -> None:
    assert crash.wal_bytes > 0  # the restart had a WAL to recover from, not a checkpointed file
    ready = crash.server.request("GET", "/readyz", token=None)
    assert (ready.status, ready.body) == (200, {"status": "ready", "position": len(crash.server.events())})
    assert "Traceback" not in crash.server.log()


def test_every_acknowledged_write_is_there_after_the_restart(crash: Crash) -> None:
    conn = crash.server.connection()
    try:
        for run in crash.runs:
            must, may = expected_states(run)
            found = {path: read(conn, crash.server, path) for path in must}
            assert found in (must, may), differences(found, must)
    finally:
        conn.close()


def test_only_writes_cut_off_by_the_kill_left_resources_nobody_was_told_of(crash: Crash) -> None:
    known = {path for run in crash.runs for path in expected_states(run)[0]}
    listed = {f"/users/{u['userId']}": u for u in crash.server.all_users()}
    listed |= {f"/tasks/{t['taskId']}": t for t in crash.server.all_tasks()}
    unexplained = {path: found for path, found in listed.items() if path not in known}
    creates = [r.cut for r in crash.runs if r.cut is not None and r.cut.kind.startswith("create_")]
    for path, found in unexplained.items():
        made = [c for c in creates if c.path == path.rsplit("/", 1)[0] and (c.body or {}).items() <= found.items()]
        assert made, f"{path} is there, but no write that created it was acknowledged or cut off: {found}"
        creates.remove(made[0])


def test_the_log_holds_every_acknowledged_write_once_and_nothing_of_a_failed_one(crash: Crash) -> None:
    answered, log, grouped = crash.answered(), crash.server.events(), events_by_request(crash.server)
    acknowledged = [w for w in answered if w.reply.status < 300]
    assert len({w.reply.request_id for w in answered}) == len(answered)
    assert [(w.method, w.path, w.reply.body) for w in acknowledged if w.reply.request_id not in grouped] == []
    for write in acknowledged:
        assert_appended(write, grouped[write.reply.request_id], log)
    assert [w.reply.request_id for w in answered if w.reply.status >= 300 and w.reply.request_id in grouped] == []
    unanswered = set(grouped) - {w.reply.request_id for w in answered}
    assert len(unanswered) <= sum(1 for r in crash.runs if r.cut is not None)


def test_positions_and_versions_have_no_gaps_and_verify_passes(crash: Crash) -> None:
    assert gaps(crash.server.events()) == ([], {})
    verified = verify(crash.server.db_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def events_without_wal(db_path: Path, scratch: Path) -> int:
    """How many events the database file holds on its own, read from a copy made without its WAL."""
    shutil.copyfile(db_path, scratch)
    with closing(sqlite3.connect(scratch)) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def expected_states(run: Run) -> tuple[State, State]:
    """What every resource of this thread must be after its acknowledged writes, and what it
    may be instead: the same with the write the kill cut off applied (a new resource that
    write may have created is left to the listing test)."""
    must: State = {}
    for write in run.answered:
        if write.reply.status < 300:
            apply(must, write.kind, write.path, write.reply.body)
    may = dict(must)
    cut = run.cut
    if cut is not None and not cut.kind.startswith("create_") and must.get(cut.path) is not None:
        apply(may, cut.kind, cut.path, {**must[cut.path], **(cut.body or {})})  # type: ignore[dict-item]
    return must, may


def apply(state: State, kind: str, path: str, resource: dict[str, Any] | None) -> None:
    """`state` after a successful write of `kind` to `path` that returned `resource`."""
    match kind:
        case "create_user":
            state[f"/users/{resource['userId']}"] = resource  # type: ignore[index]
        case "create_task":
            state[f"/tasks/{resource['taskId']}"] = resource  # type: ignore[index]
        case "patch_user" | "patch_task":
            state[path] = resource
        case "delete_task":
            state[path] = None
        case "delete_user":
            user_id = int(path.rsplit("/", 1)[1])
            state[path] = None
            for key, task in state.items():  # the user's tasks go with the user
                if key.startswith("/tasks/") and task is not None and task["userId"] == user_id:
                    state[key] = None


def read(conn: http.client.HTTPConnection, server: LiveServer, path: str) -> dict[str, Any] | None:
    reply = send(conn, "GET", path, None, server.token)
    assert reply.status in (200, 404), (path, reply.status, reply.body)
    return reply.body if reply.status == 200 else None


def differences(found: State, must: State) -> dict[str, tuple[Any, Any]]:
    """The resources found otherwise than the acknowledged writes left them: path -> (found, expected)."""
    return {path: (found[path], must[path]) for path in must if found[path] != must[path]}
