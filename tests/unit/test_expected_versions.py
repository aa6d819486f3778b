"""The commands' `expected` versions: checked against the version each command loads, in its
own transaction, refused with the events since the last version named, never retried."""

from __future__ import annotations

from unittest import mock

import pytest

from projections.replay import ViewLookups
from taskstore import commands
from taskstore.errors import VersionMismatch
from taskstore.store import EventStore
from tests.unit.builders import META, add_task, add_user, patch_task, patch_user


def test_an_update_at_an_expected_version_applies(store: EventStore) -> None:
    task = add_task(store, add_user(store, "a@example.com").user_id)
    updated = commands.update_task(store, task.task_id, {"title": "New"}, META, expected={task.version})
    assert (updated.title, updated.version) == ("New", task.version + 1)


def test_an_update_at_another_version_raises_with_the_events_since_and_appends_nothing(store: EventStore) -> None:
    task = add_task(store, add_user(store, "a@example.com").user_id)
    patch_task(store, task.task_id, title="Two")
    patch_task(store, task.task_id, title="Three")
    end = store.last_position()
    with pytest.raises(VersionMismatch) as raised:
        commands.update_task(store, task.task_id, {"title": "Mine"}, META, expected={task.version})
    assert store.last_position() == end
    assert (raised.value.stream_id, raised.value.current) == (task.stream_id, task.version + 2)
    assert raised.value.missed == tuple(store.read_stream(task.stream_id)[1:])


def test_the_missed_events_start_after_the_highest_named_version_below_the_current(store: EventStore) -> None:
    user = add_user(store, "a@example.com")
    for name in ("B", "C", "D"):
        patch_user(store, user.user_id, first_name=name)
    with pytest.raises(VersionMismatch) as raised:
        commands.update_user(store, ViewLookups(store.db), user.user_id, {"last_name": "X"}, META, expected={1, 2, 9})
    assert [r.event.version for r in raised.value.missed] == [3, 4]


def test_no_expected_version_at_all_misses_every_event(store: EventStore) -> None:
    task = add_task(store, add_user(store, "a@example.com").user_id)
    with pytest.raises(VersionMismatch) as raised:
        commands.delete_task(store, task.task_id, META, expected=frozenset())
    assert raised.value.missed == tuple(store.read_stream(task.stream_id))


def test_a_user_delete_checks_the_user_s_stream_and_keeps_the_tasks_when_refused(store: EventStore) -> None:
    user = add_user(store, "a@example.com")
    add_task(store, user.user_id)
    end = store.last_position()
    with pytest.raises(VersionMismatch):
        commands.delete_user(store, ViewLookups(store.db), user.user_id, META, expected={user.version + 1})
    assert store.last_position() == end
    commands.delete_user(store, ViewLookups(store.db), user.user_id, META, expected={user.version})
    assert store.last_position() == end + 2


def test_a_version_mismatch_is_not_retried(store: EventStore) -> None:
    task = add_task(store, add_user(store, "a@example.com").user_id)
    patch_task(store, task.task_id, title="Two")
    with (
        mock.patch.object(commands, "load_task", wraps=commands.load_task) as loads,
        pytest.raises(VersionMismatch),
    ):
        commands.update_task(store, task.task_id, {"title": "Mine"}, META, expected={task.version})
    assert loads.call_count == 1
