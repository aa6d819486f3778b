"""Owns the probes a process manager or load balancer calls without a token: GET /healthz
(the process is up) and GET /readyz (the database answers and every read model has
applied the whole log).

Both only read: /readyz opens the file read-only in one read transaction (WAL readers
never wait for the write lock), so a probe can neither create a missing database nor
queue behind writers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify

from api.apidoc import documented
from api.auth import public
from api.bodies import HealthSchema, ReadySchema
from api.config import Config
from api.errors import ApiError
from api.http import no_query
from projections import checkpoints
from projections.replay import PROJECTIONS

bp = Blueprint("health", __name__)
PROBE_TIMEOUT = 2.0  # seconds; a reader waits only while a checkpoint of the WAL runs


@bp.get("/healthz")
@public
@documented(
    "getHealthz",
    "The process is up",
    "service",
    description="Answers 200 while the process runs; needs no token.",
    out=HealthSchema,
    public=True,
)
def healthz() -> tuple[Response, int]:
    """The process is up and serving requests; says nothing about the database."""
    no_query()
    return jsonify({"status": "ok"}), 200


@bp.get("/readyz")
@public
@documented(
    "getReadyz",
    "The service is ready",
    "service",
    description="Answers 200 when the database is reachable and every read model has caught up "
    "with the log, else 503 NOT_READY; needs no token.",
    out=ReadySchema,
    public=True,
    errors=(503,),
)
def readyz() -> tuple[Response, int]:
    """Ready when the log can be read and each read model's checkpoint is at its end.
    Raises ApiError 503 NOT_READY naming what is missing or behind."""
    no_query()
    config: Config = current_app.extensions["taskstore.config"]
    last, positions = _positions(config.database)
    behind = [f"{name} is at {at} of {last}" for name, at in positions.items() if at < last]
    if behind:
        raise ApiError(503, "NOT_READY", "Read models are behind the log: " + "; ".join(behind))
    return jsonify({"status": "ready", "position": last}), 200


def _positions(path: str) -> tuple[int, dict[str, int]]:
    """The log's last position and each read model's checkpoint, read in one snapshot.
    Raises ApiError 503 if the database cannot be read."""
    if not Path(path).is_file():
        raise _unreachable(f"there is no database at {path}")
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=PROBE_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise _unreachable(str(exc)) from exc
    try:
        conn.execute("BEGIN")  # deferred: a read snapshot, never the write lock
        last = conn.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]
        rows = dict(conn.execute(f"SELECT name, position FROM {checkpoints.TABLE}").fetchall())
    except sqlite3.Error as exc:
        raise _unreachable(str(exc)) from exc
    finally:
        conn.close()
    return int(last), {p.NAME: int(rows.get(p.NAME, 0)) for p in PROJECTIONS}


def _unreachable(reason: str) -> ApiError:
    return ApiError(503, "NOT_READY", f"The database cannot be read: {reason}")
