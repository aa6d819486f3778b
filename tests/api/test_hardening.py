"""Rules found by trying the service as a hostile client would: names two credentials could
share, headers given twice, limits that allow nothing, storage URLs nobody can use, and
methods on public paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

import api.server
from api.cli import main
from api.config import Config
from tests.api.helpers import assert_error, assert_invalid, event_count, make_user, task_body


def tokens(db_path: Path, *args: str, env: dict[str, str] | None = None) -> object:
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
