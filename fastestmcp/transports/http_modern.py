# Streamable HTTP, 2026-07-28 era: one POST, one request, one actor.
#
# A modern POST carries no `Mcp-Session-Id`: everything the request needs is in its `_meta`.
# The transport starts a stateless session actor for it (a temporary child of the session
# supervisor, so it is supervised and counted like a session), feeds it the frame, and writes
# what the actor sends for that request: a lone response as a plain JSON answer whose HTTP
# status follows its error code (400 for -32602/-32020/-32021/-32022, 404 for -32601), or an SSE
# stream when something (progress, a log message, the acknowledgement of
# `subscriptions/listen`) comes first. No event ids, no resumption: a modern client re-issues
# a request whose stream broke. When the client goes away first, the actor ends (the request
# it was still running is cancelled).
#
# Request actors are reused. An anonymous request (no principal) whose response went out
# hands its actor back to the transport's pool of idle ones (bounded); the next such request
# takes it instead of starting an actor (no supervisor round trip, no actor to build and to
# tear down), and its frame tells the actor to forget first what the previous request left (a
# state handle's scope, visibility rules). An actor serves one request at a time, so request
# ids never collide; its outbox is a relay that points at the POST it currently serves.
#
# aiohttp does not cancel a handler whose client went away, so a POST still waiting for its
# actor looks at its connection every `DISCONNECT_CHECK` seconds: one timer per transport wakes
# all the waiting POSTs (`Waiting`), not a timer per wait (a heap push and a cancel on every
# request, for a look that almost never finds anything).
#
# The transport still does not interpret MCP methods: the actor checks `_meta` and the
# `Mcp-Method`/`Mcp-Name` headers (it gets them with the frame) and answers with an error the
# status table maps.

"""Streamable HTTP for 2026-07-28 requests (stateless, one actor per request)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Final, Protocol

import structlog
from aiohttp import web

from fastestmcp.protocol import jsonrpc, modern
from fastestmcp.protocol.errors import InvalidRequest
from fastestmcp.transports._http_common import (
    Answer,
    client_gone,
    finish_sse,
    http_info,
    peek,
    refuse,
    sse_event,
    start_sse,
    unread_answer,
)
from fastestmcp.transports.base import RequestId
from supervisors import MaxChildrenError

if TYPE_CHECKING:
    from fastestmcp.server.session import SessionSink
    from fastestmcp.transports.http import StreamableHttpTransport

__all__ = ["Waiting", "post_modern"]

log = structlog.get_logger("fastestmcp.transports.http")

TRANSPORT_NAME: Final = "streamable-http"
#: Seconds between looks at whether a waiting request's client is still connected.
DISCONNECT_CHECK: Final = 0.5


def _final_status(frame: bytes) -> tuple[bool, int]:
    """(is it the response, the HTTP status a JSON answer of it gets)."""
    peeked = peek(frame)
    if peeked.method is not None:
        return False, 200
    error = peeked.error
    code = error.get("code") if isinstance(error, dict) else None
    return True, modern.http_status(code if isinstance(code, int) else None)


class ModernOutbox:
    """The `Outbox` of one modern POST: the frames of its one request, in order."""

    __slots__ = ("answered", "closed", "frames", "limit", "overflowed", "queued", "wake")

    def __init__(self, limit: int) -> None:
        self.frames: deque[bytes] = deque()
        #: Made when the POST first waits: a quick request is answered before it would.
        self.wake: asyncio.Event | None = None
        self.closed = False
        self.limit = limit
        self.queued = 0
        self.overflowed = False
        #: The request's response went out to the client.
        self.answered = False

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        if self.closed or self.overflowed:
            return
        self.queued += len(frame)
        if self.queued > self.limit:
            self.overflowed = True
            self.frames.clear()
        else:
            self.frames.append(frame)
        if self.wake is not None:
            self.wake.set()

    def close(self) -> None:
        self.closed = True
        if self.wake is not None:
            self.wake.set()


class _Relay:
    """The outbox of a reusable request actor: forwards to the POST it serves, if any."""

    __slots__ = ("target",)

    def __init__(self) -> None:
        self.target: ModernOutbox | None = None

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        target = self.target
        if target is not None:
            target.send(frame, related_request)

    def close(self) -> None:
        target = self.target
        if target is not None:
            target.close()


class _Wakeable(Protocol):
    @property
    def wake(self) -> asyncio.Event | None: ...


class Waiting:
    """The POSTs of one transport waiting for a frame (modern outboxes, legacy streams);
    wakes them all every `DISCONNECT_CHECK` seconds so that each looks at its connection
    (see the module comment)."""

    __slots__ = ("_loop", "_timer", "outboxes")

    def __init__(self) -> None:
        self.outboxes: set[_Wakeable] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, outbox: _Wakeable) -> None:
        self.outboxes.add(outbox)
        if self._timer is None:
            loop = self._loop = asyncio.get_running_loop()
            self._timer = loop.call_later(DISCONNECT_CHECK, self._sweep)

    def discard(self, outbox: _Wakeable) -> None:
        self.outboxes.discard(outbox)

    async def wait(self, outbox: _Wakeable, wake: asyncio.Event) -> None:
        """Wait for `wake` (`outbox`'s event), which the sweep sets too."""
        self.add(outbox)
        try:
            await wake.wait()
        finally:
            self.discard(outbox)

    def _sweep(self) -> None:
        self._timer = None
        if not self.outboxes or self._loop is None:
            return  # nobody waits: no timer until somebody does
        for outbox in self.outboxes:
            if outbox.wake is not None:
                outbox.wake.set()
        self._timer = self._loop.call_later(DISCONNECT_CHECK, self._sweep)


#: Idle request actors a transport keeps for the next anonymous requests.
MAX_IDLE_ACTORS: Final = 64


async def post_modern(
    transport: StreamableHttpTransport,
    request: web.BaseRequest,
    body: bytes,
    decoded: jsonrpc.Message | jsonrpc.Batch,
    sse_ok: bool,
) -> web.StreamResponse | Answer:
    """Serve one 2026-07-28 POST (see the module comment)."""
    if isinstance(decoded, jsonrpc.Batch):
        return refuse(
            400,
            InvalidRequest(
                "JSON-RPC batches do not exist at protocol version 2026-07-28; send one "
                "request per POST"
            ),
        )
    if not isinstance(decoded, jsonrpc.Request):
        # The modern wire defines no client-to-server notifications (cancelling is closing the
        # response stream), and a response has no request to go to: acknowledged, dropped.
        return Answer(202)
    handle = transport.handle
    if handle is None or transport._closing:
        return transport._busy("the server is not running")
    limit = transport.options.max_concurrent_requests
    if limit is not None and transport._in_flight >= limit:
        return transport._busy(f"{limit} requests are in flight")
    principal = transport._principal(request)
    state_id = None
    if principal is not None and transport.server.principal_state:
        state_id = f"principal:{principal}"
    outbox = ModernOutbox(transport.options.max_queued_bytes)
    idle = transport._idle_actors
    reusable = principal is None
    sink: SessionSink | None = None
    relay = _Relay()
    reused = False
    while reusable and idle:
        sink, relay = idle.pop()
        if sink.alive:
            reused = True
            break
        sink, relay = None, _Relay()
    if sink is None:
        try:
            # No timeout of our own: the session supervisor answers (or fails) every start,
            # and a timer per request would cost a task.
            _, sink = await handle.open_session(
                relay,
                transport=TRANSPORT_NAME,
                stateless=True,
                state_id=state_id,
                principal=principal,
            )
        except MaxChildrenError:
            return transport._busy(
                f"the server has its maximum of {transport.server.max_sessions} sessions and "
                "requests open"
            )
        except Exception:
            log.exception("could not start a request actor")
            return transport._busy("could not start the request")
    relay.target = outbox
    transport._in_flight += 1
    try:
        sink.frame(body, http_info(request), reset=reused, decoded=decoded, now=True)
        return await _respond(transport, request, outbox, decoded.id, sse_ok)
    finally:
        transport._in_flight -= 1
        relay.target = None
        if reusable and outbox.answered and not transport._closing and len(idle) < MAX_IDLE_ACTORS:
            idle.append((sink, relay))
        else:
            sink.closed()


async def _respond(
    transport: StreamableHttpTransport,
    request: web.BaseRequest,
    outbox: ModernOutbox,
    request_id: RequestId,
    sse_ok: bool,
) -> web.StreamResponse | Answer:
    keepalive = transport.options.keepalive
    loop = asyncio.get_running_loop()
    last_write = loop.time()
    response: web.StreamResponse | None = None
    while True:
        if outbox.overflowed:
            log.error("a client does not read its response stream; closing the connection")
            if request.transport is not None:
                request.transport.close()
            return response if response is not None else web.Response(status=503)
        while outbox.frames:
            frame = outbox.frames.popleft()
            outbox.queued -= len(frame)
            final, status = _final_status(frame)
            if final:
                outbox.answered = True
            if response is None:
                if final:  # a plain JSON answer
                    return Answer(status, frame)
                if not sse_ok:
                    continue  # a JSON-only client gets the response only
                response = await start_sse(request, {})
            try:
                await response.write(sse_event(frame))
                last_write = loop.time()
            except (ConnectionError, RuntimeError):
                log.info("client closed its response stream", request_id=request_id)
                return response
            if final:
                await finish_sse(response)
                return response
        if outbox.closed:  # the actor ended without answering (server stopping)
            if response is None:
                return transport._busy("the server is shutting down")
            await finish_sse(response)
            return response
        wake = outbox.wake
        if wake is None:
            wake = outbox.wake = asyncio.Event()
        else:
            wake.clear()
        await transport._waiting.wait(outbox, wake)
        if outbox.frames or outbox.closed or outbox.overflowed:
            continue
        # The sweep: aiohttp does not cancel a handler whose client went away, so look, and a
        # closed `subscriptions/listen` stream (or an abandoned request) ends its actor promptly.
        if client_gone(request):
            log.info("client closed its response stream", request_id=request_id)
            return response if response is not None else unread_answer()
        now = loop.time()
        if response is not None and keepalive is not None and now - last_write >= keepalive:
            last_write = now
            try:  # an SSE comment: finds a client that went away (subscriptions/listen)
                await response.write(b": keepalive\n\n")
            except (ConnectionError, RuntimeError):
                return response
