"""A body announced above TASKSTORE_MAX_BODY_BYTES is refused with 413 PAYLOAD_TOO_LARGE
as soon as its headers arrive: the server never waits for (or reads) the body."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.e2e.live import HOST, LiveServer, read_answer, send

pytestmark = pytest.mark.e2e
ANNOUNCED = 50_000_000


def announce_huge_body(server: LiveServer, method: str, path: str, token: str = "") -> socket.socket:
    """A request announcing a 50 MB body, of which only a few bytes are sent."""
    sock = socket.create_connection((HOST, server.port), timeout=10)
    sock.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token or server.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {ANNOUNCED}\r\n\r\n"
        '{"firstName": "'.encode()
    )
    return sock


@pytest.fixture(scope="module")
def ids(server: LiveServer) -> dict[str, int]:
    user = server.request("POST", "/users", {"firstName": "B", "lastName": "L", "contactEmail": "limit@example.com"})
    body = {"userId": user.body["userId"], "taskTitle": "t", "dueDate": "2025-06-01", "warningOffset": 1}
    task = server.request("POST", "/tasks", {**body, "dueDate": "2025-06-01T17:00:00Z"})
    assert (user.status, task.status) == (201, 201), (user.body, task.body)
    return {"user": user.body["userId"], "task": task.body["taskId"]}


@pytest.mark.parametrize(
    ("method", "route"), [("POST", "/users"), ("POST", "/tasks"), ("PATCH", "user"), ("PATCH", "task")]
)
def test_a_huge_announced_body_is_413_at_once_and_appends_nothing(
    server: LiveServer, ids: dict[str, int], method: str, route: str
) -> None:
    path = route if route.startswith("/") else f"/{route}s/{ids[route]}"
    before = len(server.events())
    started = time.monotonic()
    with announce_huge_body(server, method, path) as sock:
        status, headers, body = read_answer(sock)
        answered = time.monotonic() - started
        sock.settimeout(10)
        while sock.recv(65536):
            pass
        closed = time.monotonic() - started

    assert status == 413, body
    assert answered < 1.0
    envelope = json.loads(body)
    assert envelope["code"] == "PAYLOAD_TOO_LARGE"
    assert headers["x-request-id"] == envelope["requestId"]
    assert closed < 1.0, "the server kept the connection open to drain a body it refused"
    assert len(server.events()) == before


@pytest.mark.parametrize(("method", "token", "status"), [("POST", "wrong", 401), ("GET", None, 200)])
def test_any_answer_to_a_huge_announced_body_closes_the_connection_at_once(
    server: LiveServer, method: str, token: str | None, status: int
) -> None:
    started = time.monotonic()
    with announce_huge_body(server, method, "/users", token or "") as sock:
        answer = read_answer(sock)
        while sock.recv(65536):
            pass
    assert answer[0] == status, answer
    assert answer[1]["connection"] == "close"
    assert time.monotonic() - started < 1.0


def test_a_body_within_the_limit_keeps_the_connection_open_for_the_next_request(server: LiveServer) -> None:
    conn = server.connection()
    try:
        first = send(
            conn, "POST", "/users", {"firstName": "K", "lastName": "A", "contactEmail": "ka@example.com"}, server.token
        )
        second = send(conn, "GET", f"/users/{first.body['userId']}", None, server.token)
    finally:
        conn.close()
    assert (first.status, second.status) == (201, 200)
    assert second.body == first.body
    assert first.headers.get("connection") != "close"
