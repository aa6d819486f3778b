"""`taskstore rebuild` and `taskstore verify` on a database the service wrote, including
one altered behind the service's back with the triggers dropped."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from rich.console import Console

from api.cli import main
from api.ops import rebuild_with_bar
from taskstore.database import open_database
from taskstore.store import EventStore
from tests.api.helpers import event_count, make_task, make_user, snapshot


def some_history(client: FlaskClient) -> None:
    """Two users, three tasks, changes and a deletion: 8 events in 5 streams."""
    ada, grace = make_user(client), make_user(client)
    first = make_task(client, ada["userId"])
    make_task(client, grace["userId"], taskTitle="second")
    third = make_task(client, ada["userId"], taskTitle="third")
    assert client.patch(f"/tasks/{first['taskId']}", json={"taskStatus": "IN_PROGRESS"}).status_code == 200
    assert client.patch(f"/tasks/{third['taskId']}", json={"taskTitle": "renamed"}).status_code == 200
    assert client.delete(f"/tasks/{third['taskId']}").status_code == 204


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def behind_the_services_back(db_path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(db_path)) as conn, conn:
        for statement in statements:
            conn.execute(statement)


def head_hash(db_path: Path) -> str:
    with closing(sqlite3.connect(db_path)) as conn:
        return str(conn.execute("SELECT hash FROM events ORDER BY position DESC LIMIT 1").fetchone()[0])


def test_rebuild_off_a_terminal_prints_only_the_final_line(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    live = snapshot(db_path)
    result = run("rebuild", "--db", str(db_path))

    assert result.exit_code == 0, result.output
    pattern = rf"Replayed {event_count(db_path)} events in \d+\.\d{{3}}s \([\d,]+ events/s\) into {re.escape(str(db_path))}\.\n"
    assert re.fullmatch(pattern, result.output), result.output
    assert snapshot(db_path) == live


def test_rebuild_on_a_terminal_draws_a_progress_bar_up_to_the_last_event(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with closing(open_database(db_path)) as db:
        assert rebuild_with_bar(EventStore(db), console) == event_count(db_path)
    assert "Replaying" in screen.getvalue()
    assert f"{event_count(db_path)}/{event_count(db_path)}" in screen.getvalue()


def test_verify_reports_a_clean_database_and_exits_0(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    result = run("verify", "--db", str(db_path))

    assert result.exit_code == 0, result.output
    assert f"{event_count(db_path)} events in 5 streams" in result.output
    assert head_hash(db_path) in result.output


def test_verify_names_the_position_of_an_event_altered_in_the_file(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    behind_the_services_back(
        db_path,
        "DROP TRIGGER events_refuse_update",
        "UPDATE events SET payload = replace(payload, 'second', 'forged') WHERE position = 4",
    )
    result = run("verify", "--db", str(db_path))

    assert result.exit_code == 1, result.output
    assert "hash chain: the log was altered at position 4" in result.output
    assert "tasks_view row (task_id=2) column title: live 'second', rebuilt 'forged'" in result.output


def test_verify_names_the_position_of_an_event_deleted_from_the_file(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    behind_the_services_back(db_path, "DROP TRIGGER events_refuse_delete", "DELETE FROM events WHERE position = 6")
    result = run("verify", "--db", str(db_path))

    assert result.exit_code == 1, result.output
    assert "positions: position 6 is missing" in result.output


def test_verify_notices_the_last_event_deleted_from_the_file(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    last = event_count(db_path)
    behind_the_services_back(
        db_path, "DROP TRIGGER events_refuse_delete", f"DELETE FROM events WHERE position = {last}"
    )
    result = run("verify", "--db", str(db_path))

    assert result.exit_code == 1, result.output
    assert "read models:" in result.output  # the live read models still hold what it did


def test_verify_names_a_read_model_edited_by_hand(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    behind_the_services_back(db_path, "UPDATE users_view SET last_name = 'Mallory' WHERE user_id = 2")
    result = run("verify", "--db", str(db_path))

    assert result.exit_code == 1, result.output
    assert "users_view row (user_id=2) column last_name: live 'Mallory', rebuilt 'Lovelace'" in result.output
    assert "hash chain" not in result.output


def test_verify_of_a_missing_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = run("verify", "--db", str(missing))
    assert result.exit_code == 1
    assert "no database at" in result.output
    assert not missing.exists()
