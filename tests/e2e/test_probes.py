"""The probes and the request log on the real server: /healthz and /readyz answer without
a token, and each request is one JSON line on stderr, with gunicorn's access log off."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.e2e.live import LiveServer, taskstore_command
from tests.e2e.test_malformed_http import raw_exchange

pytestmark = pytest.mark.e2e


def test_healthz_and_readyz_answer_without_a_token(server: LiveServer) -> None:
    created = server.request("POST", "/users", {"firstName": "P", "lastName": "R", "contactEmail": "probe@example.com"})
    assert created.status == 201
    healthy = server.request("GET", "/healthz", token=None)
    ready = server.request("GET", "/readyz", token=None)
    assert (healthy.status, healthy.body) == (200, {"status": "ok"})
    assert (ready.status, ready.body) == (200, {"status": "ready", "position": len(server.events())})


def test_each_request_is_one_json_line_and_gunicorn_logs_none_of_its_own(server: LiveServer) -> None:
    reply = server.request("GET", "/tasks?_perPage=5")
    refused = server.request("GET", "/tasks", token="not-the-token")
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    [mine] = [line for line in lines if line.get("request_id") == reply.request_id]
    assert {k: mine[k] for k in ("method", "path", "status", "token", "remote_addr")} == {
        "method": "GET",
        "path": "/tasks",
        "status": 200,
        "token": "e2e",
        "remote_addr": "127.0.0.1",
    }
    [theirs] = [line for line in lines if line.get("request_id") == refused.request_id]
    assert (theirs["status"], theirs["token"]) == (401, None)
    assert "not-the-token" not in server.log()
    assert server.token not in server.log()
    assert 'HTTP/1.1" 200' not in server.log()  # gunicorn's access log format


def test_the_server_s_own_warnings_and_the_application_s_errors_are_json_lines_too(server: LiveServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSTORE_")}
    created = subprocess.run(
        [*taskstore_command(), "tokens", "create", "e2e", "--db", str(server.db_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    clash = server.request("GET", "/tasks", token=created.stdout.strip())  # named like the configured token
    garbled = raw_exchange(server, b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n")

    assert clash.status == 401 and garbled[0] == 400
    log = server.log()
    assert "[WARNING]" not in log and "[ERROR]" not in log  # gunicorn's own line format
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [refusal] = [line for line in lines if line["logger"] == "api.auth"]
    assert refusal["level"] == "error" and "TASKSTORE_TOKENS has a token of that name" in refusal["message"]
    assert any(line["logger"] == "gunicorn.error" and line["level"] == "warning" for line in lines), log
