"""Owns the domain errors; each carries the contract's error code and a message."""

from __future__ import annotations


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
