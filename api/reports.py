"""Owns the report routes: GET /reminders and GET /tasks/stats, both read from projections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from api import scopes
from api.apidoc import documented
from api.bodies import ReminderListSchema, TaskStatsSchema
from api.http import current_store, no_query, query
from api.pagination import paged, window
from api.schemas import ReminderListQuerySchema
from projections import by_status, durations, reminders
from taskstore.dates import instant_us, moment_us, utc_text
from taskstore.events import TaskStatus

bp = Blueprint("reports", __name__)
reminders_out = ReminderListSchema()
stats_out = TaskStatsSchema()
reminder_list = ReminderListQuerySchema()


@bp.get("/reminders")
@documented(
    "listReminders",
    "Reminders firing at or before a time, soonest first",
    "reports",
    out=ReminderListSchema,
    query=ReminderListQuerySchema,
)
def list_reminders() -> tuple[Response, int]:
    """Reminders firing at or before `until` (default: now), soonest first, ties by task id.

    `overdue` is whether the due date is before the time of this request (the wall clock,
    read here and never stored). A token bound to one user sees only that user's tasks."""
    q = query(reminder_list)
    now_us = moment_us(datetime.now(UTC))
    until_us = now_us if q["until"] is None else instant_us(q["until"])
    db, mine = current_store().db, scopes.bound_user()
    rows = reminders.due(db, until_us, *window(q), user_id=mine)
    body = reminders_out.dump({"reminders": [_reminder(row, now_us) for row in rows]})
    return paged((jsonify(body), 200), reminders.count_due(db, until_us, user_id=mine), q)


@bp.get("/tasks/stats")
@documented(
    "getTaskStats", "Tasks per status, and the time finished tasks spent in each", "reports", out=TaskStatsSchema
)
def task_stats() -> tuple[Response, int]:
    """Live tasks per status (all six), and for the finished ones (COMPLETED or CANCELLED)
    the time spent in each status they passed through before finishing; see
    `projections.durations.finished_time_in_status` for the definitions. A token bound to
    one user gets 403: the figures are about every user's tasks."""
    no_query()
    scopes.require_unbound("read the statistics of every user's tasks")
    db = current_store().db
    counts = by_status.counts(db)
    spreads = durations.finished_time_in_status(db)
    body = {
        "counts": {str(status): counts[status] for status in TaskStatus},
        "finished": {"tasks": sum(counts[status] for status in durations.FINISHED), "time_in_status": spreads},
    }
    return jsonify(stats_out.dump(body)), 200


def _reminder(row: dict[str, Any], now_us: int) -> dict[str, Any]:
    return {**row, "remind_at": utc_text(row["remind_at_us"]), "overdue": row["due_at_us"] < now_us}
