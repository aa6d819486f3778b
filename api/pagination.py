"""Owns the list conveniences: `X-Total-Count` (the matching items across all pages) and an
RFC 8288 `Link` header to the first, previous, next and last pages.

Each link is the request's own URL with only `_page` changed (added at the end if it was
not given): every other parameter is kept as the client sent it. `prev` is absent on the
first page and `next` on the last; when nothing matches, the last page is the first (0).
A page past the end links `prev` to the last page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, request

from taskstore.commands import MAX_ID

Listed = tuple[Response, int]


def window(q: dict[str, Any]) -> tuple[int, int]:
    """(offset, limit) of the page `_page`/`_perPage` name; a page past any possible end reads nothing."""
    offset = q["page"] * q["per_page"]
    return min(offset, MAX_ID), q["per_page"]


def paged(result: Listed, total: int, q: dict[str, Any]) -> Listed:
    """`result` with X-Total-Count and Link for page `q["page"]` of `q["per_page"]` items."""
    response = result[0]
    response.headers["X-Total-Count"] = str(total)
    response.headers["Link"] = links(total, q["page"], q["per_page"])
    return result


def links(total: int, page: int, per_page: int) -> str:
    last = max(0, -(-total // per_page) - 1)
    pages = {"first": 0}
    if page > 0:
        pages["prev"] = min(page - 1, last)
    if page < last:
        pages["next"] = page + 1
    pages["last"] = last
    return ", ".join(f'<{page_url(number)}>; rel="{rel}"' for rel, number in pages.items())


def page_url(number: int) -> str:
    """This request's URL with `_page` set to `number`."""
    pairs = [(name, str(number) if name == "_page" else value) for name, value in request.args.items(multi=True)]
    if "_page" not in request.args:
        pairs.append(("_page", str(number)))
    return f"{request.base_url}?{urlencode(pairs, quote_via=quote, safe=':')}"
