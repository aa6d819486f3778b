"""Owns the reading and writing of instants: due dates keep their exact text, the instant is for sorting."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_EPOCH = datetime(1970, 1, 1)


def instant_us(text: str) -> int:
    """Microseconds since 1970-01-01T00:00Z of an ISO 8601 date-time; no offset means UTC.

    Raises ValueError for anything that is not a date and a time of day.
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    clock = match["time"] if match["time"].count(":") == 2 else match["time"] + ":00"
    local = datetime.fromisoformat(f"{match['date']}T{clock}")
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    delta = local - _EPOCH + timedelta(microseconds=int(fraction))
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros - _offset_us(match["offset"])


def _offset_us(offset: str | None) -> int:
    if offset is None or offset in "Zz":
        return 0
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a UTC offset: {offset!r}")
    sign = -1 if offset[0] == "-" else 1
    return sign * (hours * 60 + minutes) * 60_000_000


_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CYCLE_US = 146_097 * 86_400 * 1_000_000  # 400 Gregorian years: the calendar repeats exactly
FIRST_US = (datetime(1, 1, 1, tzinfo=UTC) - _UTC_EPOCH) // timedelta(microseconds=1)
LAST_US = (datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC) - _UTC_EPOCH) // timedelta(microseconds=1)


def moment_us(moment: datetime) -> int:
    """Microseconds since 1970-01-01T00:00Z of a timezone-aware datetime."""
    return (moment - _UTC_EPOCH) // timedelta(microseconds=1)


def utc_text(micros: int) -> str:
    """The instant `micros` as UTC ISO 8601 with a Z, e.g. "2025-06-29T22:00:00Z" (a fraction
    only when it is not zero). Instants outside years 1-9999 (a due date in year 1 minus its
    offset) are written in the same form, shifted whole 400-year cycles: "0000-11-17T13:20:00Z"."""
    shift = 0
    while micros < FIRST_US:
        micros, shift = micros + _CYCLE_US, shift - 400
    while micros > LAST_US:
        micros, shift = micros - _CYCLE_US, shift + 400
    moment = _UTC_EPOCH + timedelta(microseconds=micros)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return f"{moment.year + shift:04d}{moment:-%m-%dT%H:%M:%S}{fraction}Z"
