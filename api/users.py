"""Owns the /users routes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import scopes
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
from api.schemas import AsOfQuerySchema, UserCreateSchema, UserListQuerySchema, UserSchema, UserUpdateSchema
from projections import asof, users
from taskstore import commands
from taskstore.errors import NotFound

bp = Blueprint("users", __name__, url_prefix="/users")
user_out = UserSchema()
user_create = UserCreateSchema()
user_update = UserUpdateSchema()
user_list = UserListQuerySchema()
as_of_query = AsOfQuerySchema()


@bp.get("")
def list_users() -> tuple[Response, int]:
    q = query(user_list)
    sort = q["sort"] or "userId"
    rows = users.page(
        views(q["as_of"]), sort.lstrip("-"), sort.startswith("-"), *_window(q), user_id=scopes.bound_user()
    )
    return jsonify({"users": user_out.dump(rows, many=True)}), 200


@bp.post("")
def create_user() -> tuple[Response, int]:
    no_query()
    scopes.require_unbound("create users")
    fields = validated(user_create, json_body(), "body")
    return respond(user_out, commands.create_user(current_store(), lookups(), fields, meta()), 201)


@bp.get("/<raw_id>")
def get_user(raw_id: str) -> tuple[Response, int]:
    point = query(as_of_query)["as_of"]
    user_id = path_id(raw_id, "user")
    store = current_store()
    found = users.get(store.db, user_id) if point is None else asof.user_at(store, user_id, asof.resolve(store, point))
    if found is None:
        raise NotFound(f"User {user_id} not found")
    scopes.check_owner(user_id)
    return respond(user_out, found)


@bp.patch("/<raw_id>")
def update_user(raw_id: str) -> tuple[Response, int]:
    no_query()
    user_id = path_id(raw_id, "user")
    fields = validated(user_update, json_body(), "body")
    scopes.check_user(current_store(), user_id)
    return respond(user_out, commands.update_user(current_store(), lookups(), user_id, fields, meta()))


@bp.delete("/<raw_id>")
def delete_user(raw_id: str) -> Response:
    no_query()
    user_id = path_id(raw_id, "user")
    scopes.check_user(current_store(), user_id)
    commands.delete_user(current_store(), lookups(), user_id, meta())
    return no_content()


def _window(q: dict[str, int]) -> tuple[int, int]:
    """(offset, limit) of the page; a page past any possible end reads nothing."""
    offset = q["page"] * q["per_page"]
    return min(offset, commands.MAX_ID), q["per_page"]
