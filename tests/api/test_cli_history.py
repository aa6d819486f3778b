"""`taskstore history TASK_ID`: a task's history as a table on the terminal."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from api.cli import main
from tests.api.helpers import make_task, make_user


def run(db_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["history", *args, "--db", str(db_path)])
    return result.exit_code, result.output


def test_the_table_shows_each_event_with_its_request_actor_and_changes(client: FlaskClient, db_path: Path) -> None:
    task = make_task(client, make_user(client)["userId"], taskTitle="Write docs")
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskStatus": "IN_PROGRESS"})
    code, output = run(db_path, str(task["taskId"]))
    assert code == 0, output
    assert f"History of task {task['taskId']}" in output
    for header in ("version", "position", "recorded", "type", "actor", "request id", "changes"):
        assert header in output
    assert "TaskCreated" in output
    assert "TaskStatusChanged" in output
    assert "tester" in output
    assert response.headers["X-Request-Id"] in output
    assert 'taskTitle: null → "Write docs"' in output
    assert 'taskStatus: "NOT_STARTED" → "IN_PROGRESS"' in output


def test_a_deleted_tasks_history_is_still_shown_and_ends_in_its_deletion(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    task = make_task(client, user["userId"])
    client.delete(f"/users/{user['userId']}")
    code, output = run(db_path, str(task["taskId"]))
    assert code == 0, output
    assert "TaskDeleted" in output
    assert "deleted with its user" in output


def test_text_that_looks_like_markup_is_shown_as_written(client: FlaskClient, db_path: Path) -> None:
    task = make_task(client, make_user(client)["userId"], taskTitle="[bold red]alarm[/bold red]")
    code, output = run(db_path, str(task["taskId"]))
    assert code == 0, output
    assert '"[bold red]alarm[/bold red]"' in output


def test_an_unknown_task_is_a_clear_message_and_exit_code_1(client: FlaskClient, db_path: Path) -> None:
    make_task(client, make_user(client)["userId"])
    code, output = run(db_path, "42")
    assert code == 1
    assert "task 42 not found" in output


def test_a_missing_database_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    code, output = run(missing, "1")
    assert code == 1
    assert "no database" in output
    assert not missing.exists()


def test_a_task_id_that_is_not_an_integer_is_a_usage_error(db_path: Path) -> None:
    code, output = run(db_path, "abc")
    assert code == 2
    assert "TASK_ID" in output
