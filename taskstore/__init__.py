"""The event log and the domain: events, the folds from events to state, and commands.

Nothing here imports Flask, marshmallow or the projections.
"""
