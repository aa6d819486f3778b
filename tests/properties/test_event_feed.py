"""Random interleavings of writes and feed reads: a consumer that resumes from `nextAfter`
gets every event exactly once, in commit order, filtered or not.

The model is what each write must append according to the contract, as a group per
request: which streams get which event types (creating appends one event; a PATCH one per
kind of change; deleting a user one TaskDeleted per live task of theirs plus a
UserDeleted; a failed request or a change that changes nothing appends none). The order
of events within one request is not part of the contract, so the check accepts any.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from api import create_app
from api.config import Config, Token

SECRET = "t"
TYPES = (
    "UserCreated",
    "UserUpdated",
    "UserDeleted",
    "TaskCreated",
    "TaskUpdated",
    "TaskStatusChanged",
    "TaskReassigned",
    "TaskDeleted",
)
STATUSES = ("NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DEFERRED", "COMPLETED", "CANCELLED")
TASK_CHANGES = {
    "taskTitle": st.sampled_from(["a", "b"]),
    "taskDescription": st.sampled_from([None, "d"]),
    "dueDate": st.sampled_from(["2025-06-30T17:00:00-05:00", "2025-07-01T00:00:00Z"]),
    "warningOffset": st.sampled_from([0, 30]),
}
Key = tuple[str, str, str]  # (request id, stream id, event type)


class Consumer:
    def __init__(self, event_type: str | None) -> None:
        self.event_type = event_type
        self.after = 0
        self.read: list[dict[str, Any]] = []


class FeedSession(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="taskstore-feed-")
        self.database = str(Path(self.directory) / "taskstore.db")
        app = create_app(Config(database=self.database, tokens=(Token(name="tester", secret=SECRET),)))
        self.client = app.test_client()
        self.client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {SECRET}"
        self.users: dict[int, str] = {}  # live user id -> last name
        self.tasks: dict[int, dict[str, Any]] = {}  # live task id -> its fields on the wire
        self.created_users = 0
        self.created_tasks = 0
        self.emails = itertools.count()
        self.groups: list[Counter[Key]] = []  # what each successful write appended, in order
        self.consumers = [Consumer(None)]

    def teardown(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def total(self) -> int:
        return sum(group.total() for group in self.groups)

    def write(self, method: str, path: str, expected: list[tuple[str, str]], body: Any = None) -> None:
        """Send one write that must append `expected` (nothing: it fails or changes nothing)."""
        response = self.client.open(path, method=method, json=body)
        assert response.status_code < 500, response.get_json()
        assert response.status_code < 300 or not expected, response.get_json()
        if expected:
            request_id = response.headers["X-Request-Id"]
            self.groups.append(Counter((request_id, stream, kind) for stream, kind in expected))

    @initialize(event_type=st.sampled_from(TYPES))
    def filtered_consumer(self, event_type: str) -> None:
        self.consumers.append(Consumer(event_type))

    @rule(last=st.sampled_from(["Lovelace", "Byron"]))
    def create_user(self, last: str) -> None:
        self.created_users += 1
        body = {"firstName": "Ada", "lastName": last, "contactEmail": f"u{next(self.emails)}@example.com"}
        self.write("POST", "/users", [(f"user-{self.created_users}", "UserCreated")], body)
        self.users[self.created_users] = last

    @rule(data=st.data())
    def create_task(self, data: st.DataObject) -> None:
        user_id = data.draw(st.integers(1, self.created_users + 1))
        fields = {k: data.draw(v) for k, v in TASK_CHANGES.items()}
        body = {"userId": user_id, **fields, "taskStatus": data.draw(st.sampled_from(STATUSES))}
        if user_id not in self.users:
            self.write("POST", "/tasks", [], body)
            return
        self.created_tasks += 1
        self.write("POST", "/tasks", [(f"task-{self.created_tasks}", "TaskCreated")], body)
        self.tasks[self.created_tasks] = body

    @rule(data=st.data())
    def patch_task(self, data: st.DataObject) -> None:
        task_id = data.draw(st.integers(1, self.created_tasks + 1))
        choices = {**TASK_CHANGES, "taskStatus": st.sampled_from(STATUSES), "userId": st.integers(1, 3)}
        names = data.draw(st.lists(st.sampled_from(sorted(choices)), min_size=1, unique=True))
        body = {name: data.draw(choices[name]) for name in names}
        task = self.tasks.get(task_id)
        if task is None or ("userId" in body and body["userId"] != task["userId"] and body["userId"] not in self.users):
            self.write("PATCH", f"/tasks/{task_id}", [], body)  # 404, or 400 INVALID_USER_ID: nothing changes
            return
        changed = {name for name, value in body.items() if task[name] != value}
        kinds = ["TaskUpdated"] if changed & set(TASK_CHANGES) else []
        kinds += ["TaskReassigned"] if "userId" in changed else []
        kinds += ["TaskStatusChanged"] if "taskStatus" in changed else []
        self.write("PATCH", f"/tasks/{task_id}", [(f"task-{task_id}", kind) for kind in kinds], body)
        task.update(body)

    @rule(data=st.data(), last=st.sampled_from(["Lovelace", "Byron"]))
    def patch_user(self, data: st.DataObject, last: str) -> None:
        user_id = data.draw(st.integers(1, self.created_users + 1))
        live = user_id in self.users
        expected = [(f"user-{user_id}", "UserUpdated")] if live and self.users[user_id] != last else []
        self.write("PATCH", f"/users/{user_id}", expected, {"lastName": last})
        if live:
            self.users[user_id] = last

    @rule(data=st.data())
    def delete_task(self, data: st.DataObject) -> None:
        task_id = data.draw(st.integers(1, self.created_tasks + 1))
        expected = [(f"task-{task_id}", "TaskDeleted")] if self.tasks.pop(task_id, None) else []
        self.write("DELETE", f"/tasks/{task_id}", expected)

    @rule(data=st.data())
    def delete_user(self, data: st.DataObject) -> None:
        user_id = data.draw(st.integers(1, self.created_users + 1))
        if self.users.pop(user_id, None) is None:
            self.write("DELETE", f"/users/{user_id}", [])
            return
        theirs = [task_id for task_id, task in self.tasks.items() if task["userId"] == user_id]
        expected = [(f"task-{task_id}", "TaskDeleted") for task_id in theirs] + [(f"user-{user_id}", "UserDeleted")]
        for task_id in theirs:
            del self.tasks[task_id]
        self.write("DELETE", f"/users/{user_id}", expected)

    @rule(which=st.integers(0, 1), limit=st.integers(1, 6) | st.just(1000))
    def read_a_page(self, which: int, limit: int) -> None:
        self.read(self.consumers[which % len(self.consumers)], limit)

    @rule(limit=st.integers(1, 4))
    def read_to_the_end(self, limit: int) -> None:
        for consumer in self.consumers:
            while self.read(consumer, limit):
                pass
            assert consumer.after == self.total
            assert len(consumer.read) == sum(c for k, c in self.wanted(consumer).items())

    def read(self, consumer: Consumer, limit: int) -> bool:
        """One page after the consumer's position; True if the feed said there is more."""
        params: dict[str, Any] = {"after": consumer.after, "limit": limit}
        if consumer.event_type:
            params["type"] = consumer.event_type
        body = self.client.get("/events", query_string=params).get_json()
        assert len(body["events"]) <= limit
        assert consumer.after <= body["nextAfter"] <= self.total  # never backwards, never past the log
        if not body["hasMore"]:
            assert body["nextAfter"] == self.total  # the end was reached: resume from the end of the log
        consumer.read.extend(body["events"])
        consumer.after = body["nextAfter"]
        assert body["hasMore"] == (self.wanted(consumer).total() > len(consumer.read))  # more exactly when unread
        return bool(body["hasMore"])

    def wanted(self, consumer: Consumer) -> Counter[Key]:
        return Counter(
            {key: n for group in self.groups for key, n in group.items() if consumer.event_type in (None, key[2])}
        )

    @invariant()
    def every_consumer_has_read_what_was_appended_up_to_its_position_once_in_order(self) -> None:
        for consumer in self.consumers:
            items = consumer.read
            positions = [item["position"] for item in items]
            assert positions == sorted(set(positions))
            assert all(p <= consumer.after for p in positions)
            if consumer.event_type is None:
                assert positions == list(range(1, consumer.after + 1))
            self.assert_follows_the_model(consumer)
            self.assert_matches_the_log(items)

    def assert_follows_the_model(self, consumer: Consumer) -> None:
        """The items run through the model's groups in order, each group in any order, and
        cover every wanted event up to the consumer's position."""
        groups = iter(Counter({k: n for k, n in g.items() if consumer.event_type in (None, k[2])}) for g in self.groups)
        current: Counter[Key] = Counter()
        for item in consumer.read:
            while not current:
                current = next(groups)
            key = (item["requestId"], item["streamId"], item["type"])
            assert current[key] > 0, (key, current)
            current[key] -= 1
            current = +current
        remaining = [key for group in [current, *groups] for key in group.elements()]
        assert len(remaining) == self.wanted(consumer).total() - len(consumer.read)
        if consumer.after == self.total:
            assert remaining == []

    def assert_matches_the_log(self, items: list[dict[str, Any]]) -> None:
        with sqlite3.connect(self.database) as conn:
            for item in items[-6:]:
                row = conn.execute(
                    "SELECT stream_id, version, type FROM events WHERE position = ?", [item["position"]]
                ).fetchone()
                assert row == (item["streamId"], item["version"], item["type"])
        conn.close()


FeedSession.TestCase.settings = settings(
    max_examples=max(10, settings.default.max_examples // 2),
    stateful_step_count=40,
)
TestAFeedConsumerGetsEveryEventOnceInOrder = FeedSession.TestCase
