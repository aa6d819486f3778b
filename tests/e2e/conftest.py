"""Fixtures for the end-to-end tests: one real server per module, stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.live import LiveServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`taskstore serve` on a free port with an empty database in a temporary folder."""
    live = start_server(tmp_path_factory.mktemp("server"))
    yield live
    live.stop()
