"""Owns one marshmallow schema per shape the API reads or writes.

Every error message is `CODE|reason|rest of the sentence`, so the error handler needs
no string matching: `api.http.validated` splits it into the envelope's parts.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from projections import tasks, users
from projections.asof import Point
from taskstore.dates import FIRST_US, LAST_US, instant_us, utc_text
from taskstore.events import TaskStatus

STATUSES = ", ".join(TaskStatus)


def err(code: str, reason: str, rest: str) -> str:
    return f"{code}|{reason}|{rest}"


CODES: dict[str, str | list[Any] | dict[Any, Any]] = {
    "required": err("MISSING_REQUIRED_FIELD", "Required", "is required"),
    "null": err("INVALID_FIELD", "Null not allowed", "cannot be null"),
    "invalid": err("INVALID_FIELD", "Wrong type", "has the wrong type"),
}
READ_ONLY = err("INVALID_FIELD", "Read-only field", "is assigned by the service and cannot be sent")


class Text(fields.String):
    """A JSON string that is valid Unicode text (no lone surrogates)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(err("INVALID_FORMAT", "Invalid text", "is not valid Unicode text")) from exc
        return text


#: A due date's instant lies in years 1-9999 UTC, and late enough in year 1 that its reminder
#: (up to 64000 minutes before it) does too: every instant the API writes is a date-time.
EARLIEST_DUE_US = FIRST_US + 64000 * 60_000_000
LATEST_DUE_US = LAST_US
DUE_RANGE = f"must be an instant from {utc_text(EARLIEST_DUE_US)} to {utc_text(LATEST_DUE_US)} (UTC)"


class DateTime(Text):
    """An ISO 8601 date-time, kept as the exact text the client sent."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            instant_us(text)
        except ValueError as exc:
            raise ValidationError(
                err(
                    "INVALID_FORMAT",
                    "Invalid date-time",
                    "must be an ISO 8601 date-time such as 2025-06-30T17:00:00-05:00",
                )
            ) from exc
        return text


class DueDate(DateTime):
    """A due date: a date-time whose instant, and whose reminder's, lie in years 1-9999 UTC."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DUE_US <= instant_us(text) <= LATEST_DUE_US:
            raise ValidationError(err("INVALID_RANGE", "Out of range", DUE_RANGE))
        return text


class Status(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> TaskStatus:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in TaskStatus.__members__:
            raise ValidationError(err("INVALID_STATUS", "Invalid status", f"must be one of {STATUSES}"))
        return TaskStatus(text)


class ReadOnly(fields.Raw):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        raise ValidationError(READ_ONLY)


def length(low: int, high: int) -> validate.Length:
    return validate.Length(
        low, high, error=err("INVALID_LENGTH", "Invalid length", "must be {min} to {max} characters long")
    )


def strict_int(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, error_messages=CODES, **kwargs)


EMAIL = validate.Email(error=err("INVALID_FORMAT", "Invalid email", "must be a valid email address"))
EMAIL_LENGTH = validate.Length(
    max=254, error=err("INVALID_LENGTH", "Invalid length", "must be at most {max} characters long")
)
OFFSET = validate.Range(0, 64000, error=err("INVALID_RANGE", "Out of range", "must be between {min} and {max}"))


class _AtLeastOne(Schema):
    @validates_schema(pass_original=True)
    def _not_empty(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        if isinstance(original, dict) and not original:
            raise ValidationError(err("MISSING_REQUIRED_FIELD", "Empty body", "must name at least one field to change"))


#: The wire name of each payload field whose name on the wire is not just its camelCase form.
WIRE_NAMES = {
    "user_id": "userId",
    "task_id": "taskId",
    "title": "taskTitle",
    "description": "taskDescription",
    "status": "taskStatus",
    "due_date": "dueDate",
    "warning_offset": "warningOffset",
    "first_name": "firstName",
    "last_name": "lastName",
    "contact_email": "contactEmail",
}


def wire_name(name: str) -> str:
    """The wire name of a payload field: `WIRE_NAMES`, else snake_case in camelCase (old_user_id: oldUserId)."""
    if name in WIRE_NAMES:
        return WIRE_NAMES[name]
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class UserCreateSchema(Schema):
    user_id = ReadOnly(data_key="userId")
    first_name = Text(data_key="firstName", required=True, error_messages=CODES, validate=length(1, 100))
    last_name = Text(data_key="lastName", required=True, error_messages=CODES, validate=length(1, 100))
    contact_email = Text(data_key="contactEmail", required=True, error_messages=CODES, validate=[EMAIL_LENGTH, EMAIL])


class UserUpdateSchema(_AtLeastOne):
    user_id = ReadOnly(data_key="userId")
    first_name = Text(data_key="firstName", error_messages=CODES, validate=length(1, 100))
    last_name = Text(data_key="lastName", error_messages=CODES, validate=length(1, 100))
    contact_email = Text(data_key="contactEmail", error_messages=CODES, validate=[EMAIL_LENGTH, EMAIL])


class TaskCreateSchema(Schema):
    task_id = ReadOnly(data_key="taskId")
    user_id = strict_int(data_key="userId", required=True)
    title = Text(data_key="taskTitle", required=True, error_messages=CODES, validate=length(1, 80))
    description = Text(
        data_key="taskDescription", allow_none=True, load_default=None, error_messages=CODES, validate=length(1, 255)
    )
    status = Status(data_key="taskStatus", load_default=TaskStatus.NOT_STARTED, error_messages=CODES)
    due_date = DueDate(data_key="dueDate", required=True, error_messages=CODES)
    warning_offset = strict_int(data_key="warningOffset", required=True, validate=OFFSET)


class TaskUpdateSchema(_AtLeastOne):
    task_id = ReadOnly(data_key="taskId")
    user_id = strict_int(data_key="userId")
    title = Text(data_key="taskTitle", error_messages=CODES, validate=length(1, 80))
    description = Text(data_key="taskDescription", allow_none=True, error_messages=CODES, validate=length(1, 255))
    status = Status(data_key="taskStatus", error_messages=CODES)
    due_date = DueDate(data_key="dueDate", error_messages=CODES)
    warning_offset = strict_int(data_key="warningOffset", validate=OFFSET)


class UserSchema(Schema):
    user_id = fields.Integer(data_key="userId", required=True)
    first_name = fields.String(data_key="firstName", required=True)
    last_name = fields.String(data_key="lastName", required=True)
    contact_email = fields.String(data_key="contactEmail", required=True)


class TaskSchema(Schema):
    task_id = fields.Integer(data_key="taskId", required=True)
    user_id = fields.Integer(data_key="userId", required=True)
    title = fields.String(data_key="taskTitle", required=True)
    description = fields.String(data_key="taskDescription", required=True, allow_none=True)
    status = fields.String(data_key="taskStatus", required=True, validate=validate.OneOf([str(s) for s in TaskStatus]))
    due_date = fields.String(data_key="dueDate", required=True)
    warning_offset = fields.Integer(data_key="warningOffset", required=True)


_ASCII_INT = re.compile(r"-?[0-9]+")
_DIGITS_LIMIT = 4000  # below Python's int-from-text limit; a longer number is past every bound anyway
_HUGE: int = pow(10, _DIGITS_LIMIT)


def ascii_int(text: str) -> int | None:
    """The integer `text` spells in ASCII digits (optionally negative), or None if it spells none."""
    if not _ASCII_INT.fullmatch(text):
        return None
    if len(text) > _DIGITS_LIMIT:
        return -_HUGE if text.startswith("-") else _HUGE
    return int(text)


class QueryInt(fields.Field[int]):
    """An integer written in a query string: ASCII digits with an optional minus sign."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number = ascii_int(value) if isinstance(value, str) else None
        if number is None:
            raise ValidationError(err("INVALID_FIELD", "Not an integer", "must be an integer"))
        return number


class AsOf(fields.Field[Point]):
    """A point of the log: a position (ASCII digits, 0 or more) or an ISO 8601 date-time."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Point:
        number = ascii_int(value) if isinstance(value, str) else None
        if number is not None:
            if number < 0:
                raise ValidationError(err("INVALID_RANGE", "Out of range", "must be a log position of 0 or more"))
            return Point(position=number)
        try:
            return Point(instant_us=instant_us(value))
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                err("INVALID_FORMAT", "Invalid point", "must be a log position or an ISO 8601 date-time")
            ) from exc


def sort_choice(columns: dict[str, str]) -> Text:
    names = [*columns, *(f"-{c}" for c in columns)]
    return Text(
        data_key="_sort",
        load_default=None,
        error_messages=CODES,
        validate=validate.OneOf(
            names,
            error=err(
                "INVALID_FIELD",
                "Unknown sort field",
                f"must be one of {', '.join(columns)}, optionally prefixed with -",
            ),
        ),
    )


class AsOfQuerySchema(Schema):
    as_of = AsOf(data_key="asOf", load_default=None)


class PageQuerySchema(Schema):
    """`_page` and `_perPage`, as every paged route takes them."""

    page = QueryInt(
        data_key="_page",
        load_default=0,
        validate=validate.Range(min=0, error=err("INVALID_RANGE", "Out of range", "must be 0 or more")),
    )
    per_page = QueryInt(
        data_key="_perPage",
        load_default=20,
        validate=validate.Range(1, 100, error=err("INVALID_RANGE", "Out of range", "must be between {min} and {max}")),
    )


class _ListQuerySchema(PageQuerySchema, AsOfQuerySchema):
    """The collections: pages of the state now or as of an earlier point of the log."""


class UserListQuerySchema(_ListQuerySchema):
    sort = sort_choice(users.SORTABLE)


class TaskListQuerySchema(_ListQuerySchema):
    sort = sort_choice(tasks.SORTABLE)
    status = Status(data_key="taskStatus", load_default=None, error_messages=CODES)


class ReminderListQuerySchema(PageQuerySchema):
    until = DateTime(data_key="until", load_default=None, error_messages=CODES)


class ReminderSchema(Schema):
    task_id = fields.Integer(data_key="taskId", required=True)
    user_id = fields.Integer(data_key="userId", required=True)
    title = fields.String(data_key="taskTitle", required=True)
    status = fields.String(data_key="taskStatus", required=True, validate=validate.OneOf([str(s) for s in TaskStatus]))
    due_date = fields.String(data_key="dueDate", required=True)
    warning_offset = fields.Integer(data_key="warningOffset", required=True)
    remind_at = fields.String(data_key="remindAt", required=True, metadata={"format": "date-time"})
    overdue = fields.Boolean(data_key="overdue", required=True)
