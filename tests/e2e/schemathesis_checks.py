"""A schemathesis check the document cannot express: every answer carries `X-Request-Id`,
and an error's envelope names the same id (loaded through `hooks` in schemathesis.toml)."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.check
def request_id_matches_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    request_id = response.headers.get("x-request-id") or response.headers.get("X-Request-Id")
    if isinstance(request_id, list):
        request_id = request_id[0]
    if not request_id:
        raise AssertionError("The response has no X-Request-Id header")
    if response.status_code >= 400:
        body = json.loads(response.content)
        if body.get("requestId") != request_id:
            raise AssertionError(f"requestId {body.get('requestId')!r} is not X-Request-Id {request_id!r}")
    return None


#: 400s that valid data still gets because of the state it meets: a task for a user that does
#: not exist, an email another user has. A schema cannot say which ids and emails are taken.
STATE_CODES = {"INVALID_USER_ID", "DUPLICATE_EMAIL"}
# 304: If-None-Match names the version held (or is `*`); 412: If-Match names a version the
# stored one has left; 422: the Idempotency-Key was used before
ACCEPTED = {304, 401, 403, 404, 409, 412, 422, 429}


@schemathesis.check
def positive_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's positive_data_acceptance, except for the 400s of `STATE_CODES`."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.request.method != case.method.upper():
        return None
    if response.status_code < 300 or response.status_code in ACCEPTED:
        return None
    if response.status_code == 400 and _state_dependent(json.loads(response.content)):
        return None
    raise AssertionError(f"Valid data should have been accepted; got {response.status_code}: {response.text[:300]}")


def _state_dependent(body: dict[str, Any]) -> bool:
    """A 400 that depends on what is stored, not on the request's shape: an id or email taken or
    missing, or a feed position past the end of the log."""
    past_the_end = [{"field": "after", "reason": "Past the end of the log", "location": "query"}]
    return body.get("code") in STATE_CODES or body.get("details") == past_the_end
