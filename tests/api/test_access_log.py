"""The request log: one JSON line on stderr per request, with what an operator needs and
never a token or a body; switched off by TASKSTORE_ACCESS_LOG=0."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from api.access_log import JsonFormatter
from api.config import Config, Token
from tests.api.helpers import user_body
from tests.conftest import AUTH, TOKEN

SECRET_NAME = "Zebulon-in-the-body"


def lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.fixture
def logged(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """A client of an app with the request log on; stderr emptied before the first request."""
    app = create_app(Config(database=str(db_path), tokens=(Token(name="tester", secret=TOKEN),), access_log=True))
    capsys.readouterr()
    return app.test_client()


def test_each_request_writes_one_json_line_with_its_method_path_status_and_ids(
    logged: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    response = logged.post("/users?ignored=no", json=user_body(), headers=AUTH)
    [line] = lines(capsys.readouterr().err)
    assert line["method"] == "POST"
    assert line["path"] == "/users"
    assert line["status"] == response.status_code
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["token"] == "tester"
    assert line["remote_addr"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["logger"] == "taskstore.access"
    assert line["time"].endswith("Z")


def test_an_unauthenticated_request_is_logged_with_a_null_token(
    logged: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    logged.get("/tasks")
    logged.get("/healthz")
    refused, probe = lines(capsys.readouterr().err)
    assert (refused["status"], refused["token"]) == (401, None)
    assert (probe["path"], probe["status"], probe["token"]) == ("/healthz", 200, None)


def test_the_line_never_holds_the_authorization_header_or_the_body(
    logged: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    logged.post("/users", json=user_body(firstName=SECRET_NAME), headers=AUTH)
    logged.get("/users", headers={"Authorization": "Bearer wrong-secret-value"})
    err = capsys.readouterr().err
    assert len(lines(err)) == 2
    for leaked in (TOKEN, "wrong-secret-value", SECRET_NAME, "Bearer"):
        assert leaked not in err


def test_an_unexpected_error_is_logged_as_a_500(
    logged: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.users.commands.create_user", lambda *a, **k: 1 / 0)
    response = logged.post("/users", json=user_body(), headers=AUTH)
    assert response.status_code == 500
    [line] = lines(capsys.readouterr().err)
    assert (line["status"], line["request_id"]) == (500, response.headers["X-Request-Id"])


def test_with_the_log_switched_off_nothing_is_written(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = Config.from_env({"TASKSTORE_DB": str(db_path), "TASKSTORE_TOKENS": TOKEN, "TASKSTORE_ACCESS_LOG": "0"})
    client = create_app(config).test_client()
    capsys.readouterr()
    assert client.get("/users", headers=AUTH).status_code == 200
    assert lines(capsys.readouterr().err) == []


@pytest.mark.parametrize(("text", "expected"), [("", True), ("1", True), ("on", True), ("0", False), ("OFF", False)])
def test_the_switch_reads_the_usual_spellings(text: str, expected: bool) -> None:
    assert Config.from_env({"TASKSTORE_ACCESS_LOG": text}).access_log is expected


def test_a_switch_that_is_neither_on_nor_off_is_refused() -> None:
    with pytest.raises(ValueError, match="TASKSTORE_ACCESS_LOG"):
        Config.from_env({"TASKSTORE_ACCESS_LOG": "maybe"})


def test_the_formatter_writes_the_record_fields_as_json() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.fields = {"status": 503, "path": "/readyz"}
    assert {k: v for k, v in json.loads(JsonFormatter().format(record)).items() if k != "time"} == {
        "level": "warning",
        "logger": "x",
        "message": "hello you",
        "status": 503,
        "path": "/readyz",
    }
