"""Owns the `taskstore` command line: serve the API, show a task's history; the operator's
other commands live in `api.ops`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from api import check_token_names, ops, prepare_database, tokens
from api.config import Config
from api.sample import load_sample
from api.token_commands import tokens_group
from projections import replay
from taskstore.database import open_database
from taskstore.events import task_stream
from taskstore.history import history as stream_history
from taskstore.store import EventStore

DEV_TOKEN = "YOUR_TOKEN"


@click.group()
def main() -> None:
    """taskstore: the event-sourced Task Management API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@ops.DB_OPTION
@click.option(
    "--sample",
    "sample_path",
    type=click.Path(dir_okay=False),
    default="data/seed.json",
    show_default=True,
    help="Sample data loaded into an empty database.",
)
@click.option("--no-sample-data", is_flag=True, help="Start with an empty database instead.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes, all on the same SQLite file.",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per process: requests served at once (a request head is read without one).",
)
def serve(
    host: str, port: int, db_path: str | None, sample_path: str, no_sample_data: bool, workers: int, threads: int
) -> None:
    """Serve the REST API with gunicorn; SIGTERM stops it after the requests in flight, SIGINT (Ctrl-C) at once."""
    from api.server import serve as run_server

    config = ops.config_for(db_path)
    if not config.tokens and not _issued_tokens(config.database):
        raise click.UsageError(
            "no token configured: set TASKSTORE_TOKENS (e.g. 'me:some-secret') or issue one with "
            "`taskstore tokens create NAME`; the service never accepts requests without one"
        )
    prepare_database(config.database)
    _refuse_shared_names(config)
    if workers > 1 and config.rate_limit and config.rate_limit_storage.startswith("memory"):
        click.echo(
            f"Warning: {workers} workers counting rate limits in memory allow up to {workers} times the limit; "
            "set TASKSTORE_RATE_LIMIT_STORAGE to a Redis URL.",
            err=True,
        )
    replay.subscribe_all()
    store = EventStore(open_database(config.database))
    if store.last_position() == 0 and not no_sample_data:
        if not Path(sample_path).is_file():
            raise click.UsageError(f"no sample data at {sample_path}: give --sample PATH or --no-sample-data")
        users, tasks = load_sample(store, Path(sample_path))
        click.echo(f"Loaded the sample data into the empty database: {users} users, {tasks} tasks.")
    store.db.close()
    if any(token.secret == DEV_TOKEN for token in config.tokens):
        click.echo(f"Accepting the development token {DEV_TOKEN}: fine on this machine, never in production.")
    click.echo(f"Serving {config.database} on http://{host}:{port} with {workers} worker(s) x {threads} threads.")
    run_server(config, host, port, workers, threads)


def _refuse_shared_names(config: Config) -> None:
    """Raises UsageError if an issued token and a TASKSTORE_TOKENS token share a name (before
    the workers start, which would refuse it too, with a traceback)."""
    try:
        check_token_names(config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def _issued_tokens(path: str) -> bool:
    """Whether the database at `path` holds a token that is neither revoked nor expired."""
    if not Path(path).exists():
        return False
    db = open_database(path)
    try:
        return tokens.any_active(db, datetime.now(UTC))
    finally:
        db.close()


@main.command()
@click.argument("task_id", type=int)
@ops.DB_OPTION
def history(task_id: int, db_path: str | None) -> None:
    """Print the history of task TASK_ID, deleted or not, as a table."""
    from api.history_table import console, history_table

    path = ops.config_for(db_path).database
    if not Path(path).exists():
        raise click.ClickException(f"no database at {path}")
    store = EventStore(open_database(path))
    try:
        records = store.read_stream(task_stream(task_id)) if store.db["events"].exists() else []
    finally:
        store.db.close()
    if not records:
        raise click.ClickException(f"task {task_id} not found in {path}: it never existed")
    console().print(history_table(f"History of task {task_id}", stream_history(records)))


for command in (ops.rebuild, ops.verify_command, ops.export_command, ops.import_command, tokens_group):
    main.add_command(command)


if __name__ == "__main__":
    sys.exit(main())
