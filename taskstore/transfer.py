"""Owns the JSON-lines form of the log, for the operator's export and import.

One object per stored row, in position order, with camelCase keys and the payload as a
JSON object; blank lines are skipped. Reading such a file checks everything an import needs before anything is
written: positions 1..N, each stream's versions 1..n, known event types, payloads the
codec can decode, and hashes that chain exactly as they did in the log they came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from taskstore import chain, codec, strict_json
from taskstore.events import EVENT_TYPES

#: The keys of a line, in this order, and the stored column each one holds.
WIRE = {
    "position": "position",
    "streamId": "stream_id",
    "version": "version",
    "type": "type",
    "schemaVersion": "schema_version",
    "occurredAt": "occurred_at",
    "payload": "payload",
    "requestId": "request_id",
    "actor": "actor",
    "hash": "hash",
}
_INTEGERS = frozenset({"position", "version", "schemaVersion"})


class ImportRefused(ValueError):
    """A file that cannot be imported, and why; nothing has been written."""


def export_line(row: Mapping[str, Any]) -> str:
    """One stored row as a line of JSON (without the newline)."""
    line = {key: row[column] for key, column in WIRE.items()}
    line["payload"] = codec.parse_payload(row["payload"])
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def read_rows(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The stored rows of an exported file, checked one by one. Raises ImportRefused at the
    first line that is malformed or does not follow from the lines before it."""
    previous, versions, expected = chain.GENESIS, dict[str, int](), 1
    for number, line in enumerate(lines, start=1):
        if not line.strip():  # a blank line (an editor's last newline) holds no row
            continue
        row = _row(number, line)
        where = f"line {number} (position {row['position']})"
        if row["position"] != expected:
            raise ImportRefused(f"{where}: {_out_of_place(expected, row['position'])}")
        expected += 1
        expected_version = versions.get(row["stream_id"], 0) + 1
        if row["version"] != expected_version:
            raise ImportRefused(
                f"{where}: stream {row['stream_id']} has version {row['version']}, expected {expected_version}"
            )
        _check_decodes(where, row)
        if row["hash"] != chain.link(previous, row):
            raise ImportRefused(f"{where}: the hash chain is broken at position {row['position']}")
        previous, versions[row["stream_id"]] = row["hash"], row["version"]
        yield row


def _out_of_place(expected: int, position: int) -> str:
    """Why a line's position is not the one expected there."""
    if expected == 1:
        return "the log starts at position 1"
    if position < expected:
        return f"position {position} comes again, or out of order, after position {expected - 1}"
    return f"position {expected} is missing"


def _row(number: int, line: str) -> dict[str, Any]:
    """A line as a stored row, its payload re-encoded by the codec. Raises ImportRefused."""
    try:
        data = strict_json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        raise ImportRefused(f"line {number}: malformed JSON: {exc.msg} at column {exc.colno}") from exc
    except strict_json.RepeatedKey as exc:
        raise ImportRefused(f"line {number}: malformed JSON: a key is given twice in one object ({exc})") from exc
    except ValueError as exc:
        raise ImportRefused(f"line {number}: malformed JSON: {exc}") from exc
    if not isinstance(data, dict) or set(data) != set(WIRE):
        raise ImportRefused(f"line {number}: expected an object with exactly the keys {', '.join(WIRE)}")
    for key, value in data.items():
        expected: type = int if key in _INTEGERS else dict if key == "payload" else str
        if type(value) is not expected:
            raise ImportRefused(
                f"line {number}: `{key}` must be {'an integer' if expected is int else expected.__name__}"
            )
    row = {column: data[key] for key, column in WIRE.items()}
    row["payload"] = codec.encode_payload(data["payload"])
    return row


def _check_decodes(where: str, row: Mapping[str, Any]) -> None:
    cls = EVENT_TYPES.get(row["type"])
    if cls is None:
        raise ImportRefused(f"{where}: unknown event type {row['type']!r}")
    if not 1 <= row["schema_version"] <= cls.schema_version:
        raise ImportRefused(f"{where}: {row['type']} has no schema version {row['schema_version']}")
    try:
        codec.decode(row)
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportRefused(f"{where}: the codec cannot decode this {row['type']}: {exc!r}") from exc
