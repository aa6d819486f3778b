"""Owns the rate limits: flask-limiter counting every request against who is asking.

One limit (`Config.rate_limit`, e.g. "600 per minute"; several separated by `;`) covers
the whole API: it is flask-limiter's application-wide limit, so every route draws on
the same allowance. It is counted per token name for a request with a valid token, and
per client address otherwise (no token, or a bad one), so guessing tokens is limited
too. The `@public` views are neither counted nor stamped. Unknown paths (404) and
wrong methods (405) are counted like any other request.

The window moves (the `limits` library's moving-window strategy): a request is allowed
when fewer than the limit were allowed in the period (a minute for "600 per minute")
before it, so no span of that length ever holds more than the limit, across any
boundary. The price is one stored entry (a timestamp) per allowed request still inside
the period, at most the limit per key, where a fixed window keeps a single counter.

Counters live in `Config.rate_limit_storage`: `memory://` for one process, a Redis URL
when several workers serve the same clients, so that every worker draws on the same
counters. If that storage cannot be reached, each process counts in its own memory
until it can be again (flask-limiter's in-memory fallback), rather than failing requests.

Every counted response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` (requests
left in the period up to now) and `X-RateLimit-Reset` (Unix time, seconds, rounded up:
when the oldest request counted in the period leaves it, which is when one more request
is allowed again); a 429 also carries `Retry-After` (seconds until then, at least 1).
These are written here rather than by flask-limiter, whose own headers would put
`Retry-After` on every response.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter

from api.config import Config

log = logging.getLogger(__name__)
EXTENSION = "taskstore.limiter"


def init_app(app: Flask, *, exempt: Callable[[], bool]) -> None:
    """Register flask-limiter's hook (after the hooks registered so far) and the headers; nothing
    when the configuration sets no limit."""
    config: Config = app.extensions["taskstore.config"]
    if config.rate_limit is None:
        return
    limiter = Limiter(
        caller_key,
        application_limits=[config.rate_limit],
        storage_uri=config.rate_limit_storage,
        key_prefix=config.rate_limit_prefix,
        strategy="moving-window",
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        request_identifier=lambda: request.endpoint or "unrouted",  # 404 and 405 are counted too
    )
    limiter.request_filter(exempt)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.after_request(_stamp)


def caller_key() -> str:
    """What a request counts against: its token's name, else its client address."""
    principal = g.get("principal")
    if principal is not None:
        return f"token:{principal.name}"
    return f"address:{request.remote_addr or 'unknown'}"


def _stamp(response: Response) -> Response:
    limiter: Limiter = current_app.extensions[EXTENSION]
    current = limiter.current_limit
    if current is None:  # not counted: a public view
        return response
    try:
        # (oldest entry in the period + the period, entries left): when that entry leaves the period
        oldest_leaves, remaining = current.window
    except Exception:  # the storage went away after counting: answer without the headers
        log.exception("could not read the rate limit window")
        return response
    now = time.time()
    reset_time = max(oldest_leaves, now)  # an entry gone meanwhile: now, not the past
    response.headers["X-RateLimit-Limit"] = str(current.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(remaining, 0))
    response.headers["X-RateLimit-Reset"] = str(math.ceil(reset_time))
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, math.ceil(reset_time - now)))
    return response
