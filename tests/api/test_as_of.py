"""Time travel: `asOf` on GET /tasks, /tasks/{id}, /users and /users/{id} answers with the
state as it was at a log position or a time, with the usual filter, sort and pages."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import (
    assert_error,
    assert_invalid,
    event_count,
    make_task,
    make_user,
    rebuild,
    task_ids,
    user_ids,
)


def recorded_at(db_path: Path, position: int) -> str:
    with closing(sqlite3.connect(db_path)) as conn:
        (text,) = conn.execute("SELECT occurred_at FROM events WHERE position = ?", [position]).fetchone()
    return str(text)


@pytest.fixture
def story(client: FlaskClient) -> dict[str, int]:
    """Positions: 1 user created, 2 task created, 3 started, 4 retitled, 5 task deleted."""
    user = make_user(client)
    task = make_task(client, user["userId"], taskTitle="First title")
    assert client.patch(f"/tasks/{task['taskId']}", json={"taskStatus": "IN_PROGRESS"}).status_code == 200
    assert client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Second title"}).status_code == 200
    assert client.delete(f"/tasks/{task['taskId']}").status_code == 204
    return {"user": user["userId"], "task": task["taskId"]}


def test_a_task_as_of_each_position_is_the_task_as_it_was_then(client: FlaskClient, story: dict[str, int]) -> None:
    url = f"/tasks/{story['task']}"
    assert client.get(f"{url}?asOf=2").get_json()["taskStatus"] == "NOT_STARTED"
    assert client.get(f"{url}?asOf=3").get_json()["taskStatus"] == "IN_PROGRESS"
    assert client.get(f"{url}?asOf=3").get_json()["taskTitle"] == "First title"
    assert client.get(f"{url}?asOf=4").get_json()["taskTitle"] == "Second title"


def test_a_task_before_it_existed_or_after_it_was_deleted_is_not_found(
    client: FlaskClient, story: dict[str, int]
) -> None:
    for position in (0, 1, 5, 99):
        assert_error(client.get(f"/tasks/{story['task']}?asOf={position}"), 404, "RESOURCE_NOT_FOUND")


def test_a_collection_before_anything_existed_is_empty(client: FlaskClient, story: dict[str, int]) -> None:
    assert client.get("/tasks?asOf=0").get_json() == {"tasks": []}
    assert client.get("/users?asOf=0").get_json() == {"users": []}
    assert client.get("/tasks?asOf=1").get_json() == {"tasks": []}
    assert user_ids(client.get("/users?asOf=1")) == [story["user"]]


def test_the_list_as_of_a_position_keeps_the_status_filter(client: FlaskClient, story: dict[str, int]) -> None:
    assert task_ids(client.get("/tasks?asOf=2&taskStatus=NOT_STARTED")) == [story["task"]]
    assert task_ids(client.get("/tasks?asOf=3&taskStatus=NOT_STARTED")) == []
    assert task_ids(client.get("/tasks?asOf=3&taskStatus=IN_PROGRESS")) == [story["task"]]
    assert task_ids(client.get("/tasks?asOf=5")) == []


def test_the_list_as_of_a_position_sorts_and_pages_as_the_live_list_did_then(client: FlaskClient) -> None:
    user = make_user(client)
    for title in ("t3", "t1", "t5", "t2", "t4"):
        make_task(client, user["userId"], taskTitle=title)
    then = event_count_of(client)
    live = [client.get(f"/tasks?_sort=-taskTitle&_perPage=2&_page={page}").get_json() for page in range(4)]
    make_task(client, user["userId"], taskTitle="t0")
    client.patch("/tasks/1", json={"taskTitle": "t9"})

    past = [client.get(f"/tasks?_sort=-taskTitle&_perPage=2&_page={page}&asOf={then}").get_json() for page in range(4)]
    assert past == live
    assert [t["taskTitle"] for page in past for t in page["tasks"]] == ["t5", "t4", "t3", "t2", "t1"]


def event_count_of(client: FlaskClient) -> int:
    app = client.application
    return event_count(Path(app.extensions["taskstore.config"].database))


def test_a_user_as_of_a_position_before_an_update_has_the_old_name(client: FlaskClient) -> None:
    user = make_user(client, firstName="Before")
    client.patch(f"/users/{user['userId']}", json={"firstName": "After"})
    assert client.get(f"/users/{user['userId']}?asOf=1").get_json() == user
    assert client.get(f"/users/{user['userId']}?asOf=0").status_code == 404
    assert client.get(f"/users/{user['userId']}?asOf=2").get_json()["firstName"] == "After"


def test_tasks_deleted_with_their_user_are_back_as_of_before_the_delete(client: FlaskClient) -> None:
    user = make_user(client)
    first, second = make_task(client, user["userId"]), make_task(client, user["userId"])
    before = event_count_of(client)
    assert client.delete(f"/users/{user['userId']}").status_code == 204

    assert task_ids(client.get(f"/tasks?asOf={before}")) == [first["taskId"], second["taskId"]]
    assert client.get(f"/tasks/{first['taskId']}?asOf={before}").get_json() == first
    assert client.get(f"/tasks?asOf={before + 3}").get_json() == {"tasks": []}
    assert user_ids(client.get(f"/users?asOf={before + 3}")) == []


def test_a_time_names_the_last_position_recorded_at_or_before_it(
    client: FlaskClient, story: dict[str, int], db_path: Path
) -> None:
    at_three = recorded_at(db_path, 3)
    assert recorded_at(db_path, 4) > at_three  # distinct times, so the time names position 3 alone
    url = f"/tasks/{story['task']}"
    assert client.get(f"{url}?asOf={at_three}").get_json() == client.get(f"{url}?asOf=3").get_json()
    assert client.get(f"/tasks?asOf={at_three}").get_json() == client.get("/tasks?asOf=3").get_json()


def test_a_time_in_another_offset_or_without_one_names_the_same_instant(
    client: FlaskClient, story: dict[str, int], db_path: Path
) -> None:
    at_two = recorded_at(db_path, 2)  # like 2026-12-03T23:59:01.123456Z
    naive = at_two.removesuffix("Z")
    plus_one = datetime.fromisoformat(at_two).astimezone(timezone(timedelta(hours=1))).isoformat()
    expected = client.get("/tasks?asOf=2").get_json()
    assert client.get(f"/tasks?asOf={naive}").get_json() == expected
    assert client.get("/tasks", query_string={"asOf": plus_one}).get_json() == expected


def test_times_before_the_log_and_far_in_the_future(client: FlaskClient, story: dict[str, int]) -> None:
    assert client.get("/users?asOf=2000-01-01T00:00:00Z").get_json() == {"users": []}
    assert client.get("/users", query_string={"asOf": "0001-01-01T00:00:00+01:00"}).get_json() == {"users": []}
    far = client.get("/users", query_string={"asOf": "9999-12-31T23:59:59-23:59"})
    assert user_ids(far) == [story["user"]]
    assert user_ids(client.get(f"/users?asOf={10**40}")) == [story["user"]]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("-1", "INVALID_RANGE"),
        ("yesterday", "INVALID_FORMAT"),
        ("2025-06-01", "INVALID_FORMAT"),
        ("1.5", "INVALID_FORMAT"),
        ("", "INVALID_FORMAT"),
        ("\uff13", "INVALID_FORMAT"),  # a fullwidth digit three
    ],
)
@pytest.mark.parametrize("url", ["/tasks", "/users", "/tasks/1", "/users/1"])
def test_a_bad_as_of_is_a_400_naming_it(
    client: FlaskClient, story: dict[str, int], url: str, value: str, code: str
) -> None:
    before = event_count_of(client)
    assert_invalid(client.get(url, query_string={"asOf": value}), code, "asOf", "query")
    assert event_count_of(client) == before


def test_as_of_given_twice_is_a_400(client: FlaskClient, story: dict[str, int]) -> None:
    assert_invalid(client.get("/tasks?asOf=1&asOf=2"), "INVALID_FIELD", "asOf", "query")


def test_time_travel_reads_the_log_so_a_rebuild_changes_nothing(
    client: FlaskClient, story: dict[str, int], db_path: Path
) -> None:
    before = [client.get(f"/tasks?asOf={p}").get_json() for p in range(6)]
    rebuild(db_path)
    assert [client.get(f"/tasks?asOf={p}").get_json() for p in range(6)] == before
