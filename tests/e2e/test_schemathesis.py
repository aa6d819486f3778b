"""schemathesis against a real server, from the server's own document at /openapi.json:
every operation, positive and negative data, the coverage, fuzzing and stateful phases,
with the settings committed in schemathesis.toml (a fixed seed, bounded examples)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.live import ROOT, LiveServer, start_server

pytestmark = pytest.mark.e2e
TOKEN = "schemathesis-secret"


@pytest.fixture(scope="module")
def st_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose rate limit is far above what the run sends, so a 429 means a bug."""
    live = start_server(
        tmp_path_factory.mktemp("schemathesis"),
        tokens=f"schemathesis:{TOKEN}",
        token=TOKEN,
        environment={"TASKSTORE_RATE_LIMIT": "100000 per minute"},
    )
    yield live
    live.stop()


def schemathesis_command() -> list[str]:
    script = Path(sys.executable).parent / "schemathesis"
    return [str(script)] if script.exists() else [sys.executable, "-m", "schemathesis.cli"]


def test_schemathesis_finds_no_failure_in_any_operation(st_server: LiveServer) -> None:
    env = {**os.environ, "TASKSTORE_ST_TOKEN": TOKEN, "NO_COLOR": "1"}
    done = subprocess.run(
        [*schemathesis_command(), "--no-color", "run", f"{st_server.base_url}/openapi.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    summary = done.stdout[done.stdout.find("SUMMARY") :] if "SUMMARY" in done.stdout else done.stdout[-3000:]
    print(summary)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    tested = re.search(r"Tested: (\d+)", done.stdout)
    assert tested is not None and int(tested[1]) >= 16, summary
