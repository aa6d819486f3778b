"""Owns how `taskstore history` shows a stream's history on the terminal: one rich table."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.schemas import wire_name
from taskstore import codec
from taskstore.history import Entry

COLUMNS = ("version", "position", "recorded", "type", "actor", "request id", "changes")
PIPED_WIDTH = 200  # rich assumes 80 columns off a terminal: too narrow for a request id and a change


def console() -> Console:
    """A console on standard output, wide enough for whole rows when the output is not a terminal."""
    out = Console()
    if not out.is_terminal:
        out.width = PIPED_WIDTH
    return out


def history_table(title: str, entries: list[Entry]) -> Table:
    """The entries as a table, one row per event; values are shown as JSON (`null`, `"text"`)."""
    table = Table(title=title, show_lines=True)
    for name in COLUMNS:
        table.add_column(
            name, justify="right" if name in ("version", "position") else "left", no_wrap=name != "changes"
        )
    for entry in entries:  # Text, not markup strings: a title like "[b]" is shown as it is
        table.add_row(
            Text(str(entry.version)),
            Text(str(entry.position)),
            Text(codec.encode_time(entry.occurred_at)),
            Text(entry.type),
            Text(entry.actor),
            Text(entry.request_id),
            Text(changes_text(entry)),
        )
    return table


def changes_text(entry: Entry) -> str:
    """`field: old → new`, one line per change; a deletion says so instead."""
    if entry.deleted:
        return "deleted with its user" if entry.cascade else "deleted"
    return "\n".join(f"{wire_name(c.field)}: {_shown(c.old)} → {_shown(c.new)}" for c in entry.changes)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
