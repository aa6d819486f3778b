"""Owns ETags, If-Match and If-None-Match (RFC 9110 §13): a resource's ETag names its
stream and version; a request whose condition on that version does not hold is refused
with 412 `PRECONDITION_FAILED`, and a GET naming the ETag it would send is answered 304.

The ETag of a task or user is the strong tag `"<streamId>.v<version>"`, e.g. `"task-3.v5"`:
the representation changes only with the stream's version, so equal tags mean equal bodies.
If-Match is compared strongly: weak tags never match, `*` matches any version of a resource
that exists. If-None-Match is compared weakly: `W/"task-3.v5"` matches `"task-3.v5"`, and
`*` matches any version. If-Match is evaluated first, then If-None-Match.

- PATCH and DELETE: If-Match names no current version, or If-None-Match names the current
  one (or is `*`): 412, appending nothing. The check runs inside the command's write
  transaction (`taskstore.commands.require`); this module only turns the headers into a
  `Precondition`, and `api.missed` the refusal into the envelope with what the client missed.
- GET and HEAD of one task or user: If-Match naming no version the answer would carry is
  412; If-None-Match naming it is 304 Not Modified, no body, with the ETag. Werkzeug's
  `Response.make_conditional` is not used: its If-Match answer is a 412 outside the error
  envelope (and it fails `If-Match: *`). The routes call `conditional` only once the
  resource is found and the token may read it, so a 404, 401 or 403 is never a 304 or 412.

Werkzeug's header parser is lenient: an unquoted tag, or a lower-case `w/`, is read as the
tag it spells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from flask import Response, current_app, request

from taskstore.commands import Expected, Precondition
from taskstore.errors import VersionMismatch
from taskstore.store import EventStore

_VERSION = re.compile(r"v([1-9][0-9]{0,17})")


def etag(stream_id: str, version: int) -> str:
    """The ETag value (unquoted) of a stream at a version."""
    return f"{stream_id}.v{version}"


def tagged(result: tuple[Response, int], stream_id: str, version: int) -> tuple[Response, int]:
    """`result` with the strong ETag of the stream at `version`."""
    result[0].set_etag(etag(stream_id, version))
    return result


def conditional(
    answer: Callable[[], tuple[Response, int]], store: EventStore, stream_id: str, version: int
) -> tuple[Response, int]:
    """The answer to a GET or HEAD of the stream at `version` (the version it answers with):
    412 if If-Match names no such version; else 304 Not Modified, with no body and the strong
    ETag, when If-None-Match names it (or is `*`); else `answer()` with the ETag."""
    match = _if_match(stream_id)
    if match is not None and version not in match:
        since = max((v for v in match if v < version), default=0)
        missed = [r for r in store.read_stream(stream_id) if since < r.event.version <= version]
        raise VersionMismatch(stream_id, version, missed)
    if request.if_none_match.contains_weak(etag(stream_id, version)):
        return tagged((current_app.response_class(status=304), 304), stream_id, version)
    return tagged(answer(), stream_id, version)


def expected(stream_id: str) -> Expected:
    """What a PATCH or DELETE of `stream_id` requires of its version: the versions If-Match
    names, and none of those If-None-Match names; None without either header."""
    match = _if_match(stream_id)
    if not request.headers.get("If-None-Match", "").strip():
        return match
    none_match = request.if_none_match
    named = frozenset(_versions(stream_id, none_match.as_set(include_weak=True)))
    return Precondition(match=match, none_match=named, none_match_any=none_match.star_tag)


def _if_match(stream_id: str) -> frozenset[int] | None:
    """The versions of `stream_id` the request's If-Match accepts: None without the header, with
    an empty one or with `*`; otherwise those its strong tags name (none at all, so never met,
    if no tag does)."""
    if not request.headers.get("If-Match", "").strip() or request.if_match.star_tag:
        return None  # no header, an empty one (a list of no tags), or `*`
    return frozenset(_versions(stream_id, request.if_match.as_set()))  # strong tags only


def _versions(stream_id: str, tags: Iterable[str]) -> Iterator[int]:
    """The versions of `stream_id` that tags name."""
    for tag in tags:
        if not tag:  # `""` names no version
            continue
        stream, _, rest = tag.rpartition(".")
        match = _VERSION.fullmatch(rest)
        if stream == stream_id and match:
            yield int(match[1])
