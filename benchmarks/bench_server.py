"""The benchmark server on fastestmcp: the same four tools as the peers in `benchmarks/peers/`.

Usage:
    python benchmarks/bench_server.py --transport stdio
    python benchmarks/bench_server.py --transport http --port PORT   (127.0.0.1, at /mcp)
    [--max-sessions N]   (the server's `max_sessions`; default: fastestmcp's own default)

Tools:
- `echo(message)`: the message, as text.
- `remember(value)`: stores `value` in this session's state, returns the value stored before
  (`""` if none).
- `sleep_sync(seconds=0.1)`: a plain `def` that calls `time.sleep` (runs in the tool pool).
- `sleep_async(seconds=0.1)`: `await asyncio.sleep`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

import fastestmcp
from fastestmcp import Context

app = fastestmcp.server("bench-fastestmcp")


@app.tool
def echo(message: str) -> str:
    """Return the message."""
    return message


@app.tool
async def remember(value: str, ctx: Context) -> str:
    """Store `value` in the session; return the value stored before ("" if none)."""
    before: str = await ctx.get_state("value", "")
    await ctx.set_state("value", value)
    return before


@app.tool
def sleep_sync(seconds: float = 0.1) -> str:
    """Block this handler's thread for `seconds`."""
    time.sleep(seconds)
    return "slept"


@app.tool
async def sleep_async(seconds: float = 0.1) -> str:
    """Sleep `seconds` without blocking."""
    await asyncio.sleep(seconds)
    return "slept"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark server on fastestmcp.")
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--max-sessions",
        type=int,
        help="most sessions open at once (default: fastestmcp's default); the session-scale "
        "benchmark opens 10,000 on top of its warm-up",
    )
    args = parser.parse_args(argv)
    if args.max_sessions is not None:
        app.max_sessions = args.max_sessions
    if args.transport == "stdio":
        app.run()
        return 0
    try:
        app.run(transport="http", host=args.host, port=args.port, path="/mcp")
    except ValueError as exc:  # this version of fastestmcp has no HTTP transport yet
        print(f"bench_server: --transport http is not available yet: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
