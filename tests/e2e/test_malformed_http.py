"""Requests that are not valid HTTP, or too big for it, still get the JSON envelope from the
real server: gunicorn's own answers are rewritten, and chunked bodies obey the size limit."""

from __future__ import annotations

import json
import re
import socket

import pytest

from tests.e2e.live import HOST, LiveServer, split_answer

pytestmark = pytest.mark.e2e
REQUEST_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def raw_exchange(server: LiveServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection((HOST, server.port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return split_answer(data)


def assert_envelope(status: int, headers: dict[str, str], body: bytes, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert headers["content-type"].startswith("application/json")
    envelope = json.loads(body)
    assert envelope["code"] == code
    assert REQUEST_ID.fullmatch(envelope["requestId"])
    assert headers["x-request-id"] == envelope["requestId"]


def auth(server: LiveServer) -> bytes:
    return f"Authorization: Bearer {server.token}\r\n".encode()


def test_a_request_line_longer_than_the_server_reads_gets_a_json_414(server: LiveServer) -> None:
    request = b"GET /tasks?" + b"a" * 6000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert_envelope(*raw_exchange(server, request), 414, "INVALID_FORMAT")


def test_a_header_larger_than_the_server_reads_gets_a_json_error(server: LiveServer) -> None:
    request = b"GET /tasks HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"
    status, headers, body = raw_exchange(server, request)
    assert status in (400, 431)
    assert_envelope(status, headers, body, status, "INVALID_FORMAT")


def padded_head(size: int) -> bytes:
    """A valid GET /healthz whose head, with headers of 1,000 bytes each, is `size` bytes long."""
    start, end = b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"\r\n"
    fields = [b"X-Pad-%02d: " % i + b"p" * 988 + b"\r\n" for i in range((size - len(start) - len(end)) // 1000)]
    head = start + b"".join(fields)
    return head + b"X-Last: " + b"p" * (size - len(head) - len(end) - 10) + b"\r\n" + end


def test_a_request_head_of_64_kib_is_served_and_a_longer_one_is_a_json_431(server: LiveServer) -> None:
    assert len(padded_head(64 * 1024)) == 64 * 1024
    status, _, body = raw_exchange(server, padded_head(64 * 1024))
    assert status == 200, body
    assert_envelope(*raw_exchange(server, padded_head(64 * 1024 + 1)), 431, "INVALID_FORMAT")


def test_a_bare_lf_in_the_head_gets_a_json_400_without_waiting_for_the_end_of_the_head(server: LiveServer) -> None:
    with socket.create_connection((HOST, server.port), timeout=5) as sock:
        sock.sendall(b"GET /tasks HTTP/1.1\r\nHost: x\nX-More: y")  # no end: the server must not wait for one
        data = b""
        while b"}" not in data and (chunk := sock.recv(65536)):
            data += chunk
    assert_envelope(*split_answer(data), 400, "INVALID_FORMAT")


def test_a_garbled_request_line_gets_a_json_400(server: LiveServer) -> None:
    assert_envelope(*raw_exchange(server, b"HELLO\r\n\r\n"), 400, "INVALID_FORMAT")


def test_an_unsupported_transfer_coding_is_a_json_400_not_a_5xx(server: LiveServer) -> None:
    request = b"POST /tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br, chunked\r\n\r\n0\r\n\r\n"
    assert_envelope(*raw_exchange(server, request), 400, "INVALID_FORMAT")


def chunked_post(server: LiveServer, body: bytes) -> bytes:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part) for part in (body[i : i + 65536] for i in range(0, len(body), 65536))
    )
    return (
        b"POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + auth(server)
        + b"Connection: close\r\n\r\n"
        + chunks
        + b"0\r\n\r\n"
    )


def test_a_chunked_body_over_the_limit_is_413_and_creates_nothing(server: LiveServer) -> None:
    user = server.request("POST", "/users", {"firstName": "C", "lastName": "K", "contactEmail": "chunk@example.com"})
    task = {"userId": user.body["userId"], "taskTitle": "big", "dueDate": "2025-06-30T17:00:00Z", "warningOffset": 1}
    padded = json.dumps(task).encode()[:-1] + b" " * (1024 * 1024) + b"}"  # valid JSON, 1 MiB + a few bytes
    before = len(server.events())

    assert_envelope(*raw_exchange(server, chunked_post(server, padded)), 413, "PAYLOAD_TOO_LARGE")
    assert len(server.events()) == before


def test_a_chunked_body_under_the_limit_is_accepted(server: LiveServer) -> None:
    user = server.request("POST", "/users", {"firstName": "C", "lastName": "K", "contactEmail": "small@example.com"})
    task = {"userId": user.body["userId"], "taskTitle": "small", "dueDate": "2025-06-30T17:00:00Z", "warningOffset": 1}
    status, _, body = raw_exchange(server, chunked_post(server, json.dumps(task).encode()))
    assert status == 201, body
    assert json.loads(body)["taskTitle"] == "small"


def test_a_204_carries_no_content_type(server: LiveServer) -> None:
    user = server.request("POST", "/users", {"firstName": "D", "lastName": "E", "contactEmail": "gone@example.com"})
    reply = server.request("DELETE", f"/users/{user.body['userId']}")
    assert reply.status == 204
    assert reply.raw == b""
    assert "content-type" not in reply.headers


@pytest.mark.parametrize(
    "chunks",
    [b"ZZ\r\n{}\r\n0\r\n\r\n", b"-1\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"2;a=\x01\r\n{}\r\n0\r\n\r\n"],
    ids=["size-not-hex", "negative-size", "missing-terminator", "bad-extension"],
)
def test_a_broken_chunked_body_is_a_json_400_and_creates_nothing(server: LiveServer, chunks: bytes) -> None:
    before = len(server.events())
    request = (
        b"POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + auth(server)
        + b"\r\n"
        + chunks
    )
    assert_envelope(*raw_exchange(server, request), 400, "INVALID_FORMAT")
    assert len(server.events()) == before


def test_a_body_cut_short_gets_a_message_of_the_service_not_of_the_framework(server: LiveServer) -> None:
    request = (
        b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + auth(server)
        + b'\r\n10\r\n{"firstName"'
    )
    status, headers, body = raw_exchange(server, request)
    assert_envelope(status, headers, body, 400, "INVALID_FORMAT")
    assert "browser" not in json.loads(body)["message"]
