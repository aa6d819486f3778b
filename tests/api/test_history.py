"""GET /tasks/{id}/history and GET /users/{id}/history: every event of one stream, with what changed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import DUE, assert_error, assert_invalid, event_count, make_task, make_user, task_body
from tests.conftest import TOKEN

RECORDED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
ENTRY_KEYS = ["version", "position", "type", "occurredAt", "requestId", "actor", "changes"]


def history(client: FlaskClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, query_string=params)
    assert response.status_code == 200, response.get_json()
    entries: list[dict[str, Any]] = response.get_json()["history"]
    return entries


def changes(entry: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(c["field"], c["old"], c["new"]) for c in entry["changes"]]


def test_a_new_task_has_one_entry_listing_every_field_from_null(client: FlaskClient) -> None:
    user = make_user(client)
    body = task_body(user["userId"], taskTitle="Write docs", taskDescription="All of it")
    response = client.post("/tasks", json=body)
    task_id = response.get_json()["taskId"]
    answer = client.get(f"/tasks/{task_id}/history").get_json()
    assert list(answer) == ["taskId", "history"]
    assert answer["taskId"] == task_id
    [entry] = answer["history"]
    assert list(entry) == ENTRY_KEYS
    assert (entry["version"], entry["type"], entry["actor"]) == (1, "TaskCreated", "tester")
    assert entry["requestId"] == response.headers["X-Request-Id"]
    assert RECORDED.fullmatch(entry["occurredAt"])
    assert changes(entry) == [
        ("userId", None, user["userId"]),
        ("taskTitle", None, "Write docs"),
        ("taskDescription", None, "All of it"),
        ("taskStatus", None, "NOT_STARTED"),
        ("dueDate", None, DUE),
        ("warningOffset", None, body["warningOffset"]),
    ]


def test_each_change_is_an_entry_with_old_and_new_values_in_version_order(client: FlaskClient) -> None:
    first, second = make_user(client), make_user(client)
    task = make_task(client, first["userId"], taskTitle="Old")
    client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "New", "warningOffset": 7})
    client.patch(f"/tasks/{task['taskId']}", json={"userId": second["userId"], "taskStatus": "BLOCKED"})
    entries = history(client, f"/tasks/{task['taskId']}/history")
    assert [e["version"] for e in entries] == [1, 2, 3, 4]
    assert [e["type"] for e in entries[1:]] == ["TaskUpdated", "TaskReassigned", "TaskStatusChanged"]
    assert changes(entries[1]) == [("taskTitle", "Old", "New"), ("warningOffset", task["warningOffset"], 7)]
    assert changes(entries[2]) == [("userId", first["userId"], second["userId"])]
    assert changes(entries[3]) == [("taskStatus", "NOT_STARTED", "BLOCKED")]
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


def test_events_of_one_request_share_its_request_id(client: FlaskClient) -> None:
    task = make_task(client, make_user(client)["userId"])
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Other", "taskStatus": "COMPLETED"})
    entries = history(client, f"/tasks/{task['taskId']}/history")
    assert [e["requestId"] for e in entries[1:]] == [response.headers["X-Request-Id"]] * 2


def test_a_deleted_task_keeps_its_history_ending_in_a_deletion(client: FlaskClient) -> None:
    task = make_task(client, make_user(client)["userId"])
    client.delete(f"/tasks/{task['taskId']}")
    assert client.get(f"/tasks/{task['taskId']}").status_code == 404
    entries = history(client, f"/tasks/{task['taskId']}/history")
    assert [e["type"] for e in entries] == ["TaskCreated", "TaskDeleted"]
    assert list(entries[-1]) == [*ENTRY_KEYS, "deleted", "cascade"]
    assert (entries[-1]["deleted"], entries[-1]["cascade"], entries[-1]["changes"]) == (True, False, [])
    assert "deleted" not in entries[0]
    assert "cascade" not in entries[0]


def test_deleting_a_user_ends_each_of_their_tasks_history_in_a_cascade(client: FlaskClient) -> None:
    user = make_user(client)
    tasks = [make_task(client, user["userId"]) for _ in range(2)]
    response = client.delete(f"/users/{user['userId']}")
    for task in tasks:
        last = history(client, f"/tasks/{task['taskId']}/history")[-1]
        assert (last["type"], last["deleted"], last["cascade"]) == ("TaskDeleted", True, True)
        assert last["requestId"] == response.headers["X-Request-Id"]
    user_last = history(client, f"/users/{user['userId']}/history")[-1]
    assert (user_last["type"], user_last["deleted"]) == ("UserDeleted", True)
    assert "cascade" not in user_last


def test_a_users_history_lists_creation_and_updates_with_wire_names(client: FlaskClient) -> None:
    user = make_user(client, firstName="Ada", lastName="Lovelace")
    client.patch(f"/users/{user['userId']}", json={"lastName": "Byron"})
    answer = client.get(f"/users/{user['userId']}/history").get_json()
    assert list(answer) == ["userId", "history"]
    created, updated = answer["history"]
    assert changes(created) == [
        ("firstName", None, "Ada"),
        ("lastName", None, "Lovelace"),
        ("contactEmail", None, user["contactEmail"]),
    ]
    assert (updated["type"], changes(updated)) == ("UserUpdated", [("lastName", "Lovelace", "Byron")])


@pytest.mark.parametrize(("kind", "label"), [("tasks", "Task"), ("users", "User")])
def test_a_stream_that_never_existed_is_404(client: FlaskClient, kind: str, label: str) -> None:
    body = assert_error(client.get(f"/{kind}/99/history"), 404, "RESOURCE_NOT_FOUND")
    assert body["message"] == f"{label} 99 not found"


@pytest.mark.parametrize("raw", ["0", "-3", "99999999999999999999999"])
def test_ids_no_stream_can_have_are_404(client: FlaskClient, raw: str) -> None:
    assert_error(client.get(f"/tasks/{raw}/history"), 404, "RESOURCE_NOT_FOUND")


def test_a_path_id_that_is_not_an_integer_is_invalid_field(client: FlaskClient) -> None:
    assert_invalid(client.get("/users/abc/history"), "INVALID_FIELD", "userId", "path")


def test_history_comes_twenty_entries_to_a_page_by_default_and_pages_on(client: FlaskClient) -> None:
    task = make_task(client, make_user(client)["userId"])
    for n in range(24):
        client.patch(f"/tasks/{task['taskId']}", json={"warningOffset": n + 100})
    path = f"/tasks/{task['taskId']}/history"
    assert [e["version"] for e in history(client, path)] == list(range(1, 21))
    assert [e["version"] for e in history(client, path, _page=1)] == list(range(21, 26))
    assert [e["version"] for e in history(client, path, _page=2, _perPage=10)] == list(range(21, 26))
    assert [e["version"] for e in history(client, path, _page=1, _perPage=3)] == [4, 5, 6]
    assert history(client, path, _page=9) == []


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ("_page=-1", "INVALID_RANGE", "_page"),
        ("_perPage=0", "INVALID_RANGE", "_perPage"),
        ("_perPage=101", "INVALID_RANGE", "_perPage"),
        ("_perPage=1.5", "INVALID_FIELD", "_perPage"),
        ("_page=%D9%A1", "INVALID_FIELD", "_page"),
        ("_page=1&_page=2", "INVALID_FIELD", "_page"),
        ("after=3", "INVALID_FIELD", "after"),
        ("_sort=version", "INVALID_FIELD", "_sort"),
    ],
)
def test_a_bad_history_parameter_is_a_400_naming_it(
    client: FlaskClient, db_path: Path, params: str, code: str, field: str
) -> None:
    task = make_task(client, make_user(client)["userId"])
    before = event_count(db_path)
    assert_invalid(client.get(f"/tasks/{task['taskId']}/history?{params}"), code, field, "query")
    assert event_count(db_path) == before


@pytest.mark.parametrize("path", ["/tasks/1/history", "/users/1/history"])
def test_history_needs_a_token(client: FlaskClient, path: str) -> None:
    make_task(client, make_user(client)["userId"])
    client.environ_base.pop("HTTP_AUTHORIZATION")
    assert_error(client.get(path), 401, "UNAUTHORIZED")
    assert_error(client.get(path, headers={"Authorization": f"Bearer {TOKEN}x"}), 401, "INVALID_TOKEN")


def test_history_takes_only_get(client: FlaskClient) -> None:
    task = make_task(client, make_user(client)["userId"])
    response = client.delete(f"/tasks/{task['taskId']}/history")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert client.get(f"/tasks/{task['taskId']}").status_code == 200


def test_history_refuses_as_of_instead_of_ignoring_it(client: FlaskClient) -> None:
    user = make_user(client)
    assert_invalid(client.get(f"/users/{user['userId']}/history?asOf=1"), "INVALID_FIELD", "asOf", "query")
