"""Traps 1-7 of issue 2: faults similar services fell into, each with the values the issue gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.helpers import (
    assert_error,
    assert_invalid,
    event_count,
    expected_task,
    make_task,
    make_user,
    ordered,
    rebuild,
    snapshot,
    task_body,
    task_ids,
    user_body,
)

FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + digit) for digit in range(10)))


def _titles(response: TestResponse) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [task["taskTitle"] for task in response.get_json()["tasks"]]


# Trap 1: page bounds.


@pytest.fixture
def five_tasks(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    for title in ("t3", "t1", "t5", "t2", "t4"):  # created out of order so the sort has work to do
        make_task(client, owner, taskTitle=title)


@pytest.mark.parametrize(("page", "titles"), [(0, ["t1", "t2"]), (1, ["t3", "t4"]), (2, ["t5"]), (3, [])])
def test_pages_of_two_tasks_sorted_by_title_split_t1_to_t5_exactly(
    client: FlaskClient, five_tasks: None, page: int, titles: list[str]
) -> None:
    response = client.get(f"/tasks?_page={page}&_perPage=2&_sort=taskTitle")
    assert _titles(response) == titles


def test_the_page_past_the_end_of_t1_to_t5_is_an_empty_list(client: FlaskClient, five_tasks: None) -> None:
    response = client.get("/tasks?_page=3&_perPage=2&_sort=taskTitle")
    assert response.status_code == 200
    assert response.get_json() == {"tasks": []}


@pytest.mark.parametrize(
    ("query", "name"), [("_page=-1", "_page"), ("_perPage=0", "_perPage"), ("_perPage=101", "_perPage")]
)
def test_page_bounds_out_of_range_are_400_never_clamped(
    client: FlaskClient, db_path: Path, five_tasks: None, query: str, name: str
) -> None:
    before = event_count(db_path)
    response = client.get(f"/tasks?{query}&_sort=taskTitle")
    assert_invalid(response, "INVALID_RANGE", name, "query")
    assert "tasks" not in response.get_json()
    assert event_count(db_path) == before


# Trap 2: integers that are not integers.


@pytest.mark.parametrize("offset", [64000.9, 15.5, "30", "\uff13\uff10", True])
def test_a_warning_offset_that_is_not_a_json_integer_is_400_and_creates_nothing(
    client: FlaskClient, db_path: Path, offset: object
) -> None:
    owner = make_user(client)["userId"]
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(owner, warningOffset=offset))
    body = assert_invalid(response, "INVALID_FIELD", "warningOffset")
    assert "warningOffset" in body["message"]
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": []}


@pytest.mark.parametrize("offset", [0, 64000])
def test_a_warning_offset_of_0_or_64000_is_created(client: FlaskClient, offset: int) -> None:
    owner = make_user(client)["userId"]
    body = task_body(owner, warningOffset=offset)
    response = client.post("/tasks", json=body)
    assert response.status_code == 201
    assert ordered(response.get_json()) == ordered(expected_task(response.get_json()["taskId"], body))


def test_a_warning_offset_of_64001_is_400_and_creates_nothing(client: FlaskClient, db_path: Path) -> None:
    owner = make_user(client)["userId"]
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(owner, warningOffset=64001))
    assert_invalid(response, "INVALID_RANGE", "warningOffset")
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": []}


def test_a_fractional_warning_offset_is_not_truncated_on_patch(client: FlaskClient, db_path: Path) -> None:
    owner = make_user(client)["userId"]
    task = make_task(client, owner, warningOffset=10)
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"warningOffset": 64000.9})
    assert_invalid(response, "INVALID_FIELD", "warningOffset")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{task['taskId']}").get_json()["warningOffset"] == 10


def _user_id_lookalikes(user_id: int) -> list[object]:
    return [user_id + 0.9, user_id + 0.5, float(user_id), str(user_id), str(user_id).translate(FULLWIDTH), True]


def test_a_user_id_that_is_not_a_json_integer_is_400_and_creates_nothing(client: FlaskClient, db_path: Path) -> None:
    owner = make_user(client)["userId"]
    before = event_count(db_path)
    for value in _user_id_lookalikes(owner):
        response = client.post("/tasks", json=task_body(owner, userId=value))
        body = assert_invalid(response, "INVALID_FIELD", "userId")
        assert "userId" in body["message"], value
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": []}


def test_a_user_id_that_is_not_a_json_integer_does_not_reassign(client: FlaskClient, db_path: Path) -> None:
    first = make_user(client)["userId"]
    second = make_user(client)["userId"]
    task = make_task(client, second)
    before = event_count(db_path)
    for value in _user_id_lookalikes(first):
        response = client.patch(f"/tasks/{task['taskId']}", json={"userId": value})
        assert_invalid(response, "INVALID_FIELD", "userId")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{task['taskId']}").get_json() == task


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_path_id_that_is_not_an_integer_is_400_and_changes_nothing(
    client: FlaskClient, db_path: Path, method: str
) -> None:
    owner = make_user(client)["userId"]
    task = make_task(client, owner)
    tid, uid = task["taskId"], owner
    before = event_count(db_path)
    for kind, ident, field in (("tasks", tid, "taskId"), ("users", uid, "userId")):
        for raw in (f"{ident}.9", f"{ident}.5", f"{ident}.0", f'"{ident}"', str(ident).translate(FULLWIDTH), "true"):
            body = {"json": {"taskTitle": "x"} if kind == "tasks" else {"firstName": "x"}} if method == "patch" else {}
            response = getattr(client, method)(f"/{kind}/{raw}", **body)
            assert_invalid(response, "INVALID_FIELD", field, "path")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{tid}").get_json() == task


# Trap 3: dates sorted as text.

A, B, C = "2025-06-30T17:00:00-05:00", "2025-06-30T20:00:00+00:00", "2025-06-30T21:00:00Z"


def _dues(response: TestResponse) -> list[str]:
    assert response.status_code == 200
    return [task["dueDate"] for task in response.get_json()["tasks"]]


def test_due_dates_sort_by_instant_not_text_before_and_after_a_rebuild(client: FlaskClient, db_path: Path) -> None:
    owner = make_user(client)["userId"]
    ids = {due: make_task(client, owner, dueDate=due)["taskId"] for due in (A, B, C)}
    for _ in range(2):
        assert _dues(client.get("/tasks?_sort=dueDate")) == [B, C, A]
        assert _dues(client.get("/tasks?_sort=-dueDate")) == [A, C, B]
        for due, task_id in ids.items():
            assert client.get(f"/tasks/{task_id}").get_json()["dueDate"] == due
        rebuild(db_path)


def test_a_due_date_changed_by_patch_sorts_by_its_new_instant_after_a_rebuild(
    client: FlaskClient, db_path: Path
) -> None:
    owner = make_user(client)["userId"]
    a = make_task(client, owner, dueDate=B)["taskId"]
    b = make_task(client, owner, dueDate=C)["taskId"]
    client.patch(f"/tasks/{a}", json={"dueDate": A})  # 22:00Z, now the latest
    assert task_ids(client.get("/tasks?_sort=dueDate")) == [b, a]
    rebuild(db_path)
    assert task_ids(client.get("/tasks?_sort=dueDate")) == [b, a]
    assert client.get(f"/tasks/{a}").get_json()["dueDate"] == A


# Trap 4: framework errors outside the envelope.


def _assert_json_error(response: TestResponse, status: int, code: str) -> None:
    assert not 300 <= response.status_code < 400, response.headers.get("Location")
    assert b"<html" not in response.data.lower()
    assert b"<!doctype" not in response.data.lower()
    assert_error(response, status, code)


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"userId": 1, "taskTitle": "trunc', "application/json", 400, "INVALID_FORMAT"),
        (b"", "application/json", 400, "INVALID_FORMAT"),
        (b"[1,2]", "application/json", 400, "INVALID_FORMAT"),
        (b'{"taskTitle": "plain"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_a_bad_body_gets_a_json_envelope_and_appends_nothing(
    client: FlaskClient, db_path: Path, data: bytes, content_type: str, status: int, code: str
) -> None:
    make_user(client)
    before = event_count(db_path)
    response = client.post("/tasks", data=data, content_type=content_type)
    _assert_json_error(response, status, code)
    assert event_count(db_path) == before


def test_delete_on_the_task_collection_is_405_in_the_envelope_with_allow(client: FlaskClient, db_path: Path) -> None:
    owner = make_user(client)["userId"]
    task = make_task(client, owner)
    before = event_count(db_path)
    response = client.delete("/tasks")
    _assert_json_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET, POST"
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": [task]}


@pytest.mark.parametrize("path", ["/nowhere", "/tasks/1/subtasks", "/api/tasks"])
def test_an_unknown_path_is_404_in_the_envelope(client: FlaskClient, db_path: Path, path: str) -> None:
    before = event_count(db_path)
    _assert_json_error(client.get(path), 404, "RESOURCE_NOT_FOUND")
    _assert_json_error(client.post(path, json={"taskTitle": "x"}), 404, "RESOURCE_NOT_FOUND")
    assert event_count(db_path) == before


def test_post_to_tasks_with_a_trailing_slash_creates_exactly_one_task(client: FlaskClient, db_path: Path) -> None:
    owner = make_user(client)["userId"]
    before = event_count(db_path)
    body = task_body(owner, taskTitle="slash")
    response = client.post("/tasks/", json=body)
    assert response.status_code == 201
    created = response.get_json()
    assert ordered(created) == ordered(expected_task(created["taskId"], body))
    assert client.get("/tasks").get_json() == {"tasks": [created]}
    assert event_count(db_path) == before + 1


# Trap 5: cascades lost on replay.


def _captures(client: FlaskClient, paths: list[str]) -> list[tuple[int, bytes]]:
    """Status and body of each GET; bodies of errors without their requestId."""
    captured = []
    for path in paths:
        response = client.get(path)
        data = response.data
        if response.status_code >= 400:
            body = response.get_json()
            body.pop("requestId")
            data = json.dumps(body).encode()
        captured.append((response.status_code, data))
    return captured


def test_a_cascade_delete_survives_a_rebuild(client: FlaskClient, db_path: Path) -> None:
    u1, u2 = make_user(client)["userId"], make_user(client)["userId"]
    t1 = make_task(client, u1, taskTitle="T1")
    t2 = make_task(client, u2, taskTitle="T2")
    assert client.delete(f"/users/{u1}").status_code == 204
    paths = [f"/tasks/{t1['taskId']}", f"/users/{u1}", f"/tasks/{t2['taskId']}", f"/users/{u2}", "/tasks", "/users"]
    before = _captures(client, paths)
    rebuild(db_path)
    after = _captures(client, paths)
    assert after == before
    assert_error(client.get(f"/tasks/{t1['taskId']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(client.get(f"/users/{u1}"), 404, "RESOURCE_NOT_FOUND")
    assert client.get(f"/tasks/{t2['taskId']}").get_json() == t2
    assert client.get("/tasks").get_json() == {"tasks": [t2]}


def test_a_cascade_follows_reassignments_on_replay(client: FlaskClient, db_path: Path) -> None:
    u1, u2 = make_user(client)["userId"], make_user(client)["userId"]
    moved_away = make_task(client, u1, taskTitle="leaves U1")
    moved_in = make_task(client, u2, taskTitle="joins U1")
    client.patch(f"/tasks/{moved_away['taskId']}", json={"userId": u2})
    client.patch(f"/tasks/{moved_in['taskId']}", json={"userId": u1})
    assert client.delete(f"/users/{u1}").status_code == 204
    for _ in range(2):
        assert client.get("/tasks").get_json() == {"tasks": [{**moved_away, "userId": u2}]}
        assert_error(client.get(f"/tasks/{moved_in['taskId']}"), 404, "RESOURCE_NOT_FOUND")
        rebuild(db_path)


# Trap 6: uniqueness that remembers the dead.


def test_an_email_is_free_again_once_its_user_is_deleted_and_stays_unique(client: FlaskClient, db_path: Path) -> None:
    first = make_user(client, contactEmail="reuse@example.com")["userId"]
    assert client.delete(f"/users/{first}").status_code == 204
    response = client.post("/users", json=user_body(contactEmail="reuse@example.com"))
    assert response.status_code == 201
    second = response.get_json()["userId"]
    assert second != first
    rebuild(db_path)
    assert client.get(f"/users/{second}").get_json()["contactEmail"] == "reuse@example.com"
    before = event_count(db_path)
    for email in ("reuse@example.com", "Reuse@Example.COM", "REUSE@EXAMPLE.COM"):
        assert_error(client.post("/users", json=user_body(contactEmail=email)), 400, "DUPLICATE_EMAIL")
    assert event_count(db_path) == before
    assert [u["userId"] for u in client.get("/users").get_json()["users"]] == [second]


def test_an_email_given_up_by_a_patch_is_free_again_after_a_rebuild(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client, contactEmail="old@example.com")["userId"]
    client.patch(f"/users/{user}", json={"contactEmail": "new@example.com"})
    rebuild(db_path)
    assert client.post("/users", json=user_body(contactEmail="OLD@example.com")).status_code == 201
    assert_error(client.post("/users", json=user_body(contactEmail="New@Example.com")), 400, "DUPLICATE_EMAIL")


def test_an_email_handed_from_one_user_to_another_survives_a_rebuild(client: FlaskClient, db_path: Path) -> None:
    first = make_user(client, contactEmail="first@example.com")["userId"]
    second = make_user(client, contactEmail="shared@example.com")["userId"]
    assert client.patch(f"/users/{second}", json={"contactEmail": "second@example.com"}).status_code == 200
    assert client.patch(f"/users/{first}", json={"contactEmail": "Shared@example.com"}).status_code == 200
    live = _captures(client, ["/users", f"/users/{first}", f"/users/{second}"])
    rebuild(db_path)  # only a replay in global log order frees the address before it is taken again
    assert _captures(client, ["/users", f"/users/{first}", f"/users/{second}"]) == live
    assert client.get(f"/users/{first}").get_json()["contactEmail"] == "Shared@example.com"
    assert_error(client.post("/users", json=user_body(contactEmail="shared@EXAMPLE.com")), 400, "DUPLICATE_EMAIL")


# Trap 7: rebuild that is not a pure function of the log.


def _busy_history(client: FlaskClient) -> dict[str, Any]:
    """Users and tasks that went through creation, updates, status changes, reassignment and deletes."""
    u1 = make_user(client, firstName="Una")["userId"]
    u2 = make_user(client, firstName="Dos")["userId"]
    gone = make_user(client)["userId"]
    task = make_task(client, u1, taskDescription="first words", dueDate=A)["taskId"]
    other = make_task(client, u2, taskStatus="BLOCKED", dueDate=C)["taskId"]
    make_task(client, gone)
    client.patch(f"/tasks/{task}", json={"taskStatus": "IN_PROGRESS", "taskTitle": "renamed"})
    client.patch(f"/tasks/{task}", json={"taskDescription": None, "userId": u2})
    client.patch(f"/tasks/{other}", json={"taskStatus": "COMPLETED", "warningOffset": 0})
    client.patch(f"/users/{u1}", json={"lastName": "Changed", "contactEmail": "una@example.com"})
    client.delete(f"/users/{gone}")
    return {"u1": u1, "u2": u2, "task": task}


def test_two_rebuilds_give_byte_identical_answers(client: FlaskClient, db_path: Path) -> None:
    h = _busy_history(client)
    paths = [
        f"/users/{h['u1']}",
        f"/users/{h['u2']}",
        f"/tasks/{h['task']}",
        "/tasks",
        "/users",
        "/tasks?taskStatus=COMPLETED",
        "/tasks?_sort=-dueDate",
    ]
    live = _captures(client, paths)
    assert all(status == 200 for status, _ in live)
    rebuild(db_path)
    first = _captures(client, paths)
    rebuild(db_path)
    second = _captures(client, paths)
    assert first == live
    assert second == live


def test_a_rebuild_reproduces_the_live_read_models_row_for_row(client: FlaskClient, db_path: Path) -> None:
    _busy_history(client)
    live = snapshot(db_path)
    events = event_count(db_path)
    rebuild(db_path)
    assert snapshot(db_path) == live
    rebuild(db_path)
    assert snapshot(db_path) == live
    assert event_count(db_path) == events
