"""Owns the encoding of events to stored rows and back: the one place payloads are read.

Personal data will be encrypted per user here later, so nothing else may touch a raw
payload. Older payload shapes are brought up to date on read by `UPCASTERS`, one step
at a time: `UPCASTERS[("TaskStatusChanged", 1)]` turns a v1 payload into a v2 one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from taskstore.events import EVENT_TYPES, Event, Recorded, TaskStatus

Payload = dict[str, Any]
UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {}

_ENVELOPE = frozenset({"stream_id", "version", "occurred_at"})


def encode_time(moment: datetime) -> str:
    """The stored form of a UTC instant: fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode_time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # the stored form ends in Z: an aware UTC datetime


def payload(event: Event) -> Payload:
    """An event's payload in its current shape: its fields less the stream, version and time."""
    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name not in _ENVELOPE}


def encode(event: Event) -> dict[str, Any]:
    """The columns of an event's row, less its position and request metadata."""
    return {
        "stream_id": event.stream_id,
        "version": event.version,
        "type": type(event).__name__,
        "schema_version": type(event).schema_version,
        "occurred_at": encode_time(event.occurred_at),
        "payload": encode_payload(payload(event)),
    }


def encode_payload(payload: Mapping[str, Any]) -> str:
    """The stored text of a payload: the one encoder, so a payload always has one exact text."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def parse_payload(text: str) -> Payload:
    """A stored payload's text as a JSON object, not upcast (for the operator's export)."""
    payload = json.loads(text)
    if not isinstance(payload, dict):
        raise ValueError("a payload is a JSON object")
    return payload


def decode(row: Mapping[str, Any]) -> Recorded:
    """The stored row as a `Recorded` event, its payload upcast to the current shape."""
    cls = EVENT_TYPES[row["type"]]
    payload = upcast(row["type"], row["schema_version"], parse_payload(row["payload"]))
    for name in _status_fields(cls):
        payload[name] = TaskStatus(payload[name])
    event = cls(
        stream_id=row["stream_id"],
        version=row["version"],
        occurred_at=decode_time(row["occurred_at"]),
        **payload,
    )
    return Recorded(
        position=row["position"],
        event=event,
        request_id=row["request_id"],
        actor=row["actor"],
    )


def upcast(type_name: str, version: int, payload: Payload) -> Payload:
    """Apply the registered one-step upcasters until the payload is current."""
    current = EVENT_TYPES[type_name].schema_version
    while version < current:
        payload = UPCASTERS[(type_name, version)](payload)
        version += 1
    return payload


_STATUS_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _status_fields(cls: type[Event]) -> tuple[str, ...]:
    """The payload fields of an event type that hold a TaskStatus."""
    if cls not in _STATUS_FIELDS:
        _STATUS_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.type in ("TaskStatus", TaskStatus))
    return _STATUS_FIELDS[cls]
