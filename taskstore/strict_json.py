"""Owns the reading of JSON text from outside (request bodies, export files) strictly: a key
given twice in one object and the non-JSON constants NaN and Infinity are refused, instead
of silently keeping the last value or reading a number JSON does not have."""

from __future__ import annotations

import json
from typing import Any


class RepeatedKey(ValueError):
    """An object gives the key `str(self)` twice."""


def loads(text: str) -> Any:
    """The JSON value of `text`. Raises RepeatedKey, or ValueError (json.JSONDecodeError for
    malformed text) for anything else that is not strict JSON."""
    return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise RepeatedKey(key)
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
