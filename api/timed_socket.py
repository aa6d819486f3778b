"""Owns the socket a worker's threads talk to a client through: every read and write waits
for the client `timeout` seconds at most, and a client that stalls or drops the connection
mid-request is reported once, as one JSON warning line of the `taskstore.server` logger,
instead of gunicorn's traceback."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("taskstore.server")


class TimedSocket:
    """Passes everything through to the socket, except that blocking mode has a timeout (a
    read or write that waits longer than `timeout` for the client raises TimeoutError), and
    that a client which stalls or drops the connection mid-request is logged once, as one
    JSON line. `raw` is the socket itself."""

    def __init__(self, sock: socket.socket, timeout: float, client: Any) -> None:
        self.raw = sock
        self._timeout = timeout
        self._client = client
        self._reported = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def setblocking(self, flag: bool) -> None:
        self.raw.settimeout(self._timeout if flag else 0.0)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        return self._io(self.raw.recv, bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        return self._io(self.raw.recv_into, buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        return self._io(self.raw.send, data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._io(self.raw.sendall, data, flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        return self._io(self.raw.sendfile, file, offset, count)

    def _io(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        started = time.monotonic()
        try:
            return method(*args, **kwargs)
        except (TimeoutError, ConnectionError) as exc:
            if not self._reported:
                self._reported = True
                if isinstance(exc, TimeoutError):
                    warn_stalled(self._client, time.monotonic() - started, None)
                else:
                    _warn(self._client, "client dropped the connection mid-request", error=type(exc).__name__)
            raise


def warn_stalled(client: Any, waited: float, received: int | None) -> None:
    """Log that `client` stalled for `waited` seconds and was closed; `received`: the bytes of
    its unfinished request head, or None when it stalled later in the request."""
    if received is None:
        _warn(client, "client stalled mid-request; connection closed", waited_s=round(waited, 3))
    else:
        message = "client stalled before the end of its request head; connection closed"
        _warn(client, message, waited_s=round(waited, 3), received_bytes=received)


def _warn(client: Any, message: str, **fields: Any) -> None:
    host, port = (client[0], client[1]) if isinstance(client, tuple) else (str(client), None)
    log.warning(message, extra={"fields": {"remote_addr": host, "remote_port": port, **fields}})


def without_client_tracebacks(record: logging.LogRecord) -> bool:
    """gunicorn's error log, less its tracebacks of clients that stalled or dropped their
    connection: `TimedSocket` has logged those already, as one line."""
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, TimeoutError | ConnectionError)
