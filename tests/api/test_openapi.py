"""GET /openapi.json: the document describes every route, parameter, body and error response."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import openapi
from tests.api.helpers import STATUSES, TASK_FIELDS, USER_FIELDS

ROUTES = {
    ("get", "/users"), ("post", "/users"), ("get", "/users/{userId}"), ("patch", "/users/{userId}"),
    ("delete", "/users/{userId}"), ("get", "/tasks"), ("post", "/tasks"), ("get", "/tasks/{taskId}"),
    ("patch", "/tasks/{taskId}"), ("delete", "/tasks/{taskId}"), ("get", "/tasks/{taskId}/history"),
    ("get", "/users/{userId}/history"), ("get", "/events"), ("get", "/tasks/stats"), ("get", "/reminders"),
    ("get", "/openapi.json"), ("get", "/docs"), ("get", "/healthz"), ("get", "/readyz"),
}  # fmt: skip
PUBLIC = {"/openapi.json", "/docs", "/healthz", "/readyz"}


@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")  # no token
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in document["paths"].items() for method, op in item.items()}


def schema(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return found


def test_the_document_is_openapi_3_and_describes_every_route_and_no_other(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.0.")
    assert set(operations(document)) == ROUTES


def test_every_operation_needs_the_bearer_token_except_the_public_ones(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]
    for (_, path), op in operations(document).items():
        assert (op.get("security") == []) == (path in PUBLIC), path
        assert ("401" in op["responses"]) == (path not in PUBLIC), path


def test_resources_list_their_fields_in_the_contracts_order(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert list(schemas["Task"]["properties"]) == TASK_FIELDS
    assert list(schemas["User"]["properties"]) == USER_FIELDS
    assert sorted(schemas["Task"]["required"]) == sorted(TASK_FIELDS)
    assert schemas["Task"]["properties"]["taskDescription"]["nullable"] is True
    assert schemas["Task"]["properties"]["taskStatus"]["enum"] == STATUSES


def test_request_bodies_leave_out_the_ids_and_refuse_other_fields(document: dict[str, Any]) -> None:
    ops = operations(document)
    create = schema(document, ops["post", "/tasks"]["requestBody"]["content"]["application/json"]["schema"])
    assert list(create["properties"]) == TASK_FIELDS[1:]
    assert create["additionalProperties"] is False
    assert sorted(create["required"]) == ["dueDate", "taskTitle", "userId", "warningOffset"]
    update = schema(document, ops["patch", "/users/{userId}"]["requestBody"]["content"]["application/json"]["schema"])
    assert list(update["properties"]) == USER_FIELDS[1:]
    assert update["minProperties"] == 1
    assert "required" not in update


def test_path_ids_are_integers_and_list_parameters_carry_their_bounds(document: dict[str, Any]) -> None:
    ops = operations(document)
    (task_id,) = [p for p in ops["get", "/tasks/{taskId}/history"]["parameters"] if p["in"] == "path"]
    assert (task_id["name"], task_id["schema"]["type"], task_id["required"]) == ("taskId", "integer", True)
    query = {p["name"]: p["schema"] for p in ops["get", "/tasks"]["parameters"] if p["in"] == "query"}
    assert list(query) == ["asOf", "_page", "_perPage", "_sort", "taskStatus"]
    assert (query["_perPage"]["minimum"], query["_perPage"]["maximum"], query["_perPage"]["default"]) == (1, 100, 20)
    fields = ["taskId", "userId", "taskTitle", "taskStatus", "dueDate", "warningOffset"]
    assert query["_sort"]["enum"] == [*fields, *(f"-{f}" for f in fields)]
    assert query["taskStatus"]["enum"] == STATUSES
    feed = {p["name"] for p in ops["get", "/events"]["parameters"]}
    assert feed == {"after", "limit", "type", "streamId"}
    reminders = {p["name"] for p in ops["get", "/reminders"]["parameters"]}
    assert reminders == {"_page", "_perPage", "until"}  # reminders are of now: no asOf


def test_each_operation_lists_the_errors_its_inputs_can_cause(document: dict[str, Any]) -> None:
    ops = operations(document)

    def statuses(method: str, path: str) -> list[str]:
        return sorted(s for s in ops[method, path]["responses"] if s >= "400")

    assert statuses("patch", "/tasks/{taskId}") == [
        "400", "401", "403", "404", "405", "409", "412", "413", "414", "415", "429", "431", "500",
    ]  # fmt: skip
    assert statuses("post", "/users") == [
        "400",
        "401",
        "403",
        "405",
        "409",
        "413",
        "414",
        "415",
        "422",
        "429",
        "431",
        "500",
    ]
    assert statuses("get", "/events") == ["400", "401", "403", "405", "414", "429", "431", "500"]
    assert statuses("get", "/docs") == ["400", "405", "414", "431", "500"]  # public: no token, no rate limit
    for status in ("414", "431"):  # answered by the server before the app: not rate limited
        assert set(document["components"]["responses"][f"Error{status}"]["headers"]) == {"X-Request-Id"}
    error = document["components"]["responses"]["Error429"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert set(error["headers"]) >= {"X-Request-Id", "Retry-After", "X-RateLimit-Limit"}
    assert "Allow" in document["components"]["responses"]["Error405"]["headers"]


def test_headers_taken_and_sent_are_described(document: dict[str, Any]) -> None:
    ops = operations(document)
    for method in ("patch", "delete"):
        headers = {p["name"] for p in ops[method, "/tasks/{taskId}"]["parameters"] if p["in"] == "header"}
        assert headers == {"If-Match", "If-None-Match"}
    headers = {p["name"] for p in ops["post", "/tasks"]["parameters"] if p["in"] == "header"}
    assert headers == {"Idempotency-Key"}
    assert "ETag" in ops["get", "/users/{userId}"]["responses"]["200"]["headers"]
    for path in ("/tasks/{taskId}", "/users/{userId}"):
        headers = {p["name"] for p in ops["get", path]["parameters"] if p["in"] == "header"}
        assert headers == {"If-Match", "If-None-Match"}
    assert {p["name"] for p in ops["get", "/tasks"]["parameters"] if p["in"] == "header"} == set()
    assert {"X-Total-Count", "Link"} <= set(ops["get", "/tasks"]["responses"]["200"]["headers"])


def test_the_reads_of_one_resource_document_the_304_and_no_other_operation_does(document: dict[str, Any]) -> None:
    ops = operations(document)
    with_304 = {key for key, op in ops.items() if "304" in op["responses"]}
    assert with_304 == {("get", "/tasks/{taskId}"), ("get", "/users/{userId}")}
    for key in with_304:
        not_modified = ops[key]["responses"]["304"]
        assert "content" not in not_modified  # no body
        assert set(not_modified["headers"]) == {
            "ETag", "X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
        }  # fmt: skip


def test_creations_link_to_the_operations_on_what_they_created(document: dict[str, Any]) -> None:
    links = operations(document)["post", "/tasks"]["responses"]["201"]["links"]
    assert set(links) == {"getTask", "updateTask", "deleteTask", "getTaskHistory"}
    assert links["getTask"]["parameters"] == {"taskId": "$response.body#/taskId"}


def test_the_document_is_built_once_per_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = openapi.build
    monkeypatch.setattr(openapi, "build", lambda a: calls.append(a) or real(a))
    client = app.test_client()
    first, second = client.get("/openapi.json"), client.get("/openapi.json")
    assert first.data == second.data
    assert calls == [app]


def test_the_document_refuses_query_parameters_like_every_route(client: FlaskClient) -> None:
    response = client.get("/openapi.json?x=1")
    assert response.status_code == 400
    assert response.get_json()["code"] == "INVALID_FIELD"
