"""The package polices its own design: curated exports, no IO imports, codecs built once."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import fastestmcp.protocol
from fastestmcp.protocol import types

# What the protocol core must never import: it does no IO and owns no threads.
FORBIDDEN = {"asyncio", "anyio", "trio", "aiohttp", "websockets", "pykka", "socket", "threading"}
MY_MODULES = ("errors", "jsonrpc", "versions", "capabilities", "types")


def _protocol_sources() -> list[Path]:
    root = Path(fastestmcp.protocol.__file__).parent
    return sorted(root.rglob("*.py"))


@pytest.mark.parametrize("path", _protocol_sources(), ids=lambda p: p.name)
def test_protocol_modules_import_nothing_that_does_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN, f"{path.name} imports {sorted(imported & FORBIDDEN)}"


@pytest.mark.parametrize("package", [fastestmcp.protocol, types], ids=lambda p: p.__name__)
def test_all_names_exist(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(package, name)]
    assert not missing


@pytest.mark.parametrize("module_name", MY_MODULES)
def test_package_root_reexports_each_module_api(module_name: str) -> None:
    module = importlib.import_module(f"fastestmcp.protocol.{module_name}")
    exported = set(fastestmcp.protocol.__all__)
    assert set(module.__all__) <= exported
    for name in module.__all__:
        assert getattr(fastestmcp.protocol, name) is getattr(module, name)


def test_types_package_reexports_every_area_module() -> None:
    for info in pkgutil.iter_modules(types.__path__):
        module = importlib.import_module(f"{types.__name__}.{info.name}")
        for name in module.__all__:
            assert getattr(types, name) is getattr(module, name), name
