"""Owns the output schemas of the bodies that are not one resource: the lists, the audit
bodies (history, the event feed), the reports (stats, reminders) and the error envelope.

The routes dump their bodies with these schemas and `api.openapi` documents the same
schemas, so a response and its description cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump, validate

from api.errors import ALL_CODES
from api.schemas import ReminderSchema, TaskSchema, UserSchema, wire_name
from taskstore import codec
from taskstore.events import EVENT_TYPES, TaskStatus

REQUEST_ID_PATTERN = "^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
STREAM_ID_PATTERN = "^(task|user)-[1-9][0-9]*$"


class RecordedTime(fields.String):
    """A recorded time, as stored in the log: UTC ISO 8601 with a Z."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else codec.encode_time(value)


class WireName(fields.String):
    """A payload field's name as the API spells it (`title` is `taskTitle`)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else wire_name(value)


def _id(name: str) -> fields.Integer:
    return fields.Integer(data_key=name, required=True)


class UserListSchema(Schema):
    users = fields.List(fields.Nested(UserSchema), required=True)


class TaskListSchema(Schema):
    tasks = fields.List(fields.Nested(TaskSchema), required=True)


class ChangeSchema(Schema):
    field = WireName(required=True)
    old = fields.Raw(required=True, allow_none=True)
    new = fields.Raw(required=True, allow_none=True)


class HistoryEntrySchema(Schema):
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    occurred_at = RecordedTime(data_key="occurredAt", required=True, metadata={"format": "date-time"})
    request_id = fields.String(data_key="requestId", required=True)
    actor = fields.String(required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    deleted = fields.Boolean(metadata={"description": "Only on the stream's deletion, and then true."})
    cascade = fields.Boolean(
        metadata={"description": "Only on a task's deletion: whether it went because its user was deleted."}
    )

    @post_dump
    def _only_on_deletion(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if not data.get("deleted"):
            data.pop("deleted", None)
        if data.get("cascade") is None:
            data.pop("cascade", None)
        return data


class TaskHistorySchema(Schema):
    task_id = _id("taskId")
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)


class UserHistorySchema(Schema):
    user_id = _id("userId")
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)


class FeedEventSchema(Schema):
    position = fields.Integer(required=True)
    stream_id = fields.String(data_key="streamId", required=True, validate=validate.Regexp(STREAM_ID_PATTERN))
    version = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    schema_version = fields.Integer(data_key="schemaVersion", required=True)
    occurred_at = RecordedTime(data_key="occurredAt", required=True, metadata={"format": "date-time"})
    request_id = fields.String(data_key="requestId", required=True)
    actor = fields.String(required=True)
    data = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "The event's payload in the API's field names, in its type's current shape."},
    )


class FeedPageSchema(Schema):
    events = fields.List(fields.Nested(FeedEventSchema), required=True)
    next_after = fields.Integer(data_key="nextAfter", required=True)
    has_more = fields.Boolean(data_key="hasMore", required=True)


StatusCountsSchema = Schema.from_dict(
    {str(status): fields.Integer(required=True) for status in TaskStatus}, name="StatusCountsSchema"
)


class SpreadSchema(Schema):
    tasks = fields.Integer(required=True)
    median_seconds = fields.Float(data_key="medianSeconds", required=True)
    p90_seconds = fields.Float(data_key="p90Seconds", required=True)


class FinishedSchema(Schema):
    tasks = fields.Integer(required=True)
    time_in_status = fields.Dict(
        data_key="timeInStatus",
        keys=fields.String(validate=validate.OneOf([str(s) for s in TaskStatus])),
        values=fields.Nested(SpreadSchema),
        required=True,
        metadata={"description": "Keyed by status; only statuses finished tasks passed through."},
    )


class TaskStatsSchema(Schema):
    counts = fields.Nested(StatusCountsSchema, required=True)
    finished = fields.Nested(FinishedSchema, required=True)


class ReminderListSchema(Schema):
    reminders = fields.List(fields.Nested(ReminderSchema), required=True)


class ErrorDetailSchema(Schema):
    field = fields.String(required=True)
    reason = fields.String(required=True)
    location = fields.String(required=True, validate=validate.OneOf(["body", "query", "path", "header"]))


class ErrorSchema(Schema):
    """The error envelope every error is answered with."""

    code = fields.String(required=True, validate=validate.OneOf(ALL_CODES))
    message = fields.String(required=True)
    details = fields.List(fields.Nested(ErrorDetailSchema), validate=validate.Length(min=1))
    missed = fields.List(
        fields.Nested(HistoryEntrySchema),
        metadata={"description": "Only on a 412: the history entries after the version If-Match named."},
    )
    request_id = fields.String(data_key="requestId", required=True, validate=validate.Regexp(REQUEST_ID_PATTERN))


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ReadySchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ready"]))
    position = fields.Integer(required=True, metadata={"description": "The end of the log the read models stand at."})
