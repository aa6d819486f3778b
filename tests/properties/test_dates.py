"""Properties of `taskstore.dates.instant_us`: due dates sort by the instant they name.

The expected values come from Python's own `datetime` arithmetic on the values the
texts were written from, never from the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstore.dates import instant_us

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
MAX_OFFSET_MINUTES = 23 * 60 + 59

# How a client may write the time of day: (digits of the fraction, keep the seconds).
PRECISIONS = {
    "minutes": (0, False),
    "seconds": (0, True),
    "tenths": (1, True),
    "milliseconds": (3, True),
    "microseconds": (6, True),
    "nanoseconds": (9, True),
}
ZONES = ("Z", "z", "+00:00", "-00:00", "offset", "none")

local_times = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))
offsets = st.integers(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES).map(lambda m: timezone(timedelta(minutes=m)))


def truncated(moment: datetime, precision: str) -> datetime:
    """`moment` cut to what a text of that precision can say."""
    digits, seconds = PRECISIONS[precision]
    step = 10 ** (6 - min(digits, 6))
    moment = moment.replace(microsecond=moment.microsecond - moment.microsecond % step)
    return moment if seconds else moment.replace(second=0, microsecond=0)


def clock_text(moment: datetime, precision: str) -> str:
    digits, seconds = PRECISIONS[precision]
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}"
    if seconds:
        text += f":{moment.second:02d}"
    if digits:
        text += "." + f"{moment.microsecond:06d}{'000'}"[:digits]
    return text


def offset_text(zone: timezone) -> str:
    minutes = int(zone.utcoffset(None) / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def written_date_times(draw: st.DrawFn) -> tuple[str, datetime]:
    """An ISO 8601 date-time as some client writes it, and the aware datetime it names."""
    precision = draw(st.sampled_from(sorted(PRECISIONS)))
    local = truncated(draw(local_times), precision)
    zone = draw(st.sampled_from(ZONES))
    if zone == "offset":
        tz = draw(offsets)
        return clock_text(local, precision) + offset_text(tz), local.replace(tzinfo=tz)
    suffix = "" if zone == "none" else zone  # no offset means UTC
    return clock_text(local, precision) + suffix, local.replace(tzinfo=UTC)


def sign(number: int | timedelta) -> int:
    zero = timedelta(0) if isinstance(number, timedelta) else 0
    return (number > zero) - (number < zero)


@given(written_date_times(), written_date_times())
def test_instants_order_date_times_exactly_as_python_compares_them(
    first: tuple[str, datetime], second: tuple[str, datetime]
) -> None:
    (text_a, moment_a), (text_b, moment_b) = first, second
    assert sign(instant_us(text_a) - instant_us(text_b)) == sign(moment_a - moment_b)


@given(written_date_times())
def test_an_instant_counts_the_microseconds_since_the_epoch_the_text_names(written: tuple[str, datetime]) -> None:
    text, moment = written
    assert instant_us(text) == (moment - EPOCH) // ONE_US


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)), offsets)
def test_one_instant_written_with_any_offset_gives_the_same_number(local: datetime, zone: timezone) -> None:
    moment = local.replace(tzinfo=zone)
    in_utc = moment.astimezone(UTC)
    texts = [
        clock_text(local, "microseconds") + offset_text(zone),
        clock_text(in_utc, "microseconds") + "Z",
        clock_text(in_utc, "microseconds") + "+00:00",
        clock_text(in_utc, "microseconds"),
    ]
    assert len({instant_us(text) for text in texts}) == 1


@given(
    st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)),
    st.sampled_from(["", "Z", "+00:00", "-05:00", "T", "basic"]),
)
def test_a_date_without_a_time_is_rejected(day: date, suffix: str) -> None:
    text = day.strftime("%Y%m%d") if suffix == "basic" else f"{day.year:04d}-{day.month:02d}-{day.day:02d}{suffix}"
    with pytest.raises(ValueError):
        instant_us(text)
