"""Owns the error envelope and every error handler: whatever goes wrong, the answer is JSON
`{"code", "message", "details"?, "requestId"}` with the same id in `X-Request-Id`."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, g, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from taskstore.errors import ConcurrencyConflict, DomainError, DuplicateEmail, NotFound, UnknownUser, VersionMismatch

log = logging.getLogger(__name__)

STATUS_FOR: dict[type[DomainError], int] = {NotFound: 404, ConcurrencyConflict: 409, VersionMismatch: 412}
FIELD_FOR: dict[type[DomainError], str] = {DuplicateEmail: "contactEmail", UnknownUser: "userId"}
HTTP_CODES = {
    400: "INVALID_FORMAT",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "IDEMPOTENCY_KEY_REUSED",
    429: "RATE_LIMIT_EXCEEDED",
}
METHOD_ORDER = ("GET", "POST", "PATCH", "DELETE")
#: Every code an error may carry, by status (what the API document lists for each status).
CODES_FOR_STATUS: dict[int, tuple[str, ...]] = {
    400: (
        "MISSING_REQUIRED_FIELD",
        "INVALID_LENGTH",
        "INVALID_RANGE",
        "INVALID_FORMAT",
        "INVALID_STATUS",
        "INVALID_USER_ID",
        "DUPLICATE_EMAIL",
        "INVALID_FIELD",
    ),
    401: ("UNAUTHORIZED", "INVALID_TOKEN", "EXPIRED_TOKEN"),
    403: ("FORBIDDEN", "READ_ONLY_ACCESS"),
    404: ("RESOURCE_NOT_FOUND",),
    405: ("METHOD_NOT_ALLOWED",),
    409: ("CONFLICT",),
    412: ("PRECONDITION_FAILED",),
    413: ("PAYLOAD_TOO_LARGE",),
    414: ("INVALID_FORMAT",),  # a request line over 4094 bytes, refused by the server before the app
    415: ("UNSUPPORTED_MEDIA_TYPE",),
    422: ("IDEMPOTENCY_KEY_REUSED",),
    429: ("RATE_LIMIT_EXCEEDED",),
    431: ("INVALID_FORMAT",),  # headers over 8 KiB, likewise
    500: ("SERVER_ERROR",),
    503: ("NOT_READY",),
}
#: Statuses the server answers before the application sees the request: not rate limited.
BEFORE_THE_APP = frozenset({414, 431})
ALL_CODES = list(dict.fromkeys(code for codes in CODES_FOR_STATUS.values() for code in codes))


class ApiError(Exception):
    """A failure only the HTTP layer knows about (auth, media type, a bad path id...)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers or {}


def envelope(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[Response, int]:
    """The error answer; `extra` keys (such as a 412's `missed`) go after `details`, before `requestId`."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    body.update(extra or {})
    body["requestId"] = g.get("request_id") or new_request_id()
    response = jsonify(body)
    response.headers.update(headers or {})
    return response, status


def new_request_id() -> str:
    """A fresh `req-<uuid>` id, remembered as this request's."""
    g.request_id = f"req-{uuid.uuid4()}"
    return str(g.request_id)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(exc: ApiError) -> tuple[Response, int]:
        return envelope(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> tuple[Response, int]:
        field = FIELD_FOR.get(type(exc))
        details = None if field is None else [{"field": field, "reason": exc.message, "location": "body"}]
        return envelope(STATUS_FOR.get(type(exc), 400), exc.code, exc.message, details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> tuple[Response, int]:
        # Schemas are loaded through api.http.validated, which turns these into ApiError.
        return _unexpected(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        if status >= 500:
            return _unexpected(exc)
        headers = {}
        if isinstance(exc, MethodNotAllowed):
            allowed = set(exc.valid_methods or ())
            headers["Allow"] = ", ".join(m for m in METHOD_ORDER if m in allowed)
        return envelope(status, HTTP_CODES.get(status, "INVALID_FIELD"), _http_message(exc), headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unexpected error in request %s", g.get("request_id"))
        return envelope(500, "SERVER_ERROR", "An unexpected error occurred; it has been logged")


def _http_message(exc: HTTPException) -> str:
    match exc.code:
        case 404:
            return f"No resource at {request.path}"
        case 405:
            return f"{request.method} is not allowed on {request.path}"
        case 413:
            return "The request body is larger than the limit"
        case 429:  # flask-limiter's RateLimitExceeded: its description is the limit, e.g. "20 per 1 minute"
            return f"Too many requests: the limit is {exc.description}; try again after Retry-After seconds"
    return exc.description or exc.name
