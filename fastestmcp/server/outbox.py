# What a transport and a session agree on, and nothing more. It lives in the server layer
# (transports sit above it and import it from `fastestmcp.transports.base`).
#
# A transport frames bytes and maps its events to the session layer; it never interprets MCP
# methods. Inbound, it hands each complete frame (one JSON-RPC message or batch, as bytes) to a
# `FrameSink`; when the peer goes away it calls `closed()`. Outbound, the session writes frames
# to an `Outbox`. `related_request` is the JSON-RPC id of the client request a frame belongs to
# (its response, or a progress/log notification or server->client request sent while handling
# it), None for frames that belong to no request; a transport with several streams (streamable
# HTTP) routes by it, a single-stream transport (stdio, WebSocket, in-memory) ignores it.
#
# Rules: both sides are called on the runtime's loop thread; `send` never blocks (a transport
# buffers, and applies its own bound: when the peer does not read, the transport closes the
# connection rather than growing without limit); frames are sent in the order `send` was
# called.
#
# Optional: an outbox whose frames travel on streams a client can resume (streamable HTTP)
# has `close_stream(related_request) -> bool`: end the connection carrying that request's frames
# now, keep the stream (SEP-1699 polling; `Context.close_sse_stream`). The session calls it when
# present; every other outbox simply lacks it, and the request goes on either way. And
# `no_response(related_request)`: that request ended with no response and none will come (it
# was cancelled; for a batch, nothing answers any of it), so end its stream: its POST must
# not wait for a response forever.
#
# An HTTP transport may attach what it knows of the HTTP request a frame came with
# (`HttpRequestInfo`: method, path, query parameters, headers): the session's sink takes it as
# `SessionSink.frame(data, http)` and puts it in the `RequestContext` of the requests in that
# frame (`ctx.http_request`, `ctx.http_headers()`). Other transports pass nothing.

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import msgspec

__all__ = ["FrameSink", "HttpRequestInfo", "Outbox", "RequestId"]

RequestId = str | int


class HttpRequestInfo(msgspec.Struct, frozen=True):
    """The HTTP request a frame arrived with (headers lower-cased).

    A frozen `msgspec.Struct`, not a dataclass: one is made per HTTP request, and a frozen
    dataclass's `__init__` costs about eight times as much."""

    method: str
    path: str
    query_params: Mapping[str, str] = msgspec.field(default_factory=dict)
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)


class Outbox(Protocol):
    """Where a session writes its outgoing frames."""

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        """Queue one complete frame for the peer (never blocks)."""
        ...

    def close(self) -> None:
        """No more frames: flush what is queued, then end the connection."""
        ...


class FrameSink(Protocol):
    """Where a transport delivers incoming frames."""

    def frame(self, data: bytes) -> None:
        """One complete frame from the peer."""
        ...

    def closed(self) -> None:
        """The peer went away (EOF, disconnect); no more frames will come."""
        ...
