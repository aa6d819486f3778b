"""Owns the hash chain that makes the log tamper-evident.

Each stored event carries `hash = sha256(previous hash + its own row)`, written at
append time. Changing, removing or inserting a row behind the service's back (with the
triggers dropped) breaks the chain from that position on, and `verify` finds it. The
hash covers the row as stored, so once payloads are encrypted it covers the ciphertext
and erasing a user's key does not break it. Someone who rewrites the whole chain after
an edit is caught only by comparing the head hash with one recorded elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64
#: The columns a hash covers, in this order.
COLUMNS = (
    "position",
    "stream_id",
    "version",
    "type",
    "schema_version",
    "occurred_at",
    "payload",
    "request_id",
    "actor",
)


def link(previous: str, row: Mapping[str, Any]) -> str:
    """The hash of `row` chained to the hash of the row before it."""
    content = json.dumps([row[name] for name in COLUMNS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{content}".encode()).hexdigest()


def first_break(rows: Iterable[Mapping[str, Any]]) -> int | None:
    """The position of the first row whose hash does not follow from the rows before it, or None."""
    previous = GENESIS
    for row in rows:
        if row["hash"] != link(previous, row):
            return int(row["position"])
        previous = row["hash"]
    return None
