"""Writers racing on one task through the real app on a file database: without If-Match
both PATCHes of different fields apply; with If-Match exactly one of two writers who read
the same version wins, and the other is told what it missed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.helpers import event_count, make_task, make_user
from tests.conftest import AUTH

ROUNDS = 15


def race(app: Flask, *requests: Callable[[FlaskClient], TestResponse]) -> list[TestResponse]:
    """Run each request from its own thread and client, released together."""
    barrier = threading.Barrier(len(requests))
    answers: list[TestResponse | None] = [None] * len(requests)

    def run(index: int) -> None:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
        barrier.wait()
        answers[index] = requests[index](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def test_concurrent_patches_of_different_fields_both_apply(app: Flask, client: FlaskClient, db_path: Path) -> None:
    task = make_task(client, make_user(client)["userId"])
    path = f"/tasks/{task['taskId']}"
    before = event_count(db_path)
    for round_ in range(ROUNDS):
        answers = race(
            app,
            lambda c, r=round_: c.patch(path, json={"taskTitle": f"title {r}"}),
            lambda c, r=round_: c.patch(path, json={"taskDescription": f"description {r}"}),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.get_json() for a in answers]
        now = client.get(path).get_json()
        assert (now["taskTitle"], now["taskDescription"]) == (f"title {round_}", f"description {round_}")
    assert event_count(db_path) == before + 2 * ROUNDS


def test_of_two_writers_naming_the_same_version_exactly_one_wins(
    app: Flask, client: FlaskClient, db_path: Path
) -> None:
    task = make_task(client, make_user(client)["userId"])
    path = f"/tasks/{task['taskId']}"
    for round_ in range(ROUNDS):
        seen = client.get(path).headers["ETag"]
        before = event_count(db_path)
        answers = race(
            app,
            lambda c, r=round_, s=seen: c.patch(path, json={"taskTitle": f"a {r}"}, headers={"If-Match": s}),
            lambda c, r=round_, s=seen: c.patch(path, json={"taskTitle": f"b {r}"}, headers={"If-Match": s}),
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 412], [a.get_json() for a in answers]
        winner = next(a for a in answers if a.status_code == 200).get_json()
        loser = next(a for a in answers if a.status_code == 412)
        assert [e["changes"][0]["new"] for e in loser.get_json()["missed"]] == [winner["taskTitle"]]
        assert loser.headers["ETag"] == client.get(path).headers["ETag"]
        assert event_count(db_path) == before + 1
