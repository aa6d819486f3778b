"""Benchmark: the audit and time-travel reads on a large log.

Builds a log of N events through the real commands (or opens `--db`), then times each
read through the WSGI app in-process and prints the median and 90th percentile
latency of each, beside plain GET /tasks/{id} as the yardstick (compare the ratios:
the machines are shared and noisy).

    python benchmarks/audit.py [--events 100000] [--db PATH] [--runs 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from api import create_app, prepare_database
from api.config import Config, Token
from benchmarks.rebuild import build
from projections import asof, replay
from taskstore.database import open_database
from taskstore.store import EventStore


def timed(client: FlaskClient, runs: int, url: Callable[[], str]) -> list[float]:
    """Milliseconds each of `runs` GETs took; every answer must be a 200, or a 404 for a
    task asked for as of a time before it existed."""
    times = []
    for _ in range(runs):
        target = url()
        started = time.perf_counter()
        response = client.get(target)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 and not (response.status_code == 404 and "asOf" in target):
            raise SystemExit(f"GET {target}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    return times


def report(name: str, times: list[float], yardstick: float) -> None:
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10, method="inclusive")[8] if len(times) > 1 else times[0]
    print(f"{name:<44} median {median:8.2f} ms   p90 {p90:8.2f} ms   x{median / yardstick:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    prepare_database(str(path))
    replay.subscribe_all()
    store = EventStore(open_database(path))
    if store.last_position() < args.events:
        build(store, args.events, random.Random(7))
    last = store.last_position()
    task_ids = [r[0] for r in store.db.execute("SELECT task_id FROM tasks_view")]
    ever = int(store.db.execute("SELECT count(*) FROM events WHERE type = 'TaskCreated'").fetchone()[0])
    store.db.close()
    print(f"log of {last} events, {len(task_ids)} live tasks of {ever} ever created, at {path}")

    app = create_app(Config(database=str(path), tokens=(Token(name="bench", secret="b"),), access_log=False))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer b"
    rng = random.Random(11)
    yardstick_times = timed(client, args.runs, lambda: f"/tasks/{rng.choice(task_ids)}")
    yardstick = statistics.median(yardstick_times)
    report("GET /tasks/{id}", yardstick_times, yardstick)
    cases: list[tuple[str, int, Callable[[], str]]] = [
        ("GET /tasks (first page)", args.runs, lambda: "/tasks"),
        ("GET /tasks/{id}/history", args.runs, lambda: f"/tasks/{rng.randint(1, ever)}/history"),
        ("GET /events?after=<random>&limit=100", args.runs, lambda: f"/events?after={rng.randint(0, last)}&limit=100"),
        (
            "GET /events?after=<random>&type=TaskDeleted",
            args.runs,
            lambda: f"/events?after={rng.randint(0, last)}&type=TaskDeleted",
        ),
        (
            "GET /tasks/{id}?asOf=<random position>",
            args.runs,
            lambda: f"/tasks/{rng.choice(task_ids)}?asOf={rng.randint(0, last)}",
        ),
        ("GET /tasks?asOf=<new position>, nothing kept", 3, lambda: forgetting(f"/tasks?asOf={last - 1}")),
        ("GET /tasks?asOf=<new position>, from a kept one", 20, lambda: f"/tasks?asOf={rng.randint(1, last - 1)}"),
        ("GET /tasks?asOf=<same position> (reused)", args.runs, lambda: f"/tasks?asOf={last // 3}&_sort=dueDate"),
        ("GET /reminders?until=2026-06-01T00:00:00Z", args.runs, lambda: "/reminders?until=2026-06-01T00:00:00Z"),
        ("GET /tasks/stats", max(args.runs // 10, 5), lambda: "/tasks/stats"),
    ]
    for name, runs, url in cases:
        report(name, timed(client, runs, url), yardstick)
    kept = asof.kept()
    print(f"time travel keeps {len(kept)} states in memory, {sum(kept) / 2**20:.1f} MiB in all")


def forgetting(url: str) -> str:
    """`url`, after every state kept for time travel is forgotten, so its answer replays from the start."""
    asof.clear()
    return url


if __name__ == "__main__":
    main()
