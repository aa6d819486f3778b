"""Owns the operator's commands: rebuild, verify, export and import (registered on `taskstore`)."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api import prepare_database
from api.config import Config
from projections import replay
from projections.verify import Verification, read_snapshot, verify
from taskstore import chain, transfer
from taskstore.database import open_database
from taskstore.store import EventStore

DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"SQLite file (default: $TASKSTORE_DB or {Config.database}).",
)


def config_for(db_path: str | None) -> Config:
    """The configuration from the environment, with `--db` winning over $TASKSTORE_DB."""
    try:
        config = Config.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return dataclasses.replace(config, database=db_path) if db_path else config


@click.command()
@DB_OPTION
def rebuild(db_path: str | None) -> None:
    """Drop every read model and replay the whole event log into them."""
    path = _existing(db_path)
    prepare_database(path)
    store = EventStore(open_database(path))
    console = Console(stderr=True)
    started = time.perf_counter()
    replayed = rebuild_with_bar(store, console) if console.is_terminal else replay.rebuild(store)
    seconds = time.perf_counter() - started
    rate = replayed / seconds if seconds else 0.0
    click.echo(f"Replayed {replayed} events in {seconds:.3f}s ({rate:,.0f} events/s) into {path}.")


def rebuild_with_bar(store: EventStore, console: Console) -> int:
    """`replay.rebuild` with a progress bar on `console`, gone when it is done."""
    columns = (TextColumn("Replaying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("replay", total=store.last_position())
        return replay.rebuild(store, progress=lambda done: bar.update(task, completed=done))


@click.command("verify")
@DB_OPTION
def verify_command(db_path: str | None) -> None:
    """Check the log (no gaps, the hash chain) and every read model against a rebuild; exit 1 on a problem."""
    path = _existing(db_path)
    with closing(open_database(path)) as db:
        try:
            result = verify(EventStore(db))
        except sqlite3.Error as exc:
            raise click.ClickException(f"cannot read {path}: {exc}") from exc
    if not result.ok:
        click.echo(f"{path} FAILED verification ({result.events} events read):")
        for problem in result.problems:
            click.echo(f"- {problem.check}: {problem.message}")
        raise click.exceptions.Exit(1)
    click.echo(_clean_report(path, result))


def _clean_report(path: str, result: Verification) -> str:
    return (
        f"{path} is consistent: {result.events} events in {result.streams} streams, positions and versions"
        " without gaps, the hash chain intact, every read model equal to a rebuild from the log.\n"
        f"Head hash {result.head_hash}; checked in {result.seconds:.2f}s."
    )


@click.command("export")
@click.option("--after", type=click.IntRange(min=0), default=0, help="Only the events after this position.")
@DB_OPTION
def export_command(after: int, db_path: str | None) -> None:
    """Write the log as JSON lines, one stored row per line, in position order, to standard output.

    Standard error then names the last position and its hash: `import --head` with that hash
    refuses a copy that lost lines at its end, which nothing inside the file can show."""
    path = _existing(db_path)
    out = sys.stdout.buffer  # UTF-8 whatever the locale
    count, last = 0, None
    with closing(open_database(path)) as db, read_snapshot(db):
        for row in EventStore(db).iter_rows(after=after):
            out.write(transfer.export_line(row).encode() + b"\n")
            count, last = count + 1, row
    out.flush()
    if last is None:
        click.echo(f"Exported no events (the log ends at or before position {after}).", err=True)
    else:
        click.echo(
            f"Exported {count} events, the last at position {last['position']} with hash {last['hash']}.", err=True
        )


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--head",
    metavar="HASH",
    help="The hash `export` reported for the last event: refuse a file that does not end with it.",
)
@DB_OPTION
def import_command(file: str, db_path: str | None, head: str | None) -> None:
    """Load an exported file into an empty database and rebuild the read models; refuse anything else."""
    path = Path(config_for(db_path).database)
    existed = path.exists()
    _refuse_unless_empty(path)
    if head is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", head.strip()):
        raise click.BadParameter("must be the 64 hex digits of the hash export reported", param_hint="--head")
    events, last_hash = _checked(file)
    _check_head(file, head, events, last_hash)
    try:
        with closing(open_database(path)) as db:
            store = EventStore(db)
            store.create_schema()
            with store.transaction(), open(file, encoding="utf-8") as lines:
                events = store.load_rows(transfer.read_rows(lines))
                last_hash = store.head_hash()
                _check_head(file, head, events, last_hash)  # the file may have changed since it was checked
                replay.rebuild(store)
    except transfer.ImportRefused as exc:  # the file changed since it was checked
        _remove_unless(existed, path)
        raise click.ClickException(f"refused to import {file}: {exc}") from exc
    except BaseException:
        _remove_unless(existed, path)
        raise
    click.echo(f"Imported {events} events into {path} and rebuilt the read models; head hash {last_hash}.")


def _check_head(file: str, head: str | None, events: int, last_hash: str) -> None:
    """Refuse a file that does not end with the head hash given (that of an empty log for none)."""
    if head is None or head.strip().lower() == last_hash:
        return
    ends = "holds no events" if events == 0 else f"ends at position {events} with hash {last_hash}"
    raise click.ClickException(
        f"refused to import {file}: it {ends}, not with the head {head.strip()} it was exported with"
        " (lines are missing from its end, or it is another log)"
    )


def _remove_unless(existed: bool, path: Path) -> None:
    """Leave no trace of a database that was not there before."""
    if not existed:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)


def _checked(file: str) -> tuple[int, str]:
    """Read the whole file once, checking every line, before anything is written: how many
    events it holds, and the hash of the last one (that of an empty log if it holds none)."""
    count, last_hash = 0, chain.GENESIS
    try:
        with open(file, encoding="utf-8") as lines:
            for row in transfer.read_rows(lines):
                count, last_hash = count + 1, str(row["hash"])
        return count, last_hash
    except transfer.ImportRefused as exc:
        raise click.ClickException(f"refused to import {file}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"refused to import {file}: it is not UTF-8 text ({exc})") from exc


def _refuse_unless_empty(path: Path) -> None:
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0] if "events" in tables else 0
    except sqlite3.Error as exc:
        raise click.ClickException(f"refused to import into {path}: it is not a readable database ({exc})") from exc
    if events:
        raise click.ClickException(f"refused to import into {path}: its log already holds {events} events")


def _existing(db_path: str | None) -> str:
    path = config_for(db_path).database
    if not Path(path).exists():
        raise click.ClickException(f"no database at {path}")
    return path
