"""The error envelope and the errors that do not belong to one field: routing, media type,
body size, malformed bodies, path ids, query parameters on item routes, unexpected crashes.
And the rule over all of them: a request that fails appends no event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

import projections.tasks
from tests.api.helpers import (
    TASK_FIELDS,
    assert_error,
    assert_invalid,
    event_count,
    make_task,
    make_user,
    task_body,
    user_body,
)

MIB = 1024 * 1024


@pytest.fixture
def world(client: FlaskClient) -> dict[str, Any]:
    """One user with one task, and what GET answers for each."""
    user = make_user(client)
    task = make_task(client, user["userId"], taskDescription="described")
    return {"user": user, "task": task, "uid": user["userId"], "tid": task["taskId"]}


def test_a_validation_error_has_the_documented_envelope(client: FlaskClient, world: dict[str, Any]) -> None:
    response = client.post("/tasks", json=task_body(world["uid"], warningOffset=64001))
    body = assert_error(response, 400, "INVALID_RANGE")
    assert list(body) == ["code", "message", "details", "requestId"]
    assert body["message"] == "The `warningOffset` field must be between 0 and 64000"
    assert body["details"] == [{"field": "warningOffset", "reason": "Out of range", "location": "body"}]


def test_every_request_gets_a_new_request_id(client: FlaskClient) -> None:
    first = assert_error(client.get("/tasks/999"), 404, "RESOURCE_NOT_FOUND")
    second = assert_error(client.get("/tasks/999"), 404, "RESOURCE_NOT_FOUND")
    assert first["requestId"] != second["requestId"]


def test_an_unknown_path_is_404_in_the_envelope(client: FlaskClient, db_path: Path) -> None:
    for path in ("/", "/projects", "/tasks/1/comments", "/users/1/tasks/2", "/tasks//1"):
        body = assert_error(client.get(path), 404, "RESOURCE_NOT_FOUND")
        assert "details" not in body
    assert_error(client.post("/projects", json={"name": "x"}), 404, "RESOURCE_NOT_FOUND")
    assert event_count(db_path) == 0


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("delete", "/tasks", "GET, POST"),
    ("patch", "/tasks", "GET, POST"),
    ("put", "/tasks", "GET, POST"),
    ("delete", "/users", "GET, POST"),
    ("post", "/tasks/{tid}", "GET, PATCH, DELETE"),
    ("put", "/tasks/{tid}", "GET, PATCH, DELETE"),
    ("post", "/users/{uid}", "GET, PATCH, DELETE"),
    ("put", "/users/{uid}", "GET, PATCH, DELETE"),
])  # fmt: skip
def test_a_method_a_route_does_not_take_is_405_with_allow(
    client: FlaskClient, db_path: Path, world: dict[str, Any], method: str, path: str, allow: str
) -> None:
    before = event_count(db_path)
    response = getattr(client, method)(path.format(**world), json={"taskTitle": "x"})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert {m.strip() for m in response.headers["Allow"].split(",")} == set(allow.split(", "))
    assert event_count(db_path) == before


def test_delete_on_the_task_collection_allows_exactly_get_and_post(client: FlaskClient) -> None:
    response = client.delete("/tasks")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET, POST"


@pytest.mark.parametrize("path", ["/tasks", "/users", "/tasks/{tid}", "/users/{uid}"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_declared_json_is_415(
    client: FlaskClient, db_path: Path, world: dict[str, Any], path: str, content_type: str
) -> None:
    before = event_count(db_path)
    method = client.post if path in ("/tasks", "/users") else client.patch
    payload = task_body(world["uid"]) if path == "/tasks" else user_body()
    if path.startswith("/tasks/"):
        payload = {"taskTitle": "renamed"}
    response = method(path.format(**world), data=json.dumps(payload), content_type=content_type)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{world['tid']}").get_json() == world["task"]


def test_a_json_body_without_a_content_type_is_415(client: FlaskClient, db_path: Path, world: dict[str, Any]) -> None:
    before = event_count(db_path)
    response = client.post("/users", data=json.dumps(user_body()))
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert event_count(db_path) == before


def test_json_with_a_charset_parameter_is_accepted(client: FlaskClient, world: dict[str, Any]) -> None:
    response = client.post(
        "/tasks", data=json.dumps(task_body(world["uid"])), content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 201


def test_a_body_over_one_mebibyte_is_413(client: FlaskClient, db_path: Path, world: dict[str, Any]) -> None:
    before = event_count(db_path)
    data = json.dumps(task_body(world["uid"], taskTitle="x" * MIB)).encode()
    assert len(data) > MIB
    response = client.post("/tasks", data=data, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert event_count(db_path) == before


def test_a_body_of_one_byte_over_the_limit_is_413(client: FlaskClient, db_path: Path, world: dict[str, Any]) -> None:
    before = event_count(db_path)
    data = json.dumps({"firstName": "Ada"}).encode()
    data = data + b" " * (MIB + 1 - len(data))
    assert len(data) == MIB + 1
    response = client.patch(f"/users/{world['uid']}", data=data, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert event_count(db_path) == before


def test_a_body_of_exactly_one_mebibyte_is_accepted(client: FlaskClient, world: dict[str, Any]) -> None:
    data = json.dumps(task_body(world["uid"])).encode()
    data = data + b" " * (MIB - len(data))
    assert len(data) == MIB
    response = client.post("/tasks", data=data, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "data",
    [
        b'{"taskTitle": "unfinished"',
        b"",
        b"   ",
        b"[1,2]",
        b'"a string"',
        b"42",
        b"null",
        b"{'single': 'quotes'}",
        b'{"warningOffset": NaN}',
        b'{"taskTitle": "\xff\xfe"}',
    ],
)
@pytest.mark.parametrize("target", ["POST /tasks", "POST /users", "PATCH /tasks/{tid}", "PATCH /users/{uid}"])
def test_a_body_that_is_not_a_json_object_is_a_400_in_the_envelope(
    client: FlaskClient, db_path: Path, world: dict[str, Any], data: bytes, target: str
) -> None:
    before = event_count(db_path)
    method, path = target.split()
    response = client.open(path.format(**world), method=method, data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] in {"INVALID_FORMAT", "MISSING_REQUIRED_FIELD"}
    assert_error(response, 400, response.get_json()["code"])
    assert event_count(db_path) == before


@pytest.mark.parametrize("data", [b'{"taskTitle": "unfinished"', b"[1,2]", b'"text"', b"{'a': 1}"])
def test_a_malformed_body_is_invalid_format(client: FlaskClient, world: dict[str, Any], data: bytes) -> None:
    response = client.post("/tasks", data=data, content_type="application/json")
    assert_error(response, 400, "INVALID_FORMAT")


def test_a_deeply_nested_body_is_invalid_format_not_a_crash(client: FlaskClient, db_path: Path) -> None:
    data = b"[" * 100_000 + b"]" * 100_000
    assert_error(client.post("/tasks", data=data, content_type="application/json"), 400, "INVALID_FORMAT")
    assert event_count(db_path) == 0


def test_an_empty_body_on_a_create_is_400(client: FlaskClient, db_path: Path) -> None:
    response = client.post("/users", data=b"", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] in {"INVALID_FORMAT", "MISSING_REQUIRED_FIELD"}
    assert event_count(db_path) == 0


def test_a_create_with_an_empty_object_lists_every_missing_field(client: FlaskClient) -> None:
    body = assert_error(client.post("/tasks", json={}), 400, "MISSING_REQUIRED_FIELD")
    assert sorted(d["field"] for d in body["details"]) == ["dueDate", "taskTitle", "userId", "warningOffset"]
    assert {d["location"] for d in body["details"]} == {"body"}


def test_text_with_a_lone_surrogate_is_refused_without_a_crash(client: FlaskClient, world: dict[str, Any]) -> None:
    data = b'{"firstName": "\\ud800"}'
    response = client.patch(f"/users/{world['uid']}", data=data, content_type="application/json")
    assert response.status_code == 400
    assert_error(response, 400, response.get_json()["code"])


@pytest.mark.parametrize("raw", ["abc", "1.5", "1e3", "0x1", "true", "%EF%BC%91", "1%20", "%201", "+1", "1_000"])
@pytest.mark.parametrize("kind", ["tasks", "users"])
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_path_id_that_is_not_an_integer_is_invalid_field(
    client: FlaskClient, db_path: Path, world: dict[str, Any], raw: str, kind: str, method: str
) -> None:
    before = event_count(db_path)
    kwargs = {"json": {"taskTitle": "x"} if kind == "tasks" else {"firstName": "x"}} if method == "patch" else {}
    response = getattr(client, method)(f"/{kind}/{raw}", **kwargs)
    field = "taskId" if kind == "tasks" else "userId"
    assert_invalid(response, "INVALID_FIELD", field, "path")
    assert event_count(db_path) == before


@pytest.mark.parametrize("raw", ["0", "-1", "99999999999999999999", "1" + "0" * 40])
def test_an_integer_path_id_that_names_nothing_is_404(client: FlaskClient, raw: str) -> None:
    for kind in ("tasks", "users"):
        assert_error(client.get(f"/{kind}/{raw}"), 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("path", ["/tasks/{tid}", "/users/{uid}"])
def test_a_query_parameter_on_an_item_route_is_invalid_field(
    client: FlaskClient, db_path: Path, world: dict[str, Any], method: str, path: str
) -> None:
    before = event_count(db_path)
    kwargs = {"json": {"taskTitle": "x"} if "tasks" in path else {"firstName": "x"}} if method == "patch" else {}
    response = getattr(client, method)(path.format(**world) + "?verbose=1", **kwargs)
    assert_invalid(response, "INVALID_FIELD", "verbose", "query")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{world['tid']}").get_json() == world["task"]
    assert client.get(f"/users/{world['uid']}").get_json() == world["user"]


@pytest.mark.parametrize("path", ["/tasks", "/users"])
def test_a_query_parameter_on_a_create_is_invalid_field(
    client: FlaskClient, db_path: Path, world: dict[str, Any], path: str
) -> None:
    before = event_count(db_path)
    body = task_body(world["uid"]) if path == "/tasks" else user_body()
    assert_invalid(client.post(path + "?dryRun=true", json=body), "INVALID_FIELD", "dryRun", "query")
    assert event_count(db_path) == before


def test_a_trailing_slash_names_the_same_resource_without_a_redirect(
    client: FlaskClient, db_path: Path, world: dict[str, Any]
) -> None:
    uid, tid = world["uid"], world["tid"]
    assert client.get("/users/").get_json() == {"users": [world["user"]]}
    assert client.get("/tasks/").get_json() == {"tasks": [world["task"]]}
    assert client.get(f"/users/{uid}/").get_json() == world["user"]
    assert client.get(f"/tasks/{tid}/").get_json() == world["task"]
    patched = client.patch(f"/tasks/{tid}/", json={"taskStatus": "COMPLETED"})
    assert patched.status_code == 200
    assert patched.get_json() == {**world["task"], "taskStatus": "COMPLETED"}
    created = client.post("/users/", json=user_body(firstName="Slash"))
    assert created.status_code == 201
    assert created.get_json()["firstName"] == "Slash"
    assert client.delete(f"/tasks/{tid}/").status_code == 204
    assert_error(client.get(f"/tasks/{tid}"), 404, "RESOURCE_NOT_FOUND")


def test_an_unexpected_failure_is_a_500_in_the_envelope_without_a_trace(
    client: FlaskClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals 0xDEADBEEF")

    monkeypatch.setattr(projections.tasks, "get", explode)
    response = client.get(f"/tasks/{world['tid']}")
    body = assert_error(response, 500, "SERVER_ERROR")
    assert b"0xDEADBEEF" not in response.data
    assert b"Traceback" not in response.data
    assert "details" not in body


FAILING_REQUESTS = [
    ("POST", "/users", {"json": {"firstName": "A", "lastName": "B"}}),
    ("POST", "/users", {"json": {"firstName": "A", "lastName": "B", "contactEmail": "{email}"}}),
    ("POST", "/users", {"json": {"firstName": "", "lastName": "B", "contactEmail": "new@example.com"}}),
    ("POST", "/tasks", {"json": {"userId": 0, "taskTitle": "t", "dueDate": "2025-06-30T17:00:00Z", "warningOffset": 1}}),
    ("POST", "/tasks", {"json": {"userId": "{uid}", "taskTitle": "t", "dueDate": "2025-06-30", "warningOffset": 1}}),
    ("POST", "/tasks", {"json": {"userId": "{uid}", "taskTitle": "t", "dueDate": "2025-06-30T17:00:00Z", "warningOffset": 64000.9}}),
    ("POST", "/tasks", {"data": "{", "content_type": "application/json"}),
    ("POST", "/tasks", {"data": "[]", "content_type": "application/json"}),
    ("POST", "/tasks", {"data": "{}", "content_type": "text/plain"}),
    ("PATCH", "/users/{uid}", {"json": {}}),
    ("PATCH", "/users/{uid}", {"json": {"userId": 77}}),
    ("PATCH", "/users/{uid}", {"json": {"contactEmail": "bad"}}),
    ("PATCH", "/tasks/{tid}", {"json": {"taskStatus": "DONE"}}),
    ("PATCH", "/tasks/{tid}", {"json": {"userId": 9999}}),
    ("PATCH", "/tasks/{tid}", {"json": {"taskTitle": "new", "taskDescription": ""}}),
    ("PATCH", "/tasks/9999", {"json": {"taskTitle": "new"}}),
    ("PATCH", "/tasks/abc", {"json": {"taskTitle": "new"}}),
    ("DELETE", "/tasks/9999", {}),
    ("DELETE", "/users/9999", {}),
    ("DELETE", "/users/x1", {}),
    ("DELETE", "/tasks", {}),
    ("PUT", "/tasks/{tid}", {"json": {"taskTitle": "new"}}),
    ("DELETE", "/tasks/{tid}?force=1", {}),
    ("DELETE", "/users/{uid}", {"headers": {"Authorization": "Bearer wrong"}}),
    ("POST", "/tasks", {"headers": {"Authorization": "Basic dGVzdDp0ZXN0"}, "json": {"taskTitle": "t"}}),
]  # fmt: skip


def _fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if value == "{uid}":
        return world["uid"]
    if isinstance(value, str):
        return value.replace("{email}", world["user"]["contactEmail"])
    return value


@pytest.mark.parametrize(("method", "path", "kwargs"), FAILING_REQUESTS)
def test_a_failed_request_appends_no_event_and_changes_nothing(
    client: FlaskClient, db_path: Path, world: dict[str, Any], method: str, path: str, kwargs: dict[str, Any]
) -> None:
    before = event_count(db_path)
    response = client.open(path.format(**world), method=method, **_fill(kwargs, world))
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code, response.get_json()["code"])
    assert event_count(db_path) == before
    assert client.get(f"/users/{world['uid']}").get_json() == world["user"]
    assert client.get(f"/tasks/{world['tid']}").get_json() == world["task"]
    assert client.get("/tasks").get_json() == {"tasks": [world["task"]]}
    assert len(client.get("/users").get_json()["users"]) == 1


def test_responses_carry_fields_in_the_contracts_order_everywhere(client: FlaskClient, world: dict[str, Any]) -> None:
    tid = world["tid"]
    shapes = [
        client.get(f"/tasks/{tid}").get_json(),
        client.patch(f"/tasks/{tid}", json={"warningOffset": 1, "taskTitle": "z"}).get_json(),
        client.get("/tasks?_sort=-dueDate").get_json()["tasks"][0],
    ]
    assert [list(shape) for shape in shapes] == [TASK_FIELDS] * 3
