# The in-memory transport: a client connected straight to a session actor, no bytes on a wire
# but the same frames (so the same pipeline) as every other transport. Tests use it to drive a
# server as cheaply as a function call.
#
# `MemoryConnection` is a small raw JSON-RPC client: `request(method, params)` from any thread
# but the loop's (`await arequest(...)` on the loop), server notifications collected in
# `notifications`, server->client requests answered by `on_request(method, params)`.

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import msgspec

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import McpError
from fastestmcp.transports.base import RequestId
from supervisors import LoopFuture

if TYPE_CHECKING:
    from fastestmcp.server.running import ServerHandle
    from fastestmcp.server.session import SessionSink

__all__ = ["MemoryConnection", "MemoryOutbox"]

_decoder = msgspec.json.Decoder()


def _decode(raw: Any) -> Any:
    """Decode a received `Raw` member (params or result) into Python values."""
    return _decoder.decode(cast(msgspec.Raw, raw))


LATEST = "2025-11-25"


class MemoryOutbox:
    """The `Outbox` of an in-memory session: frames go straight to its connection."""

    def __init__(self, connection: MemoryConnection) -> None:
        self._connection = connection
        self.closed = False

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        if b"\n" in frame:
            raise ValueError("a frame must not contain a raw newline")
        self._connection._receive(frame, related_request)

    def close(self) -> None:
        self.closed = True
        self._connection._closed.set()


class MemoryConnection:
    """A raw JSON-RPC client on an in-memory session (see the module comment)."""

    def __init__(self, handle: ServerHandle) -> None:
        self.handle = handle
        self.session_id: str | None = None
        self._sink: SessionSink | None = None
        self._pending: dict[RequestId, LoopFuture[Any]] = {}
        self._next_id = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.notifications: list[dict[str, Any]] = []
        self.frames: list[tuple[bytes, RequestId | None]] = []
        self.on_request: Callable[[str, Any], Any] | None = None
        self.initialize_result: dict[str, Any] | None = None

    @classmethod
    def open(
        cls,
        handle: ServerHandle,
        *,
        timeout: float = 10.0,
        initialize: bool = True,
        protocol_version: str = LATEST,
        capabilities: dict[str, Any] | None = None,
    ) -> MemoryConnection:
        """Open a session (and initialize it, unless told not to); blocking."""
        connection = cls(handle)
        sid, sink = handle.open_session(MemoryOutbox(connection), transport="memory").get(
            timeout=timeout
        )
        connection.session_id, connection._sink = sid, sink
        if initialize:
            connection.initialize_result = connection.request(
                "initialize",
                {
                    "protocolVersion": protocol_version,
                    "capabilities": capabilities or {},
                    "clientInfo": {"name": "fastestmcp-memory", "version": "0"},
                },
                timeout=timeout,
            )
            connection.notify("notifications/initialized")
        return connection

    # -- sending -------------------------------------------------------------------------------

    def send_frame(self, frame: bytes) -> None:
        """Hand one raw frame to the session (thread-safe)."""
        self.send_frames(frame)

    def send_frames(self, *frames: bytes) -> None:
        """Hand several raw frames to the session in one loop turn (thread-safe): the session
        gets them all before any task they start takes its first step, as it does messages
        that arrive together on a connection."""
        sink = self._sink
        assert sink is not None, "not open"

        def hand_over() -> None:
            for frame in frames:
                sink.frame(frame)

        self.handle.runtime.call_on_loop(hand_over)

    def request_future(self, method: str, params: Any = None) -> LoopFuture[Any]:
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
            future: LoopFuture[Any] = LoopFuture()
            self._pending[request_id] = future
        self.send_frame(
            jsonrpc.encode(jsonrpc.Request(id=request_id, method=method, params=params))
        )
        return future

    def request(self, method: str, params: Any = None, *, timeout: float = 10.0) -> Any:
        """Send a request and wait for its result (raises the `McpError` of an error reply)."""
        return self.request_future(method, params).get(timeout=timeout)

    async def arequest(self, method: str, params: Any = None, *, timeout: float = 10.0) -> Any:
        return await self.request_future(method, params).wait(timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self.send_frame(jsonrpc.encode(jsonrpc.Notification(method=method, params=params)))

    def close(self, *, timeout: float = 10.0) -> None:
        """End the session, as a transport does when its peer goes away."""
        sink = self._sink
        if sink is not None:
            self.handle.runtime.call_on_loop(sink.closed)
            self._closed.wait(timeout)

    # -- receiving (on the loop thread) ----------------------------------------------------------

    def _receive(self, frame: bytes, related: RequestId | None) -> None:
        self.frames.append((frame, related))
        decoded = jsonrpc.decode(frame, allow_batch=True)
        if isinstance(decoded, jsonrpc.Batch):  # the responses to a batch we sent
            for item in decoded.items:
                if not isinstance(item, McpError):
                    self._receive_one(item)
            return
        self._receive_one(decoded)

    def _receive_one(self, message: jsonrpc.Message) -> None:
        if isinstance(message, jsonrpc.Response | jsonrpc.ErrorResponse):
            with self._lock:
                future = self._pending.pop(message.id, None) if message.id is not None else None
            if future is None:
                return
            if isinstance(message, jsonrpc.ErrorResponse):
                future.set_exception(message.error.to_exception(message.id))
            else:
                future.set(_decode(message.result))
        elif isinstance(message, jsonrpc.Notification):
            params = _decode(message.params) if message.params is not None else None
            self.notifications.append({"method": message.method, "params": params})
        else:
            self._answer(message)

    def _answer(self, request: jsonrpc.Request) -> None:
        params = _decode(request.params) if request.params is not None else None
        handler = self.on_request
        try:
            if handler is None:
                raise McpError(-32601, f"this client does not handle {request.method!r}")
            result = handler(request.method, params)
            reply: jsonrpc.Message = jsonrpc.Response(id=request.id, result=result)
        except McpError as exc:
            reply = jsonrpc.error_response(exc, request.id)
        sink = self._sink
        assert sink is not None
        sink.frame(jsonrpc.encode(reply))
