"""Owns who may touch what: the rules for a token bound to one user (`--user USER_ID`).

A bound token sees and changes only its user and that user's tasks:
- another user, or another user's task, named by id (GET, PATCH, DELETE, its history, an
  `asOf` read) is 403 FORBIDDEN; an id that names nothing stays 404, so the check
  runs after the lookup. A task's owner is the user it belongs to in the state being
  read: now, as of the point asked for, or for a history its last owner;
- the lists (GET /users, GET /tasks, with `asOf` too, GET /reminders) hold only its
  user and its user's tasks, filtered in SQL by the read models;
- POST /users is 403 (a new user could not be its user), and so are POST /tasks for
  another `userId` and a PATCH reassigning a task to another user;
- the views across every user (GET /events, GET /tasks/stats) are 403.
A write's ownership check and the write itself run in one write transaction, so a task
reassigned meanwhile cannot be changed by its former owner's token. Tokens from
`TASKSTORE_TOKENS` and unbound issued tokens see everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g

from api.errors import ApiError
from taskstore.commands import load_task, load_user
from taskstore.store import EventStore


def bound_user() -> int | None:
    """The user the request's token is bound to; None for a token that sees every user."""
    principal = g.get("principal")
    return None if principal is None else principal.user_id


def require_unbound(what: str) -> None:
    """Raises ApiError 403 if the token is bound to a user; `what` names the refused thing."""
    if bound_user() is not None:
        raise ApiError(403, "FORBIDDEN", f"A token bound to one user may not {what}")


def check_owner(owner_id: int | None) -> None:
    """Raises ApiError 403 if the token is bound to a user other than `owner_id`."""
    mine = bound_user()
    if mine is not None and owner_id is not None and owner_id != mine:
        raise ApiError(403, "FORBIDDEN", f"This token may only touch user {mine} and that user's tasks")


def check_user(store: EventStore, user_id: int) -> None:
    """For a write to user `user_id`: raises NotFound if there is no such user, ApiError 403 if it
    is not the token's user."""
    mine = bound_user()
    if mine is not None and user_id != mine:
        load_user(store, user_id)
        check_owner(user_id)


@contextmanager
def guarding_task(store: EventStore, task_id: int) -> Iterator[None]:
    """Around a write to task `task_id`: for a bound token, the task must be its user's (NotFound,
    ApiError 403), checked in the same write transaction as the write inside the block."""
    if bound_user() is None:
        yield
        return
    with store.transaction():
        check_owner(load_task(store, task_id).user_id)
        yield
