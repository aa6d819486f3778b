"""Owns the /tasks routes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api import idempotency, scopes
from api.apidoc import documented
from api.bodies import TaskListSchema
from api.http import current_store, json_body, meta, no_content, no_query, path_id, query, respond, validated, views
from api.pagination import paged, window
from api.preconditions import conditional, expected, tagged
from api.schemas import AsOfQuerySchema, TaskCreateSchema, TaskListQuerySchema, TaskSchema, TaskUpdateSchema
from projections import asof, tasks
from taskstore import commands
from taskstore.errors import NotFound
from taskstore.events import task_stream
from taskstore.state import Task

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
task_out = TaskSchema()
task_create = TaskCreateSchema()
task_update = TaskUpdateSchema()
task_list = TaskListQuerySchema()
as_of_query = AsOfQuerySchema()


@bp.get("")
@documented(
    "listTasks",
    "List tasks",
    "tasks",
    out=TaskListSchema,
    query=TaskListQuerySchema,
    response_headers=("X-Total-Count", "Link"),
)
def list_tasks() -> tuple[Response, int]:
    q = query(task_list)
    sort = q["sort"] or "taskId"
    status = None if q["status"] is None else str(q["status"])
    mine = scopes.bound_user()
    with current_store().snapshot():  # the page and its total from one moment
        db = views(q["as_of"])
        rows = tasks.page(db, status, sort.lstrip("-"), sort.startswith("-"), *window(q), user_id=mine)
        total = tasks.count(db, status, user_id=mine)
    return paged((jsonify({"tasks": task_out.dump(rows, many=True)}), 200), total, q)


@bp.post("")
@documented(
    "createTask",
    "Create a task",
    "tasks",
    status=201,
    out=TaskSchema,
    body=TaskCreateSchema,
    request_headers=("Idempotency-Key",),
    links=("getTask", "updateTask", "deleteTask", "getTaskHistory"),
)
def create_task() -> tuple[Response, int]:
    no_query()
    fields = validated(task_create, json_body(), "body")
    scopes.check_owner(fields["user_id"])
    return idempotency.once(lambda: _tagged(commands.create_task(current_store(), fields, meta()), 201))


@bp.get("/<id:raw_id>")
@documented(
    "getTask",
    "Get a task, now or as of an earlier point",
    "tasks",
    out=TaskSchema,
    query=AsOfQuerySchema,
    path=("taskId",),
    request_headers=("If-Match", "If-None-Match"),
    response_headers=("ETag",),
)
def get_task(raw_id: str) -> tuple[Response, int]:
    point = query(as_of_query)["as_of"]
    task_id = path_id(raw_id, "task")
    store = current_store()
    found = tasks.get(store.db, task_id) if point is None else asof.task_at(store, task_id, asof.resolve(store, point))
    if found is None:
        raise NotFound(f"Task {task_id} not found")
    scopes.check_owner(found["user_id"] if isinstance(found, dict) else found.user_id)
    version = found["version"] if isinstance(found, dict) else found.version
    return conditional(lambda: respond(task_out, found), store, task_stream(task_id), version)


@bp.patch("/<id:raw_id>")
@documented(
    "updateTask",
    "Change some of a task's fields",
    "tasks",
    out=TaskSchema,
    body=TaskUpdateSchema,
    path=("taskId",),
    request_headers=("If-Match", "If-None-Match"),
)
def update_task(raw_id: str) -> tuple[Response, int]:
    no_query()
    task_id = path_id(raw_id, "task")
    fields = validated(task_update, json_body(), "body")
    store, condition = current_store(), expected(task_stream(task_id))
    with scopes.guarding_task(store, task_id):
        scopes.check_owner(fields.get("user_id"))
        task = commands.update_task(store, task_id, fields, meta(), expected=condition)
    return _tagged(task)


@bp.delete("/<id:raw_id>")
@documented(
    "deleteTask", "Delete a task", "tasks", status=204, path=("taskId",), request_headers=("If-Match", "If-None-Match")
)
def delete_task(raw_id: str) -> Response:
    no_query()
    task_id, store = path_id(raw_id, "task"), current_store()
    with scopes.guarding_task(store, task_id):
        commands.delete_task(store, task_id, meta(), expected=expected(task_stream(task_id)))
    return no_content()


def _tagged(task: Task, status: int = 200) -> tuple[Response, int]:
    return tagged(respond(task_out, task, status), task.stream_id, task.version)
