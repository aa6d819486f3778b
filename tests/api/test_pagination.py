"""X-Total-Count and Link on the lists: the matching items across all pages, and links to
the first, previous, next and last pages that keep every other parameter as sent."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import make_task, make_user, task_ids
from tests.api.pagination_links import links, next_url, total


@pytest.fixture
def seven_tasks(client: FlaskClient) -> list[dict[str, Any]]:
    """Seven tasks of one user: four BLOCKED (the even positions), three NOT_STARTED."""
    user = make_user(client)
    return [make_task(client, user["userId"], taskStatus="BLOCKED" if i % 2 == 0 else "NOT_STARTED") for i in range(7)]


def test_the_total_counts_matches_across_pages_and_the_body_is_unchanged(
    client: FlaskClient, seven_tasks: list[dict[str, Any]]
) -> None:
    response = client.get("/tasks", query_string={"_perPage": 2})
    assert total(response) == 7
    assert list(response.get_json()) == ["tasks"]
    assert task_ids(response) == [t["taskId"] for t in seven_tasks[:2]]


def test_the_total_follows_the_status_filter(client: FlaskClient, seven_tasks: list[dict[str, Any]]) -> None:
    assert total(client.get("/tasks?taskStatus=BLOCKED&_perPage=1")) == 4
    assert total(client.get("/tasks?taskStatus=NOT_STARTED")) == 3
    assert total(client.get("/tasks?taskStatus=COMPLETED")) == 0


def test_a_middle_page_links_all_four_pages_keeping_the_other_parameters(
    client: FlaskClient, seven_tasks: list[dict[str, Any]]
) -> None:
    response = client.get("/tasks?taskStatus=BLOCKED&_sort=-dueDate&_page=1&_perPage=1")
    found = links(response)
    assert list(found) == ["first", "prev", "next", "last"]
    expected = {"first": "0", "prev": "0", "next": "2", "last": "3"}
    for rel, (path, params) in found.items():
        assert path == "/tasks"
        assert params == [("taskStatus", "BLOCKED"), ("_sort", "-dueDate"), ("_page", expected[rel]), ("_perPage", "1")]


def test_the_first_page_has_no_prev_and_the_last_no_next(
    client: FlaskClient, seven_tasks: list[dict[str, Any]]
) -> None:
    first = links(client.get("/tasks?_perPage=3"))
    assert list(first) == ["first", "next", "last"]
    assert first["next"][1] == [("_perPage", "3"), ("_page", "1")]
    assert first["last"][1] == [("_perPage", "3"), ("_page", "2")]
    last = links(client.get("/tasks?_perPage=3&_page=2"))
    assert list(last) == ["first", "prev", "last"]


def test_when_nothing_matches_the_last_page_is_the_first(client: FlaskClient) -> None:
    response = client.get("/users")
    assert total(response) == 0
    found = links(response)
    assert list(found) == ["first", "last"]
    assert found["first"] == found["last"] == ("/users", [("_page", "0")])


def test_a_page_past_the_end_links_back_to_the_last_page(
    client: FlaskClient, seven_tasks: list[dict[str, Any]]
) -> None:
    found = links(client.get("/tasks?_page=9&_perPage=5"))
    assert list(found) == ["first", "prev", "last"]
    assert dict(found["prev"][1])["_page"] == dict(found["last"][1])["_page"] == "1"


def test_following_next_from_first_visits_every_user_once(client: FlaskClient) -> None:
    made = [make_user(client, firstName=name)["userId"] for name in "dbeac"]
    seen, url = [], "/users?_sort=firstName&_perPage=2"
    while url:
        response = client.get(url)
        seen += [u["userId"] for u in response.get_json()["users"]]
        url = next_url(response) or ""
    assert seen == [made[i] for i in (3, 1, 4, 0, 2)]


def test_as_of_counts_and_links_the_earlier_state(client: FlaskClient) -> None:
    user = make_user(client)
    make_task(client, user["userId"])
    position = client.get(f"/users/{user['userId']}/history").get_json()["history"][0]["position"] + 1
    make_task(client, user["userId"])
    response = client.get("/tasks", query_string={"asOf": position, "_perPage": 1})
    assert total(response) == 1
    assert total(client.get("/tasks")) == 2
    assert links(response)["last"][1] == [("asOf", str(position)), ("_perPage", "1"), ("_page", "0")]


def test_a_time_with_an_offset_survives_the_round_trip_through_a_link(client: FlaskClient) -> None:
    make_user(client)
    response = client.get("/users", query_string={"asOf": "2999-01-01T00:00:00+02:00"})
    assert links(response)["first"][1] == [("asOf", "2999-01-01T00:00:00+02:00"), ("_page", "0")]
    assert "%2B02:00" in response.headers["Link"]


def test_reminders_and_histories_are_counted_and_linked_too(
    client: FlaskClient, seven_tasks: list[dict[str, Any]]
) -> None:
    until = "2999-01-01T00:00:00Z"
    reminders = client.get("/reminders", query_string={"until": until, "_perPage": 3})
    assert total(reminders) == 7
    assert links(reminders)["next"][1] == [("until", until), ("_perPage", "3"), ("_page", "1")]
    task_id = seven_tasks[0]["taskId"]
    client.patch(f"/tasks/{task_id}", json={"taskTitle": "Renamed"})
    history = client.get(f"/tasks/{task_id}/history?_perPage=1")
    assert total(history) == 2
    assert links(history)["last"] == (f"/tasks/{task_id}/history", [("_perPage", "1"), ("_page", "1")])
