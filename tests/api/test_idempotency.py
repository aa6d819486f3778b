"""Idempotency-Key on POST /users and POST /tasks: a retry gets the first answer again and
appends nothing; the key is the token's own, kept only for successful creations, for a day."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api import create_app
from api.config import Config, Token
from tests.api.helpers import assert_error, assert_invalid, event_count, make_user, task_body, user_body
from tests.conftest import AUTH


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def kept_keys(db_path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db_path)) as conn:
        return [tuple(row) for row in conn.execute("SELECT actor, key FROM idempotency_keys ORDER BY 1, 2")]


def test_a_retried_user_creation_returns_the_same_bytes_and_appends_nothing(client: FlaskClient, db_path: Path) -> None:
    body = user_body()
    first = client.post("/users", json=body, headers=keyed("create-ada"))
    count = event_count(db_path)
    again = client.post("/users", json=body, headers=keyed("create-ada"))
    assert first.status_code == again.status_code == 201
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.mimetype == "application/json"
    assert event_count(db_path) == count
    assert [u["contactEmail"] for u in client.get("/users").get_json()["users"]] == [body["contactEmail"]]


def test_a_retried_task_creation_returns_the_original_even_after_the_task_changed(
    client: FlaskClient, db_path: Path
) -> None:
    body = task_body(make_user(client)["userId"])
    first = client.post("/tasks", json=body, headers=keyed("t-1"))
    client.patch(f"/tasks/{first.get_json()['taskId']}", json={"taskTitle": "Later"})
    count = event_count(db_path)
    again = client.post("/tasks", json=body, headers=keyed("t-1"))
    assert (again.status_code, again.data, again.headers["ETag"]) == (201, first.data, first.headers["ETag"])
    assert event_count(db_path) == count


def test_the_same_body_in_another_key_order_and_spacing_is_the_same_request(client: FlaskClient) -> None:
    body = user_body()
    first = client.post("/users", json=body, headers=keyed("k"))
    text = "{ " + ", ".join(f'"{name}" : "{value}"' for name, value in reversed(body.items())) + " }"
    again = client.post("/users", data=text, content_type="application/json", headers=keyed("k"))
    assert (again.status_code, again.data) == (201, first.data)


def test_the_same_key_with_a_different_body_is_422_and_appends_nothing(client: FlaskClient, db_path: Path) -> None:
    client.post("/users", json=user_body(), headers=keyed("k"))
    count = event_count(db_path)
    assert_error(client.post("/users", json=user_body(), headers=keyed("k")), 422, "IDEMPOTENCY_KEY_REUSED")
    assert event_count(db_path) == count


def test_the_same_key_on_the_other_creating_route_is_a_reuse(client: FlaskClient) -> None:
    user = client.post("/users", json=user_body(), headers=keyed("k")).get_json()
    response = client.post("/tasks", json=task_body(user["userId"]), headers=keyed("k"))
    assert_error(response, 422, "IDEMPOTENCY_KEY_REUSED")


def test_without_a_key_two_equal_task_posts_create_two_tasks(client: FlaskClient) -> None:
    body = task_body(make_user(client)["userId"])
    ids = {client.post("/tasks", json=body).get_json()["taskId"] for _ in range(2)}
    assert len(ids) == 2


def test_a_failed_creation_does_not_use_up_its_key(client: FlaskClient, db_path: Path) -> None:
    taken = make_user(client)["contactEmail"]
    refused = client.post("/users", json=user_body(contactEmail=taken), headers=keyed("k"))
    assert_invalid(refused, "DUPLICATE_EMAIL", "contactEmail")
    assert kept_keys(db_path) == []
    assert client.post("/users", json=user_body(), headers=keyed("k")).status_code == 201


def test_keys_are_per_token_name(tmp_path: Path) -> None:
    app = create_app(Config(database=str(tmp_path / "db"), tokens=(Token("alice", "a" * 16), Token("bob", "b" * 16))))
    alice, bob = app.test_client(), app.test_client()
    alice.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {'a' * 16}"
    bob.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {'b' * 16}"
    body = task_body(make_user(alice)["userId"])
    first = alice.post("/tasks", json=body, headers=keyed("shared"))
    second = bob.post("/tasks", json=body, headers=keyed("shared"))
    assert second.status_code == 201
    assert second.get_json()["taskId"] != first.get_json()["taskId"]
    assert kept_keys(tmp_path / "db") == [("alice", "shared"), ("bob", "shared")]


def test_concurrent_posts_with_one_key_create_exactly_one_resource(
    app: Flask, client: FlaskClient, db_path: Path
) -> None:
    body, workers = task_body(make_user(client)["userId"]), 8
    count = event_count(db_path)
    barrier = threading.Barrier(workers)
    answers: list[TestResponse] = []

    def post() -> None:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
        barrier.wait()
        answers.append(client.post("/tasks", json=body, headers=keyed("race")))

    threads = [threading.Thread(target=post) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * workers
    assert len({a.data for a in answers}) == 1
    assert event_count(db_path) == count + 1
    assert len(client.get("/tasks").get_json()["tasks"]) == 1


def test_a_key_older_than_a_day_is_forgotten(client: FlaskClient, db_path: Path) -> None:
    body = task_body(make_user(client)["userId"])
    first = client.post("/tasks", json=body, headers=keyed("old"))
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00.000000Z'")
    again = client.post("/tasks", json=body, headers=keyed("old"))
    assert again.get_json()["taskId"] == first.get_json()["taskId"] + 1
    assert kept_keys(db_path) == [("tester", "old")]


def test_old_keys_are_pruned_by_the_next_keyed_request(client: FlaskClient, db_path: Path) -> None:
    client.post("/users", json=user_body(), headers=keyed("one"))
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00.000000Z'")
    client.post("/users", json=user_body(), headers=keyed("two"))
    assert kept_keys(db_path) == [("tester", "two")]


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there", "nul\x7f"])
def test_a_malformed_key_is_400_naming_the_header(client: FlaskClient, db_path: Path, key: str) -> None:
    response = client.post("/users", json=user_body(), headers=keyed(key))
    assert_invalid(response, "INVALID_FIELD", "Idempotency-Key", "header")
    assert event_count(db_path) == 0


@pytest.mark.parametrize("key", ["a", "x" * 255, "with spaces and ~!@#$%^&*()", "0f8e6c1e-5b2d-4c55-9a57-0d3c1e2a7b90"])
def test_any_printable_ascii_key_up_to_255_characters_works(client: FlaskClient, key: str) -> None:
    body = user_body()
    first = client.post("/users", json=body, headers=keyed(key))
    assert first.status_code == 201
    assert client.post("/users", json=body, headers=keyed(key)).data == first.data


def test_a_body_that_fails_validation_is_400_with_or_without_a_key(client: FlaskClient, db_path: Path) -> None:
    body: dict[str, Any] = user_body(firstName="")
    assert_invalid(client.post("/users", json=body, headers=keyed("k")), "INVALID_LENGTH", "firstName")
    assert kept_keys(db_path) == []
