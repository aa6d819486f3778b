"""Owns the request hooks: a request id for every request, then bearer-token authentication."""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, g, request

from api.config import Config
from api.errors import ApiError, new_request_id

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="taskstore"'}


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_stamp)


def _start() -> None:
    new_request_id()
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
