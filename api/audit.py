"""Owns the audit routes: a task's or a user's history, and the global event feed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from marshmallow import Schema, ValidationError, validate

from api import scopes
from api.apidoc import documented
from api.bodies import FeedPageSchema, TaskHistorySchema, UserHistorySchema
from api.errors import ApiError
from api.http import current_store, path_id, query
from api.pagination import paged, window
from api.schemas import CODES, PageQuerySchema, QueryInt, Text, ascii_int, err, wire_name
from taskstore import codec, history
from taskstore.commands import MAX_ID
from taskstore.errors import NotFound
from taskstore.events import EVENT_TYPES, Recorded
from taskstore.feed import read_feed
from taskstore.state import fold_task

bp = Blueprint("audit", __name__)
EVENT_TYPE_NAMES = ", ".join(EVENT_TYPES)


class HistoryQuerySchema(PageQuerySchema):
    pass


class StreamId(Text):
    """`task-<taskId>` or `user-<userId>`, the id read like an id in the path (`task-07` is `task-7`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        kind, _, number = text.partition("-")
        resource_id = ascii_int(number) if kind in ("task", "user") else None
        if resource_id is None or number.startswith("-"):
            raise ValidationError(err("INVALID_FORMAT", "Invalid stream id", "must be task-<taskId> or user-<userId>"))
        return f"{kind}-{resource_id}"


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
    stream_id = StreamId(
        data_key="streamId", load_default=None, error_messages=CODES, metadata={"pattern": "^(task|user)-[0-9]+$"}
    )


history_query = HistoryQuerySchema()
feed_query = EventFeedQuerySchema()
HISTORY_OUT = {"task": TaskHistorySchema(), "user": UserHistorySchema()}
feed_out = FeedPageSchema()


@bp.get("/tasks/<raw_id>/history")
@documented(
    "getTaskHistory",
    "A task's history, deleted tasks included",
    "audit",
    out=TaskHistorySchema,
    query=HistoryQuerySchema,
    path=("taskId",),
)
def task_history(raw_id: str) -> tuple[Response, int]:
    return _history("task", raw_id)


@bp.get("/users/<raw_id>/history")
@documented(
    "getUserHistory",
    "A user's history, deleted users included",
    "audit",
    out=UserHistorySchema,
    query=HistoryQuerySchema,
    path=("userId",),
)
def user_history(raw_id: str) -> tuple[Response, int]:
    return _history("user", raw_id)


@bp.get("/events")
@documented(
    "listEvents",
    "The event log in commit order, after a position",
    "audit",
    out=FeedPageSchema,
    query=EventFeedQuerySchema,
)
def event_feed() -> tuple[Response, int]:
    """The whole log; 403 for a token bound to one user, since it holds every user's events."""
    q = query(feed_query)
    scopes.require_unbound("read the event feed of every user")
    page = read_feed(current_store(), q["after"], q["limit"], event_type=q["event_type"], stream_id=q["stream_id"])
    if q["after"] > page.last_position:  # a position from another log, or a log restored from an older copy
        raise ApiError(
            400,
            "INVALID_RANGE",
            f"The `after` parameter is past the end of the log (position {page.last_position})",
            [{"field": "after", "reason": "Past the end of the log", "location": "query"}],
        )
    body = {"events": [feed_item(r) for r in page.events], "next_after": page.next_after, "has_more": page.has_more}
    return jsonify(feed_out.dump(body)), 200


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
    offset, limit = window(q)
    entries = history.history(records[offset : offset + limit])
    body = HISTORY_OUT[kind].dump({f"{kind}_id": resource_id, "history": entries})
    return paged((jsonify(body), 200), len(records), q)


def feed_item(record: Recorded) -> dict[str, Any]:
    """An event on the feed. `data` is the payload as decoded, upcast to the current shape, so
    `schemaVersion` is that shape's version (the event type's current one), whatever was stored."""
    event = record.event
    return {
        "position": record.position,
        "stream_id": event.stream_id,
        "version": event.version,
        "type": type(event).__name__,
        "schema_version": type(event).schema_version,
        "occurred_at": event.occurred_at,
        "request_id": record.request_id,
        "actor": record.actor,
        "data": wire_payload(codec.payload(event)),
    }


def wire_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with wire names, the field names inside an update's `changes` included."""
    out = {wire_name(key): value for key, value in payload.items()}
    if isinstance(payload.get("changes"), dict):
        out["changes"] = {wire_name(name): change for name, change in payload["changes"].items()}
    return out
