"""Owns the documentation of each route, kept beside the route: `@documented(...)` records
what the API document says of a view (its summary, its inputs, its success body, the
headers it takes and sends, the links to follow from its answer); `api.openapi` reads the
records off the app's views and builds the document from them.

Which error statuses an operation can answer follows from what it takes (a path id: 404,
a body: 413 and 415, `If-Match`: 412...), so no route lists them by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from marshmallow import Schema

View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class Operation:
    """What the API document says of one route and method."""

    operation_id: str
    summary: str
    tag: str
    description: str = ""
    status: int = 200
    out: type[Schema] | None = None  # the success body; None for no body
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    path: tuple[str, ...] = ()  # the path parameters' wire names, in the order of the path
    request_headers: tuple[str, ...] = ()  # "If-Match", "If-None-Match" (and its 304), "Idempotency-Key"
    response_headers: tuple[str, ...] = ()  # besides those on every response: "ETag", "Link"...
    links: tuple[str, ...] = ()  # operation ids whose path parameters this answer's body holds
    media_type: str = "application/json"
    public: bool = False
    errors: tuple[int, ...] = field(default=())  # statuses beyond those that follow from the inputs


def documented(operation_id: str, summary: str, tag: str, **details: object) -> Callable[[View], View]:
    """Record the view's `Operation` on it, for `api.openapi` to find."""

    def mark(view: View) -> View:
        view.taskstore_operation = Operation(operation_id, summary, tag, **details)  # type: ignore[arg-type, attr-defined]
        return view

    return mark


def operation_of(view: object) -> Operation | None:
    found = getattr(view, "taskstore_operation", None)
    return found if isinstance(found, Operation) else None
