"""Owns the request hooks: a request id for every request, then bearer-token authentication.

Every route needs a token except those marked `@public` (health checks, the API
document and its reference page)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, g, request

from api.config import Config
from api.errors import ApiError, new_request_id

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="taskstore"'}
View = TypeVar("View", bound=Callable[..., object])


def public(view: View) -> View:
    """Mark a view as served without a token."""
    view.taskstore_public = True  # type: ignore[attr-defined]
    return view


def _is_public() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "taskstore_public", False))


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_stamp)


def _start() -> None:
    new_request_id()
    if not _is_public():
        g.actor = authenticate(request.headers.get("Authorization"))


def _stamp(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id") or new_request_id()
    return response


def authenticate(header: str | None) -> str:
    """The name of the configured token the header carries. Raises ApiError 401."""
    if header is None:
        raise ApiError(401, "UNAUTHORIZED", "The Authorization header is missing", headers=CHALLENGE)
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "INVALID_TOKEN", "The Authorization header must be 'Bearer <token>'", headers=CHALLENGE)
    config: Config = current_app.extensions["taskstore.config"]
    given = presented.strip().encode()
    name = None
    for token in config.tokens:  # compare with every token, in constant time each
        if hmac.compare_digest(given, token.secret.encode()):
            name = token.name
    if name is None:
        raise ApiError(401, "INVALID_TOKEN", "The token is not valid", headers=CHALLENGE)
    return name
