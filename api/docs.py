"""Owns the routes that describe the API: the OpenAPI document at /openapi.json and the
human-readable reference at /docs, Swagger UI rendered from that document with the files
the swagger-ui-bundle package ships (served from here, no CDN)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from api import openapi
from api.apidoc import documented
from api.auth import public
from api.http import no_query
from taskstore.errors import NotFound

bp = Blueprint("docs", __name__)
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"})
_BUILDING = threading.Lock()
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>taskstore API reference</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{icon}" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{js}" charset="UTF-8"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "{spec}", dom_id: "#swagger-ui", deepLinking: true,
      docExpansion: "list", defaultModelsExpandDepth: 0}});
  </script>
</body>
</html>
"""


def document(app: Flask) -> dict[str, Any]:
    """The app's API document, built on first use and kept for the app's life."""
    with _BUILDING:
        if "taskstore.openapi" not in app.extensions:
            app.extensions["taskstore.openapi"] = openapi.build(app)
    found: dict[str, Any] = app.extensions["taskstore.openapi"]
    return found


@bp.get("/openapi.json")
@public
@documented("getOpenApi", "This API document (OpenAPI 3.0)", "documentation", public=True)
def openapi_json() -> tuple[Response, int]:
    no_query()
    return jsonify(document(current_app._get_current_object())), 200  # type: ignore[attr-defined]


@bp.get("/docs")
@public
@documented(
    "getDocs", "The API reference, rendered from /openapi.json", "documentation", public=True, media_type="text/html"
)
def docs_page() -> tuple[str, int, dict[str, str]]:
    no_query()
    page = PAGE.format(
        css=url_for("docs.asset", name="swagger-ui.css"),
        icon=url_for("docs.asset", name="favicon-32x32.png"),
        js=url_for("docs.asset", name="swagger-ui-bundle.js"),
        spec=url_for("docs.openapi_json"),
    )
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/docs/<name>")
@public
def asset(name: str) -> Response:
    """One of Swagger UI's own files."""
    no_query()
    if name not in ASSETS:
        raise NotFound(f"No resource at /docs/{name}")
    return send_from_directory(str(swagger_ui_path), name, max_age=3600)
