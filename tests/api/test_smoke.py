from flask.testing import FlaskClient


def test_a_created_task_reads_back_with_every_field_in_order(client: FlaskClient) -> None:
    user = client.post("/users", json={"firstName": "Ada", "lastName": "L", "contactEmail": "ada@example.com"})
    assert user.status_code == 201
    body = {"userId": user.json["userId"], "taskTitle": "t", "dueDate": "2025-06-30T17:00:00-05:00", "warningOffset": 5}
    created = client.post("/tasks", json=body)
    assert created.status_code == 201
    read = client.get(f"/tasks/{created.json['taskId']}")
    assert list(read.json) == [
        "taskId",
        "userId",
        "taskTitle",
        "taskDescription",
        "taskStatus",
        "dueDate",
        "warningOffset",
    ]
    assert read.json == created.json
