"""Owns the rate limits: flask-limiter counting every request against who is asking.

The limit (`Config.rate_limit`, e.g. "600 per minute"; several separated by `;`, e.g.
"10 per second;600 per minute") covers the whole API: each is one of flask-limiter's
application-wide limits, so every route draws on the same allowances. They are counted per
token name for a request with a valid token, and per client address otherwise (no token, or
a bad one), so guessing tokens is limited too. The `@public` views are neither counted nor
stamped. Unknown paths (404) and wrong methods (405) are counted like any other request.

The window moves (the `limits` library's moving-window strategy): a request is allowed
when fewer than the limit were allowed in the period (a minute for "600 per minute")
before it, so no span of that length ever holds more than the limit, across any
boundary. The price is one stored entry (a timestamp) per allowed request still inside
the period, at most the limit per key, where a fixed window keeps a single counter. A
request stays counted until it is *more* than the period old (both storages refuse while
the oldest entry is exactly the period old).

Every limit is tested before any is counted, so a refused request uses up none of them.
flask-limiter alone would count (`hit`) the limits one after another (by unit, second
before minute, then as configured) and stop at the first that refuses, so a request
refused by a later limit would already have used a slot of the earlier ones; its
`fail_on_first_breach` only stops the counting there, and no order helps every case. But
it only tests (`test`) a limit that has a `deduct_when`, leaving the count for later. So
here `application_limits_deduct_when` is never true (flask-limiter never counts) and
`fail_on_first_breach` is off (every limit is tested, so every one that refuses is known);
`_count`, the hook right after flask-limiter's, counts the request against each limit once
all have room. A count can still fail if a request of the same caller took the last slot
in between (or, in memory, at the instant the oldest entry is exactly the period old):
a 429 then, keeping the slots already taken of the limits counted before.

Counters live in `Config.rate_limit_storage`: `memory://` for one process, a Redis URL
when several workers serve the same clients, so that every worker draws on the same
counters. If that storage cannot be reached, each process counts in its own memory
until it can be again (flask-limiter's in-memory fallback), rather than failing requests.

Every counted response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` of the limit that binds: the one with the fewest requests left in its
period up to now (ties: the one whose oldest counted request leaves it last). Reset is the
first whole second (Unix time) at which that oldest request has left, giving back one
request. A 429 says Remaining 0 and describes the limits that refused it, and carries
`Retry-After`: the fewest whole seconds (at least 1) after which every one of them allows
one more; Reset is the first whole second at which they all do. A limit whose window,
read after the refusal, already has room (its oldest request left meanwhile) allows one
more at once: Retry-After 1. These are written here rather than by flask-limiter, whose own
headers describe one limit only and would put `Retry-After` on every response.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RequestLimit
from limits.storage import storage_from_string
from werkzeug.exceptions import TooManyRequests

from api.config import Config

log = logging.getLogger(__name__)
EXTENSION = "taskstore.limiter"


def init_app(app: Flask, *, exempt: Callable[[], bool]) -> None:
    """Register flask-limiter's hook and `_count` (after the hooks registered so far) and the
    headers; nothing when the configuration sets no limit."""
    config: Config = app.extensions["taskstore.config"]
    if config.rate_limit is None:
        return
    limiter = Limiter(
        caller_key,
        application_limits=[config.rate_limit],
        application_limits_deduct_when=lambda response: False,  # only tested there; `_count` counts
        fail_on_first_breach=False,  # test every limit, so every one that refuses is known
        storage_uri=config.rate_limit_storage,
        key_prefix=config.rate_limit_prefix,
        strategy="moving-window",
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        request_identifier=lambda: request.endpoint or "unrouted",  # 404 and 405 are counted too
    )
    limiter.request_filter(exempt)
    limiter.init_app(app)
    _warn_unless_reachable(config.rate_limit_storage)
    app.extensions[EXTENSION] = limiter
    app.before_request(_count)
    app.after_request(_stamp)


def _warn_unless_reachable(storage_uri: str) -> None:
    """Log a warning if the counters' storage does not answer now: until it does, each process
    counts in its own memory, so N workers allow up to N times the limit."""
    try:
        reachable = storage_from_string(storage_uri).check()
    except Exception:
        reachable = False
    if not reachable:
        log.warning(
            "the rate-limit storage %s does not answer: each process counts in its own memory until it does",
            storage_uri,
        )


def caller_key() -> str:
    """What a request counts against: its token's name, else its client address."""
    principal = g.get("principal")
    if principal is not None:
        return f"token:{principal.name}"
    return f"address:{request.remote_addr or 'unknown'}"


def _count() -> None:
    """Count the request against every limit flask-limiter has just tested and found room in (none
    for a public view). Raises TooManyRequests (429) if one refuses after all: a request of the
    same caller took its last slot in between, or its oldest entry is exactly the period old (the
    memory storage's window leaves that one out, its count does not)."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    # Shortest period first: a request refused by a later limit keeps the slots it took of the
    # earlier ones, and those then leave their windows soonest.
    for limit in sorted(limiter.current_limits, key=lambda limit: limit.limit.get_expiry()):
        try:
            counted = limiter.limiter.hit(limit.limit, *limit.request_args)
        except Exception:  # the storage went away since the test: let the request through
            log.exception("could not count the request against the rate limit %s", limit.limit)
            return
        if not counted:
            limit.breached = True
            raise TooManyRequests(description=str(limit.limit))


def _stamp(response: Response) -> Response:
    limiter: Limiter = current_app.extensions[EXTENSION]
    limits = limiter.current_limits
    if not limits:  # not counted: a public view
        return response
    try:
        headers = _headers(limits, time.time())
    except Exception:  # the storage went away after counting: answer without the headers
        log.exception("could not read the rate limit window")
        return response
    response.headers.update(headers)
    return response


def _headers(limits: list[RequestLimit], now: float) -> dict[str, str]:
    """The headers for a request counted against `limits` (those that refused it marked `breached`),
    read from their windows now."""
    refused = any(limit.breached for limit in limits)
    if refused:
        exhausted = [limit for limit in limits if limit.breached or limit.remaining <= 0]
        frees = {limit: _frees_at(limit, now) for limit in exhausted}
        binding = max(exhausted, key=frees.__getitem__)
        free, remaining = frees[binding], 0
    else:
        binding = min(limits, key=lambda limit: (max(limit.remaining, 0), -limit.window.reset_time))
        free, remaining = max(binding.window.reset_time, now), max(binding.remaining, 0)
    headers = {
        "X-RateLimit-Limit": str(binding.limit.amount),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(_after(free)),
    }
    if refused:
        headers["Retry-After"] = str(max(1, _after(free - now)))
    return headers


def _frees_at(limit: RequestLimit, now: float) -> float:
    """When an exhausted limit allows one more: when its oldest counted request leaves the period,
    or now if its window already has room (that request left after the refusal)."""
    return now if limit.remaining > 0 else max(limit.window.reset_time, now)


def _after(moment: float) -> int:
    """The first whole number strictly after `moment`: an entry is counted until it is more than its
    period old, so one more request is allowed only after the moment its period ends."""
    return math.floor(moment) + 1
