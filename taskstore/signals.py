"""Owns the signals the store sends; projections subscribe to them."""

from blinker import Namespace

_signals = Namespace()

#: Sent once per stored event, inside the append's transaction, with `record=`.
event_appended = _signals.signal("event-appended")
