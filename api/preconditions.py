"""Owns ETags and If-Match: a resource's ETag names its stream and version, and a PATCH or
DELETE naming an ETag that is no longer current is refused with what the client missed.

The ETag of a task or user is the strong tag `"<streamId>.v<version>"`, e.g. `"task-3.v5"`:
the representation changes only with the stream's version, so equal tags mean equal bodies.
If-Match is compared strongly (RFC 9110): weak tags never match, `*` matches any version of
a resource that exists. The check itself runs inside the command's write transaction
(`taskstore.commands.require`); this module only turns the header into versions and the
refusal into the envelope (`api.missed`).
"""

from __future__ import annotations

import re

from flask import Response, request

from taskstore.commands import Expected

_VERSION = re.compile(r"v([1-9][0-9]{0,17})")


def etag(stream_id: str, version: int) -> str:
    """The ETag value (unquoted) of a stream at a version."""
    return f"{stream_id}.v{version}"


def tagged(result: tuple[Response, int], stream_id: str, version: int) -> tuple[Response, int]:
    """`result` with the strong ETag of the stream at `version`."""
    result[0].set_etag(etag(stream_id, version))
    return result


def expected(stream_id: str) -> Expected:
    """The versions of `stream_id` the request's If-Match accepts: None without the header, with
    an empty one or with `*`; otherwise those its strong tags name (none at all, so never met,
    if no tag does)."""
    if not request.headers.get("If-Match", "").strip() or request.if_match.star_tag:
        return None  # no header, an empty one (a list of no tags), or `*`
    versions: set[int] = set()
    for tag in request.if_match.as_set():  # strong tags only
        if not tag:  # `""` names no version
            continue
        stream, _, rest = tag.rpartition(".")
        match = _VERSION.fullmatch(rest)
        if stream == stream_id and match:
            versions.add(int(match[1]))
    return frozenset(versions)
