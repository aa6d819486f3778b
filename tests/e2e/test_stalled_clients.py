"""Clients that stop sending in the middle of a request (headers or body) hold a server
thread only until the read timeout, so they cannot stop the server answering others."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.live import HOST, LiveServer, start_server

pytestmark = pytest.mark.e2e
THREADS = 2
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("stalled"),
        extra=("--threads", str(THREADS)),
        environment={"TASKSTORE_READ_TIMEOUT": str(TIMEOUT)},
    )
    yield live
    live.stop()


def stall(server: LiveServer, count: int, start: bytes) -> list[socket.socket]:
    """`count` connections that send `start` and then nothing more."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((HOST, server.port), timeout=30)
        sock.sendall(start)
        sockets.append(sock)
    return sockets


def answered_within(server: LiveServer, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if server.request("GET", "/users").status == 200:
                return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "start",
    [
        b"GET /users HTTP/1.1\r\nHost: x\r\n",
        b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
        b"Authorization: Bearer e2e-secret\r\n\r\n{",
    ],
    ids=["headers", "body"],
)
def test_more_stalled_clients_than_threads_do_not_stop_the_server_answering(server: LiveServer, start: bytes) -> None:
    stalled = stall(server, THREADS * 4, start)
    try:
        assert answered_within(server, 10 * TIMEOUT), Path(server.log_path).read_text()[-2000:]
    finally:
        for sock in stalled:
            sock.close()


def test_a_stalled_body_is_answered_with_a_json_400_once_the_timeout_passes(server: LiveServer) -> None:
    before = len(server.events())
    (sock,) = stall(
        server,
        1,
        b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
        b"Authorization: Bearer e2e-secret\r\n\r\n{",
    )
    with sock:
        started = time.monotonic()
        answer = sock.recv(65536)
        waited = time.monotonic() - started
        while b"}" not in answer and (more := sock.recv(65536)):
            answer += more
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert json.loads(body)["code"] == "INVALID_FORMAT"
    assert waited < 5 * TIMEOUT
    assert len(server.events()) == before
