"""The server package polices its own design: exports, no IO imports, imports point down."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import fastestmcp

# `fastestmcp.server` is the factory function, so modules are reached by import.
SERVER_DIR = Path(importlib.import_module("fastestmcp.server.definition").__file__ or "").parent
# The definition layer does no IO and owns no threads or loops; the runtime layer (a Context
# that talks to its session actor, the session, the pipeline, the running tree) may.
RUNTIME = {"context", "ids", "modern", "pipeline", "reclaim", "session", "running"}
FORBIDDEN = {
    "asyncio",
    "anyio",
    "trio",
    "aiohttp",
    "websockets",
    "pykka",
    "socket",
    "threading",
    "supervisors",
    "pydantic",
}
# Which sibling modules each module may import (imports only point down).
ALLOWED = {
    "errors": set(),
    "outbox": set(),
    "elicitation": set(),
    "visibility": set(),
    "modern": set(),
    "reclaim": set(),
    "ids": set(),
    "jsonschema": {"errors"},
    "results": {"errors", "jsonschema"},
    "signature": {"context", "errors", "jsonschema", "results"},
    "components": {"context", "errors", "jsonschema", "results", "signature"},
    "completions": {"components", "results"},
    "dependencies": {"components", "context"},
    "definition": {"completions", "components", "dependencies", "errors", "visibility"},
    # The runtime layer (type-only imports of the session and definition included).
    "context": {"definition", "elicitation", "modern", "session", "visibility"},
    "pipeline": {"components", "context", "session"},
    "session": {"context", "definition", "modern", "outbox", "pipeline", "reclaim"},
    "running": {"definition", "dependencies", "ids", "outbox", "reclaim", "session"},
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_every_module_is_covered_by_the_layering_table():
    modules = {p.stem for p in SERVER_DIR.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED)


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_modules_import_nothing_that_does_io_and_only_lower_siblings(module):
    imported = _imports(SERVER_DIR / f"{module}.py")
    roots = {name.split(".")[0] for name in imported}
    if module not in RUNTIME:
        assert not roots & FORBIDDEN
    siblings = {
        name.split(".")[2]
        for name in imported
        if name.startswith("fastestmcp.server.") and name.count(".") >= 2
    }
    assert siblings <= ALLOWED[module], f"{module} imports {sorted(siblings - ALLOWED[module])}"


def test_the_package_root_exports_the_factory_and_helpers():
    for name in ("server", "Server", "Context", "ToolError", "Image", "Audio", "File"):
        assert name in fastestmcp.__all__
    assert callable(fastestmcp.server)
    assert isinstance(fastestmcp.server("x"), fastestmcp.Server)
    assert fastestmcp.__doc__ is not None
    assert "actor runtime" in fastestmcp.__doc__


def test_server_package_exports_exist():
    package = importlib.import_module("fastestmcp.server")
    assert len(package.__all__) == len(set(package.__all__))
    assert [name for name in package.__all__ if not hasattr(package, name)] == []
    from fastestmcp.server import Tool

    assert Tool.__module__ == "fastestmcp.server.components"


def test_every_module_opens_with_a_comment_saying_what_lives_there():
    for path in SERVER_DIR.glob("*.py"):
        assert path.read_text(encoding="utf-8").startswith("# "), path.name
