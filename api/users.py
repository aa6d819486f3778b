"""Owns the /users routes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import idempotency, scopes
from api.apidoc import documented
from api.bodies import UserListSchema
from api.http import (
    current_store,
    json_body,
    lookups,
    meta,
    no_content,
    no_query,
    path_id,
    query,
    respond,
    validated,
    views,
)
from api.pagination import paged, window
from api.preconditions import conditional, expected, tagged
from api.schemas import AsOfQuerySchema, UserCreateSchema, UserListQuerySchema, UserSchema, UserUpdateSchema
from projections import asof, users
from taskstore import commands
from taskstore.errors import NotFound
from taskstore.events import user_stream
from taskstore.state import User

bp = Blueprint("users", __name__, url_prefix="/users")
user_out = UserSchema()
user_create = UserCreateSchema()
user_update = UserUpdateSchema()
user_list = UserListQuerySchema()
as_of_query = AsOfQuerySchema()


@bp.get("")
@documented(
    "listUsers",
    "List users",
    "users",
    out=UserListSchema,
    query=UserListQuerySchema,
    response_headers=("X-Total-Count", "Link"),
)
def list_users() -> tuple[Response, int]:
    q = query(user_list)
    sort = q["sort"] or "userId"
    mine = scopes.bound_user()
    with current_store().snapshot():  # the page and its total from one moment
        db = views(q["as_of"])
        rows = users.page(db, sort.lstrip("-"), sort.startswith("-"), *window(q), user_id=mine)
        total = users.count(db, user_id=mine)
    return paged((jsonify({"users": user_out.dump(rows, many=True)}), 200), total, q)


@bp.post("")
@documented(
    "createUser",
    "Create a user",
    "users",
    status=201,
    out=UserSchema,
    body=UserCreateSchema,
    request_headers=("Idempotency-Key",),
    links=("getUser", "updateUser", "deleteUser", "getUserHistory"),
)
def create_user() -> tuple[Response, int]:
    no_query()
    scopes.require_unbound("create users")
    fields = validated(user_create, json_body(), "body")
    return idempotency.once(lambda: _tagged(commands.create_user(current_store(), lookups(), fields, meta()), 201))


@bp.get("/<raw_id>")
@documented(
    "getUser",
    "Get a user, now or as of an earlier point",
    "users",
    out=UserSchema,
    query=AsOfQuerySchema,
    path=("userId",),
    request_headers=("If-Match", "If-None-Match"),
    response_headers=("ETag",),
)
def get_user(raw_id: str) -> tuple[Response, int]:
    point = query(as_of_query)["as_of"]
    user_id = path_id(raw_id, "user")
    store = current_store()
    found = users.get(store.db, user_id) if point is None else asof.user_at(store, user_id, asof.resolve(store, point))
    if found is None:
        raise NotFound(f"User {user_id} not found")
    scopes.check_owner(user_id)
    version = found["version"] if isinstance(found, dict) else found.version
    return conditional(lambda: respond(user_out, found), store, user_stream(user_id), version)


@bp.patch("/<raw_id>")
@documented(
    "updateUser",
    "Change some of a user's fields",
    "users",
    out=UserSchema,
    body=UserUpdateSchema,
    path=("userId",),
    request_headers=("If-Match", "If-None-Match"),
)
def update_user(raw_id: str) -> tuple[Response, int]:
    no_query()
    user_id = path_id(raw_id, "user")
    fields = validated(user_update, json_body(), "body")
    scopes.check_user(current_store(), user_id)
    condition = expected(user_stream(user_id))
    return _tagged(commands.update_user(current_store(), lookups(), user_id, fields, meta(), expected=condition))


@bp.delete("/<raw_id>")
@documented(
    "deleteUser",
    "Delete a user and the user's tasks",
    "users",
    status=204,
    path=("userId",),
    request_headers=("If-Match", "If-None-Match"),
)
def delete_user(raw_id: str) -> Response:
    no_query()
    user_id = path_id(raw_id, "user")
    scopes.check_user(current_store(), user_id)
    commands.delete_user(current_store(), lookups(), user_id, meta(), expected=expected(user_stream(user_id)))
    return no_content()


def _tagged(user: User, status: int = 200) -> tuple[Response, int]:
    return tagged(respond(user_out, user, status), user.stream_id, user.version)
