"""Owns the domain errors; each carries the contract's error code and a message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskstore.events import Recorded


class DomainError(Exception):
    """A request the domain refuses; `code` is one of the contract's error codes."""

    code = "INVALID_FIELD"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "RESOURCE_NOT_FOUND"


class UnknownUser(DomainError):
    code = "INVALID_USER_ID"


class DuplicateEmail(DomainError):
    code = "DUPLICATE_EMAIL"


class ConcurrencyConflict(DomainError):
    """The stream moved on since it was read, or the database stayed busy."""

    code = "CONFLICT"


class VersionMismatch(DomainError):
    """The client's condition on a stream's version does not hold: the stream is at `current`.

    `missed` holds the stream's recorded events after the last version the client named
    (all of them if it named none), read in the same transaction as `current`; none when the
    condition was that the stream not be at `current` (`named`). Never retried."""

    code = "PRECONDITION_FAILED"

    def __init__(self, stream_id: str, current: int, missed: Sequence[Recorded], *, named: bool = False) -> None:
        if named:  # If-None-Match named the version it is at (or was `*`)
            super().__init__(f"{stream_id} is at version {current}, which the request named as one not to change")
        else:
            super().__init__(f"{stream_id} is at version {current}, not at a version the request named")
        self.stream_id, self.current, self.missed = stream_id, current, tuple(missed)
