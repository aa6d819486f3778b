"""Owns the report routes: GET /reminders and GET /tasks/stats, both read from projections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from api import scopes
from api.http import current_store, no_query, query
from api.schemas import ReminderListQuerySchema, ReminderSchema
from api.users import _window
from projections import by_status, durations, reminders
from taskstore.dates import instant_us, moment_us, utc_text
from taskstore.events import TaskStatus

bp = Blueprint("reports", __name__)
reminder_out = ReminderSchema()
reminder_list = ReminderListQuerySchema()


@bp.get("/reminders")
def list_reminders() -> tuple[Response, int]:
    """Reminders firing at or before `until` (default: now), soonest first, ties by task id.

    `overdue` is whether the due date is before the time of this request (the wall clock,
    read here and never stored). A token bound to one user sees only that user's tasks."""
    q = query(reminder_list)
    now_us = moment_us(datetime.now(UTC))
    until_us = now_us if q["until"] is None else instant_us(q["until"])
    rows = reminders.due(current_store().db, until_us, *_window(q), user_id=scopes.bound_user())
    return jsonify({"reminders": reminder_out.dump([_reminder(row, now_us) for row in rows], many=True)}), 200


@bp.get("/tasks/stats")
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
    return jsonify(
        {
            "counts": {str(status): counts[status] for status in TaskStatus},
            "finished": {
                "tasks": sum(counts[status] for status in durations.FINISHED),
                "timeInStatus": {status: _spread(spread) for status, spread in spreads.items()},
            },
        }
    ), 200


def _reminder(row: dict[str, Any], now_us: int) -> dict[str, Any]:
    return {**row, "remind_at": utc_text(row["remind_at_us"]), "overdue": row["due_at_us"] < now_us}


def _spread(spread: durations.Spread) -> dict[str, Any]:
    return {"tasks": spread.tasks, "medianSeconds": spread.median_seconds, "p90Seconds": spread.p90_seconds}
