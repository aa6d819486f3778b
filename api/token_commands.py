"""Owns `taskstore tokens`: issue, list and revoke the bearer tokens kept in the `tokens` table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from api import ops, prepare_database, tokens
from projections import users
from taskstore.database import open_database

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PART = re.compile(r"(\d+)([mhdw])")
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `7d`, `2w`, or several of them such as `1d12h`. Raises ValueError."""
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration such as 30m, 12h, 7d, 2w or 1d12h")
    try:
        total = sum((int(number) * _UNIT[unit] for number, unit in parts), timedelta())
    except OverflowError as exc:
        raise ValueError(f"{text!r} is longer than any date can be") from exc
    if total <= timedelta():
        raise ValueError(f"{text!r} is not a duration longer than zero")
    return total


@click.group(name="tokens")
def tokens_group() -> None:
    """Issue, list and revoke bearer tokens (kept hashed in the database)."""


@tokens_group.command()
@click.argument("name")
@click.option("--read-only", is_flag=True, help="The token may only read: every write is 403 READ_ONLY_ACCESS.")
@click.option("--user", "user_id", type=int, default=None, help="Bind the token to this user and that user's tasks.")
@click.option("--expires-in", default=None, help="Lifetime such as 30m, 12h, 7d, 2w or 1d12h (default: none).")
@ops.DB_OPTION
def create(name: str, read_only: bool, user_id: int | None, expires_in: str | None, db_path: str | None) -> None:
    """Issue a token named NAME (the actor recorded for what it does) and print it, once."""
    config = ops.config_for(db_path)
    if not NAME_PATTERN.fullmatch(name):
        raise click.ClickException(f"the name {name!r} must be 1 to 64 letters, digits, '.', '_' or '-'")
    if name in tokens.RESERVED_NAMES:
        raise click.ClickException(f"the name {name!r} is the service's own actor name; choose another")
    if any(token.name == name for token in config.tokens):
        raise click.ClickException(f"the name {name!r} is already used by a token in TASKSTORE_TOKENS")
    now = datetime.now(UTC)
    try:
        expires_at = None if expires_in is None else now + parse_duration(expires_in)
    except (ValueError, OverflowError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else f"{expires_in!r} ends after the year 9999"
        raise click.BadParameter(message, param_hint="--expires-in") from exc
    prepare_database(config.database)
    db = open_database(config.database)
    try:
        if user_id is not None and users.get(db, user_id) is None:
            raise click.ClickException(f"there is no user {user_id} in {config.database}")
        text = tokens.issue(db, name, read_only=read_only, user_id=user_id, now=now, expires_at=expires_at)
    except tokens.NameInUse as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    scope = "read-only" if read_only else "read-write"
    bound = "every user" if user_id is None else f"user {user_id} only"
    until = "never expires" if expires_at is None else f"expires {_shown(expires_at)}"
    click.echo(f"Created token {name!r} ({scope}, {bound}, {until}):", err=True)
    click.echo(text)
    click.echo("Keep it now: it is stored only as a hash and will not be shown again.", err=True)


@tokens_group.command(name="list")
@ops.DB_OPTION
def list_command(db_path: str | None) -> None:
    """List the tokens: name, scope, user, created, expires, status (never the token itself)."""
    path = _prepared(db_path)
    db = open_database(path)
    try:
        issued = tokens.all_tokens(db)
    finally:
        db.close()
    if not issued:
        click.echo(f"No tokens in {path}; issue one with `taskstore tokens create NAME`.")
        return
    now = datetime.now(UTC)
    rows: list[tuple[str, ...]] = [("NAME", "SCOPE", "USER", "CREATED", "EXPIRES", "STATUS")]
    rows += [_row(token, now) for token in issued]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@tokens_group.command()
@click.argument("name")
@ops.DB_OPTION
def revoke(name: str, db_path: str | None) -> None:
    """Revoke the token named NAME: from now on it is 401 INVALID_TOKEN."""
    path = _prepared(db_path)
    db = open_database(path)
    try:
        before = tokens.find_by_name(db, name)
        tokens.revoke(db, name, datetime.now(UTC))
    finally:
        db.close()
    if before is None:
        raise click.ClickException(f"there is no token named {name!r} in {path}")
    click.echo(f"Token {name!r} was already revoked." if before.revoked_at else f"Revoked token {name!r}.")


def _prepared(db_path: str | None) -> str:
    path = ops.config_for(db_path).database
    if not Path(path).exists():
        raise click.ClickException(f"no database at {path}")
    prepare_database(path)
    return path


def _row(token: tokens.IssuedToken, now: datetime) -> tuple[str, ...]:
    return (
        token.name,
        "read-only" if token.read_only else "read-write",
        "all" if token.user_id is None else str(token.user_id),
        _shown(token.created_at),
        "never" if token.expires_at is None else _shown(token.expires_at),
        token.status(now),
    )


def _shown(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
