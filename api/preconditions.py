"""Owns ETags, If-Match and If-None-Match: a resource's ETag names its stream and version, a
PATCH or DELETE naming an ETag that is no longer current is refused with what the client
missed, and a GET naming the ETag it would send is answered 304 Not Modified.

The ETag of a task or user is the strong tag `"<streamId>.v<version>"`, e.g. `"task-3.v5"`:
the representation changes only with the stream's version, so equal tags mean equal bodies.
If-Match is compared strongly (RFC 9110): weak tags never match, `*` matches any version of
a resource that exists. The check itself runs inside the command's write transaction
(`taskstore.commands.require`); this module only turns the header into versions and the
refusal into the envelope (`api.missed`).

If-None-Match is compared weakly (RFC 9110 §13.1.2): `W/"task-3.v5"` matches `"task-3.v5"`,
and `*` matches any version. It is checked by `request.if_none_match.contains_weak`, not by
werkzeug's `Response.make_conditional`: that one also applies If-Match to a GET, answering a
412 without the error envelope (and failing `If-Match: *`), which the API does not do.
The routes call `conditional` only once the resource is found and the token may read it, so a
404, 401 or 403 is never a 304.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Response, current_app, request

from taskstore.commands import Expected

_VERSION = re.compile(r"v([1-9][0-9]{0,17})")


def etag(stream_id: str, version: int) -> str:
    """The ETag value (unquoted) of a stream at a version."""
    return f"{stream_id}.v{version}"


def tagged(result: tuple[Response, int], stream_id: str, version: int) -> tuple[Response, int]:
    """`result` with the strong ETag of the stream at `version`."""
    result[0].set_etag(etag(stream_id, version))
    return result


def conditional(answer: Callable[[], tuple[Response, int]], stream_id: str, version: int) -> tuple[Response, int]:
    """The answer to a GET or HEAD of the stream at `version`: 304 Not Modified, with no body and
    the strong ETag, when the request's If-None-Match names that version (or is `*`); else
    `answer()` with the ETag."""
    if request.if_none_match.contains_weak(etag(stream_id, version)):
        return tagged((current_app.response_class(status=304), 304), stream_id, version)
    return tagged(answer(), stream_id, version)


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
