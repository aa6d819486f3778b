"""Owns the loading of the sample users and tasks, through the same schemas and commands as the API."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from api.schemas import TaskCreateSchema, UserCreateSchema
from projections.replay import ViewLookups
from taskstore import commands
from taskstore.store import EventStore, Meta

SAMPLE_ACTOR = "sample-data"  # reserved: api.tokens.RESERVED_NAMES


def load_sample(store: EventStore, path: Path) -> tuple[int, int]:
    """Append the users and tasks of a sample file (wire field names) as ordinary events, all or none.

    Raises marshmallow's ValidationError or a DomainError if the file breaks a rule.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = Meta(request_id=f"req-{uuid.uuid4()}", actor=SAMPLE_ACTOR)
    users, tasks = UserCreateSchema(many=True).load(data["users"]), TaskCreateSchema(many=True).load(data["tasks"])
    with store.transaction():
        for fields in users:
            commands.create_user(store, ViewLookups(store.db), fields, meta)
        for fields in tasks:
            commands.create_task(store, fields, meta)
    return len(users), len(tasks)
