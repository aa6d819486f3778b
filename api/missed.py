"""Owns the 412 answer to a PATCH or DELETE whose If-Match is no longer current: the
envelope, the resource's current ETag, and as `missed` the history entries (the same
shape as the history routes') the client has not seen since the version it named."""

from __future__ import annotations

from flask import Flask, Response

from api.bodies import HistoryEntrySchema
from api.errors import STATUS_FOR, envelope
from api.preconditions import etag
from taskstore import history
from taskstore.errors import VersionMismatch

entries_out = HistoryEntrySchema(many=True)


def init_app(app: Flask) -> None:
    app.register_error_handler(VersionMismatch, refused)


def refused(exc: VersionMismatch) -> tuple[Response, int]:
    missed = entries_out.dump(history.history(exc.missed))
    headers = {"ETag": f'"{etag(exc.stream_id, exc.current)}"'}
    return envelope(STATUS_FOR[VersionMismatch], exc.code, exc.message, headers=headers, extra={"missed": missed})
