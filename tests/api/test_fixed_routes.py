"""/tasks/stats is its own route: other methods on it are its 405, not a bad task id."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import assert_error, make_task, make_user


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "OPTIONS", "POST", "PUT"])
def test_other_methods_on_task_stats_are_405_allowing_only_get(client: FlaskClient, method: str) -> None:
    response = client.open("/tasks/stats", method=method, json={"taskStatus": "BLOCKED"})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET"


def test_a_task_still_answers_every_method_beside_the_fixed_route(client: FlaskClient) -> None:
    task = make_task(client, make_user(client)["userId"])
    path = f"/tasks/{task['taskId']}"
    assert client.patch(path, json={"taskStatus": "BLOCKED"}).status_code == 200
    assert client.get(f"{path}/history").status_code == 200
    assert client.delete(path).status_code == 204
    assert_error(client.patch("/tasks/statsx", json={"taskStatus": "BLOCKED"}), 400, "INVALID_FIELD")
