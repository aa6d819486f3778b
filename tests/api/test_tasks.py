"""The /tasks endpoints: creation, reading, partial update, reassignment, deletion and their rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.config import Config, Token
from tests.api.helpers import (
    STATUSES,
    TASK_FIELDS,
    assert_error,
    assert_invalid,
    event_count,
    expected_task,
    make_task,
    make_user,
    ordered,
    task_body,
    without,
)
from tests.conftest import TOKEN


@pytest.fixture
def user_id(client: FlaskClient) -> int:
    return int(make_user(client)["userId"])


def test_creating_a_task_answers_201_with_every_field_in_order(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    body = {
        "userId": user_id,
        "taskTitle": "Prepare quarterly report",
        "taskDescription": "Gather data, create charts, write executive summary",
        "dueDate": "2025-06-30T17:00:00-05:00",
        "warningOffset": 1440,
    }
    before = event_count(db_path)
    response = client.post("/tasks", json=body)
    assert response.status_code == 201
    created = response.get_json()
    assert list(created) == TASK_FIELDS
    assert isinstance(created["taskId"], int)
    assert ordered(created) == ordered(expected_task(created["taskId"], body))
    assert created["taskStatus"] == "NOT_STARTED"
    assert event_count(db_path) == before + 1


def test_a_task_without_a_description_carries_the_key_with_null(client: FlaskClient, user_id: int) -> None:
    created = client.post("/tasks", json=task_body(user_id)).get_json()
    assert "taskDescription" in created
    assert created["taskDescription"] is None
    read = client.get(f"/tasks/{created['taskId']}").get_json()
    assert list(read) == TASK_FIELDS
    assert read["taskDescription"] is None
    listed = client.get("/tasks").get_json()["tasks"]
    assert [list(task) for task in listed] == [TASK_FIELDS]
    assert listed[0]["taskDescription"] is None


def test_a_task_created_with_a_null_description_has_none(client: FlaskClient, user_id: int) -> None:
    response = client.post("/tasks", json=task_body(user_id, taskDescription=None))
    assert response.status_code == 201
    assert response.get_json()["taskDescription"] is None


@pytest.mark.parametrize("status", STATUSES)
def test_a_task_may_be_created_in_any_of_the_six_statuses(client: FlaskClient, user_id: int, status: str) -> None:
    body = task_body(user_id, taskStatus=status)
    response = client.post("/tasks", json=body)
    assert response.status_code == 201
    assert ordered(response.get_json()) == ordered(expected_task(response.get_json()["taskId"], body))


def test_a_created_task_reads_back_unchanged(client: FlaskClient, user_id: int) -> None:
    body = task_body(user_id, taskDescription="notes", taskStatus="BLOCKED", warningOffset=0)
    created = client.post("/tasks", json=body).get_json()
    response = client.get(f"/tasks/{created['taskId']}")
    assert response.status_code == 200
    assert ordered(response.get_json()) == ordered(expected_task(created["taskId"], body))


def test_listing_tasks_gives_every_task_in_creation_order(client: FlaskClient, user_id: int) -> None:
    bodies = [task_body(user_id, taskTitle=title) for title in ("zeta", "alpha", "mu")]
    created = [client.post("/tasks", json=body).get_json() for body in bodies]
    response = client.get("/tasks")
    assert response.status_code == 200
    listed = response.get_json()
    assert list(listed) == ["tasks"]
    assert [ordered(task) for task in listed["tasks"]] == [
        ordered(expected_task(task["taskId"], body)) for task, body in zip(created, bodies, strict=True)
    ]


@pytest.mark.parametrize("field", ["userId", "taskTitle", "dueDate", "warningOffset"])
def test_a_task_without_a_required_field_is_missing_required_field(
    client: FlaskClient, db_path: Path, user_id: int, field: str
) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=without(task_body(user_id), field))
    assert_invalid(response, "MISSING_REQUIRED_FIELD", field)
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": []}


@pytest.mark.parametrize(("field", "text"), [
    ("taskTitle", "t"),
    ("taskTitle", "t" * 80),
    ("taskTitle", "\U0001f680" * 80),
    ("taskDescription", "d"),
    ("taskDescription", "d" * 255),
    ("taskDescription", "\U0001f680" * 255),
])  # fmt: skip
def test_text_within_its_length_bounds_is_accepted(client: FlaskClient, user_id: int, field: str, text: str) -> None:
    response = client.post("/tasks", json=task_body(user_id, **{field: text}))
    assert response.status_code == 201
    assert response.get_json()[field] == text


@pytest.mark.parametrize(("field", "text"), [
    ("taskTitle", ""),
    ("taskTitle", "t" * 81),
    ("taskTitle", "\U0001f680" * 81),
    ("taskDescription", ""),
    ("taskDescription", "d" * 256),
    ("taskDescription", "\U0001f680" * 256),
])  # fmt: skip
def test_text_outside_its_length_bounds_is_invalid_length(
    client: FlaskClient, db_path: Path, user_id: int, field: str, text: str
) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id, **{field: text}))
    assert_invalid(response, "INVALID_LENGTH", field)
    assert event_count(db_path) == before


@pytest.mark.parametrize(("count", "status"), [(80, 201), (81, 400)])
def test_a_title_sent_as_raw_utf8_counts_code_points(
    client: FlaskClient, user_id: int, count: int, status: int
) -> None:
    title = "\U0001f680" * count
    data = json.dumps(task_body(user_id, taskTitle=title), ensure_ascii=False).encode("utf-8")
    assert len(data) > 4 * count  # four bytes per rocket on the wire
    response = client.post("/tasks", data=data, content_type="application/json")
    assert response.status_code == status
    if status == 201:
        assert response.get_json()["taskTitle"] == title
    else:
        assert_invalid(response, "INVALID_LENGTH", "taskTitle")


@pytest.mark.parametrize("offset", [-1, 64001, 10**20])
def test_a_warning_offset_outside_0_to_64000_is_invalid_range(
    client: FlaskClient, db_path: Path, user_id: int, offset: int
) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id, warningOffset=offset))
    body = assert_invalid(response, "INVALID_RANGE", "warningOffset")
    assert body["details"] == [{"field": "warningOffset", "reason": "Out of range", "location": "body"}]
    assert body["message"] == "The `warningOffset` field must be between 0 and 64000"
    assert event_count(db_path) == before


@pytest.mark.parametrize(
    "due",
    [
        "2025-06-30T17:00:00-05:00",
        "2025-06-30T22:00:00.000Z",
        "2025-06-30T17:00:00.123456",
        "2025-06-30T22:00:00+00:00",
        "2019-01-01T00:00:00Z",
        "2025-06-30t17:00:00z",  # RFC 3339 allows both letters in lower case
    ],
)
def test_a_due_date_reads_back_exactly_as_sent(client: FlaskClient, user_id: int, due: str) -> None:
    created = client.post("/tasks", json=task_body(user_id, dueDate=due))
    assert created.status_code == 201
    assert created.get_json()["dueDate"] == due
    assert client.get(f"/tasks/{created.get_json()['taskId']}").get_json()["dueDate"] == due


@pytest.mark.parametrize(
    "due",
    [
        "2025-06-30",
        "2025-06-30T",
        "tomorrow",
        "",
        "2025-13-01T00:00:00Z",
        "2025-02-30T10:00:00Z",
        "2025-06-30T25:00:00Z",
        "2025-06-30T17:00:00+25:00",
        "30/06/2025 17:00",
    ],
)
def test_a_malformed_due_date_is_invalid_format(client: FlaskClient, db_path: Path, user_id: int, due: str) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id, dueDate=due))
    assert_invalid(response, "INVALID_FORMAT", "dueDate")
    assert event_count(db_path) == before


@pytest.mark.parametrize("status", ["completed", "DONE", "", "NOT STARTED"])
def test_an_unknown_status_is_invalid_status(client: FlaskClient, db_path: Path, user_id: int, status: str) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id, taskStatus=status))
    assert_invalid(response, "INVALID_STATUS", "taskStatus")
    assert event_count(db_path) == before


def test_a_task_for_a_user_that_does_not_exist_is_invalid_user_id(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id + 1000))
    assert_error(response, 400, "INVALID_USER_ID")
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": []}


def test_a_task_for_a_deleted_user_is_invalid_user_id(client: FlaskClient, db_path: Path, user_id: int) -> None:
    client.delete(f"/users/{user_id}")
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id))
    assert_error(response, 400, "INVALID_USER_ID")
    assert event_count(db_path) == before


@pytest.mark.parametrize(("field", "value"), [
    ("userId", "1"),
    ("userId", 1.5),
    ("userId", True),
    ("userId", None),
    ("taskTitle", 12),
    ("taskTitle", None),
    ("taskTitle", ["a"]),
    ("taskDescription", 12),
    ("dueDate", 20250630),
    ("warningOffset", "30"),
    ("warningOffset", 15.5),
    ("warningOffset", False),
    ("warningOffset", None),
])  # fmt: skip
def test_a_task_field_of_the_wrong_type_is_invalid_field(
    client: FlaskClient, db_path: Path, user_id: int, field: str, value: object
) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id, **{field: value}))
    assert_invalid(response, "INVALID_FIELD", field)
    assert event_count(db_path) == before


@pytest.mark.parametrize(("field", "value"), [("taskId", 99), ("createdAt", "2025-01-01T00:00:00Z"), ("title", "x")])
def test_a_read_only_or_unknown_field_in_a_task_body_is_invalid_field(
    client: FlaskClient, db_path: Path, user_id: int, field: str, value: object
) -> None:
    before = event_count(db_path)
    response = client.post("/tasks", json=task_body(user_id, **{field: value}))
    assert_invalid(response, "INVALID_FIELD", field)
    assert event_count(db_path) == before


def test_every_failing_field_is_listed_and_the_first_gives_the_code(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    body = {"userId": user_id, "taskTitle": "t" * 81, "dueDate": "2025-06-30", "warningOffset": 64001}
    before = event_count(db_path)
    response = client.post("/tasks", json=body)
    envelope = assert_error(response, 400, "INVALID_LENGTH")
    assert sorted((d["field"], d["location"]) for d in envelope["details"]) == [
        ("dueDate", "body"),
        ("taskTitle", "body"),
        ("warningOffset", "body"),
    ]
    assert "taskTitle" in envelope["message"]
    assert event_count(db_path) == before
    assert client.get("/tasks").get_json() == {"tasks": []}


@pytest.mark.parametrize(("change", "field", "value"), [
    ({"taskTitle": "New title"}, "taskTitle", "New title"),
    ({"taskDescription": "More detail"}, "taskDescription", "More detail"),
    ({"taskStatus": "IN_PROGRESS"}, "taskStatus", "IN_PROGRESS"),
    ({"dueDate": "2026-01-15T09:30:00+01:00"}, "dueDate", "2026-01-15T09:30:00+01:00"),
    ({"warningOffset": 64000}, "warningOffset", 64000),
])  # fmt: skip
def test_patching_one_task_field_changes_only_that_field(
    client: FlaskClient, db_path: Path, user_id: int, change: dict[str, object], field: str, value: object
) -> None:
    body = task_body(user_id, taskDescription="Original")
    task = client.post("/tasks", json=body).get_json()
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json=change)
    assert response.status_code == 200
    expected = expected_task(task["taskId"], {**body, field: value})
    assert ordered(response.get_json()) == ordered(expected)
    assert ordered(client.get(f"/tasks/{task['taskId']}").get_json()) == ordered(expected)
    assert event_count(db_path) > before


def test_patching_the_description_with_null_clears_it(client: FlaskClient, db_path: Path, user_id: int) -> None:
    body = task_body(user_id, taskDescription="Something to forget")
    task = client.post("/tasks", json=body).get_json()
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskDescription": None})
    assert response.status_code == 200
    expected = expected_task(task["taskId"], {**body, "taskDescription": None})
    assert ordered(response.get_json()) == ordered(expected)
    assert ordered(client.get(f"/tasks/{task['taskId']}").get_json()) == ordered(expected)
    assert event_count(db_path) > before


def test_patching_a_null_description_with_null_appends_nothing(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    task = make_task(client, user_id)
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskDescription": None})
    assert response.status_code == 200
    assert response.get_json() == task
    assert event_count(db_path) == before


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_any_status_may_follow_any_status(client: FlaskClient, user_id: int, old: str, new: str) -> None:
    task = make_task(client, user_id, taskStatus=old)
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskStatus": new})
    assert response.status_code == 200
    assert response.get_json() == {**task, "taskStatus": new}


def test_setting_same_status_appends_nothing(client: FlaskClient, db_path: Path, user_id: int) -> None:
    task = make_task(client, user_id, taskStatus="IN_PROGRESS")
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskStatus": "IN_PROGRESS"})
    assert response.status_code == 200
    assert response.get_json() == task
    assert event_count(db_path) == before


def test_setting_every_task_field_to_its_current_value_appends_nothing(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    body = task_body(user_id, taskDescription="Same", taskStatus="BLOCKED")
    task = client.post("/tasks", json=body).get_json()
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json=body)
    assert response.status_code == 200
    assert ordered(response.get_json()) == ordered(expected_task(task["taskId"], body))
    assert event_count(db_path) == before


def test_a_due_date_naming_the_same_instant_in_other_words_is_stored_as_sent(client: FlaskClient, user_id: int) -> None:
    task = make_task(client, user_id, dueDate="2025-06-30T22:00:00Z")
    response = client.patch(f"/tasks/{task['taskId']}", json={"dueDate": "2025-06-30T17:00:00-05:00"})
    assert response.status_code == 200
    assert response.get_json()["dueDate"] == "2025-06-30T17:00:00-05:00"
    assert client.get(f"/tasks/{task['taskId']}").get_json()["dueDate"] == "2025-06-30T17:00:00-05:00"


def test_patching_a_task_with_an_empty_object_is_missing_required_field(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    task = make_task(client, user_id)
    before = event_count(db_path)
    assert_error(client.patch(f"/tasks/{task['taskId']}", json={}), 400, "MISSING_REQUIRED_FIELD")
    assert event_count(db_path) == before


@pytest.mark.parametrize(("field", "value", "code"), [
    ("taskId", 5, "INVALID_FIELD"),
    ("taskTitle", "", "INVALID_LENGTH"),
    ("taskTitle", "t" * 81, "INVALID_LENGTH"),
    ("taskTitle", None, "INVALID_FIELD"),
    ("taskDescription", "", "INVALID_LENGTH"),
    ("taskDescription", "d" * 256, "INVALID_LENGTH"),
    ("taskStatus", "finished", "INVALID_STATUS"),
    ("taskStatus", None, "INVALID_FIELD"),
    ("dueDate", "2025-07-01", "INVALID_FORMAT"),
    ("dueDate", None, "INVALID_FIELD"),
    ("warningOffset", 64001, "INVALID_RANGE"),
    ("warningOffset", -1, "INVALID_RANGE"),
    ("warningOffset", 10.0, "INVALID_FIELD"),
    ("warningOffset", "10", "INVALID_FIELD"),
    ("userId", "1", "INVALID_FIELD"),
    ("userId", None, "INVALID_FIELD"),
    ("owner", 1, "INVALID_FIELD"),
])  # fmt: skip
def test_patching_a_task_with_a_bad_value_changes_nothing(
    client: FlaskClient, db_path: Path, user_id: int, field: str, value: object, code: str
) -> None:
    task = make_task(client, user_id, taskDescription="keep")
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={field: value})
    assert_invalid(response, code, field)
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{task['taskId']}").get_json() == task


def test_a_patch_with_one_bad_field_applies_none_of_the_good_ones(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    task = make_task(client, user_id)
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Changed", "warningOffset": 99999})
    assert_invalid(response, "INVALID_RANGE", "warningOffset")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{task['taskId']}").get_json()["taskTitle"] == task["taskTitle"]


def test_a_task_can_be_reassigned_to_another_user(client: FlaskClient, db_path: Path, user_id: int) -> None:
    other = make_user(client)["userId"]
    body = task_body(user_id)
    task = client.post("/tasks", json=body).get_json()
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"userId": other})
    assert response.status_code == 200
    expected = expected_task(task["taskId"], {**body, "userId": other})
    assert ordered(response.get_json()) == ordered(expected)
    assert ordered(client.get(f"/tasks/{task['taskId']}").get_json()) == ordered(expected)
    assert event_count(db_path) > before


def test_reassigning_a_task_to_its_current_user_appends_nothing(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    task = make_task(client, user_id)
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"userId": user_id})
    assert response.status_code == 200
    assert response.get_json() == task
    assert event_count(db_path) == before


def test_reassigning_a_task_to_a_missing_user_is_invalid_user_id(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    gone = make_user(client)["userId"]
    client.delete(f"/users/{gone}")
    task = make_task(client, user_id)
    before = event_count(db_path)
    for target in (gone, gone + 1000):
        response = client.patch(f"/tasks/{task['taskId']}", json={"userId": target, "taskTitle": "moved"})
        assert_error(response, 400, "INVALID_USER_ID")
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{task['taskId']}").get_json() == task


def test_a_reassigned_task_follows_its_new_user_when_users_are_deleted(client: FlaskClient, user_id: int) -> None:
    new_owner = make_user(client)["userId"]
    task = make_task(client, user_id)
    client.patch(f"/tasks/{task['taskId']}", json={"userId": new_owner})
    assert client.delete(f"/users/{user_id}").status_code == 204
    assert client.get(f"/tasks/{task['taskId']}").get_json() == {**task, "userId": new_owner}
    assert client.delete(f"/users/{new_owner}").status_code == 204
    assert_error(client.get(f"/tasks/{task['taskId']}"), 404, "RESOURCE_NOT_FOUND")
    assert client.get("/tasks").get_json() == {"tasks": []}


def test_deleting_a_task_answers_204_and_it_is_gone(client: FlaskClient, db_path: Path, user_id: int) -> None:
    task = make_task(client, user_id)
    kept = make_task(client, user_id, taskTitle="kept")
    before = event_count(db_path)
    response = client.delete(f"/tasks/{task['taskId']}")
    assert response.status_code == 204
    assert response.data == b""
    body = assert_error(client.get(f"/tasks/{task['taskId']}"), 404, "RESOURCE_NOT_FOUND")
    assert str(task["taskId"]) in body["message"]
    assert "task" in body["message"].lower()
    assert client.get("/tasks").get_json() == {"tasks": [kept]}
    assert event_count(db_path) > before
    assert client.get(f"/users/{user_id}").status_code == 200


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_deleted_task_is_404_for_every_method(client: FlaskClient, db_path: Path, user_id: int, method: str) -> None:
    task = make_task(client, user_id)
    client.delete(f"/tasks/{task['taskId']}")
    before = event_count(db_path)
    kwargs = {"json": {"taskStatus": "COMPLETED"}} if method == "patch" else {}
    response = getattr(client, method)(f"/tasks/{task['taskId']}", **kwargs)
    body = assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert str(task["taskId"]) in body["message"]
    assert event_count(db_path) == before


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_task_that_never_existed_is_404(client: FlaskClient, db_path: Path, method: str) -> None:
    kwargs = {"json": {"taskStatus": "COMPLETED"}} if method == "patch" else {}
    response = getattr(client, method)("/tasks/4242", **kwargs)
    body = assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert "4242" in body["message"]
    assert "task" in body["message"].lower()
    assert event_count(db_path) == 0


def test_a_deleted_tasks_id_is_never_given_again(client: FlaskClient, user_id: int) -> None:
    first, second = make_task(client, user_id), make_task(client, user_id)
    client.delete(f"/tasks/{second['taskId']}")
    third = make_task(client, user_id)
    assert third["taskId"] not in (first["taskId"], second["taskId"])
    client.delete(f"/users/{user_id}")  # cascade removes first and third
    owner = make_user(client)["userId"]
    fourth = make_task(client, owner)
    assert fourth["taskId"] not in (first["taskId"], second["taskId"], third["taskId"])


def test_a_deleted_tasks_id_is_not_given_again_after_a_restart(
    client: FlaskClient, db_path: Path, user_id: int
) -> None:
    issued = [make_task(client, user_id)["taskId"] for _ in range(2)]
    client.delete(f"/tasks/{issued[-1]}")
    restarted = create_app(Config(database=str(db_path), tokens=(Token(name="tester", secret=TOKEN),)))
    response = restarted.test_client().post(
        "/tasks", json=task_body(user_id), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 201
    assert response.get_json()["taskId"] not in issued


def test_a_past_due_date_is_accepted(client: FlaskClient, user_id: int) -> None:
    response = client.post("/tasks", json=task_body(user_id, dueDate="2001-01-01T00:00:00Z"))
    assert response.status_code == 201
    assert response.get_json()["dueDate"] == "2001-01-01T00:00:00Z"
