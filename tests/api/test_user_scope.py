"""A token bound to one user sees and changes only that user and that user's tasks: another
user's resources are 403 FORBIDDEN by id and absent from lists; ids naming nothing stay 404."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import (
    assert_error,
    event_count,
    make_task,
    make_user,
    task_body,
    task_ids,
    user_body,
    user_ids,
)
from tests.api.test_issued_tokens import issue


@dataclass
class World:
    mine: int
    other: int
    my_tasks: list[int]
    other_tasks: list[int]
    headers: dict[str, str]


@pytest.fixture
def world(client: FlaskClient, db_path: Path) -> World:
    """Two users with tasks, interleaved, and a token bound to the second user created."""
    other = make_user(client)["userId"]
    mine = make_user(client)["userId"]
    other_tasks, my_tasks = [], []
    for n in range(3):
        other_tasks.append(make_task(client, other, taskTitle=f"theirs {n}")["taskId"])
        my_tasks.append(make_task(client, mine, taskTitle=f"mine {n}")["taskId"])
    return World(mine, other, my_tasks, other_tasks, issue(db_path, "bound", user_id=mine))


def test_lists_hold_only_the_bound_user_and_their_tasks(client: FlaskClient, world: World) -> None:
    assert user_ids(client.get("/users", headers=world.headers)) == [world.mine]
    assert task_ids(client.get("/tasks", headers=world.headers)) == world.my_tasks
    assert task_ids(client.get("/tasks?_sort=-taskId&_perPage=2", headers=world.headers)) == world.my_tasks[::-1][:2]
    assert task_ids(client.get("/tasks?_page=1&_perPage=2", headers=world.headers)) == world.my_tasks[2:]
    assert task_ids(client.get("/tasks?taskStatus=NOT_STARTED", headers=world.headers)) == world.my_tasks
    assert task_ids(client.get("/tasks?taskStatus=COMPLETED", headers=world.headers)) == []


def test_as_of_lists_are_filtered_too(client: FlaskClient, world: World) -> None:
    position = client.get("/events?limit=1000").get_json()["nextAfter"]
    client.patch(f"/tasks/{world.other_tasks[0]}", json={"userId": world.mine})  # after the point: not mine then
    assert task_ids(client.get(f"/tasks?asOf={position}", headers=world.headers)) == world.my_tasks
    assert user_ids(client.get(f"/users?asOf={position}", headers=world.headers)) == [world.mine]
    assert task_ids(client.get("/tasks", headers=world.headers)) == sorted([world.other_tasks[0], *world.my_tasks])


def test_reminders_hold_only_the_bound_users_tasks(client: FlaskClient, world: World) -> None:
    reminders = client.get("/reminders?until=2100-01-01T00:00:00Z", headers=world.headers).get_json()["reminders"]
    assert [r["taskId"] for r in reminders] == world.my_tasks
    everyone = client.get("/reminders?until=2100-01-01T00:00:00Z").get_json()["reminders"]
    assert sorted(r["taskId"] for r in everyone) == sorted(world.my_tasks + world.other_tasks)


def test_own_resources_are_served_by_id(client: FlaskClient, world: World) -> None:
    for path in (f"/users/{world.mine}", f"/tasks/{world.my_tasks[0]}", f"/tasks/{world.my_tasks[0]}/history"):
        response = client.get(path, headers=world.headers)
        assert response.status_code == 200
        assert response.get_json() == client.get(path).get_json()
    assert client.get(f"/users/{world.mine}/history", headers=world.headers).status_code == 200


def reads_of_others(world: World) -> list[str]:
    task, user = world.other_tasks[0], world.other
    return [
        f"/users/{user}",
        f"/users/{user}?asOf=1",
        f"/users/{user}/history",
        f"/tasks/{task}",
        f"/tasks/{task}?asOf=1000",
        f"/tasks/{task}/history",
    ]


def test_another_users_resources_are_forbidden_by_id(client: FlaskClient, world: World) -> None:
    for path in reads_of_others(world):
        body = assert_error(client.get(path, headers=world.headers), 403, "FORBIDDEN")
        assert "contactEmail" not in body
        assert client.get(path).status_code == 200  # they exist: an unbound token reads them


@pytest.mark.parametrize("path", ["/users/999", "/tasks/999", "/users/999/history", "/tasks/999/history"])
def test_an_id_naming_nothing_stays_not_found(client: FlaskClient, world: World, path: str) -> None:
    assert_error(client.get(path, headers=world.headers), 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize("path", ["/events", "/tasks/stats"])
def test_views_across_every_user_are_forbidden(client: FlaskClient, world: World, path: str) -> None:
    assert_error(client.get(path, headers=world.headers), 403, "FORBIDDEN")
    assert client.get(path).status_code == 200


def writes_to_others(world: World) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("POST", "/users", user_body()),
        ("PATCH", f"/users/{world.other}", {"firstName": "Mallory"}),
        ("DELETE", f"/users/{world.other}", None),
        ("POST", "/tasks", task_body(world.other)),
        ("PATCH", f"/tasks/{world.other_tasks[0]}", {"taskStatus": "CANCELLED"}),
        ("PATCH", f"/tasks/{world.other_tasks[0]}", {"userId": world.mine}),
        ("PATCH", f"/tasks/{world.my_tasks[0]}", {"userId": world.other}),
        ("PATCH", f"/tasks/{world.my_tasks[0]}", {"userId": world.other, "taskTitle": "gift"}),
        ("DELETE", f"/tasks/{world.other_tasks[0]}", None),
    ]


def test_writes_touching_another_user_are_forbidden_and_append_nothing(
    client: FlaskClient, world: World, db_path: Path
) -> None:
    before = event_count(db_path)
    for method, path, body in writes_to_others(world):
        response = client.open(path, method=method, json=body, headers=world.headers)
        assert_error(response, 403, "FORBIDDEN")
    assert event_count(db_path) == before
    assert task_ids(client.get("/tasks?_perPage=100")) == sorted(world.my_tasks + world.other_tasks)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/users/999"), ("DELETE", "/users/999"), ("PATCH", "/tasks/999"), ("DELETE", "/tasks/999")],
)
def test_writes_to_ids_naming_nothing_stay_not_found(client: FlaskClient, world: World, method: str, path: str) -> None:
    body = {"taskStatus": "COMPLETED"} if path.startswith("/tasks") and method == "PATCH" else None
    if path.startswith("/users") and method == "PATCH":
        body = {"firstName": "Nobody"}
    assert_error(client.open(path, method=method, json=body, headers=world.headers), 404, "RESOURCE_NOT_FOUND")


def test_the_bound_user_changes_their_own_user_and_tasks(client: FlaskClient, world: World) -> None:
    h = world.headers
    created = client.post("/tasks", json=task_body(world.mine), headers=h)
    assert created.status_code == 201
    assert created.get_json()["userId"] == world.mine
    assert client.patch(f"/tasks/{world.my_tasks[0]}", json={"taskStatus": "COMPLETED"}, headers=h).status_code == 200
    assert client.patch(f"/tasks/{world.my_tasks[1]}", json={"userId": world.mine}, headers=h).status_code == 200
    assert client.patch(f"/users/{world.mine}", json={"firstName": "Me"}, headers=h).get_json()["firstName"] == "Me"
    assert client.delete(f"/tasks/{world.my_tasks[2]}", headers=h).status_code == 204
    history = client.get(f"/tasks/{world.my_tasks[0]}/history", headers=h).get_json()["history"]
    assert history[-1]["actor"] == "bound"


def test_a_task_given_away_is_out_of_reach_of_its_former_owner(client: FlaskClient, world: World) -> None:
    task = world.other_tasks[1]
    client.patch(f"/tasks/{task}", json={"userId": world.mine})
    assert client.get(f"/tasks/{task}", headers=world.headers).status_code == 200
    client.patch(f"/tasks/{task}", json={"userId": world.other})
    assert_error(client.get(f"/tasks/{task}", headers=world.headers), 403, "FORBIDDEN")
    assert_error(client.get(f"/tasks/{task}/history", headers=world.headers), 403, "FORBIDDEN")


def test_deleting_their_own_user_leaves_the_token_nothing_to_see(client: FlaskClient, world: World) -> None:
    assert client.delete(f"/users/{world.mine}", headers=world.headers).status_code == 204
    assert user_ids(client.get("/users", headers=world.headers)) == []
    assert task_ids(client.get("/tasks", headers=world.headers)) == []
    assert_error(client.get(f"/users/{world.mine}", headers=world.headers), 404, "RESOURCE_NOT_FOUND")
    assert user_ids(client.get("/users")) == [world.other]
