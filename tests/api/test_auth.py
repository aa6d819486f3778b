"""Bearer-token authentication: 401 UNAUTHORIZED without a header, 401 INVALID_TOKEN for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import assert_error, event_count, make_user, task_body, user_body
from tests.conftest import TOKEN

ROUTES = [
    ("GET", "/users"),
    ("POST", "/users"),
    ("GET", "/users/1"),
    ("PATCH", "/users/1"),
    ("DELETE", "/users/1"),
    ("GET", "/tasks"),
    ("POST", "/tasks"),
    ("GET", "/tasks/1"),
    ("PATCH", "/tasks/1"),
    ("DELETE", "/tasks/1"),
]


def _bare_client(app: Flask) -> FlaskClient:
    """A client that sends no Authorization header unless a request names one."""
    return app.test_client()


def _body_for(method: str, path: str) -> dict[str, object]:
    if method == "POST":
        return {"json": task_body(1) if path == "/tasks" else user_body()}
    if method == "PATCH":
        return {"json": {"taskStatus": "COMPLETED"} if path.startswith("/tasks") else {"firstName": "Eve"}}
    return {}


@pytest.fixture
def seeded(client: FlaskClient) -> None:
    """User 1 with task 1, so every route above names something that exists."""
    user = make_user(client)
    client.post("/tasks", json=task_body(user["userId"]))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_request_without_an_authorization_header_is_unauthorized(
    app: Flask, db_path: Path, seeded: None, method: str, path: str
) -> None:
    before = event_count(db_path)
    response = _bare_client(app).open(path, method=method, **_body_for(method, path))
    body = assert_error(response, 401, "UNAUTHORIZED")
    assert "details" not in body
    assert event_count(db_path) == before


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wrong-token",
        "Bearer YOUR_TOKEN",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        f"Token {TOKEN}",
        TOKEN,
        "Bearer",
        "Bearer ",
        "",
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/tasks"), ("POST", "/users"), ("DELETE", "/users/1")])
def test_a_malformed_or_unknown_token_is_invalid_token(
    app: Flask, db_path: Path, seeded: None, header: str, method: str, path: str
) -> None:
    before = event_count(db_path)
    response = _bare_client(app).open(path, method=method, headers={"Authorization": header}, **_body_for(method, path))
    assert_error(response, 401, "INVALID_TOKEN")
    assert event_count(db_path) == before


def test_the_configured_token_is_accepted(app: Flask) -> None:
    response = _bare_client(app).get("/users", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.get_json() == {"users": []}


def test_an_unauthorized_request_reveals_no_resource_data(app: Flask, seeded: None) -> None:
    response = _bare_client(app).get("/users/1")
    assert_error(response, 401, "UNAUTHORIZED")
    assert b"contactEmail" not in response.data


def test_a_view_marked_public_is_served_without_a_token_and_others_still_need_one(app: Flask) -> None:
    from api.auth import public

    @app.get("/public-probe")
    @public
    def probe() -> dict[str, str]:
        return {"status": "ok"}

    client = app.test_client()
    assert client.get("/public-probe").get_json() == {"status": "ok"}
    assert client.get("/users").status_code == 401
