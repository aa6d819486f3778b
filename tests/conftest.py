"""Shared fixtures: a real store on an in-memory database, and the app on a real file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from api import create_app
from api.config import Config, Token
from projections import replay
from taskstore.database import open_database
from taskstore.store import EventStore

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEST_RATE_LIMIT = "1000000 per minute"


@pytest.fixture
def store() -> Iterator[EventStore]:
    """The real store on a private in-memory database, with every read model subscribed."""
    store = EventStore(open_database(":memory:"))
    store.create_schema()
    replay.create_all(store.db)
    replay.subscribe_all()
    yield store
    store.db.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "taskstore.db"


@pytest.fixture
def app(db_path: Path) -> Flask:
    """The app with the test token and a rate limit no test reaches, so every response is counted
    and stamped as in production without any test tripping over it."""
    config = Config(database=str(db_path), tokens=(Token(name="tester", secret=TOKEN),), rate_limit=TEST_RATE_LIMIT)
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that sends the test token unless a test sets its own headers."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    return client
