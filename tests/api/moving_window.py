"""A clock the rate-limit tests move by hand, and the stories told with it that every storage
must tell alike: the burst across the end of a fixed window that the moving window refuses, a
Retry-After that is always long enough, and several limits at once, where the headers describe
the one that binds."""

from __future__ import annotations

import limits.storage.memory
import limits.storage.redis
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

import api.limits

START = 1_800_000_000  # a whole second, so START + 60, START + 119 and the like are exact floats


class Clock:
    """Stands in for the `time` module where the limits storages and api.limits read `time.time()`.
    `drift` is how far the clock moves while a response is being finished (see `drifting`)."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.drift = 0.0

    def time(self) -> float:
        return self.now

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Clock:
        for module in (limits.storage.memory, limits.storage.redis, api.limits):
            monkeypatch.setattr(module, "time", self)
        return self

    def drifting(self, app: Flask) -> Clock:
        """Move the clock by `drift` after each request is answered and before its rate-limit headers
        are written (after_request hooks run last registered first, so this one runs before them)."""

        def move(response: Response) -> Response:
            self.now += self.drift
            return response

        app.after_request(move)
        return self


Answer = tuple[int, int, int, int | None]  # status, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After
Stamp = tuple[int, int, int, int, int | None]  # status, X-RateLimit-Limit, -Remaining, -Reset, Retry-After


def stamps_at(client: FlaskClient, clock: Clock, seconds: float, requests: int, headers: dict[str, str]) -> list[Stamp]:
    """`requests` GET /users at START + `seconds`, each as (status, limit, remaining, reset, retry-after)."""
    clock.now = START + seconds
    stamps: list[Stamp] = []
    for _ in range(requests):
        response = client.get("/users", headers=headers)
        retry_after = response.headers.get("Retry-After")
        limit, remaining, reset = (
            int(response.headers[f"X-RateLimit-{name}"]) for name in ("Limit", "Remaining", "Reset")
        )
        stamps.append(
            (response.status_code, limit, remaining, reset, None if retry_after is None else int(retry_after))
        )
    return stamps


Timeline = list[tuple[float, list[Stamp]]]  # (seconds after START, what the requests sent then get)


def assert_timeline(client: FlaskClient, clock: Clock, headers: dict[str, str], timeline: Timeline) -> None:
    for seconds, expected in timeline:
        got = stamps_at(client, clock, seconds, len(expected), headers)
        assert got == expected, f"at START + {seconds}: {got}, not {expected}"


def assert_the_window_moves(client: FlaskClient, clock: Clock, headers: dict[str, str], limit: int) -> None:
    """With `limit` per minute: one request at START opens what would be a fixed window
    [START, START + 60); the rest of the limit is spent at START + 59. A fixed window would
    allow `limit` more at START + 60.5; the moving window allows one (the request of START
    has left the last minute) and refuses the next until after START + 119, when the requests
    of START + 59 leave it. A request is counted in the minute until it is *more* than a minute
    old, so Reset is the first whole second after the oldest counted request leaves
    (START + 61 for the request of START), Retry-After the fewest whole seconds after which it
    has left."""

    def expect(seconds: float, expected: list[Answer]) -> None:
        got = [
            (status, left, reset, retry)
            for status, _, left, reset, retry in stamps_at(client, clock, seconds, len(expected), headers)
        ]
        assert got == expected, f"at START + {seconds}: {got}, not {expected}"

    expect(0, [(200, limit - 1, START + 61, None)])
    expect(59, [*[(200, limit - 1 - i, START + 61, None) for i in range(1, limit)], (429, 0, START + 61, 2)])

    expect(60.5, [(200, 0, START + 120, None), (429, 0, START + 120, 59)])
    expect(118.9, [(429, 0, START + 120, 1)])

    # Only the request of START + 60.5 is left in the minute: the limit less one, until after START + 120.5.
    expect(119.5, [*[(200, limit - 1 - i, START + 121, None) for i in range(1, limit)], (429, 0, START + 121, 2)])


#: "3 per minute", requests at 0, 30 and 45 s. At 59 s the request of 0 s leaves the minute in
#: 1 s, but a request exactly 1 s later would still be refused (the request of 0 s is then exactly
#: a minute old, which is still inside the minute): Retry-After 2. At exactly 60 s the refusal
#: says a retry may come after 1 s (the memory storage's window already leaves out the request of
#: 0 s; it must still say Remaining 0), and at 61 s one more is allowed.
RETRY_AFTER_IS_ENOUGH: Timeline = [
    (0, [(200, 3, 2, START + 61, None)]),
    (30, [(200, 3, 1, START + 61, None)]),
    (45, [(200, 3, 0, START + 61, None)]),
    (59, [(429, 3, 0, START + 61, 2)]),
    (60, [(429, 3, 0, START + 61, 1)]),
    (61, [(200, 3, 0, START + 91, None)]),
]


def assert_a_refusal_as_the_oldest_request_leaves(client: FlaskClient, clock: Clock, headers: dict[str, str]) -> None:
    """3 per minute, requests at 0, 30 and 45 s; the next, at 59.9999 s, is refused, and by the
    time its headers are written (60.0001 s) the request of 0 s has left the minute. The 429 must
    not say one is left (nor that the next slot frees at 90 s): it says none, and to retry after
    1 s, and the retry then is allowed. `clock` must be `drifting` the client's application."""
    assert_timeline(client, clock, headers, RETRY_AFTER_IS_ENOUGH[:3])
    clock.drift = 0.0002
    assert_timeline(client, clock, headers, [(59.9999, [(429, 3, 0, START + 61, 1)])])
    clock.drift = 0.0
    assert_timeline(client, clock, headers, [(61.0001, [(200, 3, 0, START + 91, None)])])


#: Several limits: the headers describe the one with the fewest requests left (ties: the later
#: reset), and a 429 says how long until every exhausted limit allows one more.
SEVERAL_LIMITS: dict[str, tuple[str, Timeline]] = {
    # At 6.12 s the short limit has one request left but the long one none: the 200 says so, and
    # the refusal that follows waits for the long one (its requests of 0 s leave it after 10 s).
    # At 10.12 s both have one left; the short one's oldest request leaves later (13.12 s).
    "the binding limit is the one with the fewest left": (
        "2 per 3 seconds;5 per 10 seconds",
        [
            (0, [(200, 2, 1, START + 4, None), (200, 2, 0, START + 4, None)]),
            (3.06, [(200, 2, 1, START + 7, None), (200, 2, 0, START + 7, None)]),
            (6.12, [(200, 5, 0, START + 11, None), (429, 5, 0, START + 11, 4)]),
            (10.12, [(200, 2, 1, START + 14, None)]),
        ],
    ),
    # At 11 s both are exhausted: the short one allows one more after 15 s, the long one after
    # 20 s, so Retry-After waits for the long one.
    "a 429 waits for every exhausted limit": (
        "2 per 10 seconds;3 per 20 seconds",
        [
            (0, [(200, 2, 1, START + 11, None)]),
            (5, [(200, 2, 0, START + 11, None)]),
            (10.5, [(200, 3, 0, START + 21, None)]),
            (11, [(429, 3, 0, START + 21, 10)]),
            (21, [(200, 3, 0, START + 26, None)]),
        ],
    ),
    # flask-limiter counts the limits in the order given. Refused at 16 s by the second (long)
    # limit, the request must not have used up a slot of the first: the retry at 21 s finds the
    # short one with one left, not full.
    "a request refused by a later limit uses up no earlier one": (
        "2 per 10 seconds;3 per 20 seconds",
        [
            (0, [(200, 2, 1, START + 11, None)]),
            (5, [(200, 2, 0, START + 11, None)]),
            (15.5, [(200, 3, 0, START + 21, None)]),
            (16, [(429, 3, 0, START + 21, 5)]),
            (21, [(200, 2, 0, START + 26, None)]),
        ],
    ),
    # The same the other way round: refused at 5 s by the second (short) limit, the request must
    # not have used up a slot of the long one, or the retry at 11 s would find it full.
    "a request refused by a later limit uses up no earlier one, the other way round": (
        "3 per 20 seconds;2 per 10 seconds",
        [
            (0, [(200, 2, 1, START + 11, None)]),
            (1.5, [(200, 2, 0, START + 11, None)]),
            (5, [(429, 2, 0, START + 11, 6)]),
            (11, [(200, 3, 0, START + 21, None)]),
        ],
    ),
}
