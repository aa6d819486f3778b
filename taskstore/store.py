"""Owns the `events` table: an append-only log with optimistic concurrency per stream.

The narrow interface a second backend must offer: `append`/`append_streams` with an
expected version, `read_stream`, `read_all` after a position (optionally of one type or
stream), `snapshot` (reads that see one moment of the log) and `transaction`; for
the operator's tools, `iter_rows` (the rows as stored) and `load_rows` (restore into an
empty log). The database itself refuses UPDATE and DELETE on `events` (triggers), and
the unique index on `(stream_id, version)` allows one event per version of a stream.

Each append also records, per row, a hash chained to the previous row's (see
`taskstore.chain`), and a recorded time never earlier than the previous row's, so that
recorded times run in log order and "as of a time" is always a prefix of the log.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from taskstore import chain, codec
from taskstore.errors import ConcurrencyConflict
from taskstore.events import Event, Recorded
from taskstore.signals import event_appended

REFUSE_UPDATE = """CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    request_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events (stream_id, version);
CREATE INDEX IF NOT EXISTS events_type_position ON events (type, position);
CREATE INDEX IF NOT EXISTS events_occurred_at ON events (occurred_at);
CREATE TRIGGER IF NOT EXISTS events_refuse_overwrite BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position
             OR (stream_id = NEW.stream_id AND version = NEW.version))
BEGIN SELECT RAISE(ABORT, 'events are append-only: an existing event cannot be replaced'); END;
{REFUSE_UPDATE}
CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
"""

_COLUMNS = "position, stream_id, version, type, schema_version, occurred_at, payload, request_id, actor"


@dataclass(frozen=True)
class Meta:
    """Who asked for a change: the request's id and the token's name (never the token)."""

    request_id: str
    actor: str


@dataclass(frozen=True)
class StreamAppend:
    """Events for one stream, to be appended only if the stream is at `expected_version`.

    An empty `events` only checks the version: a guard on a stream the command read.
    """

    stream_id: str
    expected_version: int
    events: Sequence[Event]


class EventStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_schema(self) -> None:
        """Create the log if it is not there; give a log written before the hash chain its hashes."""
        self.db.executescript(SCHEMA)
        with self.transaction():
            if "hash" not in {row[1] for row in self.db.execute("PRAGMA table_info(events)")}:
                self._add_hash_chain()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction holding the write lock from the start; nested calls are savepoints."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # the write lock stayed taken for the whole busy timeout
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise ConcurrencyConflict("the database stayed busy; try again") from exc
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        self.db.execute("COMMIT")

    def append(self, stream_id: str, expected_version: int, events: Sequence[Event], meta: Meta) -> list[Recorded]:
        """Append `events` to one stream. Raises ConcurrencyConflict if it is not at `expected_version`."""
        return self.append_streams([StreamAppend(stream_id, expected_version, events)], meta)

    def append_streams(self, appends: Sequence[StreamAppend], meta: Meta) -> list[Recorded]:
        """Append to several streams, all or none. Raises ConcurrencyConflict."""
        recorded: list[Recorded] = []
        with self.transaction():
            for item in appends:
                self._check_version(item)
            try:
                for item in appends:
                    recorded.extend(self._insert(item.events, meta))
            except sqlite3.IntegrityError as exc:  # another writer took a version first
                raise ConcurrencyConflict(f"a stream moved on while appending: {exc}") from exc
            for record in recorded:  # the read models commit with the events, or not at all
                event_appended.send(self, record=record)
        return recorded

    def read_stream(self, stream_id: str) -> list[Recorded]:
        """Every event of one stream, in version order."""
        rows = self.db.query(f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? ORDER BY version", [stream_id])
        return [codec.decode(row) for row in rows]

    def read_all(
        self, after: int = 0, limit: int | None = None, *, event_type: str | None = None, stream_id: str | None = None
    ) -> list[Recorded]:
        """Events with a position greater than `after`, in position order (at most `limit`),
        only those of `event_type` and of `stream_id` when given."""
        filters = {"type": event_type, "stream_id": stream_id}
        where = "".join(f" AND {column} = :{column}" for column, value in filters.items() if value is not None)
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM events WHERE position > :after{where} ORDER BY position LIMIT :limit",
            {"after": after, "limit": -1 if limit is None else limit, **filters},
        )
        return [codec.decode(row) for row in rows]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the log as of one moment (a read transaction); inside a
        transaction already, that one's view."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN")  # deferred: the snapshot starts at the first read, takes no write lock
        try:
            yield
        finally:
            self.db.rollback()  # nothing was written: ending the read is all there is to do

    def iter_all(self, after: int = 0, batch: int = 2000) -> Iterator[Recorded]:
        """Every event after `after`, read in batches so the whole log never sits in memory."""
        while chunk := self.read_all(after, batch):
            yield from chunk
            after = chunk[-1].position

    def iter_rows(self, after: int = 0, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every row after `after` exactly as stored (payload text not decoded, hash included)."""
        while True:
            chunk = list(
                self.db.query(
                    f"SELECT {_COLUMNS}, hash FROM events WHERE position > ? ORDER BY position LIMIT ?", [after, batch]
                )
            )
            if not chunk:
                return
            yield from chunk
            after = chunk[-1]["position"]

    def load_rows(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Restore rows as stored (positions and hashes included) into an empty log, all or none,
        without notifying the read models. Raises ValueError if the log is not empty."""
        count = 0
        with self.transaction():
            if self.last_position():
                raise ValueError("the log is not empty")
            for row in rows:
                self.db.execute(
                    f"INSERT INTO events ({_COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [row[name] for name in (*chain.COLUMNS, "hash")],
                )
                count += 1
        return count

    def stream_version(self, stream_id: str) -> int:
        """The version of a stream's last event; 0 for a stream that does not exist."""
        row = self.db.execute("SELECT max(version) FROM events WHERE stream_id = ?", [stream_id]).fetchone()
        return int(row[0] or 0)

    def last_position(self) -> int:
        row = self.db.execute("SELECT max(position) FROM events").fetchone()
        return int(row[0] or 0)

    def head_hash(self) -> str:
        """The hash of the last row: it names the whole log (that of an empty log if there is none)."""
        row = self.db.execute("SELECT hash FROM events ORDER BY position DESC LIMIT 1").fetchone()
        return chain.GENESIS if row is None else str(row[0])

    def latest_stream_of(self, event_type: str) -> str | None:
        """The stream of the most recent event of a type (ids grow in log order)."""
        row = self.db.execute(
            "SELECT stream_id FROM events WHERE type = ? ORDER BY position DESC LIMIT 1",
            [event_type],
        ).fetchone()
        return None if row is None else str(row[0])

    def _check_version(self, item: StreamAppend) -> None:
        actual = self.stream_version(item.stream_id)
        if actual != item.expected_version:
            raise ConcurrencyConflict(f"stream {item.stream_id} is at version {actual}, not {item.expected_version}")
        for offset, event in enumerate(item.events, start=1):
            if event.stream_id != item.stream_id or event.version != item.expected_version + offset:
                raise ValueError(f"event {event!r} does not follow version {item.expected_version}")

    def _insert(self, events: Sequence[Event], meta: Meta) -> list[Recorded]:
        last = self.db.execute(
            "SELECT position, occurred_at, hash FROM events ORDER BY position DESC LIMIT 1"
        ).fetchone()
        position, occurred_at, previous = last or (0, "", chain.GENESIS)
        recorded = []
        for event in events:
            row = codec.encode(event)
            if row["occurred_at"] < occurred_at:  # the clock went back: keep recorded times in log order
                event = dataclasses.replace(event, occurred_at=codec.decode_time(occurred_at))
                row["occurred_at"] = occurred_at
            position, occurred_at = position + 1, row["occurred_at"]
            row.update(position=position, request_id=meta.request_id, actor=meta.actor)
            previous = chain.link(previous, row)
            self.db.execute(
                f"INSERT INTO events ({_COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [row[name] for name in chain.COLUMNS] + [previous],
            )
            recorded.append(Recorded(position=position, event=event, request_id=meta.request_id, actor=meta.actor))
        return recorded

    def _add_hash_chain(self) -> None:
        """One-off migration of a log written before rows carried hashes: hash every row in order."""
        self.db.execute("DROP TRIGGER IF EXISTS events_refuse_update")
        self.db.execute("ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
        previous = chain.GENESIS
        for row in list(self.db.query(f"SELECT {_COLUMNS} FROM events ORDER BY position")):
            previous = chain.link(previous, row)
            self.db.execute("UPDATE events SET hash = ? WHERE position = ?", [previous, row["position"]])
        self.db.execute(REFUSE_UPDATE)
