"""Clients that stall or trickle their request head hold no server thread: however many of
them there are (as many as the threads, twice as many, fifty), others are answered at once,
and each is closed, with one JSON warning line and no traceback, once the read timeout has
passed since it connected, however it trickles. A client that stalls in its body, or does
not take its answers, holds a thread for the read timeout at most, and closing it afterwards
delays nobody.

"At once" is asserted as under PROMPT (1 s, a third of the read timeout): nothing the server
does for another client waits on a stalled one, so an answer takes milliseconds; the margin is
for a loaded machine. Before, gunicorn's threads blocked in the stalled heads and the answers
waited for the read timeout, then longer while the poller lingered over each closed connection.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.live import HOST, LiveServer, read_answer, start_server

pytestmark = pytest.mark.e2e
THREADS = 2
TIMEOUT = 3.0  # TASKSTORE_READ_TIMEOUT of the server under test
PROMPT = 1.0  # how long an answer to another client may take while the stalled connections wait
SWEEP = 1.5  # how late after its deadline a stalled connection may be closed (the poller wakes each second)
HEAD = b"GET /tasks HTTP/1.1\r\nHost: x\r\n"  # a request head without its final empty line
BODY_START = (
    b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
    b"Authorization: Bearer e2e-secret\r\n\r\n{"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("stalled"),
        sample=True,  # task 1 exists
        extra=("--threads", str(THREADS)),
        environment={"TASKSTORE_READ_TIMEOUT": str(TIMEOUT)},
    )
    yield live
    live.stop()


def open_stalled(server: LiveServer, count: int, start: bytes) -> list[socket.socket]:
    """`count` connections that send `start` and then nothing more."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((HOST, server.port), timeout=30)
        if start:
            sock.sendall(start)
        sockets.append(sock)
    return sockets


def seconds_to_answer(server: LiveServer, path: str) -> float:
    started = time.monotonic()
    reply = server.request("GET", path)
    assert reply.status == 200, reply.body
    return time.monotonic() - started


def wait_closed(sock: socket.socket, until: float) -> float:
    """When the server closed `sock` (it sends nothing first), waiting until `until` at most."""
    while (left := until - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionError:
            return time.monotonic()
        assert data == b"", data
        return time.monotonic()
    raise AssertionError("the server did not close a stalled connection")


def stall_warnings(server: LiveServer) -> dict[int, dict[str, Any]]:
    """The server's JSON warning lines about stalled clients, by the client's port."""
    found = {}
    for line in server.log().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record["logger"] == "taskstore.server" and "stalled" in record["message"]:
                assert record["level"] == "warning", record
                found[record["remote_port"]] = record
    return found


def addresses(sockets: list[socket.socket]) -> list[tuple[str, int]]:
    return [sock.getsockname() for sock in sockets]


def assert_warned_about(server: LiveServer, clients: list[tuple[str, int]], within: float = 0.0) -> None:
    deadline = time.monotonic() + within
    while not {port for _, port in clients} <= stall_warnings(server).keys() and time.monotonic() < deadline:
        time.sleep(0.1)
    warnings = stall_warnings(server)
    for address, port in clients:
        assert port in warnings, f"no warning for port {port}:\n{server.log()[-3000:]}"
        assert warnings[port]["remote_addr"] == address
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(
    ("count", "start"),
    [(THREADS, HEAD), (2 * THREADS, HEAD), (50, b"")],
    ids=["as-many-as-threads", "twice-as-many", "fifty-sending-nothing"],
)
def test_clients_stalled_in_their_head_do_not_delay_others_and_are_closed_after_the_read_timeout(
    server: LiveServer, count: int, start: bytes
) -> None:
    opened = time.monotonic()
    stalled = open_stalled(server, count, start)
    clients = addresses(stalled)
    try:
        time.sleep(0.2)  # every stalled connection is accepted and waiting
        assert seconds_to_answer(server, "/healthz") < PROMPT
        assert seconds_to_answer(server, "/tasks/1") < PROMPT
        for sock in stalled:
            closed = wait_closed(sock, opened + TIMEOUT + SWEEP + 1) - opened
            assert TIMEOUT - 0.1 <= closed <= TIMEOUT + SWEEP + 0.5
    finally:
        for sock in stalled:
            sock.close()
    assert_warned_about(server, clients)


def test_clients_trickling_their_head_are_closed_after_the_read_timeout_from_connecting(server: LiveServer) -> None:
    opened = time.monotonic()
    tricklers = open_stalled(server, 2 * THREADS, b"")
    clients = addresses(tricklers)
    closed: dict[socket.socket, float] = {}
    try:
        for index, byte in enumerate(HEAD):  # one byte each per 0.25 s: 31 bytes would take 7.75 s
            for sock in tricklers:
                if sock not in closed:
                    try:
                        sock.sendall(bytes([byte]))
                    except ConnectionError:
                        closed[sock] = time.monotonic()
            if index == 4:
                assert seconds_to_answer(server, "/healthz") < PROMPT
            readable, _, _ = select.select([s for s in tricklers if s not in closed], [], [], 0.25)
            for sock in readable:
                closed[sock] = wait_closed(sock, time.monotonic() + 1)
            if len(closed) == len(tricklers):
                break
        for sock in tricklers:
            assert TIMEOUT - 0.1 <= closed.get(sock, float("inf")) - opened <= TIMEOUT + SWEEP
    finally:
        for sock in tricklers:
            sock.close()
    assert_warned_about(server, clients)


def test_clients_stalled_in_their_body_hold_a_thread_for_the_read_timeout_at_most(server: LiveServer) -> None:
    before = len(server.events())
    opened = time.monotonic()
    stalled = open_stalled(server, THREADS, BODY_START)
    clients = addresses(stalled)
    try:
        time.sleep(0.2)  # both threads are now waiting for a body
        assert seconds_to_answer(server, "/healthz") < TIMEOUT + SWEEP
        for sock in stalled:
            status, _, body = read_answer(sock)
            assert status == 400, body
            assert json.loads(body)["code"] == "INVALID_FORMAT"
            assert time.monotonic() - opened < TIMEOUT + SWEEP
        # the stalled clients keep their connections open: closing them must not hold up others
        assert seconds_to_answer(server, "/healthz") < PROMPT
        assert seconds_to_answer(server, "/tasks/1") < PROMPT
    finally:
        for sock in stalled:
            sock.close()
    assert len(server.events()) == before
    assert_warned_about(server, clients)


def test_a_client_that_does_not_take_its_answers_is_dropped_after_the_read_timeout(server: LiveServer) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((HOST, server.port))
        sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * 100)  # megabytes of answers, never read
        clients = addresses([sock])
        time.sleep(0.5)  # one thread is now blocked writing to it
        assert seconds_to_answer(server, "/healthz") < PROMPT
        assert_warned_about(server, clients, within=TIMEOUT + SWEEP + 1)
