"""SIGTERM stops the server cleanly: a request already being received is finished and
answered, new connections are refused at once, and the process exits 0."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from tests.e2e.live import HOST, LiveServer, read_answer, start_server

pytestmark = pytest.mark.e2e
BODY = json.dumps({"firstName": "Slow", "lastName": "Sender", "contactEmail": "slow@example.com"}).encode()


def start_slow_post(server: LiveServer) -> socket.socket:
    """A POST /users whose headers and first half of the body are sent; the rest is not."""
    sock = socket.create_connection((HOST, server.port), timeout=30)
    head = (
        f"POST /users HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    )
    sock.sendall(head.encode() + BODY[: len(BODY) // 2])
    return sock


def refused_within(port: int, seconds: float) -> bool:
    """Whether connecting to `port` is refused (nothing listens) before `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_finishes_a_request_in_flight_refuses_new_connections_and_exits_0(tmp_path: Path, workers: int) -> None:
    server = start_server(tmp_path, extra=("--workers", str(workers)))
    try:
        with start_slow_post(server) as sock:
            time.sleep(0.5)  # the worker is now inside the request, waiting for the rest of the body
            server.process.terminate()

            assert refused_within(server.port, 5.0), "new connections were still accepted after SIGTERM"
            sock.sendall(BODY[len(BODY) // 2 :])
            status, headers, body = read_answer(sock)
        answered = time.monotonic()

        assert status == 201, body
        created = json.loads(body)
        assert created["contactEmail"] == "slow@example.com"
        assert server.process.wait(timeout=15) == 0, server.log()
        assert time.monotonic() - answered < 5.0
        [event] = server.events("request_id = ?", (headers["x-request-id"],))
        assert (event["type"], event["stream_id"]) == ("UserCreated", f"user-{created['userId']}")
    finally:
        server.stop()
    assert "Traceback" not in server.log()


def get_on(sock: socket.socket, server: LiveServer) -> tuple[int, dict[str, str], bytes]:
    sock.sendall(f"GET /users HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {server.token}\r\n\r\n".encode())
    return read_answer(sock)


def test_a_request_on_a_kept_alive_connection_just_after_sigterm_is_answered_then_closed(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        with socket.create_connection((HOST, server.port), timeout=10) as kept:
            assert get_on(kept, server)[0] == 200  # the connection now waits, kept alive, for its next request
            server.process.terminate()
            time.sleep(0.3)  # within gunicorn's 2 s linger for kept-alive connections of a stopping worker

            status, headers, _ = get_on(kept, server)

            assert status == 200
            assert headers.get("connection", "").lower() == "close"
            assert kept.recv(1) == b""  # then closed in order, not reset
        assert server.process.wait(timeout=15) == 0, server.log()
    finally:
        server.stop()
