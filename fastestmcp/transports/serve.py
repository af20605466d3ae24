# Serving a server over a transport until it ends: what `server.run(...)` calls.
#
# stdio: one process is one session. Logs go to stderr (structlog, unless the application
# configured it), stray `print()`s and C-level writes to fd 1 are diverted to stderr while
# serving, the session ends at stdin EOF (its state is deleted, its requests cancelled), and
# the process's server tree stops after it.

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastestmcp.server.reclaim import settle_gc_for_serving
from fastestmcp.server.running import DEFAULT_POOL_SIZE, start
from fastestmcp.transports.stdio import (
    StdioTransport,
    configure_stderr_logging,
    frame_too_large_error,
    guard_stdout,
)

if TYPE_CHECKING:
    from fastestmcp.server.definition import Server

__all__ = ["run", "run_stdio"]


def run_stdio(server: Server, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
    """Serve `server` on this process's stdin/stdout until stdin closes (blocking)."""
    configure_stderr_logging()
    with guard_stdout(fd_level=True) as frames_fd:
        handle = start(server, pool_size=pool_size)
        try:
            transport = StdioTransport(stdin=0, stdout=frames_fd)
            _, sink = handle.open_session(transport.outbox, transport="stdio").get(timeout=30)
            too_large = frame_too_large_error(transport.max_frame_size)

            def begin() -> None:
                transport.start(sink, on_oversized=lambda _size: transport.outbox.send(too_large))

            handle.runtime.call(begin)
            settle_gc_for_serving()  # this process is the server's
            handle.runtime.run_coroutine(transport.wait_closed()).result()
        except KeyboardInterrupt:
            pass
        finally:
            handle.stop()


def run(server: Server, transport: str = "stdio", **options: Any) -> None:
    """Serve `server` over `transport` until it ends (see `Server.run`)."""
    if transport == "stdio":
        run_stdio(server, **options)
        return
    if transport in ("http", "streamable-http"):
        from fastestmcp.transports.http import run_http  # aiohttp: imported when used

        run_http(server, **options)
        return
    if transport == "sse":
        from fastestmcp.transports.sse_legacy import run_sse

        run_sse(server, **options)
        return
    if transport in ("websocket", "ws"):
        from fastestmcp.transports.websocket import run_websocket  # websockets: when used

        run_websocket(server, **options)
        return
    raise ValueError(
        f"unknown transport {transport!r}: the transports are 'stdio', 'http' (streamable "
        "HTTP), 'sse' (legacy HTTP+SSE, with streamable HTTP alongside) and 'websocket'"
    )
