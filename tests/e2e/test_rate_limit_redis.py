"""Rate limits across worker processes: `taskstore serve --workers 4` with its counters in the
real Redis on 127.0.0.1:6379 allows the limit once, not once per worker, in one moving window
(a Redis list of the allowed requests' times); the same server with per-process memory counters
(the control) lets more through, so the load did reach several workers. In process, with a
clock moved by hand, the moving window in Redis tells the stories of tests/api/moving_window.py
as the memory one does: it refuses a burst across the end of a fixed window, its Retry-After is
always long enough, and with several limits the headers describe the one that binds."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from flask import Flask

from api import create_app
from api.config import Config, Token
from tests.api.moving_window import (
    RETRY_AFTER_IS_ENOUGH,
    SEVERAL_LIMITS,
    START,
    Clock,
    Timeline,
    assert_a_refusal_as_the_oldest_request_leaves,
    assert_the_window_moves,
    assert_timeline,
)
from tests.e2e.live import LiveServer, Reply, send, start_server

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 20
REQUESTS = 100
CONNECTIONS = 10
WORKERS = "4"
CONTROL_ROUNDS = 10
A = {"Authorization": "Bearer secret-a"}  # the in-process tests' token
TOKENS = "probe:probe-secret,load:load-secret"  # start_server's probes use `probe`; the load counts alone


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix no one else uses; its keys are deleted afterwards."""
    name = f"taskstore-e2e-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)
    yield name
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)
    client.close()


def serving(workdir: Path, storage: str, prefix: str) -> LiveServer:
    environment = {
        "TASKSTORE_RATE_LIMIT": f"{LIMIT} per minute",
        "TASKSTORE_RATE_LIMIT_STORAGE": storage,
        "TASKSTORE_RATE_LIMIT_PREFIX": prefix,
    }
    return start_server(
        workdir, tokens=TOKENS, token="probe-secret", extra=("--workers", WORKERS), environment=environment
    )


def hammer(server: LiveServer, requests: int = REQUESTS) -> list[Reply]:
    """`requests` GET /users with the `load` token over CONNECTIONS parallel connections, each
    request on a new connection so they spread over the workers."""

    def one(_: int) -> Reply:
        conn = server.connection()
        try:
            return send(conn, "GET", "/users", None, "load-secret")
        finally:
            conn.close()

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return list(pool.map(one, range(requests)))


def test_four_workers_sharing_redis_allow_the_limit_exactly_once(tmp_path: Path, prefix: str) -> None:
    server = serving(tmp_path, REDIS_URL, prefix)
    try:
        started = time.time()
        replies = hammer(server)
        finished = time.time()
    finally:
        server.stop()
    statuses = Counter(reply.status for reply in replies)
    assert statuses == {200: LIMIT, 429: REQUESTS - LIMIT}, statuses
    for reply in replies:
        assert reply.headers["x-ratelimit-limit"] == str(LIMIT)
        if reply.status == 429:
            assert reply.body["code"] == "RATE_LIMIT_EXCEEDED"
            assert 1 <= int(reply.headers["retry-after"]) <= 60
            assert reply.headers["x-ratelimit-remaining"] == "0"
            # The oldest allowed request was sent during the load: the minute ends 60 s after it.
            assert started + 60 <= int(reply.headers["x-ratelimit-reset"]) <= finished + 61
    # Remaining is read just after counting, so concurrent requests may already have lowered it.
    remaining = [int(r.headers["x-ratelimit-remaining"]) for r in replies if r.status == 200]
    assert all(0 <= left < LIMIT for left in remaining), remaining
    # One list for the `load` token, shared by the workers: the times of the LIMIT allowed requests.
    store = redis.Redis.from_url(REDIS_URL)
    lists = [key for key in store.scan_iter(match=f"*{prefix}*token:load*") if store.type(key) == b"list"]
    assert len(lists) == 1, lists
    times = [float(entry) for entry in store.lrange(lists[0], 0, -1)]
    assert len(times) == LIMIT
    assert all(started <= moment <= finished for moment in times), times


def test_without_redis_each_worker_counts_alone_and_lets_more_through(tmp_path: Path, prefix: str) -> None:
    """The control: the same load does reach several workers. Which worker accepts a connection
    is the kernel's choice, so it sends rounds of requests until a second worker has answered
    (each worker allows LIMIT on its own), at most CONTROL_ROUNDS of them."""
    server = serving(tmp_path, "memory://", prefix)
    try:
        allowed, sent = 0, 0
        while allowed <= LIMIT and sent < REQUESTS * CONTROL_ROUNDS:
            allowed += sum(reply.status == 200 for reply in hammer(server))
            sent += REQUESTS
    finally:
        server.stop()
    print(f"memory:// with {WORKERS} workers let {allowed} of {sent} through (limit {LIMIT})")
    assert LIMIT < allowed <= LIMIT * int(WORKERS), allowed


def in_redis(db_path: Path, prefix: str, rate_limit: str) -> Flask:
    config = Config(
        database=str(db_path),
        tokens=(Token(name="a", secret="secret-a"),),
        rate_limit=rate_limit,
        rate_limit_storage=REDIS_URL,
        rate_limit_prefix=prefix,
    )
    return create_app(config)


def test_the_window_in_redis_moves_too(db_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock().install(monkeypatch)
    assert_the_window_moves(in_redis(db_path, prefix, "3 per minute").test_client(), clock, A, 3)
    # Counted in Redis (not in the in-memory fallback), at the clock's times, newest first.
    store = redis.Redis.from_url(REDIS_URL)
    (key,) = store.scan_iter(match=f"*{prefix}*token:a*")
    assert [float(entry) for entry in store.lrange(key, 0, -1)] == [START + 119.5, START + 119.5, START + 60.5]


def test_waiting_retry_after_seconds_is_enough_in_redis_too(
    db_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock().install(monkeypatch)
    assert_timeline(in_redis(db_path, prefix, "3 per minute").test_client(), clock, A, RETRY_AFTER_IS_ENOUGH)


def test_a_429_in_redis_says_none_left_as_the_oldest_request_leaves(
    db_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = in_redis(db_path, prefix, "3 per minute")
    clock = Clock().install(monkeypatch).drifting(app)
    assert_a_refusal_as_the_oldest_request_leaves(app.test_client(), clock, A)


@pytest.mark.parametrize(("rate_limit", "timeline"), SEVERAL_LIMITS.values(), ids=SEVERAL_LIMITS.keys())
def test_several_limits_in_redis(
    db_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch, rate_limit: str, timeline: Timeline
) -> None:
    """Redis expires a list when its period has passed in real time; each story takes far less."""
    clock = Clock().install(monkeypatch)
    assert_timeline(in_redis(db_path, prefix, rate_limit).test_client(), clock, A, timeline)
