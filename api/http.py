"""Owns the small helpers every route shares: the request's store, its JSON body, its
query, its path ids, and schema loading that turns marshmallow errors into the envelope."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError
from sqlite_utils import Database
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from api.config import Config
from api.errors import ApiError
from api.schemas import ascii_int
from projections import asof
from projections.replay import ViewLookups
from taskstore import strict_json
from taskstore.commands import MAX_ID
from taskstore.database import open_database
from taskstore.errors import NotFound
from taskstore.store import EventStore, Meta

_UNKNOWN = "INVALID_FIELD|Unknown field|is not a field of this resource"
_REPEATED = "INVALID_FIELD|Repeated parameter|is given more than once"


class ResourceId(BaseConverter):
    """A path segment naming one task in /tasks/<id>: anything but the name of the fixed route
    beside it (`/tasks/stats`), so `PATCH /tasks/stats` is a 405 of that route, not a bad task
    id. Elsewhere (`/users/stats`, `/tasks/stats/history`) `stats` is an id like any other: a 400."""

    regex = r"(?!stats\Z)[^/]+"
    part_isolating = True


def current_store() -> EventStore:
    """The request's event store, on a connection opened for this request only."""
    if "store" not in g:
        config: Config = current_app.extensions["taskstore.config"]
        g.store = EventStore(open_database(config.database))
    store: EventStore = g.store
    return store


def close_store(_: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.db.close()


def views(point: asof.Point | None) -> Database:
    """The database to read the read models from: the live one, or one as of an earlier point of the log."""
    store = current_store()
    if point is None:
        return store.db
    position = asof.resolve(store, point)
    if position == store.last_position():  # the end of the log is now: the live tables hold it
        return store.db
    return asof.views_at(store, position)


def lookups() -> ViewLookups:
    return ViewLookups(current_store().db)


def meta() -> Meta:
    """Who is asking: this request's id and the token's name."""
    return Meta(request_id=g.request_id, actor=g.actor)


def json_body() -> Any:
    """The request body as JSON. Raises ApiError 415 or 400 for anything that is not JSON."""
    raw = _body_bytes()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and len(raw) >= limit and request.stream.read(1):
        raise RequestEntityTooLarge()  # a chunked body is cut at the limit, not refused, by werkzeug
    if request.mimetype != "application/json" and (raw or request.content_type):
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "The body must be sent as Content-Type: application/json")
    if not raw.strip():
        raise ApiError(400, "INVALID_FORMAT", "The body is empty; it must be a JSON object")
    try:
        return strict_json.loads(raw.decode("utf-8"))
    except strict_json.RepeatedKey as exc:
        raise ApiError(400, "INVALID_FORMAT", f"The body gives the key `{exc}` more than once") from exc
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "INVALID_FORMAT", "The body is not valid JSON") from exc


def _body_bytes() -> bytes:
    """The raw body. Raises ApiError 400 if it cannot be read (the client stopped sending, or
    sent a broken chunk: the server's own errors for that differ, so any failure counts)."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise
    except Exception as exc:
        raise ApiError(
            400, "INVALID_FORMAT", "The request body could not be read: it stopped early or is malformed"
        ) from exc


def validated(schema: Schema, data: Any, location: str) -> dict[str, Any]:
    """`schema.load(data)`. Raises ApiError 400 listing every failing field in `details`."""
    if not isinstance(data, dict):
        what = "body" if location == "body" else "query"
        raise ApiError(400, "INVALID_FORMAT", f"The {what} must be a JSON object")
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise _failure(_details(schema, messages, location)) from exc
    return loaded


def query(schema: Schema) -> dict[str, Any]:
    """The query string loaded by `schema`; a parameter given twice is refused."""
    args = request.args.to_dict(flat=False)
    repeated = [name for name, values in args.items() if len(values) > 1]
    if repeated:
        raise _failure([_split(name, _REPEATED, "query") for name in repeated])
    return validated(schema, {name: values[0] for name, values in args.items()}, "query")


def no_query() -> None:
    """Refuse any query parameter on a route that takes none."""
    if request.args:
        raise _failure([_split(name, _UNKNOWN, "query") for name in request.args])


def path_id(raw: str, kind: str) -> int:
    """A resource id from the path. Raises ApiError 400 if it is not an integer, NotFound if no such id can exist."""
    value = ascii_int(raw)
    if value is None:
        raise ApiError(
            400,
            "INVALID_FIELD",
            f"The {kind} id `{raw}` in the path must be an integer",
            [{"field": f"{kind}Id", "reason": "Not an integer", "location": "path"}],
        )
    if not 0 < value <= MAX_ID:
        raise NotFound(f"{kind.capitalize()} {raw} not found")
    return value


def respond(schema: Schema, obj: Any, status: int = 200) -> tuple[Response, int]:
    return jsonify(schema.dump(obj)), status


def no_content() -> Response:
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # there is no body to describe
    return response


def _failure(details: list[dict[str, str]]) -> ApiError:
    """The 400 for a list of failing fields: the first one's code and message on top."""
    first = details[0]
    public = [{k: d[k] for k in ("field", "reason", "location")} for d in details if d["field"]]
    return ApiError(400, first["code"], first["message"], public or None)


def _details(schema: Schema, messages: dict[str, Any], location: str) -> list[dict[str, str]]:
    order = [f.data_key or name for name, f in schema.fields.items()]
    ranked = sorted(messages, key=lambda k: order.index(k) if k in order else len(order))
    details: list[dict[str, str]] = []
    for name in ranked:
        texts = messages[name] if isinstance(messages[name], list) else [str(messages[name])]
        details.extend(_split(name, text, location) for text in texts)
    return details


def _split(name: str, text: str, location: str) -> dict[str, str]:
    if text == "Unknown field.":
        text = _UNKNOWN
    if text == _UNKNOWN and location == "query":
        text = "INVALID_FIELD|Unknown parameter|is not a parameter of this route"
    code, _, rest = text.partition("|")
    reason, _, sentence = rest.partition("|")
    if name == "_schema":
        return {
            "code": code,
            "message": f"The {location} {sentence}",
            "field": "",
            "reason": reason,
            "location": location,
        }
    noun = "parameter" if location == "query" else "field"
    return {
        "code": code,
        "message": f"The `{name}` {noun} {sentence}",
        "field": name,
        "reason": reason,
        "location": location,
    }
