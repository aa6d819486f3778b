"""Export then import, for random histories built through the commands: the new file holds
exactly the rows of the old one (hashes included) and exactly the same read models.

The model is the original database itself: whatever the commands wrote, in whatever
order and with whatever text, must come back unchanged through the JSON-lines file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import event, given
from hypothesis import strategies as st

from api import prepare_database
from api.cli import main
from projections import replay
from projections.replay import ViewLookups
from taskstore import commands
from taskstore.database import open_database
from taskstore.errors import DomainError
from taskstore.events import TaskStatus
from taskstore.store import EventStore, Meta

IDS = st.integers(1, 3)
TEXT = st.text(min_size=1, max_size=20)
META = st.builds(Meta, request_id=st.text(max_size=12), actor=TEXT)
DUE = st.sampled_from(["2025-06-30T17:00:00-05:00", "2025-01-01T00:00:00Z", "2026-03-01T08:30:00.123456789+02:00"])
EMAILS = st.sampled_from([f"{name}@x.io" for name in ("a", "B", "c", "d", "É", "f")])
USER_FIELDS = st.fixed_dictionaries({}, optional={"first_name": TEXT, "last_name": TEXT, "contact_email": EMAILS})
TASK_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "title": TEXT,
        "description": st.none() | TEXT,
        "status": st.sampled_from(TaskStatus),
        "due_date": DUE,
        "warning_offset": st.integers(0, 64000),
        "user_id": IDS,
    },
)
STEPS = st.one_of(
    st.tuples(st.just("create_user"), EMAILS, USER_FIELDS, META),
    st.tuples(st.just("create_user"), EMAILS, USER_FIELDS, META),
    st.tuples(st.just("create_task"), IDS, TEXT, st.sampled_from(TaskStatus), DUE, META),
    st.tuples(st.just("create_task"), IDS, TEXT, st.sampled_from(TaskStatus), DUE, META),
    st.tuples(st.just("update_user"), IDS, USER_FIELDS, META),
    st.tuples(st.just("update_task"), IDS, TASK_FIELDS, META),
    st.tuples(st.just("set_status"), IDS, st.sampled_from(TaskStatus), META),
    st.tuples(st.just("delete_user"), IDS, META),
    st.tuples(st.just("delete_task"), IDS, META),
)


def apply(store: EventStore, step: tuple[Any, ...]) -> None:
    """Run one step through the commands; a step the rules refuse appends nothing."""
    lookups, (name, *args, meta) = ViewLookups(store.db), step
    try:
        match name, args:
            case "create_user", [email, fields]:
                full = {"first_name": "F", "last_name": "L", **fields, "contact_email": email}
                commands.create_user(store, lookups, full, meta)
            case "create_task", [user_id, title, status, due]:
                task = {"user_id": user_id, "title": title, "description": None, "status": status}
                commands.create_task(store, {**task, "due_date": due, "warning_offset": 5}, meta)
            case "update_user", [user_id, fields]:
                commands.update_user(store, lookups, user_id, fields, meta)
            case "update_task", [task_id, fields]:
                commands.update_task(store, task_id, fields, meta)
            case "set_status", [task_id, status]:
                commands.update_task(store, task_id, {"status": status}, meta)
            case "delete_user", [user_id]:
                commands.delete_user(store, lookups, user_id, meta)
            case "delete_task", [task_id]:
                commands.delete_task(store, task_id, meta)
    except DomainError:
        pass


def live_store(path: Path) -> EventStore:
    """A database set up as the service sets it up, its read models following each append."""
    prepare_database(str(path))
    replay.subscribe_all()
    return EventStore(open_database(path))


HISTORIES = st.tuples(
    st.lists(st.tuples(st.just("create_user"), EMAILS, USER_FIELDS, META), min_size=1, max_size=4),
    st.lists(STEPS, max_size=40),
).map(lambda parts: parts[0] + parts[1])  # some users first, so that more of the later steps apply


@given(steps=HISTORIES)
def test_export_then_import_gives_identical_rows_and_read_models(steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source, target, file = Path(folder, "live.db"), Path(folder, "imported.db"), Path(folder, "events.jsonl")
        store = live_store(source)
        for step in steps:
            apply(store, step)
        runner = CliRunner()
        exported = runner.invoke(main, ["export", "--db", str(source)])
        assert exported.exit_code == 0, exported.output
        file.write_bytes(exported.stdout_bytes)
        imported = runner.invoke(main, ["import", str(file), "--db", str(target)])
        assert imported.exit_code == 0, imported.output

        event(f"{min(store.last_position(), 20) // 5 * 5}+ events")
        copy = EventStore(open_database(target))
        assert list(copy.iter_rows()) == list(store.iter_rows())
        assert replay.snapshot(copy.db) == replay.snapshot(store.db)
        copy.db.close()
        store.db.close()
