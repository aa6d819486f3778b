"""Who imports whom: api -> projections -> taskstore, never the other way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = frozenset({"flask", "werkzeug", "marshmallow", "api"})
FORBIDDEN = {"taskstore": WEB | {"projections"}, "projections": WEB}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_roots(source: str, package: str) -> set[str]:
    """The top-level names of everything a module imports, wherever the import stands."""
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the package unless it climbs out
                roots.add(package if node.level == 1 else (node.module or "").split(".")[0] or "..")
            else:
                roots.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            roots.add(node.args[0].value.split(".")[0])  # type: ignore[attr-defined]
    return roots


def _dynamic_import(node: ast.Call) -> bool:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    return (
        name in {"import_module", "__import__"}
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def test_both_inner_packages_have_modules_to_check() -> None:
    assert len(modules("taskstore")) >= 8
    assert len(modules("projections")) >= 5


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_packages_never_import_the_web_layer_or_an_outer_package(package: str) -> None:
    offences = {
        str(path.relative_to(ROOT)): sorted(bad)
        for path in modules(package)
        if (bad := imported_roots(path.read_text(encoding="utf-8"), package) & FORBIDDEN[package])
    }

    assert offences == {}


def test_relative_imports_that_climb_out_of_the_package_are_refused() -> None:
    for path in modules("taskstore") + modules("projections"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        climbing = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 1]
        assert climbing == [], path


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask import Flask",
        "import werkzeug.exceptions as wz",
        "from marshmallow import Schema",
        "from api.http import current_store",
        "import projections.tasks",
        "def late():\n    from api import create_app\n",
        "import importlib\nimportlib.import_module('flask')",
        "__import__('marshmallow')",
    ],
)
def test_the_checker_finds_a_forbidden_import_wherever_it_is_written(source: str) -> None:
    assert imported_roots(source, "taskstore") & FORBIDDEN["taskstore"]


def test_the_checker_allows_the_standard_library_and_the_inner_layers() -> None:
    source = "import sqlite3\nfrom blinker import Namespace\nfrom sqlite_utils import Database\nfrom taskstore.events import Event\nfrom . import codec"

    assert not imported_roots(source, "projections") & FORBIDDEN["projections"]
