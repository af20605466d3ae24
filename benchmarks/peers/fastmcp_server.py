"""The benchmark server on FastMCP 4.1.6: the four tools of `benchmarks/bench_server.py`.

Runs in the virtualenv `benchmarks/venvs.py` makes (`benchmarks/.venvs/fastmcp`):
    .venvs/fastmcp/bin/python benchmarks/peers/fastmcp_server.py --transport stdio
    .venvs/fastmcp/bin/python benchmarks/peers/fastmcp_server.py --transport http --port PORT

`remember` keeps its value with FastMCP's own session state, `Context.get_state/set_state`
(the server's state store, keyed by the MCP session). Sync tools run in a worker thread
(FastMCP's default, `run_in_thread=True`), as fastestmcp runs them in its tool pool.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from fastmcp import Context, FastMCP

mcp = FastMCP("bench-fastmcp")


@mcp.tool
def echo(message: str) -> str:
    """Return the message."""
    return message


@mcp.tool
async def remember(value: str, ctx: Context) -> str:
    """Store `value` in the session; return the value stored before ("" if none)."""
    before = await ctx.get_state("value")
    await ctx.set_state("value", value)
    return before if isinstance(before, str) else ""


@mcp.tool
def sleep_sync(seconds: float = 0.1) -> str:
    """Block this handler's thread for `seconds`."""
    time.sleep(seconds)
    return "slept"


@mcp.tool
async def sleep_async(seconds: float = 0.1) -> str:
    """Sleep `seconds` without blocking."""
    await asyncio.sleep(seconds)
    return "slept"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark server on FastMCP.")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.transport == "stdio":
        mcp.run(transport="stdio", show_banner=False)
    else:
        mcp.run(transport="http", show_banner=False, host=args.host, port=args.port, path="/mcp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
