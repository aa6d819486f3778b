"""Owns Idempotency-Key on the creating POSTs: a retry with the same key and body gets the
first answer again, and nothing is appended twice.

Keys live in their own table, `idempotency_keys`, in the same SQLite file as the log (not
event data, so not in the log and not rebuilt). A key belongs to the token's name: two
tokens never share keys. The lookup, the creation and the key's row happen in one of the
store's write transactions (`BEGIN IMMEDIATE`), so two requests racing with one key create
one resource. Only successful creations are kept, for `RETENTION`; older keys are
forgotten (deleted by the next keyed request, through an index on `created_at`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, current_app, g, request
from sqlite_utils import Database

from api.errors import ApiError
from api.http import current_store, json_body
from taskstore import codec
from taskstore.commands import retrying

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
TABLE = "idempotency_keys"
# Printable ASCII but the comma: a server joins a header given twice with commas, so a key
# holding one could be two keys that no retry would send together again.
_KEY = re.compile(r"[\x20-\x2b\x2d-\x7e]{1,255}")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    etag TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);
CREATE INDEX IF NOT EXISTS {TABLE}_created_at ON {TABLE} (created_at);
"""

Created = tuple[Response, int]


def create(db: Database) -> None:
    db.executescript(SCHEMA)


def once(make: Callable[[], Created]) -> Created:
    """`make()`, unless this token already sent the request's Idempotency-Key: then the answer
    kept for it. Raises ApiError 400 for a malformed key, 422 for a key sent with another body."""
    key = _key()
    if key is None:
        return make()
    digest = _request_hash()

    def attempt() -> Created:
        db = current_store().db
        cutoff = codec.encode_time(datetime.now(UTC) - RETENTION)
        db.execute(f"DELETE FROM {TABLE} WHERE created_at < ?", [cutoff])
        kept = _lookup(db, key)
        if kept is not None:
            return _replay(kept, digest)
        response, status = make()
        _keep(db, key, digest, response, status)
        return response, status

    return retrying(current_store(), attempt)


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not _KEY.fullmatch(key):
        raise ApiError(
            400,
            "INVALID_FIELD",
            f"The `{HEADER}` header must be 1 to 255 printable ASCII characters, no comma, given once",
            [{"field": HEADER, "reason": "Invalid idempotency key", "location": "header"}],
        )
    return key


def _request_hash() -> str:
    """The SHA-256 of the route and the body in a canonical form (sorted keys, no spaces)."""
    canonical = json.dumps(json_body(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{request.endpoint}\n{canonical}".encode()).hexdigest()


def _lookup(db: Database, key: str) -> dict[str, Any] | None:
    return next(db.query(f"SELECT * FROM {TABLE} WHERE actor = ? AND key = ?", [g.actor, key]), None)


def _replay(kept: dict[str, Any], digest: str) -> Created:
    if kept["request_hash"] != digest:
        raise ApiError(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            f"This `{HEADER}` was already used with a different request; use a new key for a new request",
        )
    response = current_app.response_class(kept["body"], mimetype="application/json")
    if kept["etag"] is not None:
        response.headers["ETag"] = kept["etag"]
    return response, int(kept["status"])


def _keep(db: Database, key: str, digest: str, response: Response, status: int) -> None:
    db.execute(
        f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            g.actor,
            key,
            digest,
            status,
            response.get_data(as_text=True),
            response.headers.get("ETag"),
            codec.encode_time(datetime.now(UTC)),
        ],
    )
