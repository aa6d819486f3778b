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

The headers are read here rather than by werkzeug's parser, which is lenient: it reads an
unquoted `task-1.v2` or a lower-case `w/"..."` as the tag they spell, so a malformed
If-Match could pass. Here a malformed member names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from flask import Response, current_app, request

from taskstore.commands import Expected, Precondition
from taskstore.errors import VersionMismatch
from taskstore.store import EventStore

_VERSION = re.compile(r"v([1-9][0-9]{0,17})")
#: One member of a list of entity tags: `[W/]"opaque"`, or anything else up to the next comma
#: (malformed: it names nothing). An opaque tag holds no `"` but may hold a comma.
_MEMBER = re.compile(r'[ \t]*+(?:(?P<weak>W/)?"(?P<opaque>[\x21\x23-\x7e\x80-\xff]*)"[ \t]*|[^,]*+)(?:,|\Z)')


def etag(stream_id: str, version: int) -> str:
    """The ETag value (unquoted) of a stream at a version."""
    return f"{stream_id}.v{version}"


def tagged(result: tuple[Response, int], stream_id: str, version: int) -> tuple[Response, int]:
    """`result` with the strong ETag of the stream at `version`."""
    result[0].set_etag(etag(stream_id, version))
    return result


@dataclass(frozen=True)
class Tags:
    """An If-Match or If-None-Match header read strictly (RFC 9110 §8.8.3 and §13.1): `*`, or
    the opaque tags of its well-formed members, strong or weak. A malformed member (an
    unquoted tag, a lower-case `w/`, an unclosed quote) names nothing."""

    present: bool = False  # the header was sent with something in it
    star: bool = False
    strong: frozenset[str] = frozenset()
    weak: frozenset[str] = frozenset()

    def versions(self, stream_id: str, *, include_weak: bool) -> frozenset[int]:
        """The versions of `stream_id` the tags name (weak ones too if `include_weak`)."""
        tags = self.strong | self.weak if include_weak else self.strong
        return frozenset(_versions(stream_id, tags))


def read_tags(name: str) -> Tags:
    """The header `name` of this request (every occurrence of it, as one list), read strictly."""
    text = ", ".join(request.headers.getlist(name))
    if text.strip() == "*":  # `*` stands alone; inside a list it is malformed and names nothing
        return Tags(present=True, star=True)
    strong, weak = set[str](), set[str]()
    for member in _MEMBER.finditer(text):
        if member["opaque"] is not None:
            (weak if member["weak"] else strong).add(member["opaque"])
    return Tags(present=bool(text.strip()), strong=frozenset(strong), weak=frozenset(weak))


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
    none_match = read_tags("If-None-Match")
    if none_match.star or version in none_match.versions(stream_id, include_weak=True):
        return tagged((current_app.response_class(status=304), 304), stream_id, version)
    return tagged(answer(), stream_id, version)


def expected(stream_id: str) -> Expected:
    """What a PATCH or DELETE of `stream_id` requires of its version: the versions If-Match
    names, and none of those If-None-Match names; None without either header."""
    match = _if_match(stream_id)
    none_match = read_tags("If-None-Match")
    if not none_match.present:
        return match
    named = none_match.versions(stream_id, include_weak=True)
    return Precondition(match=match, none_match=named, none_match_any=none_match.star)


def _if_match(stream_id: str) -> frozenset[int] | None:
    """The versions of `stream_id` the request's If-Match accepts: None without the header, with
    an empty one or with `*`; otherwise those its strong tags name (none at all, so never met,
    if no tag does)."""
    tags = read_tags("If-Match")
    if not tags.present or tags.star:
        return None  # no header, an empty one (a list of no tags), or `*`
    return tags.versions(stream_id, include_weak=False)


def _versions(stream_id: str, tags: Iterable[str]) -> Iterator[int]:
    """The versions of `stream_id` that tags name."""
    for tag in tags:
        stream, _, rest = tag.rpartition(".")
        match = _VERSION.fullmatch(rest)
        if stream == stream_id and match:
            yield int(match[1])
