"""GET /docs in a real browser: headless Chromium renders Swagger UI from /openapi.json,
with its files served by the service itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.e2e.live import LiveServer, start_server

pytestmark = pytest.mark.e2e


def chromium() -> str:
    """The browser; missing, the test fails in CI and is skipped (saying why) elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); CI runs this test")
    return found


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("docs"))
    yield live
    live.stop()


def rendered(browser: str, url: str) -> str:
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom", url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_docs_page_renders_every_operation_in_a_browser(docs_server: LiveServer) -> None:
    browser = chromium()
    dom = rendered(browser, f"{docs_server.base_url}/docs")
    document = docs_server.request("GET", "/openapi.json", token=None).body
    assert 'class="swagger-ui' in dom, dom[:2000]
    assert 'data-path="/tasks/{taskId}/history"' in dom, dom[:2000]
    for path, item in document["paths"].items():
        assert f'data-path="{path}"' in dom, path
        for op in item.values():
            assert f'id="operations-{op["tags"][0]}-{op["operationId"]}"' in dom, op["operationId"]
    assert document["info"]["title"] in dom


def test_the_docs_files_are_served_by_the_service_without_a_token(docs_server: LiveServer) -> None:
    page = docs_server.request("GET", "/docs", token=None)
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "https://" not in page.raw.decode()  # nothing from a CDN
    script = docs_server.request("GET", "/docs/swagger-ui-bundle.js", token=None)
    assert script.status == 200
    assert len(script.raw) > 100_000
    assert docs_server.request("GET", "/docs/index.html", token=None).status == 404
