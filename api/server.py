"""Owns serving the application with gunicorn, a production WSGI server (threads, several workers)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from api import create_app
from api.config import Config


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


def serve(config: Config, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until SIGINT or SIGTERM; in-flight requests finish before the workers stop."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": 20,
        "timeout": 60,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }
    Server(config, options).run()
