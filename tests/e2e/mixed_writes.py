"""A workload of mixed writes from several client threads against a live server: users and
tasks created, patched and deleted, status changes, and a few hot users and tasks that
every thread writes to, so requests conflict on the same streams across processes; and
the checks of what such writes left in the log."""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tests.e2e.live import LiveServer, Reply, send

STATUSES = ["NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DEFERRED", "COMPLETED", "CANCELLED"]
DUE = "2025-06-30T17:00:00-05:00"
SHARED_EMAILS = 40  # addresses every thread tries to take, so some writes collide on them
HOT = 4  # users, and tasks, that every thread patches


@dataclass
class Write:
    kind: str  # create_user, patch_user, delete_user, create_task, patch_task, delete_task
    method: str
    path: str
    body: dict[str, Any] | None
    reply: Reply


class Pool:
    """The ids created so far, shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: list[int] = []
        self.tasks: list[int] = []
        self.hot_users: list[int] = []
        self.hot_tasks: list[int] = []
        self.counter = itertools.count()

    def add(self, write: Write) -> None:
        if write.reply.status == 201:
            with self.lock:
                if write.kind == "create_user":
                    self.users.append(write.reply.body["userId"])
                else:
                    self.tasks.append(write.reply.body["taskId"])

    def pick(self, rng: random.Random, hot: list[int], ids: list[int], hot_share: float) -> int | None:
        with self.lock:
            cold = [i for i in ids if i not in hot]
            if hot and (rng.random() < hot_share or not cold):
                return rng.choice(hot)
            return rng.choice(cold) if cold else None


def shared_email(rng: random.Random) -> str:
    address = f"shared{rng.randrange(SHARED_EMAILS)}@example.com"
    return address.upper() if rng.random() < 0.3 else address  # emails compare case-insensitively


def task_body(user_id: int, title: str) -> dict[str, Any]:
    return {"userId": user_id, "taskTitle": title, "dueDate": DUE, "warningOffset": 30}


def next_write(pool: Pool, rng: random.Random, n: int, i: int) -> tuple[str, str, str, dict[str, Any] | None]:
    """The next write of thread `n`: its kind, method, path and body."""
    tag, r = next(pool.counter), rng.random()
    cold_user = pool.pick(rng, [], [u for u in pool.users if u not in pool.hot_users], 0)
    cold_task = pool.pick(rng, [], [t for t in pool.tasks if t not in pool.hot_tasks], 0)
    if r < 0.14 or not pool.users or (0.26 <= r < 0.29 and cold_user is None):
        email = shared_email(rng) if rng.random() < 0.35 else f"t{n}-{i}@example.com"
        return "create_user", "POST", "/users", {"firstName": "Ada", "lastName": f"L{tag}", "contactEmail": email}
    if r < 0.26:
        body: dict[str, Any] = {"firstName": f"F{tag}"}  # always a change: a 200 always appends
        if rng.random() < 0.2:
            body["contactEmail"] = shared_email(rng)
        return "patch_user", "PATCH", f"/users/{pool.pick(rng, pool.hot_users, pool.users, 0.6)}", body
    if r < 0.29:
        return "delete_user", "DELETE", f"/users/{cold_user}", None
    if r < 0.52 or not pool.tasks:
        return "create_task", "POST", "/tasks", task_body(pool.pick(rng, [], pool.users, 0) or 1, f"task {tag}")
    if r < 0.88 or cold_task is None:
        body = {"taskTitle": f"T{tag}"}  # always a change, and sometimes a status change too
        if rng.random() < 0.7:
            body["taskStatus"] = rng.choice(STATUSES)
        return "patch_task", "PATCH", f"/tasks/{pool.pick(rng, pool.hot_tasks, pool.tasks, 0.5)}", body
    return "delete_task", "DELETE", f"/tasks/{cold_task}", None


def seed(server: LiveServer, pool: Pool) -> list[Write]:
    """The hot users, each with one hot task."""
    writes = []
    for k in range(HOT):
        body = {"firstName": "Hot", "lastName": str(k), "contactEmail": f"hot{k}@example.com"}
        user = Write("create_user", "POST", "/users", body, server.request("POST", "/users", body))
        assert user.reply.status == 201, user.reply.body
        pool.add(user)
        pool.hot_users.append(user.reply.body["userId"])
        body = task_body(user.reply.body["userId"], f"hot {k}")
        task = Write("create_task", "POST", "/tasks", body, server.request("POST", "/tasks", body))
        assert task.reply.status == 201, task.reply.body
        pool.add(task)
        pool.hot_tasks.append(task.reply.body["taskId"])
        writes += [user, task]
    return writes


def client(server: LiveServer, pool: Pool, n: int, count: int, start: threading.Barrier) -> list[Write]:
    """Thread `n`: `count` writes on one kept-alive connection, in an order fixed by `n`."""
    rng = random.Random(n)
    conn = server.connection()
    writes = []
    try:
        start.wait(timeout=30)
        for i in range(count):
            kind, method, path, body = next_write(pool, rng, n, i)
            write = Write(kind, method, path, body, send(conn, method, path, body, server.token))
            pool.add(write)
            writes.append(write)
    finally:
        conn.close()
    return writes


def events_by_request(server: LiveServer) -> dict[str, list[sqlite3.Row]]:
    """The log's rows grouped by the request id recorded with each (the X-Request-Id of the write)."""
    grouped: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in server.events():
        grouped[row["request_id"]].append(row)
    return grouped


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
            changed = "taskStatus" in write.body and write.body["taskStatus"] != before  # type: ignore[operator, index]
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


def gaps(log: list[sqlite3.Row]) -> tuple[list[int], dict[str, list[int]]]:
    """The positions if they do not run 1..N, and each stream whose versions do not run 1..n."""
    positions = [row["position"] for row in log]
    versions: dict[str, list[int]] = defaultdict(list)
    for row in log:
        versions[row["stream_id"]].append(row["version"])
    broken = {s: v for s, v in versions.items() if v != list(range(1, len(v) + 1))}
    return ([] if positions == list(range(1, len(log) + 1)) else positions), broken
