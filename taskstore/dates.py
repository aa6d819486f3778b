"""Owns the reading of due dates: the exact text is kept, the instant is for sorting."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

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
