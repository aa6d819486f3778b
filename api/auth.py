"""Owns the request hooks: a request id for every request, who is asking (the bearer token),
the rate limit counted against them, and the read-only rule.

Every route needs a token except those marked `@public` (health checks, the API
document and its reference page). A token is one from `TASKSTORE_TOKENS` (full access,
no expiry: development and tests) or one issued with `taskstore tokens create` (stored
hashed in the `tokens` table; see `api.tokens`). Who is asking is `g.principal`; its
name is `g.actor`, the actor recorded in the events the request appends.

The hooks run in this order, so that a request with a bad token still counts against
its address before it is refused: (1) `_identify` gives the request its id and
authenticates, holding back any 401; (2) flask-limiter's own hook (`api.limits`)
counts the request against the token's name, or against the client address when there
is no valid token, and answers 429 over the limit; (3) `_admit` raises the held-back
401, then refuses a write by a read-only token with 403 READ_ONLY_ACCESS, before any
body is read. What a user-bound token may touch is decided in `api.scopes`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api import limits, tokens
from api.config import Config
from api.errors import ApiError, new_request_id
from api.http import current_store

log = logging.getLogger(__name__)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="taskstore"'}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class Principal:
    """Who is asking: the token's name (the actor of what it does), whether it may only read,
    and the user it is bound to (None: every user)."""

    name: str
    read_only: bool = False
    user_id: int | None = None


def public(view: View) -> View:
    """Mark a view as served without a token (and without counting it against a rate limit)."""
    view.taskstore_public = True  # type: ignore[attr-defined]
    return view


def is_public() -> bool:
    """Whether the request is for a public view, or for a public path with a method it does not
    take (that is a 405 for anyone, not a 401 or a 403 first)."""
    endpoint = request.endpoint
    if endpoint is None and isinstance(request.routing_exception, MethodNotAllowed):
        try:
            endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(method="GET")
        except HTTPException:
            return False
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "taskstore_public", False))


def init_app(app: Flask) -> None:
    app.before_request(_identify)
    limits.init_app(app, exempt=is_public)
    app.before_request(_admit)
    app.after_request(_stamp)


def _identify() -> None:
    new_request_id()
    if is_public():
        return
    try:
        g.principal = authenticate(request.headers.get("Authorization"))
        g.actor = g.principal.name
    except ApiError as exc:
        g.refusal = exc  # raised by _admit, once the rate limit has counted this request


def _admit() -> None:
    refusal = g.pop("refusal", None)
    if refusal is not None:
        raise refusal
    principal: Principal | None = g.get("principal")
    if principal is not None and principal.read_only and request.method not in SAFE_METHODS:
        raise ApiError(
            403, "READ_ONLY_ACCESS", f"The token {principal.name!r} is read-only: it may not {request.method}"
        )


def _stamp(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id") or new_request_id()
    return response


def authenticate(header: str | None) -> Principal:
    """Who the header's token belongs to. Raises ApiError 401 (UNAUTHORIZED, INVALID_TOKEN for
    an unknown or revoked token, EXPIRED_TOKEN)."""
    if header is None:
        raise ApiError(401, "UNAUTHORIZED", "The Authorization header is missing", headers=CHALLENGE)
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "INVALID_TOKEN", "The Authorization header must be 'Bearer <token>'", headers=CHALLENGE)
    given = presented.strip()
    configured = _configured(given)
    if configured is not None:
        return configured
    issued = tokens.matching(current_store().db, given)
    if issued is None or issued.revoked_at is not None:
        raise ApiError(401, "INVALID_TOKEN", "The token is not valid", headers=CHALLENGE)
    if _configured_name(issued.name):  # issued while the service ran: it would pass for the configured token
        log.error("refused the issued token %r: TASKSTORE_TOKENS has a token of that name; revoke one", issued.name)
        raise ApiError(401, "INVALID_TOKEN", "The token is not valid", headers=CHALLENGE)
    if issued.status(datetime.now(UTC)) == "expired":
        raise ApiError(401, "EXPIRED_TOKEN", "The token has expired", headers=CHALLENGE)
    return Principal(name=issued.name, read_only=issued.read_only, user_id=issued.user_id)


def _configured_name(name: str) -> bool:
    config: Config = current_app.extensions["taskstore.config"]
    return any(token.name == name for token in config.tokens)


def _configured(given: str) -> Principal | None:
    """The `TASKSTORE_TOKENS` entry `given` is, compared with every one, in constant time each."""
    config: Config = current_app.extensions["taskstore.config"]
    name = None
    for token in config.tokens:
        if hmac.compare_digest(given.encode(), token.secret.encode()):
            name = token.name
    return None if name is None else Principal(name=name)
