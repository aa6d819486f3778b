"""Benchmark: build a log of N events through the real commands, then rebuild every read
model from it, check the result equals the live read models, and print the figures.

    python benchmarks/rebuild.py [--events 100000] [--db PATH]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from api import prepare_database
from projections import replay
from taskstore import commands
from taskstore.database import open_database
from taskstore.events import TaskStatus
from taskstore.store import EventStore, Meta

META = Meta(request_id="req-00000000-0000-4000-8000-000000000000", actor="benchmark")


def build(store: EventStore, target: int, rng: random.Random) -> None:
    """Append commands until the log holds at least `target` events."""
    lookups = replay.ViewLookups(store.db)
    users: list[int] = []
    tasks: list[int] = []
    while store.last_position() < target:
        with store.transaction():
            for _ in range(500):
                step(store, lookups, users, tasks, rng)


def step(
    store: EventStore, lookups: replay.ViewLookups, users: list[int], tasks: list[int], rng: random.Random
) -> None:
    roll = rng.random()
    if not users or roll < 0.02:
        n = len(users) + 1
        fields = {
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "contact_email": f"user{n}-{rng.random()}@example.com",
        }
        users.append(commands.create_user(store, lookups, fields, META).user_id)
    elif not tasks or roll < 0.25:
        fields = {
            "user_id": rng.choice(users),
            "title": f"Task {len(tasks)}",
            "description": rng.choice([None, "Some words about it"]),
            "due_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00-05:00",
            "warning_offset": rng.randint(0, 64000),
        }
        tasks.append(commands.create_task(store, fields, META).task_id)
    elif roll < 0.97:
        task_id = rng.choice(tasks)
        change = rng.choice(
            [
                {"status": rng.choice(list(TaskStatus))},
                {"title": f"Renamed {rng.random()}"},
                {"warning_offset": rng.randint(0, 64000)},
                {"description": None},
            ]
        )
        commands.update_task(store, task_id, change, META)
    else:
        tasks.remove(task_id := rng.choice(tasks))
        commands.delete_task(store, task_id, META)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    prepare_database(str(path))
    replay.subscribe_all()
    store = EventStore(open_database(path))

    started = time.perf_counter()
    build(store, args.events, random.Random(7))
    built = time.perf_counter() - started
    events = store.last_position()
    print(f"built {events} events through the commands in {built:.1f}s ({events / built:,.0f} events/s) at {path}")

    live = replay.snapshot(store.db)
    started = time.perf_counter()
    replayed = replay.rebuild(store)
    seconds = time.perf_counter() - started
    same = replay.snapshot(store.db) == live
    print(f"rebuild replayed {replayed} events in {seconds:.2f}s: {replayed / seconds:,.0f} events/s")
    print(f"rebuilt read models identical to the live ones: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
