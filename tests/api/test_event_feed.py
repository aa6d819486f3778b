"""GET /events: the global feed, read by position, with the position to resume from."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from taskstore import codec
from taskstore.events import UserDeleted
from tests.api.helpers import assert_error, assert_invalid, event_count, make_task, make_user
from tests.conftest import TOKEN

ITEM_KEYS = ["position", "streamId", "version", "type", "schemaVersion", "occurredAt", "requestId", "actor", "data"]


def feed(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/events", query_string=params)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert list(body) == ["events", "nextAfter", "hasMore"]
    return body


def stored(db_path: Path) -> list[dict[str, Any]]:
    """The log's rows, read with sqlite3 directly."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM events ORDER BY position")]


def some_history(client: FlaskClient) -> None:
    """Seven events: two users, a task created, updated and moved, and the first user deleted."""
    first, second = make_user(client), make_user(client)
    task = make_task(client, first["userId"])
    client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Renamed", "taskStatus": "BLOCKED"})
    client.delete(f"/users/{first['userId']}")
    assert second


def test_the_feed_lists_every_event_in_commit_order_as_stored(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    body = feed(client)
    rows = stored(db_path)
    assert [e["position"] for e in body["events"]] == [r["position"] for r in rows] == list(range(1, len(rows) + 1))
    for item, row in zip(body["events"], rows, strict=True):
        assert list(item) == ITEM_KEYS
        assert (item["streamId"], item["version"], item["type"]) == (row["stream_id"], row["version"], row["type"])
        assert (item["occurredAt"], item["requestId"], item["actor"]) == (
            row["occurred_at"],
            row["request_id"],
            row["actor"],
        )
        assert item["schemaVersion"] == row["schema_version"]
    assert (body["nextAfter"], body["hasMore"]) == (len(rows), False)


def test_payloads_carry_wire_names_inside_changes_too(client: FlaskClient) -> None:
    user = make_user(client, firstName="Ada")
    task = make_task(client, user["userId"], taskTitle="Plan")
    client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Do", "dueDate": "2030-01-01T00:00:00Z"})
    created_user, created_task, updated = feed(client)["events"]
    assert created_user["data"] == user
    assert created_task["data"] == task
    assert updated["data"] == {
        "changes": {
            "taskTitle": {"old": "Plan", "new": "Do"},
            "dueDate": {"old": task["dueDate"], "new": "2030-01-01T00:00:00Z"},
        }
    }


def test_status_changes_reassignments_and_cascades_name_their_payload_fields_in_camel_case(
    client: FlaskClient,
) -> None:
    first, second = make_user(client), make_user(client)
    task = make_task(client, first["userId"])
    client.patch(f"/tasks/{task['taskId']}", json={"userId": second["userId"], "taskStatus": "DEFERRED"})
    client.delete(f"/users/{second['userId']}")
    events = feed(client, after=3)["events"]
    assert [e["data"] for e in events] == [
        {"oldUserId": first["userId"], "newUserId": second["userId"]},
        {"old": "NOT_STARTED", "new": "DEFERRED"},
        {"taskId": task["taskId"], "userId": second["userId"], "cascade": True},
        {"userId": second["userId"]},
    ]


def test_a_full_page_says_there_is_more_and_resumes_after_its_last_event(client: FlaskClient) -> None:
    some_history(client)
    first = feed(client, limit=3)
    assert [e["position"] for e in first["events"]] == [1, 2, 3]
    assert (first["nextAfter"], first["hasMore"]) == (3, True)
    rest = feed(client, after=first["nextAfter"], limit=100)
    assert [e["position"] for e in rest["events"]] == [4, 5, 6, 7]
    assert (rest["nextAfter"], rest["hasMore"]) == (7, False)


def test_a_page_that_ends_exactly_at_the_end_of_the_log_has_no_more(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    body = feed(client, after=2, limit=event_count(db_path) - 2)
    assert (body["nextAfter"], body["hasMore"]) == (event_count(db_path), False)


def test_the_limit_defaults_to_one_hundred(client: FlaskClient) -> None:
    user = make_user(client)
    for n in range(104):
        client.patch(f"/users/{user['userId']}", json={"lastName": f"Name {n}"})
    body = feed(client)
    assert [e["position"] for e in body["events"]] == list(range(1, 101))
    assert (body["nextAfter"], body["hasMore"]) == (100, True)


def test_a_type_filter_lists_only_that_type_and_resumes_from_the_end_of_the_log(
    client: FlaskClient, db_path: Path
) -> None:
    some_history(client)
    rows = stored(db_path)
    body = feed(client, type="TaskDeleted")
    assert [e["position"] for e in body["events"]] == [r["position"] for r in rows if r["type"] == "TaskDeleted"]
    assert (body["nextAfter"], body["hasMore"]) == (len(rows), False)


def test_a_stream_filter_lists_only_that_streams_events(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    body = feed(client, streamId="task-1", limit=2)
    wanted = [r["position"] for r in stored(db_path) if r["stream_id"] == "task-1"]
    assert [e["position"] for e in body["events"]] == wanted[:2]
    assert (body["nextAfter"], body["hasMore"]) == (wanted[1], True)
    rest = feed(client, streamId="task-1", after=body["nextAfter"])
    assert [e["position"] for e in rest["events"]] == wanted[2:]


def test_both_filters_together_must_both_match(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    body = feed(client, streamId="user-1", type="UserDeleted")
    rows = stored(db_path)
    assert [e["position"] for e in body["events"]] == [
        r["position"] for r in rows if r["stream_id"] == "user-1" and r["type"] == "UserDeleted"
    ]


def test_a_stream_that_never_existed_is_an_empty_feed_not_an_error(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    assert feed(client, streamId="task-999") == {"events": [], "nextAfter": event_count(db_path), "hasMore": False}


def test_nothing_after_the_end_resumes_from_the_end(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    end = event_count(db_path)
    assert feed(client, after=end) == {"events": [], "nextAfter": end, "hasMore": False}


def test_a_position_past_the_end_of_the_log_is_refused_rather_than_echoed(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    end = event_count(db_path)
    body = assert_invalid(client.get(f"/events?after={end + 50}"), "INVALID_RANGE", "after", "query")
    assert f"position {end}" in body["message"]


def test_a_stream_id_is_read_like_an_id_in_the_path(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    assert feed(client, streamId="task-01") == feed(client, streamId="task-1")
    assert feed(client, streamId="task-0") == {"events": [], "nextAfter": event_count(db_path), "hasMore": False}
    assert feed(client, streamId="user-" + "9" * 40)["events"] == []


def test_an_empty_log_is_an_empty_feed_resuming_from_zero(client: FlaskClient) -> None:
    assert feed(client) == {"events": [], "nextAfter": 0, "hasMore": False}


def test_payloads_of_an_older_schema_are_served_upcast_to_the_current_shape(
    client: FlaskClient, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(client)
    client.delete(f"/users/{user['userId']}")
    # pretend UserDeleted is now at version 2, whose upgrade from 1 moves the id by 1000
    monkeypatch.setattr(UserDeleted, "schema_version", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("UserDeleted", 1), lambda p: {"user_id": p["user_id"] + 1000})
    [item] = feed(client, type="UserDeleted")["events"]
    assert (item["schemaVersion"], item["data"]) == (2, {"userId": user["userId"] + 1000})
    assert json.loads(stored(db_path)[-1]["payload"]) == {"user_id": user["userId"]}


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ("after=-1", "INVALID_RANGE", "after"),
        ("after=x", "INVALID_FIELD", "after"),
        ("after=1.0", "INVALID_FIELD", "after"),
        ("after=", "INVALID_FIELD", "after"),
        ("after=%D9%A1", "INVALID_FIELD", "after"),
        ("after=" + "9" * 30, "INVALID_RANGE", "after"),
        ("limit=0", "INVALID_RANGE", "limit"),
        ("limit=1001", "INVALID_RANGE", "limit"),
        ("limit=ten", "INVALID_FIELD", "limit"),
        ("type=TaskArchived", "INVALID_FIELD", "type"),
        ("type=taskcreated", "INVALID_FIELD", "type"),
        ("type=", "INVALID_FIELD", "type"),
        ("streamId=task--1", "INVALID_FORMAT", "streamId"),
        ("streamId=task-", "INVALID_FORMAT", "streamId"),
        ("streamId=project-1", "INVALID_FORMAT", "streamId"),
        ("streamId=task-1x", "INVALID_FORMAT", "streamId"),
        ("streamId=task-1%0A", "INVALID_FORMAT", "streamId"),
        ("streamId=3", "INVALID_FORMAT", "streamId"),
        ("_page=0", "INVALID_FIELD", "_page"),
        ("_perPage=10", "INVALID_FIELD", "_perPage"),
        ("limit=1&limit=2", "INVALID_FIELD", "limit"),
        ("position=1", "INVALID_FIELD", "position"),
    ],
)
def test_a_bad_feed_parameter_is_a_400_naming_it(
    client: FlaskClient, db_path: Path, params: str, code: str, field: str
) -> None:
    make_user(client)
    assert_invalid(client.get(f"/events?{params}"), code, field, "query")
    assert event_count(db_path) == 1


def test_the_feed_needs_a_token(client: FlaskClient) -> None:
    client.environ_base.pop("HTTP_AUTHORIZATION")
    assert_error(client.get("/events"), 401, "UNAUTHORIZED")
    assert_error(client.get("/events", headers={"Authorization": f"Token {TOKEN}"}), 401, "INVALID_TOKEN")


def test_the_feed_takes_only_get(client: FlaskClient) -> None:
    assert_error(client.post("/events", json={}), 405, "METHOD_NOT_ALLOWED")
