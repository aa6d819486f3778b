"""A clock the rate-limit tests move by hand, and the burst across the end of a fixed window
that the moving window must refuse, told with that clock."""

from __future__ import annotations

import limits.storage.memory
import limits.storage.redis
import pytest
from flask.testing import FlaskClient

import api.limits

START = 1_800_000_000  # a whole second, so START + 60, START + 119 and the like are exact floats


class Clock:
    """Stands in for the `time` module where the limits storages and api.limits read `time.time()`."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Clock:
        for module in (limits.storage.memory, limits.storage.redis, api.limits):
            monkeypatch.setattr(module, "time", self)
        return self


Answer = tuple[int, int, int, int | None]  # status, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After


def answers_at(
    client: FlaskClient, clock: Clock, seconds: float, requests: int, headers: dict[str, str]
) -> list[Answer]:
    """`requests` GET /users at START + `seconds`, each as (status, remaining, reset, retry-after)."""
    clock.now = START + seconds
    answers: list[Answer] = []
    for _ in range(requests):
        response = client.get("/users", headers=headers)
        retry_after = response.headers.get("Retry-After")
        remaining, reset = response.headers["X-RateLimit-Remaining"], response.headers["X-RateLimit-Reset"]
        answers.append(
            (response.status_code, int(remaining), int(reset), None if retry_after is None else int(retry_after))
        )
    return answers


def assert_the_window_moves(client: FlaskClient, clock: Clock, headers: dict[str, str], limit: int) -> None:
    """With `limit` per minute: one request at START opens what would be a fixed window
    [START, START + 60); the rest of the limit is spent at START + 59. A fixed window would
    allow `limit` more at START + 60.5; the moving window allows one (the request of START
    has left the last minute) and refuses the next until START + 119, when the requests of
    START + 59 leave it. Reset is when the oldest counted request leaves the minute (rounded
    up), Retry-After the seconds from now until then."""

    def expect(seconds: float, expected: list[Answer]) -> None:
        got = answers_at(client, clock, seconds, len(expected), headers)
        assert got == expected, f"at START + {seconds}: {got}, not {expected}"

    expect(0, [(200, limit - 1, START + 60, None)])
    expect(59, [*[(200, limit - 1 - i, START + 60, None) for i in range(1, limit)], (429, 0, START + 60, 1)])

    expect(60.5, [(200, 0, START + 119, None), (429, 0, START + 119, 59)])
    expect(118.9, [(429, 0, START + 119, 1)])

    # Only the request of START + 60.5 is left in the minute: the limit less one, until START + 120.5.
    expect(119.5, [*[(200, limit - 1 - i, START + 121, None) for i in range(1, limit)], (429, 0, START + 121, 1)])
