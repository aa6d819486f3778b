"""Owns the /tasks routes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import scopes
from api.http import current_store, json_body, meta, no_content, no_query, path_id, query, respond, validated, views
from api.schemas import AsOfQuerySchema, TaskCreateSchema, TaskListQuerySchema, TaskSchema, TaskUpdateSchema
from api.users import _window
from projections import asof, tasks
from taskstore import commands
from taskstore.errors import NotFound

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
task_out = TaskSchema()
task_create = TaskCreateSchema()
task_update = TaskUpdateSchema()
task_list = TaskListQuerySchema()
as_of_query = AsOfQuerySchema()


@bp.get("")
def list_tasks() -> tuple[Response, int]:
    q = query(task_list)
    sort = q["sort"] or "taskId"
    status = None if q["status"] is None else str(q["status"])
    mine = scopes.bound_user()
    rows = tasks.page(views(q["as_of"]), status, sort.lstrip("-"), sort.startswith("-"), *_window(q), user_id=mine)
    return jsonify({"tasks": task_out.dump(rows, many=True)}), 200


@bp.post("")
def create_task() -> tuple[Response, int]:
    no_query()
    fields = validated(task_create, json_body(), "body")
    scopes.check_owner(fields["user_id"])
    return respond(task_out, commands.create_task(current_store(), fields, meta()), 201)


@bp.get("/<raw_id>")
def get_task(raw_id: str) -> tuple[Response, int]:
    point = query(as_of_query)["as_of"]
    task_id = path_id(raw_id, "task")
    store = current_store()
    found = tasks.get(store.db, task_id) if point is None else asof.task_at(store, task_id, asof.resolve(store, point))
    if found is None:
        raise NotFound(f"Task {task_id} not found")
    scopes.check_owner(found["user_id"] if isinstance(found, dict) else found.user_id)
    return respond(task_out, found)


@bp.patch("/<raw_id>")
def update_task(raw_id: str) -> tuple[Response, int]:
    no_query()
    task_id = path_id(raw_id, "task")
    fields = validated(task_update, json_body(), "body")
    store = current_store()
    with scopes.guarding_task(store, task_id):
        scopes.check_owner(fields.get("user_id"))
        task = commands.update_task(store, task_id, fields, meta())
    return respond(task_out, task)


@bp.delete("/<raw_id>")
def delete_task(raw_id: str) -> Response:
    no_query()
    task_id, store = path_id(raw_id, "task"), current_store()
    with scopes.guarding_task(store, task_id):
        commands.delete_task(store, task_id, meta())
    return no_content()
