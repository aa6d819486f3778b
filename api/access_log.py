"""Owns the request log: one JSON line on stderr per request the application answers.

Each line holds the method, the path (no query string), the status, the duration in
milliseconds, the request id, the token's name (null for an unauthenticated request or a
public probe) and the client's address; never a header value or a body, so no token can
leak into a log. The lines go through the `taskstore.access` logger; the formatter is a
few lines of `json.dumps`, so no logging dependency is needed for a fixed set of fields.
Requests gunicorn refuses before the application sees them (not valid HTTP) get no line.
`json_lines` gives other loggers the same format (`taskstore.server`, in `api.stalls`), and
`api.server.LOG_CONFIG` gives it to gunicorn's own log and the `api.*` loggers.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

LOGGER = "taskstore.access"
log = logging.getLogger(LOGGER)


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, message, then the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line: dict[str, Any] = {
            "time": when.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:  # the traceback, in the same line
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record, not at creation."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def json_lines(logger: logging.Logger) -> None:
    """Make `logger` write its records of level info and above as JSON lines on stderr, and only there."""
    if not any(isinstance(h, StderrHandler) for h in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # one line per record, even if the root logger has handlers too


def init_app(app: Flask) -> None:
    """Log every request of `app`; register this before any other request hook, so that the
    duration covers them and a request they refuse (a 401) is logged too."""
    json_lines(log)
    app.before_request(_start)
    app.after_request(_record)


def _start() -> None:
    g.access_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.get("access_started", time.perf_counter())
    fields = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "request_id": g.get("request_id"),
        "token": g.get("actor"),
        "remote_addr": request.remote_addr,
    }
    log.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields})
    return response
