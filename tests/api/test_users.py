"""The /users endpoints: creation, reading, partial update, deletion and their rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.config import Config, Token
from tests.api.helpers import (
    USER_FIELDS,
    assert_error,
    assert_invalid,
    event_count,
    expected_user,
    make_task,
    make_user,
    ordered,
    user_body,
    without,
)
from tests.conftest import TOKEN


def test_creating_a_user_answers_201_with_every_field_in_order(client: FlaskClient, db_path: Path) -> None:
    body = {"firstName": "Grace", "lastName": "Hopper", "contactEmail": "grace@example.com"}
    response = client.post("/users", json=body)
    assert response.status_code == 201
    created = response.get_json()
    assert list(created) == USER_FIELDS
    assert isinstance(created["userId"], int)
    assert ordered(created) == ordered(expected_user(created["userId"], body))
    assert event_count(db_path) == 1


def test_a_created_user_reads_back_unchanged(client: FlaskClient) -> None:
    body = user_body(firstName="Grace", lastName="Hopper")
    created = client.post("/users", json=body).get_json()
    response = client.get(f"/users/{created['userId']}")
    assert response.status_code == 200
    assert ordered(response.get_json()) == ordered(expected_user(created["userId"], body))


def test_the_email_is_returned_exactly_as_it_was_sent(client: FlaskClient) -> None:
    created = make_user(client, contactEmail="Grace.Hopper@Example.COM")
    assert created["contactEmail"] == "Grace.Hopper@Example.COM"
    assert client.get(f"/users/{created['userId']}").get_json()["contactEmail"] == "Grace.Hopper@Example.COM"


def test_listing_users_gives_every_user_in_creation_order(client: FlaskClient) -> None:
    bodies = [user_body(firstName=name) for name in ("Zed", "Amy", "Mia")]
    created = [client.post("/users", json=body).get_json() for body in bodies]
    response = client.get("/users")
    assert response.status_code == 200
    listed = response.get_json()
    assert list(listed) == ["users"]
    assert [ordered(user) for user in listed["users"]] == [
        ordered(expected_user(user["userId"], body)) for user, body in zip(created, bodies, strict=True)
    ]


def test_listing_no_users_gives_an_empty_list(client: FlaskClient) -> None:
    response = client.get("/users")
    assert response.status_code == 200
    assert response.get_json() == {"users": []}


def test_each_new_user_gets_a_distinct_integer_id(client: FlaskClient) -> None:
    ids = [make_user(client)["userId"] for _ in range(3)]
    assert all(isinstance(i, int) for i in ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize("field", ["firstName", "lastName", "contactEmail"])
def test_a_user_without_a_required_field_is_missing_required_field(
    client: FlaskClient, db_path: Path, field: str
) -> None:
    response = client.post("/users", json=without(user_body(), field))
    assert_invalid(response, "MISSING_REQUIRED_FIELD", field)
    assert event_count(db_path) == 0
    assert client.get("/users").get_json() == {"users": []}


@pytest.mark.parametrize("field", ["firstName", "lastName"])
@pytest.mark.parametrize("length", [1, 100])
def test_a_name_of_1_to_100_characters_is_accepted(client: FlaskClient, field: str, length: int) -> None:
    name = "n" * length
    response = client.post("/users", json=user_body(**{field: name}))
    assert response.status_code == 201
    assert response.get_json()[field] == name


@pytest.mark.parametrize("field", ["firstName", "lastName"])
@pytest.mark.parametrize("length", [0, 101])
def test_a_name_of_0_or_101_characters_is_invalid_length(
    client: FlaskClient, db_path: Path, field: str, length: int
) -> None:
    response = client.post("/users", json=user_body(**{field: "n" * length}))
    assert_invalid(response, "INVALID_LENGTH", field)
    assert event_count(db_path) == 0


def test_a_name_of_100_emoji_is_accepted_because_length_counts_code_points(client: FlaskClient) -> None:
    name = "\U0001f600" * 100  # 100 code points, 400 bytes in UTF-8
    response = client.post("/users", json=user_body(firstName=name))
    assert response.status_code == 201
    assert response.get_json()["firstName"] == name


def test_a_name_of_101_emoji_is_invalid_length(client: FlaskClient) -> None:
    response = client.post("/users", json=user_body(lastName="\U0001f600" * 101))
    assert_invalid(response, "INVALID_LENGTH", "lastName")


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "ada@", "@example.com", "ada lovelace@example.com", "ada@@example.com", "ada@example..com"],
)
def test_a_malformed_email_is_invalid_format(client: FlaskClient, db_path: Path, email: str) -> None:
    response = client.post("/users", json=user_body(contactEmail=email))
    assert_invalid(response, "INVALID_FORMAT", "contactEmail")
    assert event_count(db_path) == 0


@pytest.mark.parametrize("field", ["firstName", "lastName", "contactEmail"])
@pytest.mark.parametrize("value", [5, None, True, ["Ada"], {"a": 1}])
def test_a_user_field_of_the_wrong_type_is_invalid_field(
    client: FlaskClient, db_path: Path, field: str, value: object
) -> None:
    response = client.post("/users", json=user_body(**{field: value}))
    assert_invalid(response, "INVALID_FIELD", field)
    assert event_count(db_path) == 0


def test_a_user_id_in_a_create_body_is_invalid_field(client: FlaskClient, db_path: Path) -> None:
    response = client.post("/users", json=user_body(userId=7))
    assert_invalid(response, "INVALID_FIELD", "userId")
    assert event_count(db_path) == 0


def test_an_unknown_field_in_a_user_body_is_invalid_field(client: FlaskClient, db_path: Path) -> None:
    response = client.post("/users", json=user_body(nickname="Ada"))
    assert_invalid(response, "INVALID_FIELD", "nickname")
    assert event_count(db_path) == 0


def test_an_email_already_used_is_duplicate_email(client: FlaskClient, db_path: Path) -> None:
    make_user(client, contactEmail="ada@example.com")
    before = event_count(db_path)
    response = client.post("/users", json=user_body(contactEmail="ada@example.com"))
    assert_error(response, 400, "DUPLICATE_EMAIL")
    assert event_count(db_path) == before
    assert len(client.get("/users").get_json()["users"]) == 1


def test_an_email_differing_only_in_letter_case_is_duplicate_email(client: FlaskClient, db_path: Path) -> None:
    make_user(client, contactEmail="ada@example.com")
    before = event_count(db_path)
    response = client.post("/users", json=user_body(contactEmail="ADA@Example.Com"))
    assert_error(response, 400, "DUPLICATE_EMAIL")
    assert event_count(db_path) == before


def test_patching_one_user_field_changes_only_that_field(client: FlaskClient) -> None:
    body = user_body(firstName="Ada", lastName="Lovelace")
    user = client.post("/users", json=body).get_json()
    response = client.patch(f"/users/{user['userId']}", json={"lastName": "Byron"})
    assert response.status_code == 200
    expected = expected_user(user["userId"], {**body, "lastName": "Byron"})
    assert ordered(response.get_json()) == ordered(expected)
    assert ordered(client.get(f"/users/{user['userId']}").get_json()) == ordered(expected)


def test_patching_every_user_field_returns_the_whole_updated_user(client: FlaskClient) -> None:
    user = make_user(client)
    changes = {"firstName": "Grace", "lastName": "Hopper", "contactEmail": "grace@navy.example.com"}
    response = client.patch(f"/users/{user['userId']}", json=changes)
    assert response.status_code == 200
    assert ordered(response.get_json()) == ordered(expected_user(user["userId"], changes))


def test_patching_a_user_with_an_empty_object_is_missing_required_field(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    before = event_count(db_path)
    response = client.patch(f"/users/{user['userId']}", json={})
    assert_error(response, 400, "MISSING_REQUIRED_FIELD")
    assert event_count(db_path) == before


def test_patching_a_user_id_is_invalid_field(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    before = event_count(db_path)
    response = client.patch(f"/users/{user['userId']}", json={"userId": user["userId"] + 1})
    assert_invalid(response, "INVALID_FIELD", "userId")
    assert event_count(db_path) == before
    assert client.get(f"/users/{user['userId']}").get_json() == user


@pytest.mark.parametrize(("field", "value", "code"), [
    ("firstName", "", "INVALID_LENGTH"),
    ("lastName", "x" * 101, "INVALID_LENGTH"),
    ("contactEmail", "nope", "INVALID_FORMAT"),
    ("firstName", None, "INVALID_FIELD"),
    ("lastName", 3, "INVALID_FIELD"),
])  # fmt: skip
def test_patching_a_user_with_a_bad_value_changes_nothing(
    client: FlaskClient, db_path: Path, field: str, value: object, code: str
) -> None:
    user = make_user(client)
    before = event_count(db_path)
    response = client.patch(f"/users/{user['userId']}", json={field: value})
    assert_invalid(response, code, field)
    assert event_count(db_path) == before
    assert client.get(f"/users/{user['userId']}").get_json() == user


def test_patching_an_email_to_another_users_address_in_other_case_is_duplicate_email(
    client: FlaskClient, db_path: Path
) -> None:
    make_user(client, contactEmail="taken@example.com")
    user = make_user(client, contactEmail="mine@example.com")
    before = event_count(db_path)
    response = client.patch(f"/users/{user['userId']}", json={"contactEmail": "Taken@Example.com"})
    assert_error(response, 400, "DUPLICATE_EMAIL")
    assert event_count(db_path) == before
    assert client.get(f"/users/{user['userId']}").get_json()["contactEmail"] == "mine@example.com"


def test_a_user_may_change_the_letter_case_of_their_own_email(client: FlaskClient) -> None:
    user = make_user(client, contactEmail="mine@example.com")
    response = client.patch(f"/users/{user['userId']}", json={"contactEmail": "Mine@Example.com"})
    assert response.status_code == 200
    assert response.get_json()["contactEmail"] == "Mine@Example.com"


def test_setting_user_fields_to_their_current_values_appends_nothing(client: FlaskClient, db_path: Path) -> None:
    body = user_body()
    user = client.post("/users", json=body).get_json()
    before = event_count(db_path)
    response = client.patch(f"/users/{user['userId']}", json=body)
    assert response.status_code == 200
    assert ordered(response.get_json()) == ordered(expected_user(user["userId"], body))
    assert event_count(db_path) == before


def test_a_user_change_appends_an_event(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client, firstName="Ada")
    before = event_count(db_path)
    assert client.patch(f"/users/{user['userId']}", json={"firstName": "Augusta"}).status_code == 200
    assert event_count(db_path) > before


def test_deleting_a_user_answers_204_with_no_body_and_the_user_is_gone(client: FlaskClient) -> None:
    user = make_user(client)
    response = client.delete(f"/users/{user['userId']}")
    assert response.status_code == 204
    assert response.data == b""
    gone = client.get(f"/users/{user['userId']}")
    body = assert_error(gone, 404, "RESOURCE_NOT_FOUND")
    assert str(user["userId"]) in body["message"]
    assert "user" in body["message"].lower()
    assert client.get("/users").get_json() == {"users": []}


def test_deleting_a_user_deletes_only_that_users_tasks(client: FlaskClient) -> None:
    doomed, keeper = make_user(client), make_user(client)
    doomed_tasks = [make_task(client, doomed["userId"], taskTitle=f"d{i}") for i in range(3)]
    kept = make_task(client, keeper["userId"], taskTitle="k")
    assert client.delete(f"/users/{doomed['userId']}").status_code == 204
    for task in doomed_tasks:
        assert_error(client.get(f"/tasks/{task['taskId']}"), 404, "RESOURCE_NOT_FOUND")
    assert client.get("/tasks").get_json() == {"tasks": [kept]}
    assert client.get(f"/tasks/{kept['taskId']}").get_json() == kept
    assert client.get("/users").get_json() == {"users": [keeper]}


def test_a_deleted_users_history_stays_in_the_log(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    make_task(client, user["userId"])
    before = event_count(db_path)
    assert client.delete(f"/users/{user['userId']}").status_code == 204
    assert event_count(db_path) > before


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_user_that_never_existed_is_404(client: FlaskClient, db_path: Path, method: str) -> None:
    user = make_user(client)
    missing = user["userId"] + 1000
    before = event_count(db_path)
    kwargs = {"json": {"firstName": "X"}} if method == "patch" else {}
    response = getattr(client, method)(f"/users/{missing}", **kwargs)
    body = assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert str(missing) in body["message"]
    assert "user" in body["message"].lower()
    assert event_count(db_path) == before


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_deleted_user_is_404_for_every_method(client: FlaskClient, db_path: Path, method: str) -> None:
    user = make_user(client)
    client.delete(f"/users/{user['userId']}")
    before = event_count(db_path)
    kwargs = {"json": {"firstName": "X"}} if method == "patch" else {}
    response = getattr(client, method)(f"/users/{user['userId']}", **kwargs)
    assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert event_count(db_path) == before


def test_a_deleted_users_id_is_never_given_again(client: FlaskClient) -> None:
    first, second = make_user(client), make_user(client)
    client.delete(f"/users/{second['userId']}")
    third = make_user(client)
    assert third["userId"] not in (first["userId"], second["userId"])
    client.delete(f"/users/{third['userId']}")
    client.delete(f"/users/{first['userId']}")
    fourth = make_user(client)
    assert fourth["userId"] not in (first["userId"], second["userId"], third["userId"])


def test_a_deleted_users_id_is_not_given_again_after_a_restart(client: FlaskClient, db_path: Path) -> None:
    issued = [make_user(client)["userId"] for _ in range(2)]
    client.delete(f"/users/{issued[-1]}")
    restarted = create_app(Config(database=str(db_path), tokens=(Token(name="tester", secret=TOKEN),)))
    other = restarted.test_client()
    response = other.post("/users", json=user_body(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 201
    assert response.get_json()["userId"] not in issued
