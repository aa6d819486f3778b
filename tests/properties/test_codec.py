"""Properties of `taskstore.codec`: every event comes back from its stored row unchanged."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from taskstore import codec
from taskstore.events import (
    EVENT_TYPES,
    Event,
    TaskCreated,
    TaskDeleted,
    TaskReassigned,
    TaskStatus,
    TaskStatusChanged,
    TaskUpdated,
    UserCreated,
    UserDeleted,
    UserUpdated,
)

ids = st.integers(1, 2**63 - 1)
versions = st.integers(1, 2**31)
texts = st.text(st.characters(codec="utf-8"), max_size=120)
statuses = st.sampled_from(TaskStatus)
offsets = st.integers(0, 64000)
due_dates = st.sampled_from(
    ["2025-06-30T17:00:00-05:00", "2025-06-30T22:00:00.000Z", "2025-06-30T17:00:00.123456", "1999-12-31T23:59:59+14:00"]
)
# The recorded time comes from the clock: aware, any zone, microsecond precision.
recorded_at = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.one_of(st.just(UTC), st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))),
)

USER_CHANGE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "first_name": texts,
    "last_name": texts,
    "contact_email": texts,
}
TASK_CHANGE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "title": texts,
    "description": st.none() | texts,
    "due_date": due_dates,
    "warning_offset": offsets,
}


def changes(values: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    """A `changes` payload: some fields, each with its old and new value."""
    change = {name: st.fixed_dictionaries({"old": value, "new": value}) for name, value in values.items()}
    return st.fixed_dictionaries({}, optional=change)


def envelope(stream: str) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "stream_id": ids.map(lambda n: f"{stream}-{n}"),
        "version": versions,
        "occurred_at": recorded_at,
    }


EVENTS: dict[type[Event], st.SearchStrategy[Event]] = {
    UserCreated: st.builds(
        UserCreated, **envelope("user"), user_id=ids, first_name=texts, last_name=texts, contact_email=texts
    ),
    UserUpdated: st.builds(UserUpdated, **envelope("user"), changes=changes(USER_CHANGE_VALUES)),
    UserDeleted: st.builds(UserDeleted, **envelope("user"), user_id=ids),
    TaskCreated: st.builds(
        TaskCreated,
        **envelope("task"),
        task_id=ids,
        user_id=ids,
        title=texts,
        description=st.none() | texts,
        status=statuses,
        due_date=due_dates,
        warning_offset=offsets,
    ),
    TaskUpdated: st.builds(TaskUpdated, **envelope("task"), changes=changes(TASK_CHANGE_VALUES)),
    TaskStatusChanged: st.builds(TaskStatusChanged, **envelope("task"), old=statuses, new=statuses),
    TaskReassigned: st.builds(TaskReassigned, **envelope("task"), old_user_id=ids, new_user_id=ids),
    TaskDeleted: st.builds(TaskDeleted, **envelope("task"), task_id=ids, user_id=ids, cascade=st.booleans()),
}


def stored_row(event: Event, position: int, request_id: str, actor: str) -> dict[str, Any]:
    """The row as the store writes it: the encoded columns plus position and request metadata."""
    return {"position": position, **codec.encode(event), "request_id": request_id, "actor": actor}


def test_every_event_type_has_a_strategy() -> None:
    assert set(EVENTS) == set(EVENT_TYPES.values())


@given(
    event=st.one_of(*EVENTS.values()),
    position=st.integers(1, 2**63 - 1),
    request_id=st.uuids().map(lambda u: f"req-{u}"),
    actor=st.text(min_size=1, max_size=20),
)
def test_every_event_reads_back_from_its_row_as_an_equal_event(
    event: Event, position: int, request_id: str, actor: str
) -> None:
    recorded = codec.decode(stored_row(event, position, request_id, actor))
    assert recorded.event == event
    assert (recorded.position, recorded.request_id, recorded.actor) == (position, request_id, actor)
    for field in dataclasses.fields(event):  # a plain str is equal to a TaskStatus, but is not one
        assert type(getattr(recorded.event, field.name)) is type(getattr(event, field.name)), field.name
    assert recorded.event.occurred_at.utcoffset() == timedelta(0)


@given(event=st.one_of(*EVENTS.values()))
def test_a_stored_row_names_the_type_and_schema_version_of_its_event(event: Event) -> None:
    row = codec.encode(event)
    assert EVENT_TYPES[row["type"]] is type(event)
    assert row["schema_version"] == type(event).schema_version
    assert (row["stream_id"], row["version"]) == (event.stream_id, event.version)
