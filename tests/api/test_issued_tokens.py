"""Issued tokens at the API: unknown, revoked and expired ones are 401; a read-only token
reads but every write is 403 READ_ONLY_ACCESS, appending nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import tokens
from taskstore.database import open_database
from tests.api.helpers import assert_error, event_count, make_task, make_user, task_body, user_body


def issue(
    db_path: Path,
    name: str,
    *,
    read_only: bool = False,
    user_id: int | None = None,
    expires_at: datetime | None = None,
) -> dict[str, str]:
    """Issue a token straight into the app's database; the Authorization header carrying it."""
    db = open_database(db_path)
    try:
        now = datetime.now(UTC)
        text = tokens.issue(db, name, read_only=read_only, user_id=user_id, now=now, expires_at=expires_at)
    finally:
        db.close()
    return {"Authorization": f"Bearer {text}"}


def test_an_issued_token_is_accepted_until_its_expiry(client: FlaskClient, db_path: Path) -> None:
    headers = issue(db_path, "soon", expires_at=datetime.now(UTC) + timedelta(minutes=5))
    assert client.get("/users", headers=headers).status_code == 200


def test_an_expired_token_is_expired_token(client: FlaskClient, db_path: Path) -> None:
    headers = issue(db_path, "old", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    before = event_count(db_path)
    response = client.post("/users", json=user_body(), headers=headers)
    assert_error(response, 401, "EXPIRED_TOKEN")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="taskstore"'
    assert event_count(db_path) == before


def test_a_revoked_token_is_invalid_token_even_after_its_expiry(client: FlaskClient, db_path: Path) -> None:
    headers = issue(db_path, "gone", expires_at=datetime.now(UTC) - timedelta(days=1))
    db = open_database(db_path)
    try:
        assert tokens.revoke(db, "gone", datetime.now(UTC))
    finally:
        db.close()
    assert_error(client.get("/users", headers=headers), 401, "INVALID_TOKEN")


@pytest.mark.parametrize(
    "alter",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another secret, same id
        lambda t: t.replace("tsk_", "tsk_0", 1),  # another id
        lambda t: t.rsplit("_", 1)[0],  # no secret
        lambda t: t.replace("tsk_", "tsx_", 1),
        lambda t: t + "x",
    ],
)
def test_an_altered_issued_token_is_invalid_token(client: FlaskClient, db_path: Path, alter: object) -> None:
    text = issue(db_path, "real")["Authorization"].removeprefix("Bearer ")
    assert callable(alter)
    response = client.get("/users", headers={"Authorization": f"Bearer {alter(text)}"})
    assert_error(response, 401, "INVALID_TOKEN")


def test_the_configured_token_keeps_working_beside_issued_ones(client: FlaskClient, db_path: Path) -> None:
    issue(db_path, "other")
    assert client.get("/users").status_code == 200


WRITES = [
    ("POST", "/users", {"json": user_body()}),
    ("PATCH", "/users/1", {"json": {"firstName": "Eve"}}),
    ("DELETE", "/users/1", {}),
    ("POST", "/tasks", {"json": task_body(1)}),
    ("PATCH", "/tasks/1", {"json": {"taskStatus": "COMPLETED"}}),
    ("DELETE", "/tasks/1", {}),
    ("POST", "/users", {"data": b"{not json", "content_type": "application/json"}),
    ("PATCH", "/tasks/1", {"data": b"x" * 10, "content_type": "text/plain"}),
    ("DELETE", "/tasks/999", {}),
    ("POST", "/no-such-route", {"json": {}}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_read_only_token_is_refused_every_write_before_its_body_is_read(
    client: FlaskClient, db_path: Path, method: str, path: str, body: dict[str, object]
) -> None:
    user = make_user(client)
    make_task(client, user["userId"])
    headers = issue(db_path, "reader", read_only=True)
    before = event_count(db_path)
    response = client.open(path, method=method, headers=headers, **body)  # type: ignore[arg-type]
    assert_error(response, 403, "READ_ONLY_ACCESS")
    assert event_count(db_path) == before


@pytest.mark.parametrize("path", ["/users", "/users/1", "/tasks", "/tasks/1", "/tasks/1/history", "/events"])
def test_a_read_only_token_reads_like_any_other(client: FlaskClient, db_path: Path, path: str) -> None:
    user = make_user(client)
    make_task(client, user["userId"])
    reader = client.get(path, headers=issue(db_path, "reader", read_only=True))
    assert reader.status_code == 200
    assert reader.get_json() == client.get(path).get_json()


def test_a_token_issued_while_the_service_runs_under_a_configured_name_is_refused(
    client: FlaskClient, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clash = issue(db_path, "tester")  # "tester" is the configured token's name; the app started before
    before = event_count(db_path)

    response = client.post("/users", json=user_body(), headers=clash)

    assert_error(response, 401, "INVALID_TOKEN")
    assert event_count(db_path) == before
    assert "TASKSTORE_TOKENS has a token of that name" in caplog.text
    assert client.post("/users", json=user_body()).status_code == 201  # the configured token still works
