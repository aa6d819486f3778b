"""Rules found by trying the service as a hostile client would: names two credentials could
share, headers given twice, limits that allow nothing, storage URLs nobody can use, and
methods on public paths."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

import api.server
import taskstore.database
from api import create_app
from api import tokens as issued
from api.cli import main
from api.config import Config, Token
from taskstore.database import open_database
from tests.api.helpers import assert_error, assert_invalid, event_count, make_user, task_body


def tokens(db_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["tokens", *args, "--db", str(db_path)], env={"TASKSTORE_TOKENS": "", **(env or {})}
    )


def test_no_token_may_take_the_sample_data_s_actor_name(db_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["tokens", "create", "sample-data", "--db", str(db_path)], env={"TASKSTORE_TOKENS": ""}
    )
    assert result.exit_code == 1
    assert "the service's own actor name" in result.output
    with pytest.raises(ValueError, match="sample-data"):
        Config.from_env({"TASKSTORE_TOKENS": "sample-data:secret"})


def test_revoking_a_revoked_token_says_so(db_path: Path) -> None:
    runner = CliRunner()
    env = {"TASKSTORE_TOKENS": ""}
    assert runner.invoke(main, ["tokens", "create", "ci", "--db", str(db_path)], env=env).exit_code == 0
    first = runner.invoke(main, ["tokens", "revoke", "ci", "--db", str(db_path)], env=env)
    again = runner.invoke(main, ["tokens", "revoke", "ci", "--db", str(db_path)], env=env)
    assert (first.exit_code, first.output.strip()) == (0, "Revoked token 'ci'.")
    assert (again.exit_code, again.output.strip()) == (0, "Token 'ci' was already revoked.")


def test_serve_refuses_an_issued_token_sharing_a_name_with_taskstore_tokens(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    monkeypatch.setattr(api.server, "serve", lambda *args: served.append(args))
    runner = CliRunner()
    assert (
        runner.invoke(main, ["tokens", "create", "rl", "--db", str(db_path)], env={"TASKSTORE_TOKENS": ""}).exit_code
        == 0
    )

    result = runner.invoke(
        main, ["serve", "--db", str(db_path), "--no-sample-data"], env={"TASKSTORE_TOKENS": "rl:other"}
    )

    assert result.exit_code == 2
    assert "both use the name(s) rl" in result.output
    assert served == []


def test_serve_warns_that_several_workers_counting_in_memory_multiply_the_limit(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    monkeypatch.setattr(api.server, "serve", lambda *args: served.append(args))
    args = ["serve", "--db", str(db_path), "--no-sample-data", "--workers", "4"]
    memory = CliRunner().invoke(main, args, env={"TASKSTORE_TOKENS": "me:s", "TASKSTORE_RATE_LIMIT": "60/minute"})
    shared = CliRunner().invoke(
        main,
        args,
        env={
            "TASKSTORE_TOKENS": "me:s",
            "TASKSTORE_RATE_LIMIT": "60/minute",
            "TASKSTORE_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0",
        },
    )
    assert memory.exit_code == 0 and shared.exit_code == 0, memory.output + shared.output
    assert "allow up to 4 times the limit" in memory.output
    assert "times the limit" not in shared.output
    assert len(served) == 2


@pytest.mark.parametrize("limit", ["0 per minute", "10/second;0/minute"])
def test_a_rate_limit_that_allows_nothing_is_refused(limit: str) -> None:
    with pytest.raises(ValueError, match="allows no request"):
        Config.from_env({"TASKSTORE_RATE_LIMIT": limit})


@pytest.mark.parametrize("storage", ["foo://bar", "redis", "127.0.0.1:6379"])
def test_a_storage_url_of_no_known_scheme_is_refused_before_serving(storage: str) -> None:
    with pytest.raises(ValueError, match="not a storage URL"):
        Config.from_env({"TASKSTORE_RATE_LIMIT_STORAGE": storage})


@pytest.mark.parametrize("storage", ["memcached://127.0.0.1:11211", "async+memory://", "async+redis://127.0.0.1:6379"])
def test_a_storage_that_keeps_no_moving_window_is_refused_before_serving(storage: str) -> None:
    with pytest.raises(ValueError, match="keeps no moving window"):
        Config.from_env({"TASKSTORE_RATE_LIMIT_STORAGE": storage})


@pytest.mark.parametrize("headers", [[("Idempotency-Key", "a"), ("Idempotency-Key", "b")], {"Idempotency-Key": "a,b"}])
def test_an_idempotency_key_given_twice_or_with_a_comma_is_a_400_and_creates_nothing(
    client: FlaskClient, db_path: Path, headers: object
) -> None:
    user = make_user(client)
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user["userId"]), headers=headers)
    assert_invalid(response, "INVALID_FIELD", "Idempotency-Key", "header")
    assert event_count(db_path) == before


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/healthz"), ("DELETE", "/readyz"), ("POST", "/docs"), ("PATCH", "/openapi.json")]
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Bearer read-only"])
def test_a_public_path_with_a_method_it_does_not_take_is_405_for_anyone(
    app: Flask, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = app.test_client().open(path, method=method, headers=headers)
    body = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET", body


def test_an_unknown_path_still_needs_a_token(app: Flask) -> None:
    assert_error(app.test_client().post("/nope"), 401, "UNAUTHORIZED")


def test_a_write_that_never_gets_the_write_lock_is_a_409_for_a_bound_token_too(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(Config(database=str(db_path), tokens=(Token(name="admin", secret="a"),), access_log=False))
    admin = app.test_client()
    admin.environ_base["HTTP_AUTHORIZATION"] = "Bearer a"
    user = make_user(admin)
    task = admin.post("/tasks", json=task_body(user["userId"])).get_json()
    db = open_database(db_path)
    bound = issued.issue(
        db,
        "mine",
        read_only=False,
        user_id=user["userId"],
        now=datetime.now(UTC),
        expires_at=None,
    )
    db.close()
    monkeypatch.setattr(taskstore.database, "BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        headers = {"Authorization": f"Bearer {bound}"}
        client = app.test_client()
        patched = client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "x"}, headers=headers)
        deleted = client.delete(f"/tasks/{task['taskId']}", headers=headers)
    finally:
        holder.rollback()
        holder.close()
    assert_error(patched, 409, "CONFLICT")
    assert_error(deleted, 409, "CONFLICT")


def test_taskstore_tokens_may_not_give_a_name_or_a_token_twice() -> None:
    for text in ("ops:alpha,ops:beta", "a:same,b:same"):
        with pytest.raises(ValueError, match="twice"):
            Config.from_env({"TASKSTORE_TOKENS": text})


def test_the_app_itself_refuses_a_configured_token_sharing_a_name_with_an_issued_one(db_path: Path) -> None:
    assert tokens(db_path, "create", "rl").exit_code == 0
    with pytest.raises(ValueError, match="both use the name"):
        create_app(Config(database=str(db_path), tokens=(Token(name="rl", secret="x"),)))


@pytest.mark.parametrize("path", ["/users/stats", "/tasks/stats/history", "/users/stats/history"])
def test_stats_is_a_bad_id_where_no_fixed_route_of_that_name_exists(client: FlaskClient, path: str) -> None:
    assert_error(client.get(path), 400, "INVALID_FIELD")
