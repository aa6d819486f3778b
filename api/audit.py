"""Owns the audit routes: a task's or a user's history, and the global event feed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from marshmallow import Schema, validate

from api import scopes
from api.http import current_store, path_id, query
from api.schemas import CODES, QueryInt, Text, _ListQuerySchema, err, wire_name
from api.users import _window
from taskstore import codec, history
from taskstore.commands import MAX_ID
from taskstore.errors import NotFound
from taskstore.events import EVENT_TYPES, Recorded
from taskstore.feed import read_feed
from taskstore.state import fold_task

bp = Blueprint("audit", __name__)
EVENT_TYPE_NAMES = ", ".join(EVENT_TYPES)


class HistoryQuerySchema(_ListQuerySchema):
    pass


class EventFeedQuerySchema(Schema):
    after = QueryInt(
        load_default=0,
        validate=validate.Range(
            0, MAX_ID, error=err("INVALID_RANGE", "Out of range", "must be between {min} and {max}")
        ),
    )
    limit = QueryInt(
        load_default=100,
        validate=validate.Range(1, 1000, error=err("INVALID_RANGE", "Out of range", "must be between {min} and {max}")),
    )
    event_type = Text(
        data_key="type",
        load_default=None,
        error_messages=CODES,
        validate=validate.OneOf(
            EVENT_TYPES, error=err("INVALID_FIELD", "Unknown event type", f"must be one of {EVENT_TYPE_NAMES}")
        ),
    )
    stream_id = Text(
        data_key="streamId",
        load_default=None,
        error_messages=CODES,
        validate=validate.Regexp(
            r"(task|user)-[1-9][0-9]*\Z",
            error=err("INVALID_FORMAT", "Invalid stream id", "must be task-<taskId> or user-<userId>"),
        ),
    )


history_query = HistoryQuerySchema()
feed_query = EventFeedQuerySchema()


@bp.get("/tasks/<raw_id>/history")
def task_history(raw_id: str) -> tuple[Response, int]:
    return _history("task", raw_id)


@bp.get("/users/<raw_id>/history")
def user_history(raw_id: str) -> tuple[Response, int]:
    return _history("user", raw_id)


@bp.get("/events")
def event_feed() -> tuple[Response, int]:
    """The whole log; 403 for a token bound to one user, since it holds every user's events."""
    q = query(feed_query)
    scopes.require_unbound("read the event feed of every user")
    page = read_feed(current_store(), q["after"], q["limit"], event_type=q["event_type"], stream_id=q["stream_id"])
    body = {"events": [feed_item(r) for r in page.events], "nextAfter": page.next_after, "hasMore": page.has_more}
    return jsonify(body), 200


def _history(kind: str, raw_id: str) -> tuple[Response, int]:
    """One page of a stream's history; a stream that never existed is 404, a deleted one is not.
    For a token bound to a user, another user's history (a task's by its last owner) is 403."""
    q = query(history_query)
    resource_id = path_id(raw_id, kind)
    records = current_store().read_stream(f"{kind}-{resource_id}")
    if not records:
        raise NotFound(f"{kind.capitalize()} {resource_id} not found")
    task = fold_task(r.event for r in records) if kind == "task" else None
    scopes.check_owner(resource_id if task is None else task.user_id)
    offset, limit = _window(q)
    entries = history.history(records[offset : offset + limit])
    return jsonify({f"{kind}Id": resource_id, "history": [history_entry(e) for e in entries]}), 200


def history_entry(entry: history.Entry) -> dict[str, Any]:
    """An entry on the wire; `deleted` (and for a task `cascade`) only on a deletion."""
    out: dict[str, Any] = {
        "version": entry.version,
        "position": entry.position,
        "type": entry.type,
        "occurredAt": codec.encode_time(entry.occurred_at),
        "requestId": entry.request_id,
        "actor": entry.actor,
        "changes": [{"field": wire_name(c.field), "old": c.old, "new": c.new} for c in entry.changes],
    }
    if entry.deleted:
        out["deleted"] = True
    if entry.cascade is not None:
        out["cascade"] = entry.cascade
    return out


def feed_item(record: Recorded) -> dict[str, Any]:
    """An event on the feed. `data` is the payload as decoded, upcast to the current shape, so
    `schemaVersion` is that shape's version (the event type's current one), whatever was stored."""
    event = record.event
    return {
        "position": record.position,
        "streamId": event.stream_id,
        "version": event.version,
        "type": type(event).__name__,
        "schemaVersion": type(event).schema_version,
        "occurredAt": codec.encode_time(event.occurred_at),
        "requestId": record.request_id,
        "actor": record.actor,
        "data": wire_payload(codec.payload(event)),
    }


def wire_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with wire names, the field names inside an update's `changes` included."""
    out = {wire_name(key): value for key, value in payload.items()}
    if isinstance(payload.get("changes"), dict):
        out["changes"] = {wire_name(name): change for name, change in payload["changes"].items()}
    return out
