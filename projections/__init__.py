"""Read models derived from the event log, kept in the same SQLite file.

Each module owns its tables and offers `create`, `project` (apply one event) and a
blinker receiver; `replay` rebuilds them all from the log through the same `project`.
"""
