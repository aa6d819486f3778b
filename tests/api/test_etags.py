"""ETags, If-Match and If-None-Match: every read and write of one resource names its stream
version, a PATCH or DELETE naming a version that is no longer current is refused with what it
missed, and a GET naming the version it would get is 304 Not Modified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.helpers import assert_error, event_count, make_task, make_user, user_body
from tests.api.test_issued_tokens import issue

MISSED_KEYS = ["code", "message", "missed", "requestId"]


def tag(response: TestResponse) -> str:
    value = response.headers.get("ETag")
    assert value is not None, dict(response.headers)
    return value


def history(client: FlaskClient, path: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get(f"{path}/history").get_json()["history"]
    return entries


@pytest.fixture
def task(client: FlaskClient) -> dict[str, Any]:
    return make_task(client, make_user(client)["userId"])


def test_a_created_task_and_user_carry_a_strong_etag_naming_stream_and_version_1(client: FlaskClient) -> None:
    user = client.post("/users", json=user_body())
    created = client.post("/tasks", json={**_task_fields(), "userId": user.get_json()["userId"]})
    assert tag(user) == f'"user-{user.get_json()["userId"]}.v1"'
    assert tag(created) == f'"task-{created.get_json()["taskId"]}.v1"'


def test_get_and_head_send_the_etag_of_the_current_version(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    client.patch(path, json={"taskTitle": "Second"})
    client.patch(path, json={"taskStatus": "BLOCKED"})
    versions = [entry["version"] for entry in history(client, path)]
    expected = f'"task-{task["taskId"]}.v{versions[-1]}"'
    assert tag(client.get(path)) == expected
    assert tag(client.head(path)) == expected


def test_a_user_s_etag_follows_its_version(client: FlaskClient) -> None:
    user = make_user(client)
    path = f"/users/{user['userId']}"
    patched = client.patch(path, json={"firstName": "Grace"})
    assert tag(patched) == tag(client.get(path)) == f'"user-{user["userId"]}.v2"'


def test_patch_answers_with_the_etag_of_the_version_it_wrote(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    before = tag(client.get(path))
    after = tag(client.patch(path, json={"taskTitle": "Changed"}))
    assert after != before
    assert after == tag(client.get(path))


def test_a_patch_that_changes_nothing_keeps_the_etag(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    before = tag(client.get(path))
    assert tag(client.patch(path, json={"taskTitle": task["taskTitle"]})) == before


def test_as_of_sends_the_etag_of_the_version_read(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    first = tag(client.get(path))
    position = history(client, path)[0]["position"]
    client.patch(path, json={"taskTitle": "Later"})
    assert tag(client.get(path, query_string={"asOf": position})) == first
    assert tag(client.get(path)) != first


def test_if_match_with_the_current_etag_lets_the_patch_through(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": tag(client.get(path))})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["taskTitle"] == "Mine"


def test_if_match_listing_the_current_etag_among_others_passes(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    current = tag(client.get(path))
    header = f'"task-{task["taskId"]}.v99", {current}, "user-1.v1"'
    assert client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": header}).status_code == 200


def test_a_stale_if_match_is_412_and_appends_nothing(client: FlaskClient, db_path: Path, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    stale = tag(client.get(path))
    client.patch(path, json={"taskTitle": "Theirs"})
    before = event_count(db_path)
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": stale})
    body = assert_error(_without_missed(response), 412, "PRECONDITION_FAILED")
    assert event_count(db_path) == before
    assert client.get(path).get_json()["taskTitle"] == "Theirs"
    assert response.headers["ETag"] == tag(client.get(path))
    assert body["requestId"] == response.headers["X-Request-Id"]


def test_the_412_lists_exactly_the_changes_since_the_version_named(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    client.patch(path, json={"taskTitle": "Two"})
    named = tag(client.get(path))
    client.patch(path, json={"taskStatus": "IN_PROGRESS"})
    client.patch(path, json={"warningOffset": 5, "taskDescription": "Four"})
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": named})
    body = response.get_json()
    assert response.status_code == 412
    assert list(body) == MISSED_KEYS
    assert body["missed"] == history(client, path)[2:]
    assert [entry["type"] for entry in body["missed"]] == ["TaskStatusChanged", "TaskUpdated"]


def test_an_if_match_naming_no_version_of_this_resource_misses_its_whole_history(
    client: FlaskClient, task: dict[str, Any]
) -> None:
    path = f"/tasks/{task['taskId']}"
    client.patch(path, json={"taskTitle": "Two"})
    response = client.delete(path, headers={"If-Match": '"user-1.v1", "something-else"'})
    assert response.status_code == 412
    assert response.get_json()["missed"] == history(client, path)


def test_a_weak_etag_never_matches_even_the_current_version(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    weak = f"W/{tag(client.get(path))}"
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": weak})
    assert response.status_code == 412
    assert client.get(path).get_json()["taskTitle"] == task["taskTitle"]


def test_if_match_star_on_an_existing_resource_passes(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    assert client.patch(path, json={"taskTitle": "Any"}, headers={"If-Match": "*"}).status_code == 200
    assert client.delete(path, headers={"If-Match": "*"}).status_code == 204


@pytest.mark.parametrize("header", ["*", '"task-1.v1"'])
def test_if_match_on_a_missing_resource_is_still_404(client: FlaskClient, header: str) -> None:
    assert_error(
        client.patch("/tasks/1", json={"taskTitle": "x"}, headers={"If-Match": header}), 404, "RESOURCE_NOT_FOUND"
    )
    assert_error(client.delete("/users/1", headers={"If-Match": header}), 404, "RESOURCE_NOT_FOUND")


def test_a_stale_if_match_on_delete_keeps_the_task(client: FlaskClient, db_path: Path, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    stale = tag(client.get(path))
    client.patch(path, json={"taskStatus": "BLOCKED"})
    before = event_count(db_path)
    assert client.delete(path, headers={"If-Match": stale}).status_code == 412
    assert event_count(db_path) == before
    assert client.get(path).status_code == 200
    assert client.delete(path, headers={"If-Match": tag(client.get(path))}).status_code == 204


def test_a_stale_if_match_on_a_user_refuses_the_update_and_the_cascading_delete(
    client: FlaskClient, db_path: Path, task: dict[str, Any]
) -> None:
    path = f"/users/{task['userId']}"
    stale = tag(client.get(path))
    client.patch(path, json={"lastName": "Hopper"})
    before = event_count(db_path)
    refused = client.patch(path, json={"firstName": "Grace"}, headers={"If-Match": stale})
    assert refused.status_code == 412
    assert [entry["changes"] for entry in refused.get_json()["missed"]] == [
        [{"field": "lastName", "old": "Lovelace", "new": "Hopper"}]
    ]
    assert client.delete(path, headers={"If-Match": stale}).status_code == 412
    assert event_count(db_path) == before
    assert client.get(f"/tasks/{task['taskId']}").status_code == 200


def test_the_precondition_is_checked_before_the_domain_rules(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    stale = tag(client.get(path))
    client.patch(path, json={"taskTitle": "Two"})
    response = client.patch(path, json={"userId": 999}, headers={"If-Match": stale})
    assert response.status_code == 412


def test_a_malformed_body_is_400_whatever_if_match_says(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    response = client.patch(path, json={"taskTitle": ""}, headers={"If-Match": '"task-0.v0"'})
    assert_error(response, 400, "INVALID_LENGTH")


def _task_fields() -> dict[str, Any]:
    return {"taskTitle": "Tagged", "dueDate": "2025-06-30T17:00:00Z", "warningOffset": 10}


def _without_missed(response: TestResponse) -> TestResponse:
    """The 412 as `assert_error` knows the envelope: without the extra `missed` key."""
    body = response.get_json()
    assert list(body) == MISSED_KEYS, body
    del body["missed"]
    response.set_data(response.json_module.dumps(body))
    return response


@pytest.mark.parametrize("path", ["/tasks/{task}", "/users/{user}"])
def test_an_empty_entity_tag_names_no_version_and_is_412_not_a_crash(
    client: FlaskClient, db_path: Path, task: dict[str, Any], path: str
) -> None:
    url = path.format(task=task["taskId"], user=task["userId"])
    before = event_count(db_path)
    body = {"taskTitle": "Mine"} if "tasks" in url else {"firstName": "Mine"}
    response = client.patch(url, json=body, headers={"If-Match": '""'})
    assert response.status_code == 412, response.get_json()
    assert list(response.get_json()) == MISSED_KEYS
    assert response.get_json()["code"] == "PRECONDITION_FAILED"
    assert event_count(db_path) == before


def test_an_empty_if_match_header_is_no_precondition(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": " "})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["taskTitle"] == "Mine"


RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def assert_not_modified(response: TestResponse, etag: str) -> None:
    """A 304: no body and no body headers, the ETag of the version held, and the headers every answer carries."""
    assert response.status_code == 304, (response.status_code, response.data[:300])
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert "Content-Type" not in response.headers
    assert "Content-Length" not in response.headers
    assert response.headers["X-Request-Id"].startswith("req-")
    assert all(name in response.headers for name in RATE_LIMIT_HEADERS), dict(response.headers)


def current_tags(task: dict[str, Any], version: int) -> dict[str, str]:
    """path -> the strong ETag its GET must send, for the task and its user both at `version`."""
    return {
        f"/tasks/{task['taskId']}": f'"task-{task["taskId"]}.v{version}"',
        f"/users/{task['userId']}": f'"user-{task["userId"]}.v{version}"',
    }


@pytest.fixture
def changed(client: FlaskClient, task: dict[str, Any]) -> dict[str, str]:
    """The task and its user, each created and then changed once: path -> its ETag."""
    assert client.patch(f"/tasks/{task['taskId']}", json={"taskStatus": "BLOCKED"}).status_code == 200
    assert client.patch(f"/users/{task['userId']}", json={"firstName": "Grace"}).status_code == 200
    return current_tags(task, 2)


@pytest.mark.parametrize("form", ["{tag}", "W/{tag}", '"task-9.v1", {tag}, W/"user-9.v2"', "*"])
def test_if_none_match_naming_the_current_version_is_304_without_a_body(
    client: FlaskClient, changed: dict[str, str], form: str
) -> None:
    for path, current in changed.items():
        assert_not_modified(client.get(path, headers={"If-None-Match": form.format(tag=current)}), current)


def test_head_is_304_too(client: FlaskClient, changed: dict[str, str]) -> None:
    for path, current in changed.items():
        assert_not_modified(client.head(path, headers={"If-None-Match": current}), current)


def test_after_the_resource_changed_the_old_tag_gets_the_whole_new_answer(
    client: FlaskClient, task: dict[str, Any]
) -> None:
    path = f"/tasks/{task['taskId']}"
    held = f'"task-{task["taskId"]}.v1"'
    assert_not_modified(client.get(path, headers={"If-None-Match": held}), held)
    client.patch(path, json={"taskTitle": "Renamed"})
    response = client.get(path, headers={"If-None-Match": f"{held}, W/{held}"})
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"task-{task["taskId"]}.v2"'
    assert response.get_json() == {**task, "taskTitle": "Renamed"}


@pytest.mark.parametrize("header", ['"task-{task}.v3"', '"user-{user}.v2"', '"task-{task}0.v2"', "task", '""', " "])
def test_a_tag_of_another_version_or_stream_or_none_at_all_gets_the_200(
    client: FlaskClient, task: dict[str, Any], changed: dict[str, str], header: str
) -> None:
    path = f"/tasks/{task['taskId']}"
    response = client.get(path, headers={"If-None-Match": header.format(task=task["taskId"], user=task["userId"])})
    assert response.status_code == 200
    assert response.headers["ETag"] == changed[path]
    assert response.get_json()["taskStatus"] == "BLOCKED"


@pytest.mark.parametrize("header", ["*", '"task-{task}.v2"', '"user-{user}.v2"'])
def test_if_none_match_never_turns_a_404_into_a_304(client: FlaskClient, task: dict[str, Any], header: str) -> None:
    client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Two"})  # v2, then deleted with its user at v3
    client.patch(f"/users/{task['userId']}", json={"firstName": "Two"})
    assert client.delete(f"/users/{task['userId']}").status_code == 204
    value = header.format(task=task["taskId"], user=task["userId"])
    for path in (f"/tasks/{task['taskId']}", f"/users/{task['userId']}", "/tasks/999", "/users/999"):
        assert_error(client.get(path, headers={"If-None-Match": value}), 404, "RESOURCE_NOT_FOUND")


def test_as_of_compares_with_the_version_read_then(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    position = history(client, path)[0]["position"]
    client.patch(path, json={"taskTitle": "Later"})
    then, now = f'"task-{task["taskId"]}.v1"', f'"task-{task["taskId"]}.v2"'
    assert_not_modified(client.get(path, query_string={"asOf": position}, headers={"If-None-Match": then}), then)
    stale = client.get(path, query_string={"asOf": position}, headers={"If-None-Match": now})
    assert stale.status_code == 200
    assert stale.headers["ETag"] == then
    assert stale.get_json() == task


def test_a_bound_token_is_still_403_for_another_users_task(
    client: FlaskClient, db_path: Path, task: dict[str, Any]
) -> None:
    someone_else = make_user(client)["userId"]
    headers = issue(db_path, "bound", user_id=someone_else)
    for path, current in current_tags(task, 1).items():
        for value in (current, "*"):
            response = client.get(path, headers={**headers, "If-None-Match": value})
            body = assert_error(response, 403, "FORBIDDEN")
            assert "ETag" not in response.headers
            assert "taskTitle" not in body and "contactEmail" not in body


def test_a_bound_or_read_only_token_gets_the_304_for_what_it_may_read(
    client: FlaskClient, db_path: Path, task: dict[str, Any]
) -> None:
    current = f'"task-{task["taskId"]}.v1"'
    for headers in (issue(db_path, "mine", user_id=task["userId"]), issue(db_path, "reader", read_only=True)):
        assert_not_modified(
            client.get(f"/tasks/{task['taskId']}", headers={**headers, "If-None-Match": current}), current
        )


def test_no_token_is_401_whatever_if_none_match_says(app: Any, task: dict[str, Any]) -> None:
    response = app.test_client().get(f"/tasks/{task['taskId']}", headers={"If-None-Match": "*"})
    assert_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("form", ["{tag}", "W/{tag}", '"task-9.v1", {tag}', "*"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_write_whose_if_none_match_names_the_current_version_is_412_and_appends_nothing(
    client: FlaskClient, db_path: Path, task: dict[str, Any], form: str, method: str
) -> None:
    path = f"/tasks/{task['taskId']}"
    current = tag(client.get(path))
    before = event_count(db_path)
    response = client.open(
        path, method=method, json={"taskTitle": "Mine"}, headers={"If-None-Match": form.format(tag=current)}
    )
    missed = response.get_json()["missed"]
    assert_error(_without_missed(response), 412, "PRECONDITION_FAILED")
    assert missed == []  # the client holds the current version: nothing to catch up on
    assert response.headers["ETag"] == current
    assert event_count(db_path) == before
    assert client.get(path).get_json() == task


def test_a_write_whose_if_none_match_names_an_older_version_goes_through(
    client: FlaskClient, task: dict[str, Any]
) -> None:
    path = f"/tasks/{task['taskId']}"
    old = tag(client.get(path))
    client.patch(path, json={"taskTitle": "Two"})
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.get_json()["taskTitle"] == "Mine"


def test_if_match_is_evaluated_before_if_none_match_on_a_write(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    stale = tag(client.get(path))
    client.patch(path, json={"taskTitle": "Two"})
    response = client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": stale, "If-None-Match": stale})
    missed = response.get_json()["missed"]
    assert_error(_without_missed(response), 412, "PRECONDITION_FAILED")
    assert [entry["type"] for entry in missed] == ["TaskUpdated"]  # If-Match's refusal, with what it missed


def test_a_get_whose_if_match_names_no_version_it_would_carry_is_412(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    first = tag(client.get(path))
    client.patch(path, json={"taskTitle": "Two"})
    current = tag(client.get(path))

    refused = client.get(path, headers={"If-Match": first, "If-None-Match": current})
    missed = refused.get_json()["missed"]
    assert_error(_without_missed(refused), 412, "PRECONDITION_FAILED")
    assert [entry["type"] for entry in missed] == ["TaskUpdated"]
    assert refused.headers["ETag"] == current
    assert client.get(path, headers={"If-Match": current}).get_json()["taskTitle"] == "Two"
    assert client.get(path, headers={"If-Match": "*"}).status_code == 200
    assert client.get(f"{path}?asOf=2", headers={"If-Match": first}).status_code == 200  # the version read then
    assert client.get(f"{path}?asOf=2", headers={"If-Match": current}).status_code == 412


@pytest.mark.parametrize("malformed", ["task-1.v1", 'w/"task-1.v1"', '"task-1.v1" junk', '"task-1.v1', 'task-1.v1"'])
def test_a_malformed_tag_in_if_match_names_nothing_so_the_write_is_412(
    client: FlaskClient, db_path: Path, task: dict[str, Any], malformed: str
) -> None:
    assert tag(client.get(f"/tasks/{task['taskId']}")) == '"task-1.v1"'
    before = event_count(db_path)
    response = client.patch(f"/tasks/{task['taskId']}", json={"taskTitle": "Mine"}, headers={"If-Match": malformed})
    assert response.status_code == 412
    assert event_count(db_path) == before


@pytest.mark.parametrize("malformed", ["task-1.v1", "W/task-1.v1", 'w/"task-1.v1"', '"task-1.v1" junk'])
def test_a_malformed_tag_in_if_none_match_names_nothing_so_the_get_is_200(
    client: FlaskClient, task: dict[str, Any], malformed: str
) -> None:
    response = client.get(f"/tasks/{task['taskId']}", headers={"If-None-Match": malformed})
    assert response.status_code == 200
    assert response.get_json() == task


def test_well_formed_members_of_a_list_still_count_beside_malformed_ones(
    client: FlaskClient, task: dict[str, Any]
) -> None:
    path = f"/tasks/{task['taskId']}"
    assert client.get(path, headers={"If-None-Match": 'junk, "x,y" , W/"task-1.v1"'}).status_code == 304
    assert client.patch(path, json={"taskTitle": "Two"}, headers={"If-Match": 'nope, "task-1.v1"'}).status_code == 200


def test_if_match_sent_on_several_lines_is_one_list(client: FlaskClient, task: dict[str, Any]) -> None:
    path = f"/tasks/{task['taskId']}"
    headers = [("If-Match", '"task-1.v7"'), ("If-Match", '"task-1.v1"')]
    assert client.patch(path, json={"taskTitle": "Two"}, headers=headers).status_code == 200


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
def test_a_long_malformed_header_is_read_at_once(client: FlaskClient, task: dict[str, Any], header: str) -> None:
    value = "a" + " " * 8000 + "b"
    response = client.get(f"/tasks/{task['taskId']}", headers={header: value})
    assert response.status_code == (412 if header == "If-Match" else 200)


@pytest.mark.parametrize("listed", ['"x", *', '*, "x"', "*, *"])
def test_a_star_inside_a_list_is_malformed_and_names_nothing(
    client: FlaskClient, task: dict[str, Any], listed: str
) -> None:
    path = f"/tasks/{task['taskId']}"
    assert client.get(path, headers={"If-None-Match": listed}).status_code == 200
    assert client.patch(path, json={"taskTitle": "Mine"}, headers={"If-Match": listed}).status_code == 412
