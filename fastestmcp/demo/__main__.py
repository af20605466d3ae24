"""The README's demo: serve the example server over streamable HTTP and drive it.

`python -m fastestmcp.demo` serves `fastestmcp/demo/server.py` on 127.0.0.1 (port 8000, or a
free port when 8000 is taken), prints its URL and how to connect a client to it, runs a
scripted client against it over HTTP (`scripted.py`: raw JSON-RPC, standard library only),
then keeps serving until Ctrl-C.

Options: `--port N` (0: any free port), `--once` (stop after the script), `--stdio` (the
scripted client drives the server as a child process over stdio instead).
"""

from __future__ import annotations

import argparse
import errno
import io
import logging
import sys
import threading

from fastestmcp.demo.scripted import HttpClient, StdioClient, script
from fastestmcp.demo.server import app
from fastestmcp.transports.http import HttpServer, serve
from fastestmcp.transports.stdio import configure_stderr_logging

DEFAULT_PORT = 8000


def sdk_snippet(url: str) -> str:
    """How to connect with the official `mcp` SDK (in an async function, or `python -m asyncio`)."""
    return "\n".join(
        [
            "from mcp import ClientSession",
            "from mcp.client.streamable_http import streamable_http_client",
            f'async with streamable_http_client("{url}") as (read, write), '
            "ClientSession(read, write) as session:",
            "    await session.initialize()",
            '    print(await session.call_tool("add", {"a": 2, "b": 40}))',
        ]
    )


def connect_instructions(url: str) -> str:
    snippet = "\n".join(f"    {line}" for line in sdk_snippet(url).splitlines())
    return f"""\
How to connect a client:
  - the official SDK, `pip install 'mcp>=2.3'` (in an async function or `python -m asyncio`):
{snippet}
  - the MCP Inspector (needs Node): run `npx @modelcontextprotocol/inspector`, choose the
    transport "Streamable HTTP", paste {url} and press Connect
  - our own client: coming with the client issue (fastestmcp has no client yet)
"""


def start(port: int) -> HttpServer:
    """The example server on 127.0.0.1:`port`, or on a free port if that one is taken."""
    try:
        return serve(app, host="127.0.0.1", port=port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
    running = serve(app, host="127.0.0.1", port=0)
    print(f"port {port} is taken: serving on a free port, {running.port}, instead")
    return running


def over_http(port: int, *, once: bool) -> None:
    running = start(port)
    try:
        print(f"serving the example server over streamable HTTP at {running.url}\n")
        print(connect_instructions(running.url))
        print(f"A scripted client drives it over HTTP (raw JSON-RPC POSTs to {running.url}):")
        client = HttpClient(running.url)
        script(client)
        print(f"session ended: DELETE -> {client.close()}\n")
        if once:
            print("--once: stopping the server")
            return
        print(f"serving on {running.url}; Ctrl-C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopping the server")
    finally:
        running.stop()


def over_stdio() -> None:
    print("A scripted client drives the example server as a child process over stdio:")
    client = StdioClient()
    try:
        script(client)
    finally:
        code = client.close()
    print(f"server exited with code {code} after stdin closed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fastestmcp.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free port")
    parser.add_argument("--once", action="store_true", help="stop after the scripted client")
    parser.add_argument("--stdio", action="store_true", help="the scripted client over stdio")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # print each line now, even into a pipe
        sys.stdout.reconfigure(line_buffering=True)
    configure_stderr_logging(logging.WARNING)  # the server's own log lines: stderr
    if args.stdio:
        over_stdio()
    else:
        over_http(args.port, once=args.once)


if __name__ == "__main__":
    main()
