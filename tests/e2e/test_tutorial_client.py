"""The tutorial's "Complete workflow example", run unchanged with node against the real
server on http://localhost:3000 with the tutorial's token and the sample data."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.live import LiveServer, port_is_free, start_server

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).with_name("workflow_example.mjs")
CLIENT_SHA256 = "1f6dfadabaf54ca122a2fc094c74b25c2c0a13963d07d8239cb95fa19f2dd008"  # seed/workflow_example.mjs
TUTORIAL_PORT = 3000


@pytest.fixture(scope="module")
def tutorial_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not port_is_free(TUTORIAL_PORT):
        pytest.fail(
            f"port {TUTORIAL_PORT} is taken: the tutorial's client hard-codes http://localhost:{TUTORIAL_PORT},"
            " so stop whatever listens there and run this test again"
        )
    live = start_server(
        tmp_path_factory.mktemp("tutorial"),
        port=TUTORIAL_PORT,
        tokens="dev:YOUR_TOKEN",
        token="YOUR_TOKEN",
        sample=True,
    )
    yield live
    live.stop()


def test_the_client_is_the_tutorials_example_byte_for_byte() -> None:
    assert hashlib.sha256(CLIENT.read_bytes()).hexdigest() == CLIENT_SHA256


def test_the_tutorials_workflow_example_runs_unchanged_and_leaves_its_three_tasks_as_it_says(
    tutorial_server: LiveServer, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to run the tutorial's client; install Node.js 18 or later"
    before = {t["taskId"] for t in tutorial_server.all_tasks()}

    done = subprocess.run([node, str(CLIENT)], cwd=tmp_path, capture_output=True, text=True, timeout=60)

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Error:" not in output
    assert "Completed tasks:" in output
    created = {t["taskTitle"]: t for t in tutorial_server.all_tasks() if t["taskId"] not in before}
    assert sorted(created) == ["Prepare old report format", "Update user interface", "Write API documentation"]

    completed = tutorial_server.request("GET", f"/tasks/{created['Write API documentation']['taskId']}").body
    deferred = tutorial_server.request("GET", f"/tasks/{created['Update user interface']['taskId']}").body
    cancelled = tutorial_server.request("GET", f"/tasks/{created['Prepare old report format']['taskId']}").body
    assert completed["taskStatus"] == "COMPLETED"
    assert completed["taskDescription"] == (
        "Create comprehensive documentation for the Task Management API BLOCKED: Waiting for API spec review"
    )
    assert deferred["taskStatus"] == "DEFERRED"
    assert deferred["dueDate"] == "2025-06-15T17:00:00-05:00"
    assert deferred["taskDescription"] == (
        "Redesign the task management dashboard DEFERRED: Priorities changed, pushing to next month"
    )
    assert cancelled["taskStatus"] == "CANCELLED"
    assert cancelled["taskDescription"] == (
        "Use the previous quarter's report format CANCELLED: Format requirement changed, no longer needed"
    )
    assert {t["userId"] for t in (completed, deferred, cancelled)} == {1}


def test_the_sample_data_the_tutorial_relies_on_is_loaded_into_the_empty_database(tutorial_server: LiveServer) -> None:
    users = tutorial_server.request("GET", "/users").body["users"]

    assert users[0]["userId"] == 1
    assert len(users) == 3
