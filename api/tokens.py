"""Owns the `tokens` table: the bearer tokens issued with `taskstore tokens create`.

A token reads `tsk_<id>_<secret>`. The table keeps the id (not secret; it finds the row)
and the SHA-256 of the secret, never the secret itself, so a copy of the database lets
nobody in. The table lives in the service's SQLite file beside the log, not in it: tokens
are the operator's configuration, not the users' data, so they are neither exported nor
replayed, and revoking one rewrites its row (the log is the only append-only table).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from taskstore.codec import decode_time, encode_time

NAME = "tokens"
PREFIX = "tsk"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {NAME} (
    name TEXT NOT NULL UNIQUE,
    token_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    read_only INTEGER NOT NULL,
    user_id INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
"""


@dataclass(frozen=True)
class IssuedToken:
    """A row of the table; times are aware UTC datetimes."""

    name: str
    token_id: str
    read_only: bool
    user_id: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        """`revoked`, `expired` or `active` at `now`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class NameInUse(ValueError):
    pass


def create(db: Database) -> None:
    db.executescript(SCHEMA)


def issue(
    db: Database, name: str, *, read_only: bool, user_id: int | None, now: datetime, expires_at: datetime | None
) -> str:
    """Store a new token and return its text, which exists nowhere else. Raises NameInUse."""
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    row = [name, token_id, _digest(secret), int(read_only), user_id, encode_time(now)]
    row.append(None if expires_at is None else encode_time(expires_at))
    with db.atomic():
        if find_by_name(db, name) is not None:
            raise NameInUse(f"a token named {name!r} exists already (revoked tokens keep their names)")
        db.execute(f"INSERT INTO {NAME} VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", row)
    return f"{PREFIX}_{token_id}_{secret}"


#: Actor names the service itself records, which no token may take.
RESERVED_NAMES = frozenset({"sample-data"})


def names_in_use(db: Database) -> set[str]:
    """The names of the issued tokens that are not revoked (a revoked one can no longer act)."""
    if not db[NAME].exists():
        return set()
    return {row[0] for row in db.execute(f"SELECT name FROM {NAME} WHERE revoked_at IS NULL")}


def refuse_shared_names(db: Database, configured: set[str]) -> None:
    """Raises ValueError if an issued, unrevoked token has the name of a configured
    (TASKSTORE_TOKENS) one: the two would share an actor, a rate-limit counter and
    idempotency keys."""
    shared = names_in_use(db) & configured
    if shared:
        raise ValueError(
            f"TASKSTORE_TOKENS and the issued tokens both use the name(s) {', '.join(sorted(shared))}: "
            "rename the TASKSTORE_TOKENS entry or revoke the issued token"
        )


def revoke(db: Database, name: str, now: datetime) -> bool:
    """Mark the token revoked (a revoked one keeps its first revocation time); False if there is none."""
    with db.atomic():
        cursor = db.execute(
            f"UPDATE {NAME} SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?", [encode_time(now), name]
        )
    return bool(cursor.rowcount)


def all_tokens(db: Database) -> list[IssuedToken]:
    """Every token, in the order they were created."""
    return [_token(row) for row in db.query(f"SELECT * FROM {NAME} ORDER BY created_at, name")]


def any_active(db: Database, now: datetime) -> bool:
    """Whether some token is neither revoked nor expired at `now`."""
    return db[NAME].exists() and any(token.status(now) == "active" for token in all_tokens(db))


def find_by_name(db: Database, name: str) -> IssuedToken | None:
    row = next(db.query(f"SELECT * FROM {NAME} WHERE name = ?", [name]), None)
    return None if row is None else _token(row)


def matching(db: Database, presented: str) -> IssuedToken | None:
    """The stored token `presented` is, or None: the id finds the row, and the secret's hash
    is compared in constant time."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not token_id or not secret or not db[NAME].exists():
        return None
    row = next(db.query(f"SELECT * FROM {NAME} WHERE token_id = ?", [token_id]), None)
    if row is None or not hmac.compare_digest(_digest(secret), row["secret_sha256"]):
        return None
    return _token(row)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _token(row: dict[str, Any]) -> IssuedToken:
    return IssuedToken(
        name=row["name"],
        token_id=row["token_id"],
        read_only=bool(row["read_only"]),
        user_id=row["user_id"],
        created_at=decode_time(row["created_at"]),
        expires_at=None if row["expires_at"] is None else decode_time(row["expires_at"]),
        revoked_at=None if row["revoked_at"] is None else decode_time(row["revoked_at"]),
    )
