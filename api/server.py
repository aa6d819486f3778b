"""Owns serving the application with gunicorn, a production WSGI server (threads, several workers).

gunicorn answers requests that are not valid HTTP itself (a request line over 4094
bytes, headers over 8 KiB, a broken chunk...), before the application sees them;
`EnvelopeWorker` rewrites those answers into the JSON error envelope too. Its base,
`api.stalls.HeadFirstWorker`, keeps clients that are slow to send a request head from
holding a thread, and bounds every later wait for a client by the read timeout. On SIGTERM
each worker stops listening at once, finishes the requests it is in, then exits.
"""

from __future__ import annotations

import json
import re
import socket
import uuid
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from api import create_app
from api.config import Config
from api.stalls import HeadFirstWorker

_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ([^\r\n]*)")


class Server(BaseApplication):  # type: ignore[misc]
    """Gunicorn with the options set here instead of on its own command line."""

    def __init__(self, config: Config, options: dict[str, Any]) -> None:
        self.config_ = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(self.config_)


class EnvelopeWorker(HeadFirstWorker):
    """gunicorn's threaded worker, with its own error pages in the JSON envelope."""

    read_timeout = Config.read_timeout
    max_body_bytes = Config.max_body_bytes

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi: Any = _closing_refused_bodies(self.wsgi, self.max_body_bytes)

    def head_too_large(self) -> bytes:
        return envelope_response(super().head_too_large())

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, _EnvelopeSocket(client), addr, exc)

    def set_accept_enabled(self, enabled: bool) -> None:
        """Stop accepting; when the worker is stopping, also close its copy of the listening
        socket, so that once every worker has, new connections are refused at once instead
        of waiting in the kernel's backlog to be reset when the last worker exits."""
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                listener.close()


class _EnvelopeSocket:
    """Passes everything through to the socket, except that an HTML error page is rewritten."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(envelope_response(data))


def _closing_refused_bodies(app: Any, limit: int) -> Any:
    """The WSGI app, except that the connection closes after answering a request whose body
    was refused unread (a 413, or any answer to a request announcing more than `limit`
    bytes): otherwise gunicorn would keep a thread reading and discarding that body, for
    up to several seconds, just to reuse the connection."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        announced = environ.get("CONTENT_LENGTH") or "0"
        too_big = not announced.isdigit() or int(announced) > limit

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
            if (too_big or status.startswith("413")) and force_close is not None:
                force_close()  # gunicorn's Response: sends "Connection: close" and does not drain
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wsgi


def envelope_response(html_response: bytes) -> bytes:
    """The JSON-envelope version of one of gunicorn's HTML error responses."""
    match = _STATUS_LINE.match(html_response)
    status, reason = (int(match[1]), match[2].decode("latin-1")) if match else (400, "Bad Request")
    if status == 501:  # an unsupported transfer coding is the client's doing
        status, reason = 400, "Bad Request"
    code = {403: "FORBIDDEN", 500: "SERVER_ERROR"}.get(status, "INVALID_FORMAT")
    request_id = f"req-{uuid.uuid4()}"
    message = f"The request is not valid HTTP: {reason}" if status < 500 else "An unexpected error occurred"
    body = json.dumps({"code": code, "message": message, "requestId": request_id}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Request-Id: {request_id}\r\n\r\n"
    )
    return head.encode("latin-1") + body


#: gunicorn's logging, as JSON lines on stderr like the request log: its own warnings (a request
#: that is not valid HTTP, a worker that died) and what the application's `api.*` modules log.
#: gunicorn merges this into its defaults key by key, so each key given is given whole.
LOG_CONFIG: dict[str, Any] = {
    "formatters": {"generic": {"()": "api.access_log.JsonFormatter"}},
    "loggers": {
        "gunicorn.error": {"level": "WARNING", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "api": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
    },
}


def serve(config: Config, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until a signal: on SIGTERM new connections are refused and the requests in flight
    finish (for up to `graceful_timeout` seconds) before the process exits 0; SIGINT or
    SIGQUIT stop it at once, dropping them."""
    limits = {"read_timeout": config.read_timeout, "max_body_bytes": config.max_body_bytes}
    worker = type("Worker", (EnvelopeWorker,), limits)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker,
        "threads": threads,
        "graceful_timeout": 20,
        "timeout": 60,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "logconfig_dict": LOG_CONFIG,
    }
    Server(config, options).run()
