"""The probes: GET /healthz and GET /readyz answer without a token, only read, and /readyz
says 503 NOT_READY naming what is behind or unreadable."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from flask.testing import FlaskClient

from projections.replay import PROJECTIONS
from tests.api.helpers import assert_error, assert_invalid, event_count, make_task, make_user


def test_healthz_answers_ok_without_a_token(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"Authorization": ""})
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.headers["X-Request-Id"].startswith("req-")


def test_readyz_answers_ready_at_the_position_of_the_last_event(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    make_task(client, user["userId"])
    response = client.get("/readyz", headers={"Authorization": ""})
    assert (response.status_code, response.get_json()) == (200, {"status": "ready", "position": event_count(db_path)})


def test_readyz_on_an_empty_log_is_ready_at_position_zero(client: FlaskClient) -> None:
    assert client.get("/readyz").get_json() == {"status": "ready", "position": 0}


def test_readyz_is_503_naming_a_read_model_whose_checkpoint_is_behind(client: FlaskClient, db_path: Path) -> None:
    make_user(client)
    make_user(client)
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE projection_positions SET position = 1 WHERE name = 'tasks_view'")
    body = assert_error(client.get("/readyz"), 503, "NOT_READY")
    assert "tasks_view is at 1 of 2" in body["message"]
    assert "users_view" not in body["message"]


def test_readyz_is_503_for_a_read_model_with_no_checkpoint(client: FlaskClient, db_path: Path) -> None:
    make_user(client)
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("DELETE FROM projection_positions WHERE name = 'reminders_view'")
    body = assert_error(client.get("/readyz"), 503, "NOT_READY")
    assert "reminders_view is at 0 of 1" in body["message"]


def test_readyz_is_503_when_the_database_is_gone_and_does_not_create_it(client: FlaskClient, db_path: Path) -> None:
    for path in db_path.parent.glob(db_path.name + "*"):
        path.unlink()
    body = assert_error(client.get("/readyz"), 503, "NOT_READY")
    assert "cannot be read" in body["message"]
    assert not db_path.exists()


def test_readyz_is_503_when_the_file_is_not_a_database(client: FlaskClient, db_path: Path) -> None:
    for path in db_path.parent.glob(db_path.name + "*"):
        path.unlink()
    db_path.write_bytes(b"not a database at all" * 100)
    assert_error(client.get("/readyz"), 503, "NOT_READY")


def test_probes_answer_while_another_connection_holds_the_write_lock(client: FlaskClient, db_path: Path) -> None:
    make_user(client)
    with closing(sqlite3.connect(db_path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO projection_positions (name, position) VALUES ('uncommitted', 99)")
        started = time.monotonic()
        ready = client.get("/readyz")
        healthy = client.get("/healthz")
        elapsed = time.monotonic() - started
        writer.execute("ROLLBACK")
    assert (ready.status_code, ready.get_json()) == (200, {"status": "ready", "position": 1})
    assert healthy.status_code == 200
    assert elapsed < 1.0


def test_every_read_model_is_checked(client: FlaskClient, db_path: Path) -> None:
    make_user(client)
    for projection in PROJECTIONS:
        with closing(sqlite3.connect(db_path)) as conn, conn:
            conn.execute("UPDATE projection_positions SET position = 0 WHERE name = ?", [projection.NAME])
        assert projection.NAME in assert_error(client.get("/readyz"), 503, "NOT_READY")["message"]
        with closing(sqlite3.connect(db_path)) as conn, conn:
            conn.execute("UPDATE projection_positions SET position = 1 WHERE name = ?", [projection.NAME])
    assert client.get("/readyz").status_code == 200


def test_probes_refuse_query_parameters(client: FlaskClient) -> None:
    assert_invalid(client.get("/healthz?verbose=1"), "INVALID_FIELD", "verbose", "query")
    assert_invalid(client.get("/readyz?verbose=1"), "INVALID_FIELD", "verbose", "query")


def test_head_works_on_the_probes(client: FlaskClient) -> None:
    assert client.head("/healthz", headers={"Authorization": ""}).status_code == 200
    assert client.head("/readyz", headers={"Authorization": ""}).status_code == 200


def test_probes_append_nothing(client: FlaskClient, db_path: Path) -> None:
    make_user(client)
    client.get("/readyz")
    client.get("/healthz")
    assert event_count(db_path) == 1
