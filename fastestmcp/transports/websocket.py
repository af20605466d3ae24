# A WebSocket transport (server side) on the `websockets` library, on the runtime's loop.
#
# One connection is one session: the handshake must offer the subprotocol `mcp`
# (`Sec-WebSocket-Protocol: mcp`; anything else is refused with HTTP 400 and a message that
# says so), the session opens with the connection and ends when it closes (its state is
# deleted, its requests cancelled), and a session that ends on its own (idle expiry, server
# stop) closes the connection (1000 / 1001).
#
# Framing: each text message is one JSON-RPC message (or batch, where the negotiated version
# allows one); a binary message is answered with a JSON-RPC error (-32600, without an id) and the
# connection stays open; a message over `max_message_size` closes the connection (1009, by
# `websockets`). Every frame of the session goes out as one text message, in order. A client
# that does not read gets its connection cut once `max_queued_bytes` are waiting.
# Pings every `ping_interval` seconds find dead peers (`ping_timeout`).
#
# Security: on connections that arrived on a loopback address (or always, with explicit
# allow-lists) the handshake's Host and Origin are validated as for HTTP (421/403).

"""WebSocket transport (server side): `WebSocketTransport`, `serve_websocket`, `run_websocket`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import structlog
from websockets.asyncio.server import Server as WsServer
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import InvalidRequest
from fastestmcp.server.ids import new_session_id
from fastestmcp.server.running import DEFAULT_POOL_SIZE, ServerHandle, start
from fastestmcp.transports._http_common import OriginPolicy, wait_for_interrupt
from fastestmcp.transports.base import RequestId
from fastestmcp.transports.listening import ListeningServer
from supervisors import MaxChildrenError

if TYPE_CHECKING:
    from fastestmcp.server.definition import Server
    from fastestmcp.server.session import SessionSink

__all__ = [
    "SUBPROTOCOL",
    "WebSocketOptions",
    "WebSocketOutbox",
    "WebSocketServer",
    "WebSocketTransport",
    "run_websocket",
    "serve_websocket",
]

log = structlog.get_logger("fastestmcp.transports.websocket")

SUBPROTOCOL: Final = "mcp"
TRANSPORT_NAME: Final = "websocket"
_BINARY_REFUSED: Final = jsonrpc.encode(
    jsonrpc.error_response(
        InvalidRequest(
            "binary WebSocket messages are not accepted; send each JSON-RPC message as one "
            "text message"
        ),
        None,
    )
).decode()


@dataclass(frozen=True, kw_only=True)
class WebSocketOptions:
    """Options of the WebSocket transport (all have working defaults).

    Attributes:
        path: The only path served (others: 404). None: any path.
        max_message_size: Largest incoming message, in bytes (larger: close 1009).
        ping_interval: Seconds between pings (None: no pings).
        ping_timeout: Seconds to wait for a pong before closing (None: forever).
        dns_rebinding_protection, allowed_hosts, allowed_origins: as for HTTP (`HttpOptions`).
        max_queued_bytes: Bytes waiting for a client that does not read before its connection
            is cut and its session ended.
        close_timeout: Seconds to wait for the closing handshake.
    """

    path: str | None = None
    max_message_size: int = 4 * 1024 * 1024
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    dns_rebinding_protection: bool | None = None
    allowed_hosts: tuple[str, ...] | None = None
    allowed_origins: tuple[str, ...] | None = None
    max_queued_bytes: int = 16 * 1024 * 1024
    close_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.path is not None and not self.path.startswith("/"):
            raise ValueError(f"path must start with '/', got {self.path!r}")
        if self.max_message_size < 1:
            raise ValueError("max_message_size must be at least 1 byte")


def _options(options: Mapping[str, Any]) -> WebSocketOptions:
    given = dict(options)
    for key in ("allowed_hosts", "allowed_origins"):
        if given.get(key) is not None:
            given[key] = tuple(given[key])
    try:
        return WebSocketOptions(**given)
    except TypeError:
        known = sorted(WebSocketOptions.__dataclass_fields__)
        unknown = sorted(set(given) - set(known))
        raise TypeError(
            f"unknown WebSocket transport option(s) {unknown}; the options are {known}"
        ) from None


class WebSocketOutbox:
    """The `Outbox` of one connection: a bounded queue its writer task drains."""

    def __init__(self, connection: ServerConnection, session_id: str, limit: int) -> None:
        self._connection = connection
        self.session_id = session_id
        self._limit = limit
        self._frames: deque[bytes] = deque()
        self._queued = 0
        self._wake = asyncio.Event()
        self.closed = False  # the session ended: flush, then close the connection
        self.overflowed = False

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        if self.closed or self.overflowed:
            return
        self._queued += len(frame)
        if self._queued > self._limit:
            self.overflowed = True
            self._frames.clear()
            log.error(
                "a client does not read its WebSocket; closing the connection",
                session_id=self.session_id,
                queued_bytes=self._queued,
            )
            # The writer may be waiting for the client to drain: it would never send a close
            # frame the client reads. Cut the connection now (the handler ends the session).
            self._connection.transport.abort()
        else:
            self._frames.append(frame)
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def run(self, sink: SessionSink | None, touch_every: float | None) -> None:
        """Write queued frames until the session ends or the connection closes."""
        connection = self._connection
        while True:
            while self._frames and not self.overflowed:
                frame = self._frames.popleft()
                self._queued -= len(frame)
                await connection.send(frame.decode())
            if self.overflowed:
                return
            if self.closed:
                await connection.close(1000, "the session ended")
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), touch_every)
            except TimeoutError:
                if sink is not None:
                    sink.touch()  # the connection is open: the session is not idle


class WebSocketTransport:
    """Serves one server's sessions over WebSocket, one session per connection.

    `serve_websocket(server)` runs it; to serve a running `ServerHandle` from an asyncio
    program of your own (on the runtime's loop): `attach(handle)`, then `await listen(...)`.
    """

    def __init__(self, server: Server, options: WebSocketOptions | None = None) -> None:
        self.server = server
        self.options = options or WebSocketOptions()
        self.handle: ServerHandle | None = None
        self._policy = OriginPolicy(
            self.options.dns_rebinding_protection,
            self.options.allowed_hosts,
            self.options.allowed_origins,
        )
        self._sessions: dict[str, WebSocketOutbox] = {}

    def attach(self, handle: ServerHandle) -> None:
        self.handle = handle

    @property
    def session_ids(self) -> list[str]:
        """The ids of the open sessions (one per connection)."""
        return list(self._sessions)

    async def listen(self, host: str, port: int) -> WsServer:
        """Start listening on host:port (port 0: any free port), on the running loop."""
        options = self.options
        return await ws_serve(
            self.handle_connection,
            host,
            port,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]  # a NewType of str
            process_request=self.process_request,
            compression=None,
            max_size=options.max_message_size,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            close_timeout=options.close_timeout,
        )

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse a handshake before it upgrades: wrong path, Host, Origin or subprotocol."""
        if self.options.path is not None and request.path.partition("?")[0] != self.options.path:
            return connection.respond(
                HTTPStatus.NOT_FOUND,
                f"Not Found: the MCP WebSocket endpoint is {self.options.path}\n",
            )
        sockname = connection.transport.get_extra_info("sockname")
        refused = self._policy.refusal(
            request.headers.get("Host"), request.headers.get("Origin"), sockname
        )
        if refused is not None:
            return connection.respond(refused[0], refused[1] + "\n")
        offered = [
            name.strip()
            for value in request.headers.get_all("Sec-WebSocket-Protocol")
            for name in value.split(",")
            if name.strip()
        ]
        if SUBPROTOCOL not in offered:
            what = f"offered {', '.join(offered)}" if offered else "offered no subprotocol"
            return connection.respond(
                HTTPStatus.BAD_REQUEST,
                f"Bad Request: the client {what}; MCP over WebSocket needs the subprotocol "
                f"{SUBPROTOCOL!r} (Sec-WebSocket-Protocol: {SUBPROTOCOL})\n",
            )
        limit = self.server.max_sessions
        if self.handle is None or (limit is not None and len(self._sessions) >= limit):
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "Service Unavailable: the server is not running or has its maximum of "
                "sessions open; retry later\n",
            )
        return None

    async def handle_connection(self, connection: ServerConnection) -> None:
        """One connection: one session, from the handshake to the close."""
        handle = self.handle
        if handle is None:
            await connection.close(1013, "the server is not running")
            return
        sid = new_session_id()
        outbox = WebSocketOutbox(connection, sid, self.options.max_queued_bytes)
        try:
            _, sink = await handle.open_session(
                outbox, transport=TRANSPORT_NAME, session_id=sid, fresh=True
            )  # the session supervisor answers every start: no timer of our own
        except MaxChildrenError:
            await connection.close(1013, "the server has its maximum of sessions open")
            return
        except Exception:
            log.exception("could not open a session")
            await connection.close(1011, "could not open a session")
            return
        self._sessions[sid] = outbox
        idle = self.server.session_idle_timeout
        writer = asyncio.create_task(outbox.run(sink, idle / 3 if idle else None))
        try:
            async for message in connection:
                if isinstance(message, str):
                    sink.frame(message.encode())
                else:
                    outbox.send(_BINARY_REFUSED.encode())
        except ConnectionClosed:
            pass
        finally:
            self._sessions.pop(sid, None)
            if not outbox.closed:
                outbox.closed = True
                sink.closed()  # the client went away: the session ends
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await writer
            log.info(
                "WebSocket closed",
                session_id=sid,
                code=connection.close_code,
                reason=connection.close_reason,
            )


class WebSocketServer(ListeningServer):
    """A server listening on WebSocket, its tree on a runtime thread (see `serve_websocket`)."""

    scheme = "ws"

    def __init__(
        self,
        handle: ServerHandle,
        transport: WebSocketTransport,
        listener: WsServer,
        host: str,
        port: int,
    ) -> None:
        super().__init__(handle, host, port)
        self.transport = transport
        self._listener = listener

    @property
    def url(self) -> str:
        """The endpoint's URL, e.g. ``ws://127.0.0.1:8000/``."""
        return self.base_url + (self.transport.options.path or "/")

    async def _close_listener(self) -> None:
        # Closing the listener closes its connections (1001).
        self._listener.close()
        await self._listener.wait_closed()


def serve_websocket(
    server: Server,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    pool_size: int = DEFAULT_POOL_SIZE,
    **options: Any,
) -> WebSocketServer:
    """Start `server` on WebSocket and return at once (port 0: any free port).

    The server's tree and the listener run on a runtime thread of their own; stop it with
    `stop()` or a `with` block. Options: see `WebSocketOptions`.
    """
    transport = WebSocketTransport(server, _options(options))
    handle = start(server, pool_size=pool_size)
    transport.attach(handle)
    try:
        listener = handle.runtime.run_coroutine(transport.listen(host, port)).result(30)
    except BaseException:
        handle.stop()
        raise
    bound = port
    sockets = list(listener.sockets)
    if sockets:
        bound = int(sockets[0].getsockname()[1])
    return WebSocketServer(handle, transport, listener, host, bound)


def run_websocket(
    server: Server, *, host: str = "127.0.0.1", port: int = 8000, **options: Any
) -> None:
    """Serve `server` on WebSocket until Ctrl-C; blocking."""
    running = serve_websocket(server, host=host, port=port, **options)
    log.info("serving MCP over WebSocket", url=running.url)
    wait_for_interrupt(running.stop)
