"""Schema evolution: a log holding an older version of an event type is read, and replayed,
in the current shape, through the upcasters registered one step at a time.

No payload has changed shape yet, so these tests stand in a newer TaskStatusChanged
(with extra fields) for the real one, and write the older rows through the real store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from projections import replay, tasks
from taskstore import codec, events
from taskstore.database import open_database
from taskstore.events import TaskStatus
from taskstore.store import EventStore
from tests.unit.builders import META, NOW, add_task, add_user, patch_task

S = TaskStatus


@dataclass(frozen=True, kw_only=True)
class StatusChangedV2(events.TaskStatusChanged):
    schema_version: ClassVar[int] = 2
    reason: str


@dataclass(frozen=True, kw_only=True)
class StatusChangedV3(StatusChangedV2):
    schema_version: ClassVar[int] = 3
    note: str


# Under the stored type name, as a real new version would be (a stored type is never renamed).
StatusChangedV2.__name__ = StatusChangedV3.__name__ = "TaskStatusChanged"


def newer(monkeypatch: pytest.MonkeyPatch, cls: type[events.Event], **upcasters: Any) -> None:
    monkeypatch.setitem(events.EVENT_TYPES, "TaskStatusChanged", cls)
    for version, upcaster in upcasters.items():
        monkeypatch.setitem(codec.UPCASTERS, ("TaskStatusChanged", int(version.removeprefix("v"))), upcaster)


def one_status_change(store: EventStore) -> int:
    """A task moved to IN_PROGRESS through the real commands; returns its id."""
    task = add_task(store, add_user(store, "ada@example.com").user_id)
    patch_task(store, task.task_id, status=S.IN_PROGRESS)
    return task.task_id


def stored_versions(store: EventStore) -> list[tuple[str, int]]:
    return [(row["type"], row["schema_version"]) for row in store.iter_rows()]


def test_a_v1_row_is_read_and_replayed_in_the_v2_shape(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    task_id = one_status_change(store)
    live = replay.snapshot(store.db)
    assert stored_versions(store)[-1] == ("TaskStatusChanged", 1)

    newer(monkeypatch, StatusChangedV2, v1=lambda p: {**p, "reason": "not recorded"})
    event = store.read_stream(f"task-{task_id}")[-1].event

    assert type(event) is StatusChangedV2
    assert (event.old, event.new, event.reason) == (S.NOT_STARTED, S.IN_PROGRESS, "not recorded")
    scratch = open_database(":memory:")
    replay.replay_into(store, scratch)
    assert tasks.get(scratch, task_id)["status"] == "IN_PROGRESS"
    assert replay.snapshot(scratch) == live
    assert stored_versions(store)[-1] == ("TaskStatusChanged", 1)  # upcast on read, never rewritten


def test_upcasting_runs_each_step_in_order_from_v1_and_from_v2_to_v3(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = one_status_change(store)  # a v1 row
    newer(monkeypatch, StatusChangedV2)
    stream = f"task-{task_id}"
    v2 = StatusChangedV2(
        stream_id=stream, version=3, occurred_at=NOW, old=S.IN_PROGRESS, new=S.BLOCKED, reason="waiting"
    )
    store.append(stream, 2, [v2], META)
    assert [v for _, v in stored_versions(store)][-2:] == [1, 2]

    newer(
        monkeypatch,
        StatusChangedV3,
        v1=lambda p: {**p, "reason": "not recorded"},
        v2=lambda p: {**p, "note": f"because: {p['reason']}"},
    )
    first, second = (record.event for record in store.read_stream(stream)[-2:])

    assert type(first) is type(second) is StatusChangedV3
    assert (first.new, first.reason, first.note) == (S.IN_PROGRESS, "not recorded", "because: not recorded")
    assert (second.new, second.reason, second.note) == (S.BLOCKED, "waiting", "because: waiting")
    scratch = open_database(":memory:")
    replay.replay_into(store, scratch)
    assert tasks.get(scratch, task_id)["status"] == "BLOCKED"


def test_an_old_row_without_an_upcaster_is_refused_rather_than_read_in_the_wrong_shape(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = one_status_change(store)
    newer(monkeypatch, StatusChangedV2)
    with pytest.raises(KeyError):
        store.read_stream(f"task-{task_id}")
