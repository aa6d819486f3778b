"""Random sessions against the HTTP API, checked after every step against a plain in-memory model.

The model is a few dicts and sets written from the contract (`SPEC.md`); nothing in it
comes from the production code. Besides every response, each step checks the log
(append-only, gap-free, contiguous versions, nothing appended by a failed request or by
a change that changes nothing) and the read models (the per-status views partition the
live tasks; a rebuild from the log reproduces every read model exactly).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from werkzeug.test import TestResponse

from api import create_app
from api.config import Config, Token
from projections.replay import rebuild, snapshot
from taskstore.database import open_database
from taskstore.store import EventStore

SECRET = "t"
USER_FIELDS = ("userId", "firstName", "lastName", "contactEmail")
TASK_FIELDS = ("taskId", "userId", "taskTitle", "taskDescription", "taskStatus", "dueDate", "warningOffset")
STATUSES = ("NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DEFERRED", "COMPLETED", "CANCELLED")
USER_SORTS = ("userId", "firstName", "lastName", "contactEmail")
TASK_SORTS = ("taskId", "userId", "taskTitle", "taskStatus", "dueDate", "warningOffset")
REQUEST_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOO_BIG = 2**63  # one past the largest integer SQLite can hold
HUGE = 10**40  # an integer no id or page number can reach
MISSING = object()  # a corruption that removes a required field
NO_BODY = object()

LENGTH, RANGE, FORMAT, FIELD = {"INVALID_LENGTH"}, {"INVALID_RANGE"}, {"INVALID_FORMAT"}, {"INVALID_FIELD"}
REQUIRED, STATUS = {"MISSING_REQUIRED_FIELD"}, {"INVALID_STATUS"}

# ---------------------------------------------------------------- values a client sends

# A few letters that make ties and code-point order matter (both cases, accents, CJK, an
# emoji outside the BMP), and any printable character for the rest.
FEW = "aAbB zéÉß字😀"
ANY_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def texts(max_size: int) -> st.SearchStrategy[str]:
    """1 to `max_size` characters (code points), including exactly `max_size` astral ones."""
    return st.one_of(
        st.text(st.sampled_from("aAbB"), min_size=1, max_size=2),  # ties, and a < B only when case is ignored
        st.text(st.sampled_from(FEW), min_size=1, max_size=3),
        st.text(ANY_CHAR, min_size=1, max_size=max_size),
        st.text(st.sampled_from("😀é"), min_size=max_size, max_size=max_size),
    )


names = texts(100)
titles = texts(80)
descriptions = texts(255)
statuses = st.sampled_from(STATUSES)
warning_offsets = st.one_of(st.sampled_from([0, 1, 64000]), st.integers(0, 64000))
# Emails are ASCII, so "the same address in another case" has one meaning.
emails = st.builds(
    "{}@{}".format,
    st.text(st.sampled_from("abcXYZ0189"), min_size=1, max_size=8),
    st.sampled_from(["example.com", "Example.ORG", "mail.example.net"]),
)

# Most due dates fall within two days, where offsets reorder them (17:00-05:00 is 22:00Z,
# after 21:00Z) and equal instants written differently tie; a few are years apart.
DAY = datetime(2025, 6, 30)
ZONES = ["Z", "+00:00", "-05:00", "+05:30", ""]  # "" means UTC


@st.composite
def due_dates(draw: st.DrawFn) -> str:
    local = draw(
        st.one_of(
            st.integers(0, 2 * 24 * 60).map(lambda minutes: DAY + timedelta(minutes=minutes, microseconds=123456)),
            st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)),
        )
    )
    digits = draw(st.sampled_from([0, 3, 6]))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    return text + draw(st.sampled_from(ZONES))


# What a creation sends besides the owner; MISSING leaves an optional field out.
task_bodies = st.fixed_dictionaries(
    {
        "title": titles,
        "due": due_dates(),
        "offset": warning_offsets,
        "description": st.one_of(st.just(MISSING), st.none(), descriptions),
        "status": st.one_of(st.just(MISSING), statuses),
    }
)


def named_instant(text: str) -> datetime:
    """The instant a due date names, by Python's own reading of ISO 8601; no offset is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


BAD_DATES = [
    "2025-06-30",
    "2025-06-30Z",
    "30/06/2025 17:00",
    "2025-13-01T00:00:00Z",
    "2025-06-30T25:00:00Z",
    "2025-06-30T17:00:00+24:00",
    "tomorrow",
]

# (field, value, the codes the contract allows); MISSING removes the field.
USER_CORRUPTIONS: list[tuple[str, Any, set[str]]] = [
    ("firstName", "", LENGTH),
    ("firstName", "ß" * 101, LENGTH),
    ("firstName", 7, FIELD),
    ("lastName", "", LENGTH),
    ("lastName", "😀" * 101, LENGTH),
    ("lastName", False, FIELD),
    ("contactEmail", "not-an-email", FORMAT),
    ("contactEmail", "a@", FORMAT),
    ("contactEmail", "@example.com", FORMAT),
    ("contactEmail", "a b@example.com", FORMAT),
    ("contactEmail", 5, FIELD),
    ("userId", 1, FIELD),
    ("nickname", "x", FIELD),
]
USER_MISSING = [(name, MISSING, REQUIRED) for name in ("firstName", "lastName", "contactEmail")]
TASK_CORRUPTIONS: list[tuple[str, Any, set[str]]] = [
    ("userId", "1", FIELD),
    ("userId", 1.5, FIELD),
    ("userId", True, FIELD),
    ("taskTitle", "", LENGTH),
    ("taskTitle", "x" * 81, LENGTH),
    ("taskTitle", "😀" * 81, LENGTH),
    ("taskTitle", 7, FIELD),
    ("taskDescription", "", LENGTH),
    ("taskDescription", "é" * 256, LENGTH),
    ("taskDescription", ["a"], FIELD),
    ("taskStatus", "DONE", STATUS),
    ("taskStatus", "in_progress", STATUS),
    ("taskStatus", 1, STATUS | FIELD),
    *[("dueDate", bad, FORMAT) for bad in BAD_DATES],
    ("dueDate", 1751320800, FIELD | FORMAT),
    ("warningOffset", -1, RANGE),
    ("warningOffset", 64001, RANGE),
    ("warningOffset", HUGE, RANGE),
    ("warningOffset", "30", FIELD),
    ("warningOffset", "\uff13\uff10", FIELD),  # fullwidth digits
    ("warningOffset", 15.5, FIELD),
    ("warningOffset", 64000.9, FIELD),
    ("warningOffset", True, FIELD),
    ("taskId", 1, FIELD),
    ("priority", "high", FIELD),
]
TASK_MISSING = [(name, MISSING, REQUIRED) for name in ("userId", "taskTitle", "dueDate", "warningOffset")]

ALLOWED = {"DELETE on a list": {"GET", "POST"}, "PUT on a user": {"GET", "PATCH", "DELETE"}}
BAD_PAGES = [("-1", RANGE), ("abc", FIELD), ("1.5", FIELD), ("", FIELD)]
BAD_PER_PAGES = [("0", RANGE), ("101", RANGE), ("-3", RANGE), ("x", FIELD), ("2.0", FIELD)]


def query_corruptions(sorts: tuple[str, ...], with_status: bool) -> list[tuple[str, str, set[str]]]:
    bad = [("_page", value, codes) for value, codes in BAD_PAGES]
    bad += [("_perPage", value, codes) for value, codes in BAD_PER_PAGES]
    bad += [("_sort", value, FIELD) for value in ("taskDescription", "+" + sorts[1], "--" + sorts[1], "", "id")]
    bad += [(name, "1", FIELD) for name in ("page", "sort", "q")]
    if with_status:
        bad += [("taskStatus", value, STATUS) for value in ("DONE", "not_started", "")]
    else:
        bad += [("taskStatus", "COMPLETED", FIELD)]
    return bad


def sorts(fields: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(fields).flatmap(lambda f: st.sampled_from([f, "-" + f]))


def list_params(fields: tuple[str, ...], with_status: bool) -> st.SearchStrategy[dict[str, Any]]:
    optional: dict[str, st.SearchStrategy[Any]] = {
        "_page": st.one_of(st.integers(0, 4), st.sampled_from([10**6, TOO_BIG])),
        "_perPage": st.one_of(st.integers(1, 4), st.integers(1, 100)),
        "_sort": sorts(fields),
    }
    if with_status:
        optional["taskStatus"] = statuses
    return st.fixed_dictionaries({}, optional=optional)


def in_order(items: list[dict[str, Any]], id_field: str, sort: str | None) -> list[dict[str, Any]]:
    """The contract's order: by `sort` (dueDate by instant), ties by id ascending; no sort is by id."""
    ordered = sorted(items, key=lambda item: item[id_field])
    if sort:
        field = sort.lstrip("-")
        key: Callable[[dict[str, Any]], Any] = (
            (lambda item: named_instant(item[field])) if field == "dueDate" else (lambda item: item[field])
        )
        ordered.sort(key=key, reverse=sort.startswith("-"))  # stable: ties stay by id ascending
    return ordered


def unknown_ids(largest_given: int) -> list[int]:
    return [largest_given + 1, 0, -1, TOO_BIG]


def ids_from(live: Collection[int], gone: Collection[int], unknown: list[int]) -> st.SearchStrategy[int]:
    """Three parts live ids to one part each gone and unknown ones; unknown ones if nothing else."""
    options = [st.sampled_from(sorted(live))] * 3 if live else []
    if gone:
        options.append(st.sampled_from(sorted(gone)))
    if unknown or not options:
        options.append(st.sampled_from(unknown or unknown_ids(0)))
    return st.one_of(options)


def corrupt(body: dict[str, Any], bad: list[tuple[str, Any, set[str]]]) -> None:
    """Apply each corruption to `body`: set the bad value, or remove the field for MISSING."""
    for field, value, _ in bad:
        if value is MISSING:
            body.pop(field, None)
        else:
            body[field] = value


def path(base: str, *parts: object, slash: bool = False) -> str:
    """`/base/part...`, with a trailing slash if asked (the same resource, never a redirect)."""
    text = "/".join([base, *(str(p) for p in parts)])
    return text + "/" if slash else text


class ApiSession(RuleBasedStateMachine):
    """One client session against a fresh service on a fresh database file."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="taskstore-")
        self.database = str(Path(self.directory) / "taskstore.db")
        self.app = create_app(Config(database=self.database, tokens=(Token(name="tester", secret=SECRET),)))
        self.client = self.app.test_client()
        self.client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {SECRET}"
        self.reader = sqlite3.connect(self.database)
        self.reader.row_factory = sqlite3.Row
        # The model: live resources as the API shows them, every id ever gone, the largest ids given.
        self.users: dict[int, dict[str, Any]] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.gone_users: set[int] = set()
        self.gone_tasks: set[int] = set()
        self.gone_emails: list[str] = []
        self.max_user_id = 0
        self.max_task_id = 0
        self.rows: list[dict[str, Any]] = []  # every event row seen so far, in position order
        self.request_ids: set[str] = set()
        self.steps = 0

    def teardown(self) -> None:
        self.reader.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    # ------------------------------------------------------------------ talking to the API

    def send(
        self,
        method: str,
        url: str,
        *,
        body: Any = NO_BODY,
        raw: str | None = None,
        content_type: str = "application/json",
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> tuple[TestResponse, list[dict[str, Any]]]:
        """Send one request; return the response and the event rows it appended."""
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if body is not NO_BODY:
            kwargs["data"] = json.dumps(body, ensure_ascii=len(self.rows) % 2 == 0)
            kwargs["content_type"] = "application/json"
        elif raw is not None:
            kwargs["data"], kwargs["content_type"] = raw, content_type
        if query is not None:
            kwargs["query_string"] = urlencode({k: str(v) for k, v in query.items()})
        client = self.app.test_client() if anonymous else self.client
        response = client.open(url, method=method, **kwargs)
        event(f"{method} {url.split('/')[1]} -> {response.status_code}")
        self.check_shape(response)
        return response, self.new_rows()

    def check_shape(self, response: TestResponse) -> None:
        assert not 300 <= response.status_code < 400, f"redirected to {response.headers.get('Location')}"
        if response.status_code == 204:
            assert response.get_data() == b""
            return
        assert response.mimetype == "application/json", response.get_data(as_text=True)
        if response.status_code < 400:
            return
        body = response.get_json()
        assert {"code", "message", "requestId"} <= set(body) <= {"code", "message", "details", "requestId"}, body
        assert REQUEST_ID.fullmatch(body["requestId"]), body
        assert response.headers.get("X-Request-Id") == body["requestId"]
        assert body["requestId"] not in self.request_ids, "a request id was used twice"
        self.request_ids.add(body["requestId"])

    def new_rows(self) -> list[dict[str, Any]]:
        """The event rows appended since the last look; the rows seen before must be untouched."""
        rows = [dict(row) for row in self.reader.execute("SELECT * FROM events ORDER BY position")]
        assert rows[: len(self.rows)] == self.rows, "an event already written changed or vanished"
        appended = rows[len(self.rows) :]
        self.rows = rows
        return appended

    def expect_error(
        self,
        sent: tuple[TestResponse, list[dict[str, Any]]],
        status: int,
        codes: set[str],
        fields: set[str] | None = None,
        location: str = "body",
    ) -> dict[str, Any]:
        response, appended = sent
        assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
        body: dict[str, Any] = response.get_json()
        assert body["code"] in codes, body
        assert appended == [], "a failed request appended events"
        if fields is not None:
            details = body.get("details") or []
            assert {d["field"] for d in details} == fields, body
            assert {d["location"] for d in details} == {location}, body
        return body

    def expect_not_found(self, sent: tuple[TestResponse, list[dict[str, Any]]], kind: str, item_id: object) -> None:
        body = self.expect_error(sent, 404, {"RESOURCE_NOT_FOUND"})
        assert kind in body["message"].lower() and str(item_id) in body["message"], body

    def expect_success(
        self, sent: tuple[TestResponse, list[dict[str, Any]]], status: int, fields: tuple[str, ...]
    ) -> Any:
        response, _ = sent
        assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
        body = response.get_json()
        assert list(body) == list(fields), "every field, in the contract's order"
        return body

    # ------------------------------------------------------------------ choosing ids

    def user_ids(self, live: bool = True, gone: bool = True, unknown: bool = True) -> st.SearchStrategy[int]:
        """Mostly live users, sometimes deleted ones or ids never given (0, -1, past the end)."""
        return ids_from(
            self.users if live else (),
            self.gone_users if gone else (),
            unknown_ids(self.max_user_id) if unknown else [],
        )

    def task_ids(self) -> st.SearchStrategy[int]:
        return ids_from(self.tasks, self.gone_tasks, unknown_ids(self.max_task_id))

    def email_variants(self, addresses: list[str]) -> st.SearchStrategy[str]:
        return st.sampled_from(sorted(addresses)).flatmap(
            lambda e: st.sampled_from([e, e.upper(), e.lower(), e.swapcase()])
        )

    def owner_of_email(self, email: str) -> int | None:
        return next((uid for uid, u in self.users.items() if u["contactEmail"].lower() == email.lower()), None)

    # ------------------------------------------------------------------ users

    @initialize(data=st.data(), people=st.lists(st.tuples(names, names, emails), min_size=1, max_size=3))
    def start_with_a_few_users_and_tasks(self, data: st.DataObject, people: list[tuple[str, str, str]]) -> None:
        for first, last, email in people:
            self.post_user(first, last, email)
        for _ in range(data.draw(st.integers(0, 4), label="tasks")):
            self.post_task(data.draw(self.user_ids(gone=False, unknown=False), label="owner"), **data.draw(task_bodies))

    @rule(data=st.data(), first=names, last=names, slash=st.booleans())
    def create_user(self, data: st.DataObject, first: str, last: str, slash: bool) -> None:
        options = [emails]
        if self.users:
            options.append(self.email_variants([u["contactEmail"] for u in self.users.values()]))
        if self.gone_emails:
            options.append(self.email_variants(self.gone_emails))
        self.post_user(first, last, data.draw(st.one_of(options), label="email"), slash)

    def post_user(self, first: str, last: str, email: str, slash: bool = False) -> None:
        sent = self.send(
            "POST", path("/users", slash=slash), body={"firstName": first, "lastName": last, "contactEmail": email}
        )
        if self.owner_of_email(email) is not None:
            self.expect_error(sent, 400, {"DUPLICATE_EMAIL"})
            return
        body = self.expect_success(sent, 201, USER_FIELDS)
        user_id = body["userId"]
        assert type(user_id) is int and user_id > self.max_user_id, "ids grow and are never reused"
        assert body == {"userId": user_id, "firstName": first, "lastName": last, "contactEmail": email}
        assert len(sent[1]) >= 1, "a creation is an event"
        self.users[user_id] = body
        self.max_user_id = user_id

    @rule(data=st.data(), slash=st.booleans())
    def patch_user(self, data: st.DataObject, slash: bool) -> None:
        user_id = data.draw(self.user_ids(), label="user_id")
        current = self.users.get(user_id)
        keys = ["firstName", "lastName"] + (["contactEmail"] if current else [])
        chosen = data.draw(st.sets(st.sampled_from(keys), min_size=1), label="fields")
        fields: dict[str, Any] = {}
        for key in sorted(chosen):
            if key == "contactEmail":
                assert current is not None
                others = [u["contactEmail"] for u in self.users.values()]
                options = [emails, self.email_variants(others)]  # includes its own, in any case
                if self.gone_emails:
                    options.append(self.email_variants(self.gone_emails))
                fields[key] = data.draw(st.one_of(options), label=key)
            else:
                fields[key] = data.draw(st.one_of(st.just(current[key]), names) if current else names, label=key)
        sent = self.send("PATCH", path("/users", user_id, slash=slash), body=fields)
        if current is None:
            self.expect_not_found(sent, "user", user_id)
            return
        owner = self.owner_of_email(fields["contactEmail"]) if "contactEmail" in fields else None
        if owner not in (None, user_id):
            self.expect_error(sent, 400, {"DUPLICATE_EMAIL"})
            return
        updated = {**current, **fields}
        assert self.expect_success(sent, 200, USER_FIELDS) == updated
        assert bool(sent[1]) == (updated != current), "an event exactly when something changed"
        self.users[user_id] = updated

    @rule(data=st.data(), slash=st.booleans())
    def delete_user(self, data: st.DataObject, slash: bool) -> None:
        user_id = data.draw(self.user_ids(), label="user_id")
        sent = self.send("DELETE", path("/users", user_id, slash=slash))
        if user_id not in self.users:
            self.expect_not_found(sent, "user", user_id)
            return
        response, appended = sent
        assert response.status_code == 204, response.get_data(as_text=True)
        their_tasks = [tid for tid, task in self.tasks.items() if task["userId"] == user_id]
        assert len(appended) >= 1 + len(their_tasks), "the user and each of their tasks go, each as an event"
        for task_id in their_tasks:
            del self.tasks[task_id]
            self.gone_tasks.add(task_id)
        self.gone_emails.append(self.users.pop(user_id)["contactEmail"])
        self.gone_users.add(user_id)

    # ------------------------------------------------------------------ tasks

    @rule(data=st.data(), fields=task_bodies, slash=st.booleans())
    def create_task(self, data: st.DataObject, fields: dict[str, Any], slash: bool) -> None:
        owner = data.draw(st.one_of(self.user_ids(), self.user_ids(gone=False, unknown=False)), label="owner")
        self.post_task(owner, **fields, slash=slash)

    def post_task(
        self, owner: int, title: str, due: str, offset: int, description: Any, status: Any, slash: bool = False
    ) -> None:
        body = {"userId": owner, "taskTitle": title, "dueDate": due, "warningOffset": offset}
        if description is not MISSING:
            body["taskDescription"] = description
        if status is not MISSING:
            body["taskStatus"] = status
        sent = self.send("POST", path("/tasks", slash=slash), body=body)
        if owner not in self.users:
            self.expect_error(sent, 400, {"INVALID_USER_ID"})
            return
        created = self.expect_success(sent, 201, TASK_FIELDS)
        task_id = created["taskId"]
        assert type(task_id) is int and task_id > self.max_task_id, "ids grow and are never reused"
        expected = {
            "taskId": task_id,
            "userId": owner,
            "taskTitle": title,
            "taskDescription": None if description is MISSING else description,
            "taskStatus": "NOT_STARTED" if status is MISSING else status,
            "dueDate": due,
            "warningOffset": offset,
        }
        assert created == expected
        assert len(sent[1]) >= 1, "a creation is an event"
        self.tasks[task_id] = expected
        self.max_task_id = task_id

    @rule(data=st.data(), slash=st.booleans())
    def patch_task(self, data: st.DataObject, slash: bool) -> None:
        task_id = data.draw(self.task_ids(), label="task_id")
        current = self.tasks.get(task_id)
        keys = ["taskTitle", "taskDescription", "taskStatus", "dueDate", "warningOffset"]
        if self.users:
            keys.append("userId")
        new_values: dict[str, st.SearchStrategy[Any]] = {
            "taskTitle": titles,
            "taskDescription": st.one_of(st.none(), descriptions),
            "taskStatus": statuses,
            "dueDate": due_dates(),
            "warningOffset": warning_offsets,
            # a live task may be given to a gone or unknown user; a missing task only to a live one
            "userId": self.user_ids() if current else self.user_ids(gone=False, unknown=False),
        }
        chosen = data.draw(st.sets(st.sampled_from(keys), min_size=1), label="fields")
        fields = {
            key: data.draw(st.one_of(st.just(current[key]), new_values[key]) if current else new_values[key], label=key)
            for key in sorted(chosen)
        }
        sent = self.send("PATCH", path("/tasks", task_id, slash=slash), body=fields)
        if current is None:
            self.expect_not_found(sent, "task", task_id)
            return
        if fields.get("userId", current["userId"]) not in (current["userId"], *self.users):
            self.expect_error(sent, 400, {"INVALID_USER_ID"})
            return
        updated = {**current, **fields}
        assert self.expect_success(sent, 200, TASK_FIELDS) == updated
        assert bool(sent[1]) == (updated != current), "an event exactly when something changed"
        self.tasks[task_id] = updated

    @rule(data=st.data(), slash=st.booleans())
    def delete_task(self, data: st.DataObject, slash: bool) -> None:
        task_id = data.draw(self.task_ids(), label="task_id")
        sent = self.send("DELETE", path("/tasks", task_id, slash=slash))
        if task_id not in self.tasks:
            self.expect_not_found(sent, "task", task_id)
            return
        assert sent[0].status_code == 204, sent[0].get_data(as_text=True)
        assert len(sent[1]) >= 1, "a deletion is an event"
        del self.tasks[task_id]
        self.gone_tasks.add(task_id)

    @rule(data=st.data(), tasks=st.booleans(), slash=st.booleans())
    def get_one(self, data: st.DataObject, tasks: bool, slash: bool) -> None:
        kind, model, fields = ("task", self.tasks, TASK_FIELDS) if tasks else ("user", self.users, USER_FIELDS)
        item_id = data.draw(self.task_ids() if tasks else self.user_ids(), label=f"{kind}_id")
        sent = self.send("GET", path(f"/{kind}s", item_id, slash=slash))
        if item_id in model:
            assert self.expect_success(sent, 200, fields) == model[item_id]
            assert sent[1] == []
        else:
            self.expect_not_found(sent, kind, item_id)

    # ------------------------------------------------------------------ lists

    @rule(params=list_params(USER_SORTS, with_status=False), slash=st.booleans())
    def list_users(self, params: dict[str, Any], slash: bool) -> None:
        sent = self.send("GET", path("/users", slash=slash), query=params)
        expected = self.page(list(self.users.values()), "userId", params)
        assert self.expect_success(sent, 200, ("users",)) == {"users": expected}
        assert sent[1] == []

    @rule(params=list_params(TASK_SORTS, with_status=True), slash=st.booleans())
    def list_tasks(self, params: dict[str, Any], slash: bool) -> None:
        sent = self.send("GET", path("/tasks", slash=slash), query=params)
        tasks = [t for t in self.tasks.values() if params.get("taskStatus") in (None, t["taskStatus"])]
        assert self.expect_success(sent, 200, ("tasks",)) == {"tasks": self.page(tasks, "taskId", params)}
        assert sent[1] == []

    def page(self, items: list[dict[str, Any]], id_field: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        per_page = params.get("_perPage", 20)
        start = params.get("_page", 0) * per_page
        return in_order(items, id_field, params.get("_sort"))[start : start + per_page]

    # ------------------------------------------------------------------ invalid requests

    @rule(data=st.data(), patch=st.booleans())
    def send_an_invalid_user(self, data: st.DataObject, patch: bool) -> None:
        patch = patch and bool(self.users)
        pool = USER_CORRUPTIONS if patch else USER_CORRUPTIONS + USER_MISSING
        bad = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique_by=lambda c: c[0]), label="bad")
        body: dict[str, Any] = (
            {} if patch else {"firstName": "Ann", "lastName": "Lee", "contactEmail": "fresh@example.com"}
        )
        corrupt(body, bad)
        if patch:
            sent = self.send("PATCH", path("/users", data.draw(st.sampled_from(sorted(self.users)))), body=body)
        else:
            sent = self.send("POST", "/users", body=body)
        self.expect_error(sent, 400, set().union(*(codes for *_, codes in bad)), {field for field, *_ in bad})

    @precondition(lambda self: self.users)
    @rule(data=st.data(), patch=st.booleans())
    def send_an_invalid_task(self, data: st.DataObject, patch: bool) -> None:
        patch = patch and bool(self.tasks)
        pool = TASK_CORRUPTIONS if patch else TASK_CORRUPTIONS + TASK_MISSING
        bad = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique_by=lambda c: c[0]), label="bad")
        owner = data.draw(st.sampled_from(sorted(self.users)), label="owner")
        body: dict[str, Any] = (
            {}
            if patch
            else {"userId": owner, "taskTitle": "t", "dueDate": "2025-06-30T17:00:00-05:00", "warningOffset": 5}
        )
        corrupt(body, bad)
        if patch:
            sent = self.send("PATCH", path("/tasks", data.draw(st.sampled_from(sorted(self.tasks)))), body=body)
        else:
            sent = self.send("POST", "/tasks", body=body)
        self.expect_error(sent, 400, set().union(*(codes for *_, codes in bad)), {field for field, *_ in bad})

    @rule(data=st.data(), tasks=st.booleans())
    def list_with_a_bad_parameter(self, data: st.DataObject, tasks: bool) -> None:
        fields, base = (TASK_SORTS, "/tasks") if tasks else (USER_SORTS, "/users")
        good = data.draw(list_params(fields, with_status=tasks), label="good")
        name, value, codes = data.draw(st.sampled_from(query_corruptions(fields, tasks)), label="bad")
        self.expect_error(self.send("GET", base, query={**good, name: value}), 400, codes, {name}, "query")

    @rule(data=st.data())
    def send_a_malformed_request(self, data: st.DataObject) -> None:
        some_task = data.draw(self.task_ids(), label="task_id")
        # Bodies that are not a JSON object go to creations, or to resources that exist, so
        # that "no such resource" cannot be the right answer as well.
        live_user = data.draw(self.user_ids(gone=False, unknown=False), label="live_user") if self.users else None
        live_task = data.draw(st.sampled_from(sorted(self.tasks)), label="live_task") if self.tasks else None
        Sent = tuple[TestResponse, list[dict[str, Any]]]
        cases: list[tuple[str, Callable[[], Sent], int, set[str]]] = [
            ("truncated JSON", lambda: self.send("POST", "/tasks", raw='{"userId": 1,'), 400, FORMAT),
            ("a JSON array", lambda: self.send("POST", "/users", raw="[1, 2]"), 400, FORMAT),
            ("a JSON number", lambda: self.send("POST", "/tasks", raw="3"), 400, FORMAT),
            ("an empty body", lambda: self.send("POST", "/tasks", raw=""), 400, FORMAT | REQUIRED),
            (
                "text/plain",
                lambda: self.send("POST", "/users", raw="{}", content_type="text/plain"),
                415,
                {"UNSUPPORTED_MEDIA_TYPE"},
            ),
            ("no token", lambda: self.send("GET", "/tasks", anonymous=True), 401, {"UNAUTHORIZED"}),
            (
                "a wrong token",
                lambda: self.send("DELETE", f"/tasks/{some_task}", headers={"Authorization": "Bearer nope"}),
                401,
                {"INVALID_TOKEN"},
            ),
            (
                "not bearer",
                lambda: self.send("GET", "/users", headers={"Authorization": f"Basic {SECRET}"}),
                401,
                {"INVALID_TOKEN"},
            ),
            (
                "a bare token",
                lambda: self.send("GET", "/users", headers={"Authorization": SECRET}),
                401,
                {"INVALID_TOKEN"},
            ),
            ("a word as id", lambda: self.send("GET", "/tasks/abc"), 400, FIELD),
            ("a decimal id", lambda: self.send("DELETE", "/users/1.0"), 400, FIELD),
            ("an unknown route", lambda: self.send("GET", "/projects"), 404, {"RESOURCE_NOT_FOUND"}),
            ("an id too large for any row", lambda: self.send("GET", f"/tasks/{10**25}"), 404, {"RESOURCE_NOT_FOUND"}),
            ("DELETE on a list", lambda: self.send("DELETE", "/tasks"), 405, {"METHOD_NOT_ALLOWED"}),
            ("PUT on a user", lambda: self.send("PUT", "/users/1", body={}), 405, {"METHOD_NOT_ALLOWED"}),
        ]
        if live_user is not None:
            cases += [
                ("a JSON string", lambda: self.send("PATCH", f"/users/{live_user}", raw='"x"'), 400, FORMAT),
                ("an empty patch", lambda: self.send("PATCH", f"/users/{live_user}", body={}), 400, REQUIRED),
            ]
        if live_task is not None:
            cases += [
                ("NaN", lambda: self.send("PATCH", f"/tasks/{live_task}", raw='{"warningOffset": NaN}'), 400, FORMAT),
                ("null", lambda: self.send("PATCH", f"/tasks/{live_task}", raw="null"), 400, FORMAT),
            ]
        name, send, status, codes = data.draw(st.sampled_from(cases), label="case")
        response, _ = sent = send()
        self.expect_error(sent, status, codes)
        if name in ALLOWED:
            assert {m.strip() for m in response.headers.get("Allow", "").split(",")} == ALLOWED[name]

    # ------------------------------------------------------------------ rebuilding in place

    @rule()
    def rebuild_the_live_read_models(self) -> None:
        db = open_database(self.database)
        try:
            before = snapshot(db)
            rebuild(EventStore(db))
            assert snapshot(db) == before
        finally:
            db.close()
        assert self.new_rows() == [], "a rebuild appended events"

    # ------------------------------------------------------------------ after every step

    @invariant()
    def the_log_is_gap_free_and_every_stream_counts_one_by_one(self) -> None:
        rows = self.new_rows()  # also: nothing appended outside a request
        assert rows == [], "events appeared between requests"
        assert [r["position"] for r in self.rows] == list(range(1, len(self.rows) + 1))
        versions: dict[str, list[int]] = {}
        for row in self.rows:
            versions.setdefault(row["stream_id"], []).append(row["version"])
        for stream, seen in versions.items():
            assert seen == list(range(1, len(seen) + 1)), f"stream {stream} has versions {seen}"

    @invariant()
    def the_status_views_partition_the_live_tasks(self) -> None:
        pairs = [tuple(r) for r in self.reader.execute("SELECT task_id, status FROM tasks_by_status_view")]
        assert sorted(pairs) == sorted((tid, t["taskStatus"]) for tid, t in self.tasks.items())
        counts = {r[0]: r[1] for r in self.reader.execute("SELECT status, task_count FROM task_status_counts_view")}
        assert counts == {s: sum(t["taskStatus"] == s for t in self.tasks.values()) for s in STATUSES}

    @invariant()
    def every_live_resource_is_listed_and_every_gone_one_stays_gone(self) -> None:
        """Everything listed, in an order that turns with each step through every sort there is."""
        self.steps += 1
        for base, key, model, fields in (
            ("/users", "users", self.users, USER_SORTS),
            ("/tasks", "tasks", self.tasks, TASK_SORTS),
        ):
            orders = [None, *fields, *(f"-{f}" for f in fields)]
            sort = orders[self.steps % len(orders)]
            listed: list[dict[str, Any]] = []
            for page in range(len(model) // 100 + 2):
                query = {"_page": page, "_perPage": 100} | ({"_sort": sort} if sort else {})
                response, appended = self.send("GET", base, query=query)
                assert response.status_code == 200 and appended == []
                listed += response.get_json()[key]
            id_field = fields[0]
            assert listed == in_order(list(model.values()), id_field, sort), f"{base} sorted by {sort}"
        for user_id in self.gone_users:
            self.expect_not_found(self.send("GET", f"/users/{user_id}"), "user", user_id)
        for task_id in self.gone_tasks:
            self.expect_not_found(self.send("GET", f"/tasks/{task_id}"), "task", task_id)

    @invariant()
    def a_rebuild_from_the_log_gives_the_live_read_models(self) -> None:
        copy = open_database(":memory:")
        try:
            self.reader.backup(copy.conn)
            live = snapshot(copy)
            rebuild(EventStore(copy))
            assert snapshot(copy) == live
        finally:
            copy.close()


# A quarter of the profile's examples (dev: 12, ci: 50), each of 50 requests plus the checks
# after each: about 30 s under the ci profile on two cores.
ApiSession.TestCase.settings = settings(
    max_examples=max(10, settings.default.max_examples // 4),
    stateful_step_count=50,
)
TestRandomApiSessionsAgreeWithAPlainModel = ApiSession.TestCase


# ---------------------------------------------------------------------- integers of any size
# The session above keeps ids and page numbers within 19 digits; these two look further.


@contextmanager
def one_user_service() -> Iterator[FlaskClient]:
    """A client of a fresh service holding one user (id 1) and no tasks."""
    with tempfile.TemporaryDirectory(prefix="taskstore-") as directory:
        app = create_app(Config(database=str(Path(directory) / "t.db"), tokens=(Token(name="tester", secret=SECRET),)))
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {SECRET}"
        created = client.post("/users", json={"firstName": "A", "lastName": "B", "contactEmail": "a@example.com"})
        assert created.status_code == 201
        yield client


@settings(max_examples=min(settings.default.max_examples, 25))
@given(page=st.integers(1, HUGE**2), per_page=st.integers(1, 100), resource=st.sampled_from(["users", "tasks"]))
def test_a_page_number_of_any_size_past_the_end_is_an_empty_page(page: int, per_page: int, resource: str) -> None:
    with one_user_service() as client:
        response = client.get(f"/{resource}", query_string={"_page": str(page), "_perPage": str(per_page)})
        assert (response.status_code, response.get_json()) == (200, {resource: []})


@settings(max_examples=min(settings.default.max_examples, 25))
@given(
    item_id=st.one_of(st.integers(TOO_BIG, HUGE**2), st.integers(-(HUGE**2), 0)),
    resource=st.sampled_from(["users", "tasks"]),
    method=st.sampled_from(["GET", "DELETE"]),
)
def test_an_integer_id_of_any_size_that_names_nothing_is_not_found(item_id: int, resource: str, method: str) -> None:
    with one_user_service() as client:
        response = client.open(f"/{resource}/{item_id}", method=method)
        assert (response.status_code, response.get_json()["code"]) == (404, "RESOURCE_NOT_FOUND")
