"""A real `taskstore serve` process on a real file, spoken to over real HTTP with the
standard library only."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "seed.json"
HOST = "127.0.0.1"
STARTUP_SECONDS = 20.0


def taskstore_command() -> list[str]:
    """The installed `taskstore` script beside this interpreter, else the module itself."""
    script = Path(sys.executable).parent / "taskstore"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes
    body: Any = field(default=None)

    @property
    def request_id(self) -> str:
        return self.headers.get("x-request-id", "")


def send(conn: http.client.HTTPConnection, method: str, path: str, body: Any, token: str | None) -> Reply:
    """One request on an open connection; the answer's body parsed as JSON when there is one."""
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)
    if raw:
        try:
            reply.body = json.loads(raw)
        except ValueError:  # not JSON: keep the text, so a failing assertion shows it
            reply.body = raw.decode(errors="replace")
    return reply


def split_answer(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """The status, headers (lower-case names) and body of a raw HTTP answer."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP answer read off a raw socket: headers, then as much body as Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    status, headers, body = split_answer(data)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, body
        body += chunk
    return status, headers, body


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    token: str
    db_path: Path
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=30)

    def request(self, method: str, path: str, body: Any = None, token: str | None = "") -> Reply:
        conn = self.connection()
        try:
            return send(conn, method, path, body, self.token if token == "" else token)
        finally:
            conn.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def all_tasks(self) -> list[dict[str, Any]]:
        """Every task, page by page."""
        return self.every("tasks")

    def all_users(self) -> list[dict[str, Any]]:
        """Every user, page by page."""
        return self.every("users")

    def every(self, resource: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in range(1000):
            reply = self.request("GET", f"/{resource}?_perPage=100&_page={page}")
            assert reply.status == 200, reply.body
            found.extend(reply.body[resource])
            if len(reply.body[resource]) < 100:
                return found
        raise AssertionError(f"more than 100,000 {resource}")

    def events(self, where: str = "1", params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of the event log, read straight from the server's file."""
        conn = sqlite3.connect(self.db_path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(f"SELECT * FROM events WHERE {where} ORDER BY position", params).fetchall()
        finally:
            conn.close()

    def crash(self) -> list[int]:
        """SIGKILL the server's whole process group at once (master and workers: no clean
        shutdown, no checkpoint, no close); wait until none of them runs. The pids killed.
        Needs a server started with `own_group=True`."""
        pgid = self.process.pid
        assert os.getpgid(pgid) == pgid, "the server does not lead its own process group"
        members = processes_in_group(pgid)
        os.killpg(pgid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while processes_in_group(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert processes_in_group(pgid) == [], "some of the server's processes outlived SIGKILL"
        return members

    def stop(self) -> None:
        """SIGTERM, then wait; kill only if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    workdir: Path,
    *,
    port: int | None = None,
    tokens: str = "e2e:e2e-secret",
    token: str = "e2e-secret",
    sample: bool = False,
    extra: tuple[str, ...] = (),
    environment: dict[str, str] | None = None,
    own_group: bool = False,
) -> LiveServer:
    """Start `taskstore serve` on `port` (a free one if None) with its database in `workdir`;
    return once it answers an authenticated request. With `own_group`, the server (and the
    workers it forks) run in a new session and process group, so `crash()` can kill them all."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    db_path, log_path = workdir / "taskstore.db", workdir / "server.log"
    args = [*taskstore_command(), "serve", "--host", HOST, "--port", str(port), "--db", str(db_path)]
    args += ["--sample", str(SAMPLE)] if sample else ["--no-sample-data"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSTORE_")}
    env["TASKSTORE_TOKENS"] = tokens
    env["TASKSTORE_RATE_LIMIT"] = "1000000 per minute"  # counted and stamped, never reached (unless overridden)
    env.update(environment or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*args, *extra], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=own_group
        )
    server = LiveServer(process, port, token, db_path, log_path)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"taskstore serve exited with {process.returncode}:\n{server.log()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if server.request("GET", "/users").status == 200:
                return server
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"taskstore serve did not answer on port {port} within {STARTUP_SECONDS}s:\n{server.log()}")


def processes_in_group(pgid: int) -> list[int]:
    """The pids of the processes of process group `pgid` still running (zombies left out), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):  # the process ended while being looked at
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state not in ("Z", "X"):
                found.append(int(stat.parent.name))
    return sorted(found)


def rebuild(db_path: Path) -> str:
    """Run `taskstore rebuild --db` as its own process; its output."""
    done = run_command("rebuild", db_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def verify(db_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `taskstore verify --db` as its own process (read-only); its exit code and output."""
    return run_command("verify", db_path)


def run_command(command: str, db_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSTORE_")}
    return subprocess.run(
        [*taskstore_command(), command, "--db", str(db_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=db_path.parent,
    )
