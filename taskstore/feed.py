"""Owns one page of the global event feed and the position a consumer resumes from.

A consumer keeps one number, the position it has read up to, and asks for what comes
after it. Every page is read in one snapshot of the log, so the events it holds and the
end of the log it reports describe the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from taskstore.events import Recorded
from taskstore.store import EventStore


@dataclass(frozen=True)
class FeedPage:
    events: list[Recorded]
    next_after: int
    has_more: bool
    last_position: int  # the end of the whole log in the page's snapshot


def read_feed(
    store: EventStore, after: int, limit: int, *, event_type: str | None = None, stream_id: str | None = None
) -> FeedPage:
    """Up to `limit` events after position `after` (of `event_type` and `stream_id` when given),
    in commit order, and where to resume: see `resume_from`."""
    with store.snapshot():
        found = store.read_all(after, limit + 1, event_type=event_type, stream_id=stream_id)
        last = store.last_position()
    events, has_more = found[:limit], len(found) > limit
    return FeedPage(events, resume_from(after, events, has_more, last), has_more, last)


def resume_from(after: int, events: list[Recorded], has_more: bool, last: int) -> int:
    """The `after` of the next request: it never goes backwards and never skips a wanted event.

    - More matching events remain: the position of the last event returned, so the next
      page starts right after it.
    - The end was reached (every matching event up to the end of the log in this snapshot
      was returned): the last position of the whole log, so a filtered consumer does not
      rescan the events it does not want. Positions are handed out in commit order under
      the write lock, so no event at or before that position can appear later.
    - Nothing exists after `after` (it is at or past the end): `after` itself.
    """
    if has_more:
        return events[-1].position
    return max(after, last)
