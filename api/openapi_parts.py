"""Owns the pieces of the API document that follow from rules every route shares: the
headers sent and taken, the path ids, and which error statuses each kind of input causes."""

from __future__ import annotations

from typing import Any

from api.apidoc import Operation
from api.errors import BEFORE_THE_APP
from taskstore.commands import MAX_ID

WRITES = {"POST", "PATCH", "DELETE"}


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": schema}


_INT = {"type": "integer", "minimum": 0}
_TEXT = {"type": "string"}

HEADERS = {
    "X-Request-Id": _header(
        "This request's id, `req-` and a UUID; the same as `requestId` in an error body.",
        {"type": "string", "pattern": "^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
    ),
    "X-RateLimit-Limit": _header(
        "Requests allowed in any span of the limit's period, e.g. any minute (per token, or per address). "
        "With several limits, of the one that binds: the one with the fewest requests left "
        "(on a tie, the one whose oldest request leaves last); on a 429, of the one that refused it longest.",
        _INT,
    ),
    "X-RateLimit-Remaining": _header("Requests that limit has left in the period that ends now; 0 on a 429.", _INT),
    "X-RateLimit-Reset": _header(
        "The first whole second (Unix time) at which the oldest request counted in that period has left it, "
        "giving one back; on a 429, at which every limit that refused the request allows one more.",
        _INT,
    ),
    "ETag": _header("The resource's version, for `If-Match` and `If-None-Match`.", _TEXT),
    "X-Total-Count": _header("Items matching the query across all pages.", _INT),
    "Link": _header("RFC 8288 links `first`, `prev`, `next`, `last`, keeping the other query parameters.", _TEXT),
    "Retry-After": _header(
        "The fewest whole seconds (at least 1) after which every limit that refused the request allows one more.",
        _INT,
    ),
    "Allow": _header("The methods the path takes, e.g. `GET, PATCH, DELETE`.", _TEXT),
    "WWW-Authenticate": _header('`Bearer realm="taskstore"`.', _TEXT),
}
#: Sent on every response, success or error.
EVERY_RESPONSE = ("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
#: Sent on the errors of these statuses.
ERROR_HEADERS = {401: ("WWW-Authenticate",), 405: ("Allow",), 412: ("ETag",), 429: ("Retry-After",)}

REQUEST_HEADERS = {
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "`ETag`s of versions the request is based on (strong comparison; `*`: any version); "
        "412 if none names the resource's version.",
        "schema": _TEXT,
    },
    "If-None-Match": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "`ETag`s the client holds (weak comparison, so `W/` forms match too; `*`: any version). "
        "If one names the resource's version: a GET is answered 304 with no body, a change is refused with 412.",
        "schema": _TEXT,
    },
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A retry with the same key and body returns the original response and creates nothing; "
        "the same key with another body is 422.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -+\\--~]+$"},
    },
}


def path_parameter(name: str) -> dict[str, Any]:
    """A resource id in the path: an integer; one with no resource (0 and negatives included) is 404."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The `{name}`; any other integer is 404, anything but an integer 400.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def error_statuses(method: str, op: Operation) -> list[int]:
    """The error statuses `op` can answer: from its inputs, its method and whether it needs a token."""
    found = {400, 405, 500, *op.errors}  # 400: every route refuses unknown query parameters
    found |= BEFORE_THE_APP  # a request line or headers too long for the server
    if not op.public:  # a public route needs no token and is not rate limited
        found |= {401, 403, 429}
    if op.path:
        found.add(404)
    if op.body is not None:
        found |= {413, 415}
    if method in WRITES and not op.public:
        found.add(409)
    if {"If-Match", "If-None-Match"} & set(op.request_headers):
        found.add(412)
    if "Idempotency-Key" in op.request_headers:
        found.add(422)
    return sorted(found)
