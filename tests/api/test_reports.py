"""GET /reminders and GET /tasks/stats: order, bounds, defaults, pages, bad input and auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import STATUSES, assert_error, assert_invalid, make_task, make_user

REMINDER_FIELDS = [
    "taskId", "userId", "taskTitle", "taskStatus", "dueDate", "warningOffset", "remindAt", "overdue",
]  # fmt: skip


def reminders(client: FlaskClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/reminders{query}")
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["reminders"]
    return items


def reminder_ids(client: FlaskClient, until: str, extra: str = "") -> list[int]:
    return [item["taskId"] for item in reminders(client, f"?until={quote(until)}{extra}")]


def iso(moment: datetime) -> str:
    return moment.isoformat()  # 2025-06-30T17:00:00.123456+00:00


@pytest.fixture
def owner(client: FlaskClient) -> int:
    user_id: int = make_user(client)["userId"]
    return user_id


# --- GET /reminders -----------------------------------------------------------------


def test_a_reminder_shows_the_task_its_reminder_time_in_utc_and_whether_it_is_overdue(
    client: FlaskClient, owner: int
) -> None:
    task = make_task(client, owner, taskTitle="Report", dueDate="2025-06-30T17:00:00-05:00", warningOffset=1440)

    [item] = reminders(client, "?until=2025-06-29T22:00:00Z")

    assert list(item) == REMINDER_FIELDS
    assert item == {
        "taskId": task["taskId"], "userId": owner, "taskTitle": "Report", "taskStatus": "NOT_STARTED",
        "dueDate": "2025-06-30T17:00:00-05:00", "warningOffset": 1440, "remindAt": "2025-06-29T22:00:00Z",
        "overdue": True,
    }  # fmt: skip


def test_remind_at_shows_microseconds_only_when_there_are_some(client: FlaskClient, owner: int) -> None:
    make_task(client, owner, dueDate="2025-06-30T17:00:00.25", warningOffset=1)
    make_task(client, owner, dueDate="2025-06-30T17:00:00.000+01:00", warningOffset=0)

    assert [item["remindAt"] for item in reminders(client, "?until=2026-01-01T00:00:00Z")] == [
        "2025-06-30T16:00:00Z",
        "2025-06-30T16:59:00.250000Z",
    ]


def test_reminders_come_soonest_first_with_ties_by_task_id(client: FlaskClient, owner: int) -> None:
    late = make_task(client, owner, dueDate="2025-07-03T00:00:00Z", warningOffset=0)["taskId"]
    tie_b = make_task(client, owner, dueDate="2025-07-01T02:00:00+02:00", warningOffset=120)["taskId"]
    tie_a = make_task(client, owner, dueDate="2025-06-30T22:00:00Z", warningOffset=0)["taskId"]
    soon = make_task(client, owner, dueDate="2025-07-05T00:00:00Z", warningOffset=64000)["taskId"]

    assert reminder_ids(client, "2030-01-01T00:00:00Z") == [soon, tie_b, tie_a, late]


def test_until_is_inclusive_and_read_with_its_offset_or_as_utc_without_one(client: FlaskClient, owner: int) -> None:
    task = make_task(client, owner, dueDate="2025-06-30T17:00:00-05:00", warningOffset=30)["taskId"]

    assert reminder_ids(client, "2025-06-30T21:30:00Z") == [task]
    assert reminder_ids(client, "2025-06-30T21:30:00") == [task]
    assert reminder_ids(client, "2025-06-30T16:30:00-05:00") == [task]
    assert reminder_ids(client, "2025-06-30T21:29:59.999999Z") == []
    assert reminder_ids(client, "2025-06-30T23:29:59.999999999+02:00") == []


def test_without_until_the_reminders_due_by_now_are_listed(client: FlaskClient, owner: int) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    past = make_task(client, owner, dueDate="2020-01-01T00:00:00Z", warningOffset=0)["taskId"]
    within = make_task(client, owner, dueDate=iso(soon), warningOffset=120)["taskId"]
    make_task(client, owner, dueDate=iso(soon), warningOffset=0)
    make_task(client, owner, dueDate="2999-01-01T00:00:00Z", warningOffset=64000)

    assert [item["taskId"] for item in reminders(client)] == [past, within]


def test_overdue_means_the_due_date_is_before_now_not_the_reminder(client: FlaskClient, owner: int) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    make_task(client, owner, dueDate="2020-01-01T00:00:00Z", warningOffset=0)
    make_task(client, owner, dueDate=iso(tomorrow), warningOffset=64000)

    assert [item["overdue"] for item in reminders(client, "?until=2999-01-01T00:00:00Z")] == [True, False]


def test_finished_tasks_have_no_reminder_until_they_are_reopened(client: FlaskClient, owner: int) -> None:
    task = make_task(client, owner, dueDate="2025-06-30T17:00:00Z")["taskId"]
    client.patch(f"/tasks/{task}", json={"taskStatus": "COMPLETED"})
    make_task(client, owner, taskStatus="CANCELLED")
    assert reminder_ids(client, "2030-01-01T00:00:00Z") == []

    client.patch(f"/tasks/{task}", json={"taskStatus": "BLOCKED", "dueDate": "2025-01-01T00:00:00Z"})

    [item] = reminders(client, "?until=2030-01-01T00:00:00Z")
    assert (item["taskId"], item["taskStatus"], item["remindAt"]) == (task, "BLOCKED", "2024-12-31T23:30:00Z")


def test_a_deleted_task_or_user_leaves_no_reminder(client: FlaskClient, owner: int) -> None:
    other = make_user(client)["userId"]
    gone = make_task(client, owner)["taskId"]
    make_task(client, other)
    kept = make_task(client, owner)["taskId"]

    assert client.delete(f"/tasks/{gone}").status_code == 204
    assert client.delete(f"/users/{other}").status_code == 204

    assert reminder_ids(client, "2030-01-01T00:00:00Z") == [kept]


def test_reminders_come_in_pages(client: FlaskClient, owner: int) -> None:
    created = [make_task(client, owner, dueDate=f"2025-06-{day:02d}T00:00:00Z")["taskId"] for day in range(1, 24)]
    until = "2025-07-01T00:00:00Z"

    assert reminder_ids(client, until) == created[:20]
    assert reminder_ids(client, until, "&_page=1") == created[20:]
    assert reminder_ids(client, until, "&_perPage=5&_page=2") == created[10:15]
    assert reminder_ids(client, until, "&_perPage=100") == created
    assert reminder_ids(client, until, "&_page=9") == []


def test_the_earliest_due_date_keeps_its_earliest_reminder_in_year_one(client: FlaskClient, owner: int) -> None:
    make_task(client, owner, dueDate="0001-02-14T10:40:00Z", warningOffset=64000)  # 44 days 10:40 after year 1 began

    [item] = reminders(client, "?until=0001-01-01T00:00:00Z")
    assert item["remindAt"] == "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "due",
    [
        "0001-01-01T00:00:00Z",  # its reminder could fall in year 0
        "0001-02-14T10:39:59.999999Z",
        "0001-02-14T10:40:00+00:01",  # a minute earlier in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    ],
)
def test_a_due_date_whose_instant_or_reminder_leaves_years_1_to_9999_is_out_of_range(
    client: FlaskClient, owner: int, due: str
) -> None:
    task = make_task(client, owner)
    before = client.get(f"/tasks/{task['taskId']}").get_json()
    body = {"userId": owner, "taskTitle": "t", "taskStatus": "NOT_STARTED", "dueDate": due, "warningOffset": 0}
    assert_invalid(client.post("/tasks", json=body), "INVALID_RANGE", "dueDate")
    assert_invalid(client.patch(f"/tasks/{task['taskId']}", json={"dueDate": due}), "INVALID_RANGE", "dueDate")
    assert client.get(f"/tasks/{task['taskId']}").get_json() == before


def test_the_latest_due_date_is_accepted(client: FlaskClient, owner: int) -> None:
    task = make_task(client, owner, dueDate="9999-12-31T23:59:59.999999Z", warningOffset=0)
    assert task["dueDate"] == "9999-12-31T23:59:59.999999Z"


@pytest.mark.parametrize(
    "until", ["tomorrow", "", "2025-06-30", "2025-06-30 17:00:00Z", "2025-13-01T00:00:00Z", "2025-06-30T17:00+24:00"]
)
def test_a_bad_until_is_invalid_format_naming_until(client: FlaskClient, until: str) -> None:
    assert_invalid(client.get(f"/reminders?until={quote(until)}"), "INVALID_FORMAT", "until", "query")


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("?soon=1", "INVALID_FIELD", "soon"),
        ("?_perPage=0", "INVALID_RANGE", "_perPage"),
        ("?_perPage=101", "INVALID_RANGE", "_perPage"),
        ("?_page=-1", "INVALID_RANGE", "_page"),
        ("?_page=\uff11", "INVALID_FIELD", "_page"),  # a full-width digit one
        ("?until=2025-06-30T17:00:00Z&until=2025-07-30T17:00:00Z", "INVALID_FIELD", "until"),
    ],
)
def test_bad_reminder_parameters_are_refused(client: FlaskClient, query: str, code: str, field: str) -> None:
    assert_invalid(client.get(f"/reminders{query}"), code, field, "query")


# --- GET /tasks/stats ---------------------------------------------------------------


def stats(client: FlaskClient, path: str = "/tasks/stats") -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_stats_of_no_tasks_show_all_six_statuses_at_zero_in_the_contracts_order(client: FlaskClient) -> None:
    body = stats(client)

    assert list(body) == ["counts", "finished"]
    assert list(body["counts"].items()) == [(status, 0) for status in STATUSES]
    assert body["finished"] == {"tasks": 0, "timeInStatus": {}}


@pytest.mark.parametrize("path", ["/tasks/stats", "/tasks/stats/"])
def test_tasks_stats_is_not_read_as_a_task_id(client: FlaskClient, owner: int, path: str) -> None:
    make_task(client, owner)

    assert stats(client, path)["counts"]["NOT_STARTED"] == 1


def test_stats_count_the_live_tasks_in_each_status(client: FlaskClient, owner: int) -> None:
    for status in ["BLOCKED", "BLOCKED", "COMPLETED", "CANCELLED", "DEFERRED", "IN_PROGRESS"]:
        make_task(client, owner, taskStatus=status)
    gone = make_task(client, owner, taskStatus="BLOCKED")["taskId"]
    client.delete(f"/tasks/{gone}")
    client.patch("/tasks/5", json={"taskStatus": "COMPLETED"})

    body = stats(client)

    listed = [task["taskStatus"] for task in client.get("/tasks?_perPage=100").get_json()["tasks"]]
    assert body["counts"] == {status: listed.count(status) for status in STATUSES}
    assert body["finished"]["tasks"] == listed.count("COMPLETED") + listed.count("CANCELLED") == 3


def test_stats_time_in_status_covers_the_statuses_finished_tasks_passed_through(
    client: FlaskClient, owner: int
) -> None:
    done = make_task(client, owner)["taskId"]
    for status in ["IN_PROGRESS", "BLOCKED", "COMPLETED"]:
        client.patch(f"/tasks/{done}", json={"taskStatus": status})
    still_open = make_task(client, owner, taskStatus="DEFERRED")["taskId"]
    client.patch(f"/tasks/{still_open}", json={"taskStatus": "IN_PROGRESS"})

    spent = stats(client)["finished"]["timeInStatus"]

    assert list(spent) == ["NOT_STARTED", "IN_PROGRESS", "BLOCKED"]
    for entry in spent.values():
        assert list(entry) == ["tasks", "medianSeconds", "p90Seconds"]
        assert entry["tasks"] == 1
        assert isinstance(entry["medianSeconds"], float)
        assert 0 <= entry["medianSeconds"] == entry["p90Seconds"] < 60


def test_stats_take_no_parameters(client: FlaskClient) -> None:
    assert_invalid(client.get("/tasks/stats?_page=0"), "INVALID_FIELD", "_page", "query")


# --- both ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/reminders", "/tasks/stats", "/tasks/stats/", "/reminders?until=bad"])
def test_reports_need_a_token(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert_error(response, 401, "UNAUTHORIZED")


def test_reports_refuse_a_wrong_token(app: Flask) -> None:
    for path in ("/reminders", "/tasks/stats"):
        assert_error(app.test_client().get(path, headers={"Authorization": "Bearer nope"}), 401, "INVALID_TOKEN")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_stats_are_405_allowing_only_get_not_a_task_id_error(client: FlaskClient, method: str) -> None:
    for path in ("/tasks/stats", "/tasks/stats/"):
        response = client.open(path, method=method, json={"taskStatus": "DEFERRED"})
        assert_error(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize("path", ["/reminders?asOf=5", "/reminders?asOf=zzz"])
def test_reminders_refuse_as_of_instead_of_ignoring_it(client: FlaskClient, path: str) -> None:
    assert_invalid(client.get(path), "INVALID_FIELD", "asOf", "query")
