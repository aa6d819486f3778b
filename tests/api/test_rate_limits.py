"""Rate limits with small limits: per token name, per client address without a valid token,
the X-RateLimit-* headers on every counted response, 429 RATE_LIMIT_EXCEEDED with Retry-After,
a window that moves (no burst across the end of a fixed window), and several limits at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_limiter import Limiter
from werkzeug.test import TestResponse

from api import create_app
from api.auth import public
from api.config import DEFAULT_RATE_LIMIT, Config, Token
from api.limits import EXTENSION
from tests.api.helpers import assert_error, event_count, make_user, user_body
from tests.api.moving_window import (
    RETRY_AFTER_IS_ENOUGH,
    SEVERAL_LIMITS,
    Clock,
    Timeline,
    assert_a_refusal_as_the_oldest_request_leaves,
    assert_the_window_moves,
    assert_timeline,
)
from tests.conftest import TEST_RATE_LIMIT

LIMIT = 3
A = {"Authorization": "Bearer secret-a"}
B = {"Authorization": "Bearer secret-b"}
BAD = {"Authorization": "Bearer not-a-token"}


def limited_to(db_path: Path, rate_limit: str) -> Flask:
    tokens = (Token(name="a", secret="secret-a"), Token(name="b", secret="secret-b"))
    return create_app(Config(database=str(db_path), tokens=tokens, rate_limit=rate_limit))


@pytest.fixture
def limited(db_path: Path) -> Flask:
    return limited_to(db_path, f"{LIMIT} per minute")


def limits_of(response: TestResponse) -> tuple[int, int, int]:
    headers = response.headers
    return int(headers["X-RateLimit-Limit"]), int(headers["X-RateLimit-Remaining"]), int(headers["X-RateLimit-Reset"])


def spend(client: FlaskClient, headers: dict[str, str], times: int, path: str = "/users") -> list[int]:
    return [client.get(path, headers=headers).status_code for _ in range(times)]


def test_the_limit_allows_exactly_that_many_requests_then_answers_429(limited: Flask) -> None:
    client = limited.test_client()
    started = time.time()
    answers = [client.get("/users", headers=A) for _ in range(LIMIT + 2)]
    assert [r.status_code for r in answers] == [200] * LIMIT + [429, 429]
    assert [limits_of(r)[1] for r in answers] == [2, 1, 0, 0, 0]
    body = assert_error(answers[LIMIT], 429, "RATE_LIMIT_EXCEEDED")
    assert f"{LIMIT} per 1 minute" in body["message"]
    retry_after = int(answers[LIMIT].headers["Retry-After"])
    assert 1 <= retry_after <= 60
    reset = limits_of(answers[LIMIT])[2]
    assert started <= reset <= time.time() + 61
    assert abs(reset - (time.time() + retry_after)) <= 2
    assert "Retry-After" not in answers[0].headers


def test_the_window_moves_so_no_minute_holds_more_than_the_limit(
    limited: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock().install(monkeypatch)
    assert_the_window_moves(limited.test_client(), clock, A, LIMIT)


def test_waiting_retry_after_seconds_is_always_enough(limited: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock().install(monkeypatch)
    assert_timeline(limited.test_client(), clock, A, RETRY_AFTER_IS_ENOUGH)


def test_a_429_says_none_left_even_when_the_oldest_request_leaves_while_it_is_answered(
    limited: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock().install(monkeypatch).drifting(limited)
    assert_a_refusal_as_the_oldest_request_leaves(limited.test_client(), clock, A)


@pytest.mark.parametrize(("rate_limit", "timeline"), SEVERAL_LIMITS.values(), ids=SEVERAL_LIMITS.keys())
def test_with_several_limits_the_headers_describe_the_one_that_binds(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, rate_limit: str, timeline: Timeline
) -> None:
    clock = Clock().install(monkeypatch)
    assert_timeline(limited_to(db_path, rate_limit).test_client(), clock, A, timeline)


def test_each_request_counts_once_against_every_limit(db_path: Path) -> None:
    app = limited_to(db_path, "2 per 3 seconds;5 per 10 seconds")
    with app.test_request_context("/users", headers=A):
        app.preprocess_request()
        limiter: Limiter = app.extensions[EXTENSION]
        counted = limiter.current_limits
        assert [str(limit.limit) for limit in counted] == ["2 per 3 second", "5 per 10 second"]
        assert [limiter.limiter.get_window_stats(limit.limit, *limit.request_args).remaining for limit in counted] == [
            1,
            4,
        ]


def test_a_refused_write_appends_nothing(limited: Flask, db_path: Path) -> None:
    client = limited.test_client()
    spend(client, A, LIMIT)
    before = event_count(db_path)
    assert_error(client.post("/users", json=user_body(), headers=A), 429, "RATE_LIMIT_EXCEEDED")
    assert event_count(db_path) == before


def test_each_token_has_its_own_allowance(limited: Flask) -> None:
    client = limited.test_client()
    assert spend(client, A, LIMIT + 1) == [200] * LIMIT + [429]
    assert spend(client, B, LIMIT) == [200] * LIMIT
    assert spend(client, BAD, 1) == [401]  # the address's own allowance is untouched by the tokens


def test_every_route_draws_on_the_same_allowance(limited: Flask) -> None:
    client = limited.test_client()
    assert spend(client, A, 1, "/users") + spend(client, A, 1, "/tasks") + spend(client, A, 1, "/events") == [200] * 3
    assert spend(client, A, 1, "/tasks/stats") == [429]


def test_requests_with_bad_or_missing_tokens_are_counted_per_address(limited: Flask) -> None:
    client = limited.test_client()
    assert spend(client, BAD, 2) == [401, 401]
    assert client.get("/users").status_code == 401
    over = client.get("/users", headers={"Authorization": "Bearer another-guess"})
    assert_error(over, 429, "RATE_LIMIT_EXCEEDED")
    assert spend(client, A, 1) == [200]  # a valid token is counted by its name, not its address
    other_address = limited.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert spend(other_address, BAD, 1) == [401]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/users", A, 200),
        ("GET", "/no-such-route", A, 404),
        ("GET", "/users/abc", A, 400),
        ("PUT", "/users", A, 405),
        ("GET", "/users", BAD, 401),
        ("GET", "/users", {}, 401),
        ("DELETE", "/users/99", A, 404),
    ],
)
def test_every_counted_response_carries_the_headers(
    limited: Flask, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = limited.test_client().open(path, method=method, headers=headers)
    assert response.status_code == status
    assert limits_of(response)[:2] == (LIMIT, LIMIT - 1)


def test_an_unexpected_error_carries_the_headers_too(limited: Flask) -> None:
    @limited.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    response = limited.test_client().get("/boom", headers=A)
    assert_error(response, 500, "SERVER_ERROR")
    assert limits_of(response)[:2] == (LIMIT, LIMIT - 1)


def test_public_views_are_neither_counted_nor_stamped(limited: Flask) -> None:
    @limited.get("/probe")
    @public
    def probe() -> dict[str, str]:
        return {"status": "ok"}

    client = limited.test_client()
    for _ in range(LIMIT + 2):
        response = client.get("/probe")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers
    assert spend(client, {}, LIMIT) == [401] * LIMIT


def test_the_test_fixtures_count_with_a_limit_no_test_reaches(client: FlaskClient) -> None:
    make_user(client)
    response = client.get("/users")
    limit, remaining, _ = limits_of(response)
    assert f"{limit} per minute" == TEST_RATE_LIMIT
    assert remaining == limit - 2


def test_no_rate_limit_means_no_headers(db_path: Path) -> None:
    app = create_app(Config(database=str(db_path), tokens=(Token(name="a", secret="secret-a"),), rate_limit=None))
    response = app.test_client().get("/users", headers=A)
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers


def test_the_environment_sets_the_limit_and_its_storage() -> None:
    default = Config.from_env({})
    assert (default.rate_limit, default.rate_limit_storage, default.rate_limit_prefix) == (
        DEFAULT_RATE_LIMIT,
        "memory://",
        "taskstore",
    )
    given = Config.from_env(
        {
            "TASKSTORE_RATE_LIMIT": "10/second;100 per minute",
            "TASKSTORE_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0",
            "TASKSTORE_RATE_LIMIT_PREFIX": "blue",
        }
    )
    assert (given.rate_limit, given.rate_limit_storage, given.rate_limit_prefix) == (
        "10/second;100 per minute",
        "redis://127.0.0.1:6379/0",
        "blue",
    )
    assert Config.from_env({"TASKSTORE_RATE_LIMIT": "off"}).rate_limit is None


@pytest.mark.parametrize("text", ["lots", "10 per fortnight", "-1 per minute", "per minute"])
def test_a_rate_limit_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="TASKSTORE_RATE_LIMIT"):
        Config.from_env({"TASKSTORE_RATE_LIMIT": text})


def test_an_unreachable_storage_falls_back_to_counting_in_memory(db_path: Path) -> None:
    config = Config(
        database=str(db_path),
        tokens=(Token(name="a", secret="secret-a"),),
        rate_limit=f"{LIMIT} per minute",
        rate_limit_storage="redis://127.0.0.1:1/0",  # nothing listens on port 1
    )
    client = create_app(config).test_client()
    assert spend(client, A, LIMIT + 1) == [200] * LIMIT + [429]


def test_a_request_refused_after_its_test_keeps_no_slot_of_a_longer_limit(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests of one token can both pass flask-limiter's test before either is counted; the
    second is then refused while counting. Limits are counted shortest period first, so what it
    took stays only in the shortest window, whatever the order they were configured in."""
    app = limited_to(db_path, "12 per 10 seconds;3 per second")
    limiter: Limiter = app.extensions[EXTENSION]
    monkeypatch.setattr(limiter.limiter, "test", lambda *args, **kwargs: True)  # every test passes: the race
    client = app.test_client()
    statuses = spend(client, A, 6)
    assert statuses == [200, 200, 200, 429, 429, 429]
    time.sleep(1.1)  # the one-second window empties; the ten-second one keeps what was counted
    with app.test_request_context("/users", headers=A):
        app.preprocess_request()
        long = next(limit for limit in limiter.current_limits if limit.limit.amount == 12)
        left = limiter.limiter.get_window_stats(long.limit, *long.request_args).remaining
    assert left == 12 - 3 - 1  # the three allowed, and the one this context just counted


def test_a_storage_that_does_not_answer_is_logged_as_a_warning_and_requests_still_pass(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = (Token(name="a", secret="secret-a"),)
    config = Config(database=str(db_path), tokens=tokens, rate_limit="5 per minute")
    create_app(config)
    assert "does not answer" not in caplog.text  # memory:// always answers
    down = Config(
        database=str(db_path), tokens=tokens, rate_limit="5 per minute", rate_limit_storage="redis://127.0.0.1:1/0"
    )
    client = create_app(down).test_client()
    assert "the rate-limit storage redis://127.0.0.1:1/0 does not answer" in caplog.text
    assert spend(client, A, 6) == [200] * 5 + [429]  # counted in this process's memory meanwhile
