"""Property: for random collections, page sizes, filters and sorts, following `next` from
`first` visits every matching item exactly once, in the model's order, and every page's
X-Total-Count is the model's count."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from api import create_app
from api.config import Config, Token
from projections.replay import ViewLookups
from taskstore import commands
from taskstore.database import open_database
from taskstore.events import TaskStatus
from taskstore.store import EventStore, Meta
from tests.api.pagination_links import links, next_url, total
from tests.conftest import AUTH, TOKEN

META = Meta(request_id="req-00000000-0000-0000-0000-000000000000", actor="tester")
WORDS = st.sampled_from(["alpha", "Beta", "beta", "gamma", "Zeta"])
TASK = st.fixed_dictionaries(
    {
        "owner": st.integers(0, 2),
        "title": WORDS,
        "status": st.sampled_from(TaskStatus),
        "warning_offset": st.integers(0, 3),
    }
)
TASK_SORTS = {"taskId": "task_id", "userId": "user_id", "taskTitle": "title", "taskStatus": "status"}
TASK_SORTS |= {"warningOffset": "warning_offset"}
USER_SORTS = {"userId": "user_id", "firstName": "first_name", "lastName": "last_name"}


def fresh_app(directory: str) -> Flask:
    return create_app(Config(database=str(Path(directory) / "db"), tokens=(Token("tester", TOKEN),)))


def create_tasks(app: Flask, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Three users and the tasks, in one transaction; each task's model row, with its id."""
    store = EventStore(open_database(app.extensions["taskstore.config"].database))
    try:
        with store.transaction():
            owners = [_user(store, f"u{i}@example.com", "Ada", "Lovelace").user_id for i in range(3)]
            return [_task(store, {**spec, "user_id": owners[spec["owner"]]}) for spec in specs]
    finally:
        store.db.close()


def model_order(rows: list[dict[str, Any]], id_key: str, sort: str, columns: dict[str, str]) -> list[int]:
    """Ids ordered by the sort column (descending with `-`), ties by id ascending."""
    by_id = sorted(rows, key=lambda row: row[id_key])
    ordered = sorted(by_id, key=lambda row: row[columns[sort.lstrip("-")]], reverse=sort.startswith("-"))
    return [row[id_key] for row in ordered]


def walk(app: Flask, path: str, params: dict[str, Any], key: str, id_field: str) -> tuple[list[int], list[int]]:
    """Follow `next` from the `first` link: every id seen in order, and each page's total."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    start = client.get(f"{path}?{urlencode(params)}")
    first_path, first_params = links(start)["first"]
    url: str | None = f"{first_path}?{urlencode(first_params)}"
    seen, totals = [], []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        seen += [item[id_field] for item in response.get_json()[key]]
        totals.append(total(response))
        url = next_url(response)
        assert len(totals) <= 200, "the links never end"
    assert links(response)["last"] == links(start)["last"]
    return seen, totals


@given(
    specs=st.lists(TASK, max_size=25),
    per_page=st.integers(1, 8),
    status=st.none() | st.sampled_from(TaskStatus),
    sort=st.sampled_from([*TASK_SORTS, *(f"-{name}" for name in TASK_SORTS)]),
)
def test_following_next_visits_every_matching_task_once_in_order(
    specs: list[dict[str, Any]], per_page: int, status: TaskStatus | None, sort: str
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = fresh_app(directory)
        rows = create_tasks(app, specs)
        matching = [row for row in rows if status is None or row["status"] == status]
        params: dict[str, Any] = {"_sort": sort, "_perPage": per_page}
        if status is not None:
            params["taskStatus"] = str(status)
        seen, totals = walk(app, "/tasks", params, "tasks", "taskId")
        assert seen == model_order(matching, "task_id", sort, TASK_SORTS)
        assert totals == [len(matching)] * max(1, -(-len(matching) // per_page))


@given(
    names=st.lists(st.tuples(WORDS, WORDS), max_size=20),
    per_page=st.integers(1, 6),
    sort=st.sampled_from([*USER_SORTS, *(f"-{name}" for name in USER_SORTS)]),
)
def test_following_next_visits_every_user_once_in_order(names: list[tuple[str, str]], per_page: int, sort: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = fresh_app(directory)
        store = EventStore(open_database(app.extensions["taskstore.config"].database))
        with store.transaction():
            made = [_user(store, f"p{i}@example.com", first, last) for i, (first, last) in enumerate(names)]
        store.db.close()
        rows = [{"user_id": u.user_id, "first_name": u.first_name, "last_name": u.last_name} for u in made]
        seen, totals = walk(app, "/users", {"_sort": sort, "_perPage": per_page}, "users", "userId")
        assert seen == model_order(rows, "user_id", sort, USER_SORTS)
        assert totals == [len(rows)] * max(1, -(-len(rows) // per_page))


def _user(store: EventStore, email: str, first: str, last: str) -> Any:
    fields = {"first_name": first, "last_name": last, "contact_email": email}
    return commands.create_user(store, ViewLookups(store.db), fields, META)


def _task(store: EventStore, spec: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "user_id": spec["user_id"],
        "title": spec["title"],
        "description": None,
        "status": spec["status"],
        "due_date": "2025-06-30T17:00:00Z",
        "warning_offset": spec["warning_offset"],
    }
    task = commands.create_task(store, fields, META)
    return {"task_id": task.task_id, **{k: spec[k] for k in ("user_id", "title", "status", "warning_offset")}}
