"""Time travel, for random histories: `asOf=P` answers exactly what the service answered
when the log ended at P, and, at every position, what a replay of the log up to P
through the pure folds gives (positions inside a cascade delete included)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from api import create_app
from api.config import Config, Token
from projections import asof
from taskstore.database import open_database
from taskstore.state import fold_task, fold_user
from taskstore.store import EventStore

STATUSES = ("NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DEFERRED", "COMPLETED", "CANCELLED")
TITLES = ("a", "B", "c", "a")

operations = st.lists(
    st.one_of(
        st.tuples(st.just("user")),
        st.tuples(st.just("task"), st.integers(0, 9), st.sampled_from(TITLES), st.sampled_from(STATUSES)),
        st.tuples(st.just("status"), st.integers(0, 9), st.sampled_from(STATUSES)),
        st.tuples(st.just("retitle"), st.integers(0, 9), st.sampled_from(TITLES)),
        st.tuples(st.just("reassign"), st.integers(0, 9), st.integers(0, 9)),
        st.tuples(st.just("delete_task"), st.integers(0, 9)),
        st.tuples(st.just("delete_user"), st.integers(0, 9)),
    ),
    max_size=25,
)


def everything(client: FlaskClient, collection: str, query: str = "") -> list[dict[str, Any]]:
    """Every item of a collection, page by page."""
    items: list[dict[str, Any]] = []
    for page in range(1000):
        response = client.get(f"/{collection}?_perPage=7&_page={page}{query}")
        assert response.status_code == 200, response.get_json()
        batch = response.get_json()[collection]
        if not batch:
            return items
        items.extend(batch)
    raise AssertionError("too many pages")


def pick(ids: list[int], index: int) -> int:
    return ids[index % len(ids)] if ids else 1


def run(client: FlaskClient, op: tuple[Any, ...], users: list[int], tasks: list[int]) -> None:
    """Send one request; remember the ids the service gave out."""
    match op:
        case ("user",):
            body = {"firstName": "F", "lastName": "L", "contactEmail": f"u{len(users)}@example.com"}
            users.append(client.post("/users", json=body).get_json()["userId"])
        case ("task", who, title, status):
            body = {
                "userId": pick(users, who),
                "taskTitle": title,
                "taskStatus": status,
                "dueDate": "2025-06-30T17:00:00-05:00",
                "warningOffset": 10,
            }
            response = client.post("/tasks", json=body)
            if response.status_code == 201:
                tasks.append(response.get_json()["taskId"])
        case ("status", which, status):
            client.patch(f"/tasks/{pick(tasks, which)}", json={"taskStatus": status})
        case ("retitle", which, title):
            client.patch(f"/tasks/{pick(tasks, which)}", json={"taskTitle": title})
        case ("reassign", which, who):
            client.patch(f"/tasks/{pick(tasks, which)}", json={"userId": pick(users, who)})
        case ("delete_task", which):
            client.delete(f"/tasks/{pick(tasks, which)}")
        case ("delete_user", who):
            client.delete(f"/users/{pick(users, who)}")


def folded(store: EventStore, position: int, users: list[int], tasks: list[int]) -> tuple[list[Any], list[Any]]:
    """Users and tasks after `position`, by the pure folds over each stream's events up to it."""
    live_users = []
    for user_id in users:
        user = fold_user(r.event for r in store.read_stream(f"user-{user_id}") if r.position <= position)
        if user is not None and not user.deleted:
            live_users.append([user.user_id, user.first_name, user.last_name, user.contact_email])
    live_tasks = []
    for task_id in tasks:
        task = fold_task(r.event for r in store.read_stream(f"task-{task_id}") if r.position <= position)
        if task is not None and not task.deleted:
            live_tasks.append([task.task_id, task.user_id, task.title, task.description, str(task.status)])
    return live_users, live_tasks


def as_rows(users: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    keys = ("taskId", "userId", "taskTitle", "taskDescription", "taskStatus")
    return [list(u.values()) for u in users], [[t[k] for k in keys] for t in tasks]


@contextmanager
def service() -> Iterator[tuple[FlaskClient, EventStore]]:
    """A client of the app on a fresh database file, and the store on that file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.db"
        app = create_app(Config(database=str(path), tokens=(Token(name="t", secret="t"),)))
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = "Bearer t"
        store = EventStore(open_database(path))
        try:
            yield client, store
        finally:
            store.db.close()


@given(ops=operations)
def test_as_of_a_position_is_what_the_service_said_then_and_what_the_log_replays_to(ops: list[Any]) -> None:
    with service() as (client, store):
        users: list[int] = []
        tasks: list[int] = []
        seen: dict[int, tuple[Any, ...]] = {0: ([], [], [])}
        for op in ops:
            run(client, op, users, tasks)
            seen[store.last_position()] = (
                everything(client, "users"),
                everything(client, "tasks"),
                everything(client, "tasks", "&_sort=-taskTitle&taskStatus=NOT_STARTED"),
            )
        for position, (then_users, then_tasks, then_filtered) in seen.items():
            assert everything(client, "users", f"&asOf={position}") == then_users
            assert everything(client, "tasks", f"&asOf={position}") == then_tasks
            query = f"&_sort=-taskTitle&taskStatus=NOT_STARTED&asOf={position}"
            assert everything(client, "tasks", query) == then_filtered
            for task in then_tasks:
                assert client.get(f"/tasks/{task['taskId']}?asOf={position}").get_json() == task
        for position in range(store.last_position() + 1):
            expected = folded(store, position, users, tasks)
            assert (
                as_rows(
                    everything(client, "users", f"&asOf={position}"), everything(client, "tasks", f"&asOf={position}")
                )
                == expected
            )
            for task_id in tasks:
                response = client.get(f"/tasks/{task_id}?asOf={position}")
                assert (response.status_code == 200) == (task_id in [t[0] for t in expected[1]])


@given(ops=operations, data=st.data(), keep=st.integers(0, 3), min_stride=st.integers(1, 4))
def test_as_of_points_asked_in_any_order_replay_to_the_same_state_from_whatever_was_kept(
    ops: list[Any], data: st.DataObject, keep: int, min_stride: int
) -> None:
    """Each new point starts from a state kept for an earlier question (a point, or a copy left
    every stride by a replay) and replays only the rest: whatever was kept and in whatever
    order the points come, the answer is the fold of the log up to the point."""
    saved = asof.MIN_STRIDE, asof.KEEP_ANCHORS, asof.KEEP_POINTS
    asof.MIN_STRIDE, asof.KEEP_ANCHORS, asof.KEEP_POINTS = min_stride, keep, max(keep, 1)
    asof.clear()
    try:
        with service() as (client, store):
            users: list[int] = []
            tasks: list[int] = []
            for op in ops:
                run(client, op, users, tasks)
            last = store.last_position()
            points = data.draw(st.lists(st.integers(0, max(last - 1, 0)), max_size=12))
            for position in points:
                answered = as_rows(
                    everything(client, "users", f"&asOf={position}"), everything(client, "tasks", f"&asOf={position}")
                )
                assert answered == folded(store, position, users, tasks)
    finally:
        asof.MIN_STRIDE, asof.KEEP_ANCHORS, asof.KEEP_POINTS = saved
        asof.clear()
