"""Owns the API document: OpenAPI 3.0, built with apispec's MarshmallowPlugin from the
marshmallow schemas and the `@documented` records of the app's views, once per app.

Every schema comes from marshmallow; this module only adds what follows from the rules
every route shares (the bearer scheme, the headers on every response, the error
statuses each kind of input can cause, the error envelope)."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields, validate

from api import bodies, schemas
from api.apidoc import Operation, operation_of
from api.errors import BEFORE_THE_APP, CODES_FOR_STATUS
from api.openapi_parts import ERROR_HEADERS, EVERY_RESPONSE, HEADERS, REQUEST_HEADERS, error_statuses, path_parameter
from taskstore.events import TaskStatus

VERSION = "0.1.0"
BODY_METHODS = {"POST", "PATCH"}
NAMES = re.compile(r"<[^>]+>")


def build(app: Flask) -> dict[str, Any]:
    """The API document of `app`'s routes."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="taskstore: the Task Management API",
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "An event-sourced backend for the Task Management API. Errors are JSON envelopes."},
        security=[{"bearerAuth": []}],
    )
    plugin.map_to_openapi_type(schemas.QueryInt, "integer", None)  # type: ignore[no-untyped-call]
    plugin.converter.add_attribute_function(_wire_attributes)  # type: ignore[union-attr]
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    _register_schemas(spec)
    for status, codes in CODES_FOR_STATUS.items():
        spec.components.response(f"Error{status}", _error_response(status, codes, status in BEFORE_THE_APP))
    converter = plugin.converter
    assert converter is not None  # set by APISpec
    found = list(_operations(app))
    by_id = {op.operation_id: op for _, _, op in found}
    paths: dict[str, dict[str, Any]] = {}
    for method, path, op in found:
        query = [] if op.query is None else [_query(p) for p in converter.schema2parameters(op.query, location="query")]
        paths.setdefault(path, {})[method.lower()] = _operation(method, op, by_id, query)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operations(app: Flask) -> Any:
    """(method, OpenAPI path, Operation) of every documented view."""
    for rule in app.url_map.iter_rules():
        op = operation_of(app.view_functions[rule.endpoint])
        if op is None:
            continue
        path = _openapi_path(rule.rule, op.path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path, op


def _query(parameter: dict[str, Any]) -> dict[str, Any]:
    """A query parameter: one that is absent by default is not null (a query has no null)."""
    schema = dict(parameter["schema"])
    if schema.get("default", 0) is None:
        del schema["default"]
        schema.pop("nullable", None)
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]
    return {**parameter, "schema": schema}


def _openapi_path(rule: str, names: tuple[str, ...]) -> str:
    """`/tasks/<raw_id>/history` as `/tasks/{taskId}/history`: Flask's variables by their wire names, in order."""
    parts = NAMES.split(rule)
    return "".join(
        part + ("{" + name + "}" if i < len(names) else "")
        for i, (part, name) in enumerate(zip(parts, [*names, ""], strict=True))
    )


def _operation(method: str, op: Operation, by_id: dict[str, Operation], query: list[dict[str, Any]]) -> dict[str, Any]:
    parameters = [path_parameter(name) for name in op.path] + query
    parameters += [REQUEST_HEADERS[name] for name in op.request_headers]
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": {str(op.status): _success(op, by_id)},
    }
    if method == "GET" and "If-None-Match" in op.request_headers:
        out["responses"]["304"] = _not_modified(op)
    if op.description:
        out["description"] = op.description
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.body)}}}
    for status in error_statuses(method, op):
        out["responses"][str(status)] = (
            _error_response(status, CODES_FOR_STATUS[status], op.public)
            if (op.public and status in CODES_FOR_STATUS)
            else _error_ref(status)
        )
    if op.public:
        out["security"] = []
    return out


def _success(op: Operation, by_id: dict[str, Operation]) -> dict[str, Any]:
    names = (*_every_response(op.public), *op.response_headers)
    headers = {name: {"$ref": f"#/components/headers/{name}"} for name in names}
    response: dict[str, Any] = {"description": op.summary, "headers": headers}
    if op.out is not None:
        response["content"] = {op.media_type: {"schema": _ref(op.out)}}
    elif op.status != 204:
        response["content"] = {op.media_type: {"schema": {"type": "string" if "html" in op.media_type else "object"}}}
    if op.links:
        response["links"] = {
            target: {
                "operationId": target,
                "parameters": {name: f"$response.body#/{name}" for name in by_id[target].path},
            }
            for target in op.links
            if target in by_id
        }
    return response


def _not_modified(op: Operation) -> dict[str, Any]:
    """304 Not Modified: no body, the headers of every response and the `ETag` the client named."""
    names = (*_every_response(op.public), "ETag")
    return {
        "description": "Not Modified: `If-None-Match` names the version the answer would carry; no body.",
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in names},
    }


def _error_ref(status: int) -> dict[str, Any]:
    if status in CODES_FOR_STATUS:
        return {"$ref": f"#/components/responses/Error{status}"}
    return {"description": f"Status {status}", "content": {"application/json": {"schema": {"type": "object"}}}}


def _every_response(public: bool) -> tuple[str, ...]:
    """The headers on every response of an operation: a public one is not rate limited, so it
    carries no X-RateLimit-* headers."""
    return ("X-Request-Id",) if public else EVERY_RESPONSE


def _error_response(status: int, codes: tuple[str, ...], public: bool = False) -> dict[str, Any]:
    names = (*_every_response(public), *ERROR_HEADERS.get(status, ()))
    return {
        "description": "The error envelope; `code` is one of " + ", ".join(f"`{code}`" for code in codes),
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in names},
        "content": {"application/json": {"schema": _ref(bodies.ErrorSchema)}},
    }


#: Request bodies: the input schemas without their read-only fields (sending those is a 400).
BODIES = (schemas.UserCreateSchema, schemas.UserUpdateSchema, schemas.TaskCreateSchema, schemas.TaskUpdateSchema)
OUTPUTS = (
    schemas.UserSchema,
    schemas.TaskSchema,
    schemas.ReminderSchema,
    bodies.ErrorSchema,
    bodies.UserListSchema,
    bodies.TaskListSchema,
    bodies.TaskHistorySchema,
    bodies.UserHistorySchema,
    bodies.FeedPageSchema,
    bodies.TaskStatsSchema,
    bodies.ReminderListSchema,
    bodies.HealthSchema,
    bodies.ReadySchema,
)


def _name(schema: type[Schema]) -> str:
    return schema.__name__.removesuffix("Schema")


def _ref(schema: type[Schema]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{_name(schema)}"}


def _register_schemas(spec: APISpec) -> None:
    for body in BODIES:
        read_only = [name for name, f in body._declared_fields.items() if isinstance(f, schemas.ReadOnly)]
        at_least_one = {"minProperties": 1} if issubclass(body, schemas._AtLeastOne) else {}
        spec.components.schema(_name(body), at_least_one, schema=body(exclude=read_only))
    for out in OUTPUTS:
        spec.components.schema(_name(out), schema=out)


STATUSES = [str(status) for status in TaskStatus]


def _wire_attributes(self: Any, field: fields.Field[Any], **_: Any) -> dict[str, Any]:
    """What the API's own field types mean on the wire, which apispec cannot know."""
    if isinstance(field, schemas.AsOf):
        return {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "format": "date-time"}]}
    if isinstance(field, schemas.Status):
        return {"enum": STATUSES}
    if isinstance(field, schemas.DateTime):
        return {"format": "date-time"}
    if any(isinstance(v, validate.Email) for v in field.validators):
        return {"format": "email"}
    for v in field.validators:  # Python's whole-string anchors, as JSON Schema (ECMA 262) spells them
        pattern = v.regex.pattern if isinstance(v, validate.Regexp) else None
        if isinstance(pattern, str) and pattern.endswith("\\Z"):
            return {"pattern": "^" + pattern.removesuffix("\\Z").lstrip("^") + "$"}
    return {}
