"""The tutorial's workflow, walked over real HTTP against a real server process:
create a task, start it, block it with a reason, resume it, complete it; defer one
with a new due date; cancel one with a reason; list the completed tasks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.live import LiveServer

pytestmark = pytest.mark.e2e

FIELDS = ["taskId", "userId", "taskTitle", "taskDescription", "taskStatus", "dueDate", "warningOffset"]
REQUEST_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_user(server: LiveServer, email: str) -> int:
    reply = server.request("POST", "/users", {"firstName": "Ferdinand", "lastName": "Smith", "contactEmail": email})
    assert reply.status == 201, reply.body
    return int(reply.body["userId"])


def create_task(server: LiveServer, user_id: int, title: str, description: str, due: str) -> dict[str, Any]:
    body = {
        "userId": user_id,
        "taskTitle": title,
        "taskDescription": description,
        "dueDate": due,
        "warningOffset": 1440,
    }
    reply = server.request("POST", "/tasks", body)
    assert reply.status == 201, reply.body
    assert list(reply.body) == FIELDS
    assert reply.body == {**body, "taskId": reply.body["taskId"], "taskStatus": "NOT_STARTED"}
    return dict(reply.body)


def patch(server: LiveServer, task_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    reply = server.request("PATCH", f"/tasks/{task_id}", changes)
    assert reply.status == 200, reply.body
    assert list(reply.body) == FIELDS
    return dict(reply.body)


def read(server: LiveServer, task_id: int) -> dict[str, Any]:
    reply = server.request("GET", f"/tasks/{task_id}")
    assert reply.status == 200, reply.body
    return dict(reply.body)


def with_reason(server: LiveServer, task_id: int, status: str, reason: str, **more: Any) -> dict[str, Any]:
    """What the tutorial does to block, defer or cancel: read the task, append the reason
    to its description, and send the new status with it."""
    task = read(server, task_id)
    description = f"{task['taskDescription']} {status}: {reason}"
    return patch(server, task_id, {"taskStatus": status, "taskDescription": description, **more})


def test_a_task_is_created_started_blocked_with_a_reason_resumed_and_completed(server: LiveServer) -> None:
    user_id = new_user(server, "f.smith@example.com")
    task = create_task(
        server, user_id, "Prepare quarterly report", "Gather data, create charts, write executive summary",
        "2025-06-30T17:00:00-05:00",
    )  # fmt: skip
    task_id = task["taskId"]

    not_started = server.request("GET", "/tasks?taskStatus=NOT_STARTED")
    assert task in not_started.body["tasks"]

    started = patch(server, task_id, {"taskStatus": "IN_PROGRESS"})
    assert started == {**task, "taskStatus": "IN_PROGRESS"}

    blocked = with_reason(server, task_id, "BLOCKED", "Waiting for financial data from accounting team.")
    assert blocked == {
        **task,
        "taskStatus": "BLOCKED",
        "taskDescription": "Gather data, create charts, write executive summary"
        " BLOCKED: Waiting for financial data from accounting team.",
    }

    resumed = patch(server, task_id, {"taskStatus": "IN_PROGRESS"})
    assert resumed == {**blocked, "taskStatus": "IN_PROGRESS"}

    completed = patch(server, task_id, {"taskStatus": "COMPLETED"})
    assert completed == {**blocked, "taskStatus": "COMPLETED"}
    assert read(server, task_id) == completed

    assert [r["type"] for r in server.events("stream_id = ?", (f"task-{task_id}",))] == [
        "TaskCreated", "TaskStatusChanged", "TaskUpdated", "TaskStatusChanged", "TaskStatusChanged", "TaskStatusChanged",
    ]  # fmt: skip


def test_a_task_is_deferred_with_a_new_due_date_and_a_reason(server: LiveServer) -> None:
    user_id = new_user(server, "j.jones@example.com")
    task = create_task(
        server, user_id, "Update user interface", "Redesign the task management dashboard", "2025-05-15T17:00:00-05:00"
    )

    deferred = with_reason(
        server, task["taskId"], "DEFERRED", "Pushed to next month due to urgent project.",
        dueDate="2025-07-15T17:00:00-05:00",
    )  # fmt: skip

    expected = {
        **task,
        "taskStatus": "DEFERRED",
        "dueDate": "2025-07-15T17:00:00-05:00",
        "taskDescription": "Redesign the task management dashboard DEFERRED: Pushed to next month due to urgent project.",
    }
    assert deferred == expected
    assert read(server, task["taskId"]) == expected


def test_a_task_is_cancelled_with_a_reason(server: LiveServer) -> None:
    user_id = new_user(server, "m.martinez@example.com")
    task = create_task(
        server, user_id, "Prepare old report format", "Use the previous quarter's report format",
        "2025-05-20T17:00:00-05:00",
    )  # fmt: skip

    cancelled = with_reason(server, task["taskId"], "CANCELLED", "Report format changed, using new template instead.")

    expected = {
        **task,
        "taskStatus": "CANCELLED",
        "taskDescription": "Use the previous quarter's report format"
        " CANCELLED: Report format changed, using new template instead.",
    }
    assert cancelled == expected
    assert read(server, task["taskId"]) == expected


def test_listing_completed_tasks_gives_exactly_the_completed_ones(server: LiveServer) -> None:
    user_id = new_user(server, "lister@example.com")
    done = [create_task(server, user_id, f"done {n}", "finish it", "2025-06-01T09:00:00Z") for n in range(2)]
    open_ = create_task(server, user_id, "still open", "not yet", "2025-06-01T09:00:00Z")
    for task in done:
        patch(server, task["taskId"], {"taskStatus": "COMPLETED"})
    patch(server, open_["taskId"], {"taskStatus": "IN_PROGRESS"})

    reply = server.request("GET", "/tasks?taskStatus=COMPLETED")

    assert reply.status == 200
    listed = reply.body["tasks"]
    assert {t["taskStatus"] for t in listed} == {"COMPLETED"}
    assert [t["taskId"] for t in listed] == sorted(t["taskId"] for t in listed)
    ids = {t["taskId"] for t in listed}
    assert {t["taskId"] for t in done} <= ids
    assert open_["taskId"] not in ids
    every_completed = {t["taskId"] for t in server.all_tasks() if t["taskStatus"] == "COMPLETED"}
    assert ids == every_completed


def test_the_real_server_answers_errors_in_the_json_envelope_with_the_request_id(server: LiveServer) -> None:
    missing = server.request("GET", "/tasks/999999")
    anonymous = server.request("GET", "/tasks", token=None)
    wrong_method = server.request("DELETE", "/tasks")

    for reply, status, code in [
        (missing, 404, "RESOURCE_NOT_FOUND"),
        (anonymous, 401, "UNAUTHORIZED"),
        (wrong_method, 405, "METHOD_NOT_ALLOWED"),
    ]:
        assert reply.status == status
        assert reply.headers["content-type"].startswith("application/json")
        assert reply.body["code"] == code
        assert REQUEST_ID.fullmatch(reply.body["requestId"])
        assert reply.request_id == reply.body["requestId"]
