"""The list parameters of GET /users and GET /tasks: paging, sorting, the status filter and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import (
    assert_error,
    assert_invalid,
    event_count,
    make_task,
    make_user,
    task_ids,
    user_ids,
)


def test_users_come_twenty_to_a_page_by_default(client: FlaskClient) -> None:
    created = [make_user(client)["userId"] for _ in range(21)]
    assert user_ids(client.get("/users")) == created[:20]
    assert user_ids(client.get("/users?_page=1")) == created[20:]
    assert user_ids(client.get("/users?_page=2")) == []


def test_tasks_come_twenty_to_a_page_by_default(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    created = [make_task(client, owner, taskTitle=f"task {i}")["taskId"] for i in range(21)]
    assert task_ids(client.get("/tasks")) == created[:20]
    assert task_ids(client.get("/tasks?_page=0")) == created[:20]
    assert task_ids(client.get("/tasks?_page=1")) == created[20:]


def test_per_page_sets_the_page_size(client: FlaskClient) -> None:
    created = [make_user(client)["userId"] for _ in range(7)]
    assert user_ids(client.get("/users?_perPage=3")) == created[0:3]
    assert user_ids(client.get("/users?_perPage=3&_page=1")) == created[3:6]
    assert user_ids(client.get("/users?_perPage=3&_page=2")) == created[6:7]
    assert user_ids(client.get("/users?_perPage=1&_page=6")) == created[6:7]
    assert user_ids(client.get("/users?_perPage=100")) == created


def test_a_page_past_the_end_is_an_empty_list(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    make_task(client, owner)
    assert client.get("/tasks?_page=1").get_json() == {"tasks": []}
    assert client.get("/tasks?_page=1000&_perPage=100").get_json() == {"tasks": []}
    assert client.get("/users?_page=5").get_json() == {"users": []}


def test_a_page_number_too_large_for_any_list_is_still_an_empty_page(client: FlaskClient) -> None:
    make_user(client)
    response = client.get(f"/users?_page={10**40}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"users": []}


def test_a_page_size_too_large_for_any_integer_type_is_invalid_range(client: FlaskClient) -> None:
    assert_invalid(client.get(f"/tasks?_perPage={10**40}"), "INVALID_RANGE", "_perPage", "query")


def test_default_order_is_creation_order_even_after_updates(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    first = make_task(client, owner, taskTitle="b")["taskId"]
    second = make_task(client, owner, taskTitle="a")["taskId"]
    client.patch(f"/tasks/{first}", json={"taskTitle": "z"})
    assert task_ids(client.get("/tasks")) == [first, second]


@pytest.mark.parametrize(("sort", "names"), [
    ("firstName", ["Ann", "Bob", "Cid"]),
    ("-firstName", ["Cid", "Bob", "Ann"]),
    ("lastName", ["Cid", "Ann", "Bob"]),
    ("-lastName", ["Bob", "Ann", "Cid"]),
    ("contactEmail", ["Bob", "Cid", "Ann"]),
    ("-contactEmail", ["Ann", "Cid", "Bob"]),
    ("userId", ["Bob", "Ann", "Cid"]),
    ("-userId", ["Cid", "Ann", "Bob"]),
])  # fmt: skip
def test_users_sort_by_each_sortable_field(client: FlaskClient, sort: str, names: list[str]) -> None:
    make_user(client, firstName="Bob", lastName="young", contactEmail="a@example.com")
    make_user(client, firstName="Ann", lastName="middle", contactEmail="c@example.com")
    make_user(client, firstName="Cid", lastName="adams", contactEmail="b@example.com")
    response = client.get(f"/users?_sort={sort}")
    assert response.status_code == 200
    assert [user["firstName"] for user in response.get_json()["users"]] == names


def test_users_with_equal_sort_values_come_by_id_ascending_in_both_directions(client: FlaskClient) -> None:
    a1 = make_user(client, firstName="Ann")["userId"]
    b1 = make_user(client, firstName="Bob")["userId"]
    a2 = make_user(client, firstName="Ann")["userId"]
    b2 = make_user(client, firstName="Bob")["userId"]
    assert user_ids(client.get("/users?_sort=firstName")) == [a1, a2, b1, b2]
    assert user_ids(client.get("/users?_sort=-firstName")) == [b1, b2, a1, a2]


def test_listed_users_carry_every_field_in_order(client: FlaskClient) -> None:
    make_user(client)
    users = client.get("/users?_sort=-lastName").get_json()["users"]
    assert [list(user) for user in users] == [["userId", "firstName", "lastName", "contactEmail"]]


@pytest.fixture
def sortable_tasks(client: FlaskClient) -> dict[str, int]:
    """Four tasks whose every sortable field orders them differently; title -> id."""
    low = make_user(client)["userId"]
    high = make_user(client)["userId"]
    specs = [
        ("cherry", high, "DEFERRED", "2025-06-30T21:00:00Z", 10),
        ("apple", high, "BLOCKED", "2025-06-30T17:00:00-05:00", 300),
        ("banana", low, "DEFERRED", "2025-06-30T20:00:00+00:00", 20),
        ("date", low, "BLOCKED", "2025-06-30T21:30:00", 5),
    ]
    return {
        title: make_task(client, user, taskTitle=title, taskStatus=status, dueDate=due, warningOffset=offset)["taskId"]
        for title, user, status, due, offset in specs
    }


@pytest.mark.parametrize(("sort", "titles"), [
    ("taskId", ["cherry", "apple", "banana", "date"]),
    ("-taskId", ["date", "banana", "apple", "cherry"]),
    ("taskTitle", ["apple", "banana", "cherry", "date"]),
    ("-taskTitle", ["date", "cherry", "banana", "apple"]),
    ("userId", ["banana", "date", "cherry", "apple"]),
    ("-userId", ["cherry", "apple", "banana", "date"]),
    ("taskStatus", ["apple", "date", "cherry", "banana"]),
    ("-taskStatus", ["cherry", "banana", "apple", "date"]),
    ("dueDate", ["banana", "cherry", "date", "apple"]),
    ("-dueDate", ["apple", "date", "cherry", "banana"]),
    ("warningOffset", ["date", "cherry", "banana", "apple"]),
    ("-warningOffset", ["apple", "banana", "cherry", "date"]),
])  # fmt: skip
def test_tasks_sort_by_each_sortable_field(
    client: FlaskClient, sortable_tasks: dict[str, int], sort: str, titles: list[str]
) -> None:
    response = client.get(f"/tasks?_sort={sort}")
    assert response.status_code == 200
    assert [task["taskTitle"] for task in response.get_json()["tasks"]] == titles


def test_due_dates_without_an_offset_sort_as_utc(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    later = make_task(client, owner, dueDate="2025-06-30T17:00:00.123456")["taskId"]
    earlier = make_task(client, owner, dueDate="2025-06-30T17:00:00Z")["taskId"]
    offset = make_task(client, owner, dueDate="2025-06-30T18:00:00.5+01:00")["taskId"]  # 17:00:00.5Z
    assert task_ids(client.get("/tasks?_sort=dueDate")) == [earlier, later, offset]


def test_tasks_with_equal_sort_values_come_by_id_ascending_in_both_directions(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    x1 = make_task(client, owner, warningOffset=5, dueDate="2025-06-30T12:00:00Z")["taskId"]
    y1 = make_task(client, owner, warningOffset=9, dueDate="2025-06-30T13:00:00Z")["taskId"]
    x2 = make_task(client, owner, warningOffset=5, dueDate="2025-06-30T07:00:00-05:00")["taskId"]
    y2 = make_task(client, owner, warningOffset=9, dueDate="2025-06-30T13:00:00+00:00")["taskId"]
    assert task_ids(client.get("/tasks?_sort=warningOffset")) == [x1, x2, y1, y2]
    assert task_ids(client.get("/tasks?_sort=-warningOffset")) == [y1, y2, x1, x2]
    assert task_ids(client.get("/tasks?_sort=dueDate")) == [x1, x2, y1, y2]
    assert task_ids(client.get("/tasks?_sort=-dueDate")) == [y1, y2, x1, x2]
    assert task_ids(client.get("/tasks?_sort=-userId")) == [x1, y1, x2, y2]


def test_the_status_filter_lists_only_tasks_in_that_status(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    done1 = make_task(client, owner, taskStatus="COMPLETED")["taskId"]
    make_task(client, owner, taskStatus="IN_PROGRESS")
    moved = make_task(client, owner)["taskId"]
    client.patch(f"/tasks/{moved}", json={"taskStatus": "COMPLETED"})
    assert task_ids(client.get("/tasks?taskStatus=COMPLETED")) == [done1, moved]
    assert client.get("/tasks?taskStatus=CANCELLED").get_json() == {"tasks": []}
    assert task_ids(client.get("/tasks?taskStatus=NOT_STARTED")) == []


def test_the_status_filter_combines_with_sort_and_paging(client: FlaskClient) -> None:
    owner = make_user(client)["userId"]
    blocked = {
        title: make_task(client, owner, taskTitle=title, taskStatus="BLOCKED")["taskId"] for title in ("c", "a", "b")
    }
    make_task(client, owner, taskTitle="0", taskStatus="DEFERRED")
    query = "/tasks?taskStatus=BLOCKED&_sort=-taskTitle&_perPage=2"
    assert task_ids(client.get(query)) == [blocked["c"], blocked["b"]]
    assert task_ids(client.get(query + "&_page=1")) == [blocked["a"]]
    assert task_ids(client.get(query + "&_page=2")) == []


@pytest.mark.parametrize("path", ["/users", "/tasks"])
@pytest.mark.parametrize(("query", "name", "code"), [
    ("_page=-1", "_page", "INVALID_RANGE"),
    ("_perPage=0", "_perPage", "INVALID_RANGE"),
    ("_perPage=101", "_perPage", "INVALID_RANGE"),
    ("_perPage=-5", "_perPage", "INVALID_RANGE"),
    ("_page=abc", "_page", "INVALID_FIELD"),
    ("_page=1.5", "_page", "INVALID_FIELD"),
    ("_page=", "_page", "INVALID_FIELD"),
    ("_perPage=ten", "_perPage", "INVALID_FIELD"),
    ("_perPage=2.0", "_perPage", "INVALID_FIELD"),
    ("_perPage=%EF%BC%92", "_perPage", "INVALID_FIELD"),
    ("_sort=colour", "_sort", "INVALID_FIELD"),
    ("_sort=", "_sort", "INVALID_FIELD"),
    ("_sort=--userId", "_sort", "INVALID_FIELD"),
    ("page=1", "page", "INVALID_FIELD"),
    ("_limit=5", "_limit", "INVALID_FIELD"),
    ("userId=1", "userId", "INVALID_FIELD"),
    ("q=report", "q", "INVALID_FIELD"),
])  # fmt: skip
def test_a_bad_list_parameter_is_a_400_naming_it(
    client: FlaskClient, db_path: Path, path: str, query: str, name: str, code: str
) -> None:
    owner = make_user(client)["userId"]
    make_task(client, owner)
    before = event_count(db_path)
    assert_invalid(client.get(f"{path}?{query}"), code, name, "query")
    assert event_count(db_path) == before


@pytest.mark.parametrize("sort", ["taskDescription", "-taskDescription", "firstName", "contactEmail"])
def test_sorting_tasks_by_a_field_that_is_not_sortable_is_invalid_field(client: FlaskClient, sort: str) -> None:
    assert_invalid(client.get(f"/tasks?_sort={sort}"), "INVALID_FIELD", "_sort", "query")


@pytest.mark.parametrize("sort", ["taskTitle", "dueDate", "-taskId"])
def test_sorting_users_by_a_task_field_is_invalid_field(client: FlaskClient, sort: str) -> None:
    assert_invalid(client.get(f"/users?_sort={sort}"), "INVALID_FIELD", "_sort", "query")


@pytest.mark.parametrize("status", ["completed", "DONE", "", "IN PROGRESS"])
def test_an_unknown_status_filter_is_invalid_status(client: FlaskClient, status: str) -> None:
    assert_invalid(client.get(f"/tasks?taskStatus={status}"), "INVALID_STATUS", "taskStatus", "query")


def test_the_status_filter_is_an_unknown_parameter_for_users(client: FlaskClient) -> None:
    assert_invalid(client.get("/users?taskStatus=COMPLETED"), "INVALID_FIELD", "taskStatus", "query")


def test_a_list_parameter_given_twice_is_a_400(client: FlaskClient) -> None:
    response = client.get("/tasks?_page=0&_page=1")
    code = response.get_json()["code"]
    assert code in {"INVALID_FIELD", "INVALID_RANGE"}
    assert_error(response, 400, code)


def test_every_bad_list_parameter_is_listed(client: FlaskClient) -> None:
    response = client.get("/tasks?_page=-1&_perPage=500&_sort=nope&taskStatus=LATE")
    body = assert_error(response, 400, "INVALID_RANGE")
    assert sorted((d["field"], d["location"]) for d in body["details"]) == [
        ("_page", "query"),
        ("_perPage", "query"),
        ("_sort", "query"),
        ("taskStatus", "query"),
    ]
