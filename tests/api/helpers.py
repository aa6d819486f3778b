"""Shared helpers for the API tests: request bodies, creation shortcuts, the event count,
a rebuild of every read model from the log, and checks of the error envelope."""

from __future__ import annotations

import itertools
import re
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from projections import replay
from taskstore.database import open_database
from taskstore.store import EventStore

USER_FIELDS = ["userId", "firstName", "lastName", "contactEmail"]
TASK_FIELDS = ["taskId", "userId", "taskTitle", "taskDescription", "taskStatus", "dueDate", "warningOffset"]
STATUSES = ["NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DEFERRED", "COMPLETED", "CANCELLED"]
DUE = "2025-06-30T17:00:00-05:00"
REQUEST_ID = re.compile(r"req-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")

_emails = itertools.count(1)


def user_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /users body with a fresh email address, changed by `overrides`."""
    body: dict[str, Any] = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "contactEmail": f"user{next(_emails)}@example.com",
    }
    body.update(overrides)
    return body


def task_body(user_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid POST /tasks body for `user_id`, changed by `overrides`."""
    body: dict[str, Any] = {"userId": user_id, "taskTitle": "Write report", "dueDate": DUE, "warningOffset": 30}
    body.update(overrides)
    return body


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != name}


def expected_user(user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """The user the contract says a POST of `body` creates, fields in the contract's order."""
    return {
        "userId": user_id,
        "firstName": body["firstName"],
        "lastName": body["lastName"],
        "contactEmail": body["contactEmail"],
    }


def expected_task(task_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """The task the contract says a POST of `body` creates, fields in the contract's order."""
    return {
        "taskId": task_id,
        "userId": body["userId"],
        "taskTitle": body["taskTitle"],
        "taskDescription": body.get("taskDescription"),
        "taskStatus": body.get("taskStatus", "NOT_STARTED"),
        "dueDate": body["dueDate"],
        "warningOffset": body["warningOffset"],
    }


def ordered(body: Any) -> list[tuple[str, Any]]:
    """A JSON object as its (key, value) pairs in order, so `==` also checks the key order."""
    assert isinstance(body, dict)
    return list(body.items())


def make_user(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/users", json=user_body(**overrides))
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def make_task(client: FlaskClient, user_id: int, **overrides: Any) -> dict[str, Any]:
    response = client.post("/tasks", json=task_body(user_id, **overrides))
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def event_count(db_path: Path) -> int:
    """Rows in the `events` table of the app's database file."""
    with closing(sqlite3.connect(db_path)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM events").fetchone()
    return int(count)


def rebuild(db_path: Path) -> None:
    """Drop every read model and replay the whole log, on a connection of its own."""
    db = open_database(db_path)
    try:
        replay.rebuild(EventStore(db))
    finally:
        db.close()


def snapshot(db_path: Path) -> dict[str, list[dict[str, Any]]]:
    db = open_database(db_path)
    try:
        return replay.snapshot(db)
    finally:
        db.close()


def ids(response: TestResponse, key: str, id_field: str) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item[id_field] for item in response.get_json()[key]]


def task_ids(response: TestResponse) -> list[int]:
    return ids(response, "tasks", "taskId")


def user_ids(response: TestResponse) -> list[int]:
    return ids(response, "users", "userId")


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's JSON error envelope with this status and code."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json", response.data
    body: dict[str, Any] = response.get_json()
    assert body["code"] == code, body
    assert list(body) in (["code", "message", "requestId"], ["code", "message", "details", "requestId"]), body
    assert isinstance(body["message"], str)
    assert body["message"]
    match = REQUEST_ID.fullmatch(body["requestId"])
    assert match is not None, body["requestId"]
    assert str(uuid.UUID(match[1])) == match[1]
    assert response.headers["X-Request-Id"] == body["requestId"]
    return body


def assert_invalid(response: TestResponse, code: str, field: str, location: str = "body") -> dict[str, Any]:
    """A 400 with `code` on top whose `details` name `field` at `location`."""
    body = assert_error(response, 400, code)
    assert "details" in body, body
    for item in body["details"]:
        assert sorted(item) == ["field", "location", "reason"], item
        assert isinstance(item["reason"], str)
        assert item["reason"]
    assert (field, location) in [(item["field"], item["location"]) for item in body["details"]], body
    return body
