"""Owns how the SQLite file is opened: one connection per unit of work, same settings everywhere.

Durability: the file runs in WAL mode with `synchronous=FULL`, so the WAL is fsynced at
every commit and a write that returned success survives a power cut, not just a crash
of the process (`NORMAL` would only promise the latter). Writers take the write lock up
front (`BEGIN IMMEDIATE`) and wait up to `BUSY_TIMEOUT_MS` for it, so concurrent
writers queue instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 30_000


def open_database(path: str | Path) -> Database:
    """A sqlite-utils `Database` on `path` (":memory:" for a private in-memory one)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,  # no implicit transactions: every one is explicit
        check_same_thread=False,
    )
    db = Database(conn, execute_plugins=False)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if str(path) != ":memory:" and db.journal_mode != "wal":
        db.enable_wal()
    db.execute("PRAGMA synchronous = FULL")
    return db
