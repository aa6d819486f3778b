"""Owns the commands: load state from the log, decide, append, all in one write transaction.

Each command reads what it needs and appends with the versions it read, inside one
`BEGIN IMMEDIATE` transaction; a `ConcurrencyConflict` (another writer got there first)
is retried from the start a few times before it reaches the caller.

The commands that change or delete one resource take `expected`: the versions of its
stream the client accepts (its `If-Match`); the check runs on the version the command
loaded, in its transaction, so no other write can come between the check and the append.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from taskstore import decide
from taskstore.errors import ConcurrencyConflict, NotFound, VersionMismatch
from taskstore.events import Event, stream_number, task_stream, user_stream
from taskstore.state import Task, User, fold_task, fold_user
from taskstore.store import EventStore, Meta, StreamAppend

T = TypeVar("T")


@dataclass(frozen=True)
class Precondition:
    """What a request requires of a stream's version (RFC 9110's If-Match, then If-None-Match):
    one of `match` (None: any), and none of `none_match` (`none_match_any`: no version at
    all, which an existing stream never meets)."""

    match: frozenset[int] | None = None
    none_match: frozenset[int] = frozenset()
    none_match_any: bool = False


#: The versions of a stream a command may change it at; None: whatever version it is at.
Expected = Collection[int] | Precondition | None
ATTEMPTS = 5
MAX_ID = 2**63 - 1  # SQLite's largest integer: no stream can have a larger id


class Lookups(Protocol):
    """Questions the log cannot answer by stream, answered by read models in the same transaction."""

    def user_with_email(self, email: str) -> int | None: ...

    def tasks_of_user(self, user_id: int) -> list[int]: ...


def load_user(store: EventStore, user_id: int) -> User:
    """The live user. Raises NotFound for a user that never existed or was deleted."""
    user = find_user(store, user_id)
    if user is None or user.deleted:
        raise NotFound(f"User {user_id} not found")
    return user


def load_task(store: EventStore, task_id: int) -> Task:
    """The live task. Raises NotFound for a task that never existed or was deleted."""
    task = None
    if 0 < task_id <= MAX_ID:
        task = fold_task(r.event for r in store.read_stream(task_stream(task_id)))
    if task is None or task.deleted:
        raise NotFound(f"Task {task_id} not found")
    return task


def find_user(store: EventStore, user_id: int) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    return fold_user(r.event for r in store.read_stream(user_stream(user_id)))


def create_user(store: EventStore, lookups: Lookups, fields: Mapping[str, Any], meta: Meta) -> User:
    """Raises DuplicateEmail, ConcurrencyConflict."""

    def attempt() -> User:
        user_id = _next_id(store, "UserCreated")
        events = decide.create_user(user_id, fields, lookups.user_with_email(fields["contact_email"]), _now())
        store.append(user_stream(user_id), 0, events, meta)
        return _folded_user(events, None)

    return retrying(store, attempt)


def update_user(
    store: EventStore,
    lookups: Lookups,
    user_id: int,
    fields: Mapping[str, Any],
    meta: Meta,
    *,
    expected: Expected = None,
) -> User:
    """Raises NotFound, VersionMismatch, DuplicateEmail, ConcurrencyConflict."""

    def attempt() -> User:
        user = load_user(store, user_id)
        require(store, user.stream_id, user.version, expected)
        owner = lookups.user_with_email(fields["contact_email"]) if "contact_email" in fields else None
        events = decide.update_user(user, fields, owner, _now())
        store.append(user.stream_id, user.version, events, meta)
        return _folded_user(events, user)

    return retrying(store, attempt)


def delete_user(store: EventStore, lookups: Lookups, user_id: int, meta: Meta, *, expected: Expected = None) -> None:
    """Delete the user and each of the user's tasks in one append (`expected` is about the
    user's stream only). Raises NotFound, VersionMismatch, ConcurrencyConflict."""

    def attempt() -> None:
        user = load_user(store, user_id)
        require(store, user.stream_id, user.version, expected)
        now = _now()
        appends = [
            StreamAppend(task.stream_id, task.version, decide.delete_task(task, now, cascade=True))
            for task in (load_task(store, tid) for tid in lookups.tasks_of_user(user_id))
        ]
        appends.append(StreamAppend(user.stream_id, user.version, decide.delete_user(user, now)))
        store.append_streams(appends, meta)

    retrying(store, attempt)


def create_task(store: EventStore, fields: Mapping[str, Any], meta: Meta) -> Task:
    """Raises UnknownUser, ConcurrencyConflict."""

    def attempt() -> Task:
        owner = find_user(store, fields["user_id"])
        task_id = _next_id(store, "TaskCreated")
        events = decide.create_task(task_id, owner, fields, _now())
        assert owner is not None  # decide refused a missing owner
        store.append_streams(
            [StreamAppend(owner.stream_id, owner.version, []), StreamAppend(task_stream(task_id), 0, events)],
            meta,
        )
        return _folded_task(events, None)

    return retrying(store, attempt)


def update_task(
    store: EventStore, task_id: int, fields: Mapping[str, Any], meta: Meta, *, expected: Expected = None
) -> Task:
    """Raises NotFound, VersionMismatch, UnknownUser, ConcurrencyConflict."""

    def attempt() -> Task:
        task = load_task(store, task_id)
        require(store, task.stream_id, task.version, expected)
        reassigning = "user_id" in fields and fields["user_id"] != task.user_id
        owner = find_user(store, fields["user_id"]) if reassigning else None
        events = decide.update_task(task, fields, owner, _now())
        appends = [StreamAppend(task.stream_id, task.version, events)]
        if owner is not None and events:
            appends.append(StreamAppend(owner.stream_id, owner.version, []))
        store.append_streams(appends, meta)
        return _folded_task(events, task)

    return retrying(store, attempt)


def delete_task(store: EventStore, task_id: int, meta: Meta, *, expected: Expected = None) -> None:
    """Raises NotFound, VersionMismatch, ConcurrencyConflict."""

    def attempt() -> None:
        task = load_task(store, task_id)
        require(store, task.stream_id, task.version, expected)
        store.append(task.stream_id, task.version, decide.delete_task(task, _now()), meta)

    retrying(store, attempt)


def require(store: EventStore, stream_id: str, version: int, expected: Expected) -> None:
    """Check a stream the command loaded at `version` against the versions the client accepts.

    Raises VersionMismatch carrying the events after the last accepted version below
    `version` (every event of the stream if there is none)."""
    if isinstance(expected, Precondition):
        require(store, stream_id, version, expected.match)
        if expected.none_match_any or version in expected.none_match:  # the client holds this version
            raise VersionMismatch(stream_id, version, [], named=True)
        return
    if expected is None or version in expected:
        return
    since = max((v for v in expected if v < version), default=0)
    raise VersionMismatch(stream_id, version, [r for r in store.read_stream(stream_id) if r.event.version > since])


def retrying(store: EventStore, attempt: Callable[[], T]) -> T:
    """Run `attempt` in a write transaction, again from the start on a conflict or a busy database."""
    for remaining in reversed(range(ATTEMPTS)):
        try:
            with store.transaction():
                return attempt()
        except ConcurrencyConflict:
            if remaining == 0:
                raise
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if remaining == 0:
                raise ConcurrencyConflict("the database stayed busy; try again") from exc
    raise AssertionError("unreachable")


def _next_id(store: EventStore, created_type: str) -> int:
    latest = store.latest_stream_of(created_type)
    return 1 if latest is None else stream_number(latest) + 1


def _now() -> datetime:
    return datetime.now(UTC)


def _folded_user(events: list[Event], user: User | None) -> User:
    result = fold_user(events, user)
    assert result is not None
    return result


def _folded_task(events: list[Event], task: Task | None) -> Task:
    result = fold_task(events, task)
    assert result is not None
    return result
