"""Reading the list conveniences back: the Link header as {rel: (path, params)}."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from werkzeug.test import TestResponse

LINK = re.compile(r'<([^>]*)>; rel="([a-z]+)"')


def links(response: TestResponse) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Each relation of the Link header: the target's path and its query pairs, in order."""
    header = response.headers["Link"]
    found = LINK.findall(header)
    assert ", ".join(f'<{url}>; rel="{rel}"' for url, rel in found) == header, header
    out = {}
    for url, rel in found:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("http", "localhost"), url
        out[rel] = (parts.path, parse_qsl(parts.query, keep_blank_values=True))
    return out


def next_url(response: TestResponse) -> str | None:
    """The `next` link as the test client takes it (path and query), or None on the last page."""
    for url, rel in LINK.findall(response.headers["Link"]):
        if rel == "next":
            parts = urlsplit(url)
            return f"{parts.path}?{parts.query}"
    return None


def total(response: TestResponse) -> int:
    return int(response.headers["X-Total-Count"])
