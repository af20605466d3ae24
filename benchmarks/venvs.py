"""The peers' virtualenvs: `benchmarks/.venvs/fastmcp` (FastMCP 4.1.6) and
`benchmarks/.venvs/sdk` (the official SDK, `mcp` 2.3.0). Their versions conflict with each
other (and with this checkout's dev dependencies), hence one virtualenv each.

Usage:
    python benchmarks/venvs.py [fastmcp] [sdk]     (default: both; prints each interpreter)

Idempotent: a virtualenv whose stamp records the same requirements is left alone; any other
is rebuilt from scratch. The virtualenvs use the interpreter that runs this script.

`pip install fastmcp==4.1.6` fails on a package index without a `certifi` as new as the one
its `server` extra pins (>=2026.10.19), so FastMCP is installed as `fastmcp` and
`fastmcp-slim` with `--no-deps`, then the other dependencies `fastmcp-slim[client,server]`
declares (copied from its 4.1.6 metadata), with `certifi` unpinned.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import venv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENVS = HERE / ".venvs"
STAMP = ".bench-requirements.json"
INSTALL_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Peer:
    name: str
    no_deps: tuple[str, ...]  # installed with --no-deps
    requirements: tuple[str, ...]  # installed normally, after them
    distributions: tuple[str, ...]  # whose versions the reports print


FASTMCP = Peer(
    name="fastmcp",
    no_deps=("fastmcp==4.1.6", "fastmcp-slim==4.1.6"),
    requirements=(
        # fastmcp-slim 4.1.6: base requirements
        "mcp-types>=2.0.0,<3.0.0",
        "platformdirs>=4.0.0",
        "pydantic-settings>=2.0.0",
        "pydantic[email]>=2.12.0",
        "python-dotenv>=1.1.0",
        "rich>=13.9.4",
        "typing-extensions>=4.0.0",
        # its `client` and `server` extras (what `fastmcp` itself depends on)
        "authlib>=1.6.11",
        "certifi",  # pinned >=2026.10.19 upstream: newer than the index we reach has
        "cyclopts>=4.0.0",
        "exceptiongroup>=1.2.2",
        "griffelib>=2.0.0",
        "httpx2>=2.5.0",
        "joserfc>=1.5.0",
        "jsonref>=1.1.0",
        "jsonschema-path>=0.3.4",
        "mcp==2.3.0",
        "openapi-pydantic>=0.6.0",
        "opentelemetry-api>=1.28.0",
        "packaging>=24.0",
        "py-key-value-aio[filetree,memory]>=0.4.4,<0.5.0",
        "pyperclip>=1.9.0",
        "python-multipart>=0.0.26",
        "pyyaml>=6.0,<7.0",
        "starlette>=1.0.1",
        "uncalled-for>=0.4.0",
        "uvicorn>=0.35",
        "watchfiles>=1.0.0",
        "websockets>=15.0.1",
    ),
    distributions=("fastmcp", "mcp"),
)
SDK = Peer(name="sdk", no_deps=(), requirements=("mcp==2.3.0",), distributions=("mcp",))
PEERS = {peer.name: peer for peer in (FASTMCP, SDK)}


def python_of(name: str) -> Path:
    """The interpreter of a peer's virtualenv (which may not exist yet)."""
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    return VENVS / name / bin_dir / ("python.exe" if os.name == "nt" else "python")


def _wanted(peer: Peer) -> dict[str, object]:
    return {
        "python": sys.version.split()[0],
        "no_deps": list(peer.no_deps),
        "requirements": list(peer.requirements),
    }


def is_ready(name: str) -> bool:
    """Whether the virtualenv of `name` exists with the requirements this file pins."""
    peer = PEERS[name]
    stamp = VENVS / name / STAMP
    try:
        return python_of(name).exists() and json.loads(stamp.read_text()) == _wanted(peer)
    except (OSError, ValueError):
        return False


def ensure(name: str, *, log: bool = True) -> Path:
    """Make (or keep) the virtualenv of peer `name`; return its interpreter."""
    peer = PEERS[name]
    if is_ready(name):
        return python_of(name)
    path = VENVS / name
    if log:
        print(f"venvs: building {path.relative_to(HERE.parent)} ...", file=sys.stderr, flush=True)
    venv.EnvBuilder(clear=True, with_pip=True).create(path)
    python = str(python_of(name))
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if peer.no_deps:
        subprocess.run([*pip, "--no-deps", *peer.no_deps], check=True, timeout=INSTALL_TIMEOUT)
    subprocess.run([*pip, *peer.requirements], check=True, timeout=INSTALL_TIMEOUT)
    (path / STAMP).write_text(json.dumps(_wanted(peer)))
    return python_of(name)


def versions(name: str) -> dict[str, str]:
    """The installed versions of the peer's distributions (from its own interpreter)."""
    peer = PEERS[name]
    code = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(python_of(name)), "-c", code, *peer.distributions],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    found: dict[str, str] = json.loads(out)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the peers' virtualenvs (idempotent).")
    parser.add_argument("peers", nargs="*", help=f"some of: {', '.join(PEERS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.peers if name not in PEERS]
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    for name in args.peers or list(PEERS):
        python = ensure(name)
        shown = ", ".join(f"{d} {v}" for d, v in versions(name).items())
        print(f"{name}: {python.relative_to(HERE.parent)} ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
