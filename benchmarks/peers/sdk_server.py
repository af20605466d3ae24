"""The benchmark server on the official MCP Python SDK 2.3.0 (`mcp`): the four tools of
`benchmarks/bench_server.py`.

Runs in the virtualenv `benchmarks/venvs.py` makes (`benchmarks/.venvs/sdk`):
    .venvs/sdk/bin/python benchmarks/peers/sdk_server.py --transport stdio
    .venvs/sdk/bin/python benchmarks/peers/sdk_server.py --transport http --port PORT

In mcp 2.x the high-level server is `mcp.server.mcpserver.MCPServer` (v1's `FastMCP`,
renamed). Its tools get a `Context` with no session-state API (the per-connection
`Connection.state` dict is not reachable from a tool's `Context`), so `remember` keeps a dict
in this module keyed by the `Mcp-Session-Id` header the client sends on streamable HTTP; on
stdio there are no headers and the process is the one session. Sync tools run in a worker
thread (`anyio.to_thread.run_sync`, the SDK's default).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from mcp.server.mcpserver import Context, MCPServer

mcp = MCPServer("bench-sdk", log_level="WARNING")

_STATE: dict[str, str] = {}  # Mcp-Session-Id (or "" on stdio) -> the value remembered


@mcp.tool()
def echo(message: str) -> str:
    """Return the message."""
    return message


@mcp.tool()
async def remember(value: str, ctx: Context) -> str:
    """Store `value` in the session; return the value stored before ("" if none)."""
    headers = ctx.headers
    session = (headers.get("mcp-session-id") or "") if headers is not None else ""
    before = _STATE.get(session, "")
    _STATE[session] = value
    return before


@mcp.tool()
def sleep_sync(seconds: float = 0.1) -> str:
    """Block this handler's thread for `seconds`."""
    time.sleep(seconds)
    return "slept"


@mcp.tool()
async def sleep_async(seconds: float = 0.1) -> str:
    """Sleep `seconds` without blocking."""
    await asyncio.sleep(seconds)
    return "slept"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark server on the official SDK.")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.transport == "stdio":
        mcp.run("stdio")
    else:
        mcp.run("streamable-http", host=args.host, port=args.port, streamable_http_path="/mcp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
