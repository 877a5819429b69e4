"""The public verbs do not hide their modules: every documented dotted path resolves."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import geoplots

PACKAGE = Path(geoplots.__file__).parent


def test_verbs_are_functions_and_their_modules_are_reachable() -> None:
    # Before the subpackages were renamed, geoplots.locate (the function) shadowed the
    # package, so the README's geoplots.locate.locate_partition raised AttributeError.
    assert callable(geoplots.locate) and callable(geoplots.coverage) and callable(geoplots.map)
    locating = importlib.import_module("geoplots.locating")
    counting = importlib.import_module("geoplots.counting")
    assert callable(locating.locate_partition) and callable(locating.index_for)
    assert {"model_villages", "change_leaders", "household_participation"} <= set(counting.RULES)
    assert geoplots.locate is locating.locate and geoplots.coverage is counting.coverage


def test_nothing_inside_the_package_relies_on_geoplots_map_hiding_the_builtin() -> None:
    users = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "geoplots" and any(
                    a.name == "map" for a in node.names):
                users.append(str(path.relative_to(PACKAGE)))
    assert users == []
