"""Owns what slow and stalled clients may cost a gunicorn worker: a request head arrives in
the worker's poller, and only a whole head gets a thread.

gunicorn's threaded worker hands each new connection to a thread, which then blocks reading
the request head; and it closes every connection that ends without keep-alive on the poller's
own thread, lingering up to 2 s for the client to close first. So as many clients stalled in
their heads as there are threads stopped the worker answering anyone until the read timeout,
and closing each of them then stopped its poller for 2 s more. `HeadFirstWorker` reads
request heads in the poller without blocking and hands a connection to a thread only once it
holds a whole head (or bytes gunicorn refuses at once); gunicorn's parser then reads that
head from memory. A head not whole `read_timeout` seconds after the connection opened (on a
kept-alive connection: after the request's first byte) is closed with a warning line, so
trickling bytes buys nothing. Closing lingers in the poller too. In a thread, every read of
a body and every write of an answer waits `read_timeout` at most (`api.timed_socket`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import selectors
import socket
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, ThreadWorker

from api.access_log import json_lines
from api.timed_socket import TimedSocket, log, warn_stalled, without_client_tracebacks

HEAD_LIMIT = 64 * 1024  # bytes of request line and headers; a longer head is refused with 431
LINGER_SECONDS = 2.0  # as gunicorn's close_graceful: how long a closing connection waits for the client's FIN
LINGER_BYTES = 64 * 1024  # and how much it reads and drops meanwhile
# The end of a head; or a bare LF, which gunicorn refuses as soon as it sees one.
_HEAD_END = re.compile(rb"\r\n\r\n|(?<!\r)\n")


@dataclass(eq=False)
class _Waiting:
    """A connection in the poller: its head arriving, or lingering before the close."""

    conn: Any
    deadline: float
    opened: float
    head: bytearray = field(default_factory=bytearray)
    lingering: bool = False
    drained: int = 0


class HeadFirstWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, handing a connection to a thread only once its request head is in."""

    read_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: dict[Any, _Waiting] = {}
        self._stop_deadline: float | None = None

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if cfg.is_ssl or cfg.http2_cleartext != "off":
            raise RuntimeError("this worker serves plain HTTP/1.1: terminate TLS and HTTP/2 in a proxy")

    def init_process(self) -> None:
        json_lines(log)
        logging.getLogger("gunicorn.error").addFilter(without_client_tracebacks)
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        """Wait in the poller for the connection's next request head (gunicorn would hand it to a thread)."""
        if not isinstance(conn.sock, TimedSocket):
            conn.sock = TimedSocket(conn.sock, self.read_timeout, conn.client)
        now = time.monotonic()
        waiting = _Waiting(conn, deadline=now + self.read_timeout, opened=now)
        if conn.parser is not None:  # bytes the last request's reads took from the next one
            waiting.head += conn.parser.unreader.take_buffered()
        self._wait(waiting, self._on_head_bytes)
        if waiting.head:
            self._check_head(waiting, 0)
        else:  # a kept-alive connection is here because it is readable: read now, not after another poll
            self._on_head_bytes(waiting, None)

    def finish_request(self, conn: Any, fs: Any) -> None:
        """As gunicorn's, except that a connection ending without keep-alive lingers in the poller."""
        if fs.cancelled() or fs.exception() is not None or fs.result():
            super().finish_request(conn, fs)
        else:
            self._linger(conn)

    def murder_pending(self) -> None:
        """Also close what waited past its deadline: a head that did not arrive in time
        (with a warning line), a lingering connection whose client did not close it. Once the
        worker is stopping, a connection that has not sent a byte of its next request waits
        at most gunicorn's STOP_KEEPALIVE_LINGER more, as gunicorn's kept-alive ones do: a
        request that arrives meanwhile is still answered (with `Connection: close`)."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self._stop_deadline is None:
            self._stop_deadline = now + STOP_KEEPALIVE_LINGER
        for waiting in list(self.waiting.values()):
            if self._stop_deadline is not None and not waiting.lingering and not waiting.head:
                waiting.deadline = min(waiting.deadline, self._stop_deadline)  # as gunicorn's kept-alive ones
            if waiting.deadline <= now:
                if not waiting.lingering and (waiting.head or self.alive):
                    warn_stalled(waiting.conn.client, now - waiting.opened, len(waiting.head))
                self._close(waiting)

    def head_too_large(self) -> bytes:
        """The answer to a request head over HEAD_LIMIT bytes."""
        return b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

    def _wait(self, waiting: _Waiting, on_bytes: Any) -> None:
        waiting.conn.sock.setblocking(False)
        self.poller.register(waiting.conn.sock, selectors.EVENT_READ, partial(on_bytes, waiting))
        self.waiting[waiting.conn] = waiting  # only once registered: `_forget` and `_close` undo both

    def _forget(self, waiting: _Waiting) -> None:
        del self.waiting[waiting.conn]
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(waiting.conn.sock)

    def _close(self, waiting: _Waiting) -> None:
        self._forget(waiting)
        self.nr_conns -= 1
        waiting.conn.close()

    def _on_head_bytes(self, waiting: _Waiting, _sock: Any) -> None:
        data = _receive(waiting, HEAD_LIMIT + 1 - len(waiting.head))
        if data is None:
            return
        if not data:  # the client closed the connection (or reset it) before a whole head
            self._close(waiting)
            return
        waiting.head += data
        self._check_head(waiting, len(waiting.head) - len(data))

    def _check_head(self, waiting: _Waiting, new_from: int) -> None:
        """Hand the connection to a thread if its head is in; refuse it if it is too long."""
        if _HEAD_END.search(waiting.head, max(0, new_from - 3), HEAD_LIMIT):
            self._forget(waiting)
            conn = waiting.conn
            if conn.parser is None:
                conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.parser.unreader.unread(bytes(waiting.head))
            conn.data_ready = True  # gunicorn would otherwise wait in the thread for bytes on the socket
            super().enqueue_req(conn)
        elif len(waiting.head) > HEAD_LIMIT:
            self._forget(waiting)
            with contextlib.suppress(OSError):
                waiting.conn.sock.raw.send(self.head_too_large())
            self._linger(waiting.conn)

    def _linger(self, conn: Any) -> None:
        """Close the connection as gunicorn's close_graceful does, but in the poller: send FIN,
        then read and drop what the client still sends until it closes too, or for LINGER_SECONDS
        at most, so that the kernel does not reset the connection under the answer."""
        waiting = _Waiting(conn, deadline=time.monotonic() + LINGER_SECONDS, opened=0.0, lingering=True)
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            self._wait(waiting, self._on_linger_bytes)
        except OSError:
            self.waiting.pop(conn, None)
            self.nr_conns -= 1
            conn.close()

    def _on_linger_bytes(self, waiting: _Waiting, _sock: Any) -> None:
        data = _receive(waiting, 65536)
        if data is None:
            return
        waiting.drained += len(data)
        if not data or waiting.drained >= LINGER_BYTES:
            self._close(waiting)


def _receive(waiting: _Waiting, size: int) -> bytes | None:
    """Up to `size` bytes the client sent; b"" if it closed or reset the connection, None if nothing came."""
    try:
        return waiting.conn.sock.raw.recv(size)  # type: ignore[no-any-return]
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""
