"""The HTTP layer: a Flask application factory serving the contract from the read models."""

from __future__ import annotations

from flask import Flask

from api import access_log, audit, auth, docs, health, idempotency, missed, reports, tasks, tokens, users
from api.config import Config
from api.errors import register_error_handlers
from api.http import ResourceId, close_store
from projections import replay
from taskstore.database import open_database
from taskstore.store import EventStore


def create_app(config: Config | None = None) -> Flask:
    """The WSGI application; reads the environment only when no `config` is given."""
    config = config or Config.from_env()
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the contract fixes the field order
    app.url_map.strict_slashes = False  # /tasks/ is /tasks, never a redirect
    app.url_map.merge_slashes = False  # and /tasks//1 is a 404, never a redirect
    app.url_map.converters["id"] = ResourceId
    app.config.update(MAX_CONTENT_LENGTH=config.max_body_bytes, PROVIDE_AUTOMATIC_OPTIONS=False)
    app.extensions["taskstore.config"] = config
    prepare_database(config.database)
    check_token_names(config)
    replay.subscribe_all()
    if config.access_log:
        access_log.init_app(app)  # first, so its line covers every other hook
    auth.init_app(app)
    register_error_handlers(app)
    missed.init_app(app)
    app.teardown_appcontext(close_store)
    app.register_blueprint(users.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(health.bp)
    return app


def check_token_names(config: Config) -> None:
    """Raises ValueError if a configured token shares its name with an issued one."""
    db = open_database(config.database)
    try:
        tokens.refuse_shared_names(db, {token.name for token in config.tokens})
    finally:
        db.close()


def prepare_database(path: str) -> None:
    """Create the log, the read models and the tokens table in `path` if they are not there
    yet, and bring every read model up to the end of the log."""
    db = open_database(path)
    try:
        store = EventStore(db)
        store.create_schema()
        tokens.create(db)
        replay.catch_up(store)
        idempotency.create(db)
    finally:
        db.close()
