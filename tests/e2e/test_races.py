"""Check-then-append races (Trap 8) against the real server, with several workers and
threads: a task created for a user being deleted never outlives the user, and
concurrent writers never see a 5xx."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.live import LiveServer, Reply, rebuild, send, start_server

pytestmark = pytest.mark.e2e

ROUNDS = 50
WRITERS = 8
WRITES_EACH = 6
DUE = "2025-06-30T17:00:00-05:00"


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Two worker processes of eight threads each, so writers contend across processes too."""
    live = start_server(tmp_path_factory.mktemp("races"), extra=("--workers", "2", "--threads", "8"))
    yield live
    live.stop()


def at_once(server: LiveServer, requests: list[tuple[str, str, Any]]) -> list[Reply]:
    """Send the requests from one thread each, released together once every connection is open."""
    barrier = threading.Barrier(len(requests))

    def fire(method: str, path: str, body: Any) -> Reply:
        conn = server.connection()
        try:
            conn.connect()
            barrier.wait(timeout=30)
            return send(conn, method, path, body, server.token)
        finally:
            conn.close()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(lambda r: fire(*r), requests))


def new_user(server: LiveServer, email: str) -> int:
    reply = server.request("POST", "/users", {"firstName": "Race", "lastName": "Victim", "contactEmail": email})
    assert reply.status == 201, reply.body
    return int(reply.body["userId"])


def task_body(user_id: int, title: str) -> dict[str, Any]:
    return {"userId": user_id, "taskTitle": title, "dueDate": DUE, "warningOffset": 10}


def assert_no_task_outlives_its_user(server: LiveServer, user_ids: set[int], task_ids: list[int]) -> None:
    assert [t for t in server.all_tasks() if t["userId"] in user_ids] == []
    for task_id in task_ids:
        reply = server.request("GET", f"/tasks/{task_id}")
        assert (reply.status, reply.body["code"]) == (404, "RESOURCE_NOT_FOUND")
    for user_id in user_ids:
        assert server.request("GET", f"/users/{user_id}").status == 404


def test_a_task_created_while_its_user_is_deleted_is_refused_or_deleted_with_the_user(
    busy_server: LiveServer,
) -> None:
    user_ids: set[int] = set()
    created: list[int] = []
    refused = 0
    for round_ in range(ROUNDS):
        user_id = new_user(busy_server, f"race{round_}@example.com")
        user_ids.add(user_id)

        deleted, posted = at_once(
            busy_server, [("DELETE", f"/users/{user_id}", None), ("POST", "/tasks", task_body(user_id, f"r{round_}"))]
        )

        assert deleted.status == 204, deleted.body
        assert posted.status in (201, 400), (posted.status, posted.body)
        if posted.status == 201:
            assert posted.body["userId"] == user_id
            created.append(posted.body["taskId"])
        else:
            assert posted.body["code"] == "INVALID_USER_ID", posted.body
            refused += 1
    assert len(created) + refused == ROUNDS

    assert_no_task_outlives_its_user(busy_server, user_ids, created)
    for task_id in created:
        [*_, last] = busy_server.events("stream_id = ?", (f"task-{task_id}",))
        assert last["type"] == "TaskDeleted"

    assert f"Replayed {len(busy_server.events())} events" in rebuild(busy_server.db_path)
    assert_no_task_outlives_its_user(busy_server, user_ids, created)


def test_concurrent_writers_never_get_a_server_error_and_every_success_is_in_the_log(busy_server: LiveServer) -> None:
    owner = new_user(busy_server, "writers@example.com")
    shared = busy_server.request("POST", "/tasks", task_body(owner, "shared")).body["taskId"]
    counter = itertools.count()
    barrier = threading.Barrier(WRITERS)

    def writer(n: int) -> list[tuple[str, Reply]]:
        replies = []
        barrier.wait(timeout=30)
        for i in range(WRITES_EACH):
            user = busy_server.request(
                "POST", "/users", {"firstName": "W", "lastName": str(n), "contactEmail": f"w{n}-{i}@example.com"}
            )
            task = busy_server.request("POST", "/tasks", task_body(owner, f"w{n}-{i}"))
            replies += [("user", user), ("task", task)]
            if task.status == 201:
                title = f"w{n}-{i} renamed {next(counter)}"
                patch = {"taskTitle": title, "taskStatus": "IN_PROGRESS"}
                replies.append(("patch", busy_server.request("PATCH", f"/tasks/{task.body['taskId']}", patch)))
            title = f"shared by w{n} #{next(counter)}"
            replies.append(("shared", busy_server.request("PATCH", f"/tasks/{shared}", {"taskTitle": title})))
        return replies

    with ThreadPoolExecutor(WRITERS) as pool:
        replies = [r for batch in pool.map(writer, range(WRITERS)) for r in batch]

    assert [(kind, r.status, r.body) for kind, r in replies if r.status >= 500] == []
    assert {r.status for _, r in replies} <= {200, 201, 409}
    conflicts = [r for _, r in replies if r.status == 409]
    assert {r.body["code"] for r in conflicts} <= {"CONFLICT"}

    logged_request_ids = {row["request_id"] for row in busy_server.events()}
    succeeded = [r for _, r in replies if r.status < 300]
    assert [r.request_id for r in succeeded if r.request_id not in logged_request_ids] == []
    assert [r.request_id for r in conflicts if r.request_id in logged_request_ids] == []

    user_ids = [r.body["userId"] for kind, r in replies if kind == "user" and r.status == 201]
    task_ids = [r.body["taskId"] for kind, r in replies if kind == "task" and r.status == 201]
    assert len(set(user_ids)) == len(user_ids)
    assert len(set(task_ids)) == len(task_ids)

    for kind, reply in replies:
        if kind == "patch" and reply.status == 200:
            assert busy_server.request("GET", f"/tasks/{reply.body['taskId']}").body == reply.body
    shared_titles = [r.body["taskTitle"] for kind, r in replies if kind == "shared" and r.status == 200]
    [*_, last_rename] = busy_server.events("stream_id = ? AND type = 'TaskUpdated'", (f"task-{shared}",))
    final = busy_server.request("GET", f"/tasks/{shared}").body
    assert final["taskTitle"] in shared_titles
    assert f'"new":"{final["taskTitle"]}"' in last_rename["payload"]
