"""Properties of the reports, each checked against a direct computation written from the contract.

(a) For random sessions of task creates, patches and deletes over HTTP, GET /reminders for
a random `until` equals the reminders computed from the tasks GET /tasks lists, with
Python's own ISO 8601 reading (no offset is UTC) and datetime arithmetic.
(b) For random histories built with chosen recorded times (decide + append, no sleeping),
GET /tasks/stats equals the counts of a plain model and of GET /tasks, and the medians and
90th percentiles computed from the model's own record of when each status was entered.
"""

from __future__ import annotations

import statistics
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from api import create_app
from api.config import Config, Token
from taskstore import commands, decide
from taskstore.database import open_database
from taskstore.events import TaskStatus, task_stream
from taskstore.store import EventStore, Meta

STATUSES = ("NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DEFERRED", "COMPLETED", "CANCELLED")
FINISHED = ("COMPLETED", "CANCELLED")
ZONES = ["Z", "+00:00", "-05:00", "+05:30", "+23:59", ""]  # "" means UTC
DAY = datetime(2025, 6, 30)
META = Meta(request_id="req-00000000-0000-0000-0000-000000000000", actor="property")


USER = {"first_name": "Ada", "last_name": "Lovelace", "contact_email": "ada@example.com"}


@contextmanager
def api_client() -> Iterator[tuple[FlaskClient, Path]]:
    """A client of a fresh app on an empty database file of its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "taskstore.db"
        client = create_app(Config(database=str(path), tokens=(Token(name="p", secret="t"),))).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = "Bearer t"
        yield client, path


def named_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_text(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


@st.composite
def date_times(draw: st.DrawFn) -> str:
    """Mostly within three days (where offsets reorder and equal instants tie), some years apart."""
    local = draw(
        st.one_of(
            st.integers(0, 3 * 24 * 60).map(lambda minutes: DAY + timedelta(minutes=minutes)),
            st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)),
        )
    )
    digits = draw(st.sampled_from([0, 0, 3, 6]))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    return text + draw(st.sampled_from(ZONES))


offsets = st.one_of(st.sampled_from([0, 60, 1440, 64000]), st.integers(0, 64000))
creates = st.tuples(st.just("create"), date_times(), offsets, st.sampled_from(STATUSES))
patches = st.tuples(
    st.just("patch"),
    st.integers(0, 20),
    st.fixed_dictionaries(
        {},
        optional={
            "dueDate": date_times(),
            "warningOffset": offsets,
            "taskStatus": st.sampled_from(STATUSES),
            "taskTitle": st.just("renamed"),
        },
    ).filter(bool),
)
deletes = st.tuples(st.just("delete"), st.integers(0, 20))
sessions = st.lists(st.one_of(creates, creates, patches, patches, deletes), max_size=20)


def run_session(client: FlaskClient, session: list[Any]) -> None:
    created = 0
    for op in session:
        if op[0] == "create":
            _, due, offset, status = op
            body = {"userId": 1, "taskTitle": "t", "dueDate": due, "warningOffset": offset, "taskStatus": status}
            assert client.post("/tasks", json=body).status_code == 201
            created += 1
        elif created:
            task_id = op[1] % created + 1
            if op[0] == "patch":
                assert client.patch(f"/tasks/{task_id}", json=op[2]).status_code in (200, 404)
            else:
                assert client.delete(f"/tasks/{task_id}").status_code in (204, 404)


def listed_tasks(client: FlaskClient) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for page in range(1000):
        batch = client.get(f"/tasks?_perPage=100&_page={page}").get_json()["tasks"]
        tasks.extend(batch)
        if len(batch) < 100:
            return tasks
    raise AssertionError("too many pages")


def expected_reminders(tasks: list[dict[str, Any]], until: datetime) -> list[dict[str, Any]]:
    due = []
    for task in tasks:
        remind = named_instant(task["dueDate"]) - timedelta(minutes=task["warningOffset"])
        if task["taskStatus"] not in FINISHED and remind <= until:
            due.append((remind, task))
    due.sort(key=lambda pair: (pair[0], pair[1]["taskId"]))
    keys = ("taskId", "userId", "taskTitle", "taskStatus", "dueDate", "warningOffset")
    return [{**{k: task[k] for k in keys}, "remindAt": utc_text(remind)} for remind, task in due]


def listed_reminders(client: FlaskClient, until: str, per_page: int) -> tuple[list[dict[str, Any]], datetime, datetime]:
    """Every page of GET /reminders?until=..., and the wall-clock times around the requests."""
    items: list[dict[str, Any]] = []
    before = datetime.now(UTC)
    for page in range(1000):
        response = client.get(f"/reminders?until={quote(until)}&_perPage={per_page}&_page={page}")
        assert response.status_code == 200, response.get_json()
        batch = response.get_json()["reminders"]
        items.extend(batch)
        if len(batch) < per_page:
            return items, before, datetime.now(UTC)
    raise AssertionError("too many pages")


@given(session=sessions, data=st.data())
def test_reminders_equal_a_direct_computation_over_the_current_tasks(session: list[Any], data: st.DataObject) -> None:
    with api_client() as (client, _):
        body = {"firstName": "Ada", "lastName": "Lovelace", "contactEmail": "ada@example.com"}
        assert client.post("/users", json=body).status_code == 201
        run_session(client, session)
        tasks = listed_tasks(client)
        reminds = [named_instant(t["dueDate"]) - timedelta(minutes=t["warningOffset"]) for t in tasks]
        exact = [r.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + zone for r in reminds for zone in ("Z", "")]
        until = data.draw(st.one_of(date_times(), st.sampled_from(exact)) if exact else date_times(), label="until")
        per_page = data.draw(st.sampled_from([1, 2, 7, 100]), label="per_page")

        items, before, after = listed_reminders(client, until, per_page)

        assert [{k: v for k, v in item.items() if k != "overdue"} for item in items] == expected_reminders(
            tasks, named_instant(until)
        )
        for item in items:
            due = named_instant(item["dueDate"])
            if due < before or due >= after:  # else the request's own clock decides
                assert item["overdue"] is (due < before)


# ------------------------------------------------------------------- (b) statistics


@dataclass
class Model:
    """The live tasks: status now, when it was entered, and the time spent in each status left."""

    status: dict[int, str] = field(default_factory=dict)
    since: dict[int, datetime] = field(default_factory=dict)
    spent: dict[int, dict[str, timedelta]] = field(default_factory=dict)


history_steps = st.lists(
    st.tuples(
        st.sampled_from(["create", "move", "move", "move", "delete"]),
        st.integers(0, 30),
        st.sampled_from(STATUSES),
        st.integers(0, 10**10),  # microseconds since the previous step
    ),
    max_size=40,
)


def play(store: EventStore, steps: list[tuple[str, int, str, int]]) -> Model:
    """Append user 1, then each step, through decide with chosen times; record the same in a model."""
    model, created = Model(), 0
    now = datetime(2025, 1, 1, tzinfo=UTC)
    store.append("user-1", 0, decide.create_user(1, USER, None, now), META)
    for kind, pick, status, gap in steps:
        now += timedelta(microseconds=gap)
        if kind == "create":
            created += 1
            fields = {"user_id": 1, "title": "t", "status": TaskStatus(status), "due_date": "2025-06-30T17:00:00Z"}
            owner = commands.find_user(store, 1)
            events = decide.create_task(created, owner, {**fields, "warning_offset": 0}, now)
            store.append(task_stream(created), 0, events, META)
            model.status[created], model.since[created], model.spent[created] = status, now, {}
            continue
        task_id = pick % created + 1 if created else 0
        if task_id not in model.status:
            continue
        task = commands.load_task(store, task_id)
        if kind == "delete":
            store.append(task.stream_id, task.version, decide.delete_task(task, now), META)
            del model.status[task_id], model.since[task_id], model.spent[task_id]
        elif status != model.status[task_id]:
            store.append(
                task.stream_id, task.version, decide.update_task(task, {"status": TaskStatus(status)}, None, now), META
            )
            old = model.status[task_id]
            model.spent[task_id][old] = model.spent[task_id].get(old, timedelta()) + (now - model.since[task_id])
            model.status[task_id], model.since[task_id] = status, now
    return model


def expected_time_in_status(model: Model) -> dict[str, dict[str, Any]]:
    seconds: dict[str, list[float]] = defaultdict(list)
    for task_id, status in model.status.items():
        if status in FINISHED:
            for passed, spent in model.spent[task_id].items():
                seconds[passed].append(spent.total_seconds())
    summary = {}
    for status in STATUSES:
        if data := seconds[status]:
            p90 = data[0] if len(data) == 1 else statistics.quantiles(data, n=10, method="inclusive")[8]
            summary[status] = {
                "tasks": len(data),
                "medianSeconds": round(statistics.median(data), 3),
                "p90Seconds": round(p90, 3),
            }
    return summary


@given(steps=history_steps)
def test_stats_equal_the_counts_and_times_of_a_model_of_the_history(steps: list[tuple[str, int, str, int]]) -> None:
    with api_client() as (client, path):
        db = open_database(path)
        try:
            model = play(EventStore(db), steps)
        finally:
            db.close()

        body = client.get("/tasks/stats").get_json()

        listed = [task["taskStatus"] for task in listed_tasks(client)]
        modelled = list(model.status.values())
        assert body["counts"] == {s: modelled.count(s) for s in STATUSES} == {s: listed.count(s) for s in STATUSES}
        assert body["finished"]["tasks"] == sum(modelled.count(s) for s in FINISHED)
        assert body["finished"]["timeInStatus"] == expected_time_in_status(model)
