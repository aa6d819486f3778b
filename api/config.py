"""Owns the service's configuration; `Config.from_env` is the only reader of the environment."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from limits import parse_many
from limits.storage import SCHEMES as STORAGE_SCHEMES  # type: ignore[attr-defined]  # its registry of schemes
from limits.storage import MovingWindowSupport

DEFAULT_RATE_LIMIT = "600 per minute"


@dataclass(frozen=True)
class Token:
    """A bearer token and the name recorded as the actor of what it does."""

    name: str
    secret: str


@dataclass(frozen=True)
class Config:
    database: str = "data/taskstore.db"
    tokens: tuple[Token, ...] = ()
    max_body_bytes: int = 1024 * 1024
    read_timeout: float = 10.0  # seconds a client has to send a request head; and for each body read, answer write
    access_log: bool = True  # one JSON line per request on stderr
    # Requests per token (per address without a valid token); None: no limit, as for the tests
    # and for an application built in code. `from_env` defaults to DEFAULT_RATE_LIMIT.
    rate_limit: str | None = None
    rate_limit_storage: str = "memory://"  # one process; "redis://host:port/db" for several workers
    rate_limit_prefix: str = "taskstore"  # the counters' key prefix in a shared storage

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Config:
        """Read `TASKSTORE_DB`, `TASKSTORE_TOKENS`, `TASKSTORE_MAX_BODY_BYTES`, `TASKSTORE_READ_TIMEOUT`
        `TASKSTORE_ACCESS_LOG`, `TASKSTORE_RATE_LIMIT` (`off` for none), `TASKSTORE_RATE_LIMIT_STORAGE`
        and `TASKSTORE_RATE_LIMIT_PREFIX`. Raises ValueError for a value it cannot use."""
        return cls(
            database=env.get("TASKSTORE_DB") or cls.database,
            tokens=parse_tokens(env.get("TASKSTORE_TOKENS", "")),
            max_body_bytes=int(env.get("TASKSTORE_MAX_BODY_BYTES") or cls.max_body_bytes),
            read_timeout=float(env.get("TASKSTORE_READ_TIMEOUT") or cls.read_timeout),
            access_log=parse_switch("TASKSTORE_ACCESS_LOG", env.get("TASKSTORE_ACCESS_LOG"), cls.access_log),
            rate_limit=parse_rate_limit(env.get("TASKSTORE_RATE_LIMIT") or DEFAULT_RATE_LIMIT),
            rate_limit_storage=parse_storage(env.get("TASKSTORE_RATE_LIMIT_STORAGE") or cls.rate_limit_storage),
            rate_limit_prefix=env.get("TASKSTORE_RATE_LIMIT_PREFIX") or cls.rate_limit_prefix,
        )


def parse_switch(name: str, text: str | None, default: bool) -> bool:
    """`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off` (any case); unset or empty is `default`."""
    value = (text or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {text!r}")


def parse_rate_limit(text: str) -> str | None:
    """A rate limit such as `600 per minute` or `10/second;600/minute`, checked; `off` is None."""
    if text.strip().lower() == "off":
        return None
    try:
        limits = parse_many(text)
    except ValueError as exc:
        raise ValueError(f"TASKSTORE_RATE_LIMIT {text!r} is not a rate limit such as '600 per minute'") from exc
    if any(limit.amount < 1 for limit in limits):
        raise ValueError(f"TASKSTORE_RATE_LIMIT {text!r} allows no request at all; use 'off' for no limit")
    return text.strip()


def parse_storage(text: str) -> str:
    """A rate-limit storage URL of a scheme the limits library knows (memory://, redis://...) and
    whose storage keeps a moving window (memcached:// and the async+ schemes do not)."""
    scheme = text.partition("://")[0]
    if "://" not in text or scheme not in STORAGE_SCHEMES:
        raise ValueError(
            f"TASKSTORE_RATE_LIMIT_STORAGE {text!r} is not a storage URL such as memory:// or redis://host:6379/0"
        )
    if not issubclass(STORAGE_SCHEMES[scheme], MovingWindowSupport):
        raise ValueError(
            f"TASKSTORE_RATE_LIMIT_STORAGE {text!r} keeps no moving window here; use memory:// or a redis:// URL"
        )
    return text


def parse_tokens(text: str) -> tuple[Token, ...]:
    """Comma-separated entries, each `name:token` or a bare token.

    A bare token is named `token-` and the first 8 hex digits of its SHA-256, so the
    log can say who acted without ever holding the token itself.
    """
    tokens: list[Token] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        name, sep, secret = entry.partition(":")
        if not sep:
            name, secret = "token-" + hashlib.sha256(entry.encode()).hexdigest()[:8], entry
        if not name or not secret:
            raise ValueError(f"TASKSTORE_TOKENS entry {entry!r} needs a name and a token")
        if name == "sample-data":  # the actor of the sample data (api.tokens.RESERVED_NAMES)
            raise ValueError(f"TASKSTORE_TOKENS entry {entry!r}: the name sample-data is the service's own")
        if any(t.name == name or t.secret == secret for t in tokens):
            raise ValueError(f"TASKSTORE_TOKENS gives the name {name!r} or its token twice; each must be unique")
        tokens.append(Token(name=name, secret=secret))
    return tuple(tokens)
