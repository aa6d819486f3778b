from flask.testing import FlaskClient

from tests.api.helpers import event_count


def test_a_body_that_repeats_a_key_is_refused_and_creates_nothing(client: FlaskClient, db_path) -> None:
    body = b'{"firstName": "A", "firstName": "B", "lastName": "L", "contactEmail": "twice@example.com"}'
    before = event_count(db_path)
    reply = client.post("/users", data=body, content_type="application/json")
    assert reply.status_code == 400
    assert reply.json["code"] == "INVALID_FORMAT"
    assert "firstName" in reply.json["message"]
    assert event_count(db_path) == before


def test_a_duplicate_email_names_the_field_in_details(client: FlaskClient) -> None:
    client.post("/users", json={"firstName": "A", "lastName": "B", "contactEmail": "dup@example.com"})
    reply = client.post("/users", json={"firstName": "C", "lastName": "D", "contactEmail": "DUP@example.com"})
    assert reply.status_code == 400
    assert reply.json["code"] == "DUPLICATE_EMAIL"
    assert [(d["field"], d["location"]) for d in reply.json["details"]] == [("contactEmail", "body")]


def test_an_unknown_owner_names_the_field_in_details(client: FlaskClient) -> None:
    task = {"userId": 424242, "taskTitle": "t", "dueDate": "2025-06-30T17:00:00Z", "warningOffset": 1}
    reply = client.post("/tasks", json=task)
    assert reply.json["code"] == "INVALID_USER_ID"
    assert [(d["field"], d["location"]) for d in reply.json["details"]] == [("userId", "body")]
