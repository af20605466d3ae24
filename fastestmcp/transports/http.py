# Streamable HTTP (legacy era: 2025-03-26 ... 2025-11-25) on aiohttp.
#
# One endpoint (`/mcp` by default):
#   POST    one JSON-RPC message (or, at 2025-03-26, a batch). Only notifications/responses:
#           202 Accepted, no body. With requests: the answer is `application/json` when the
#           final response is the first frame for it, `text/event-stream` as soon as the
#           request streams something first (log, progress, a server->client request) and the
#           client accepts SSE; the stream ends after the response. A batch with invalid
#           elements and no request: 200, the array of their errors.
#   GET     the session's standalone SSE stream (list_changed, resources/updated, server
#           requests outside any request); one at a time per session (a second one: 409).
#   DELETE  ends the session; the id then answers 404.
#
# Sessions. `initialize` without `Mcp-Session-Id` opens a session (a supervised session actor,
# `ServerHandle.open_session`) and the response carries its id (128 random bits, hex). Every
# other request must carry it: missing -> 400, unknown/ended/expired/never issued -> 404 (never
# a silent new session). The table of open sessions is this transport's; a session that ends
# for any reason (DELETE, idle expiry, server stop) closes its outbox, which removes it here.
# A failed `initialize` (an error response) ends the session it opened and issues no id.
# `MCP-Protocol-Version` is validated on every request but `initialize` (unsupported: 400;
# absent: the version the session negotiated, which decides whether batches are allowed;
# `versions.http_header_version` decides). A header naming another supported legacy version
# than the negotiated one is accepted.
#
# Routing (`HttpOutbox.send(frame, related_request)`): a frame related to a request goes to the
# open response of the POST that carried that request. Anything else (no related request, the
# POST is gone, or it accepts JSON only and the frame is not its response) goes to the standalone
# GET stream when one is open, else into a bounded backlog (`standalone_backlog` frames, oldest
# dropped with a warning) that is delivered when a GET stream opens: `*/list_changed` and
# server requests raised just before the client opened its GET stream are not lost, and a
# client that never opens one costs a bounded amount of memory. A final response whose POST is
# gone (the client disconnected) is dropped with a log line: a disconnect is not a cancel, the
# request ran to its end, unless the client can resume its stream (below).
#
# SSE and resumability. Every SSE stream has an id of its own (the GET stream "0", each POST
# stream "1", "2", ... in the session), every event on it the id `<stream>:<seq>`, unique in the
# session. Every SSE stream starts with a `retry:` field (`sse_retry` ms) and, from 2025-11-25
# on, a priming event (an id and empty data: the client can resume before any message).
# The events are kept in a bounded event store (`event_store.py`). A `GET` with `Last-Event-ID`
# resumes *that* stream: its events after that id, then live frames if it is still open (a
# POST stream's events, its final response included, arrive on the resumed GET; a resuming GET
# takes the stream over from a connection the server has not yet seen die). An id that cannot
# be resumed (malformed, unknown or expired stream, events after it evicted): 400, never a
# silent gap. Once a POST stream gave the client an event id, its frames are kept in the store
# while no connection holds it, not rerouted or dropped. The server may close a POST stream
# mid-call (SEP-1699: `ctx.close_sse_stream()`, through `HttpOutbox.close_stream`); the
# client reconnects with `Last-Event-ID` and gets the rest, result included.
#
# Security and limits: Host and Origin are validated (DNS rebinding) whenever the connection
# arrived on a loopback address (or always, with explicit allow-lists): foreign Host -> 421,
# foreign Origin -> 403. Bodies over `max_body_size` -> 413 (read in bounded chunks); a body not
# all arrived within `body_timeout` seconds (a stalled or slowloris client) -> 408, connection
# closed. A connection with no request in progress for `idle_connection_timeout` seconds (none
# sent yet, a request head still arriving, or idle between requests) is closed (`serve`; an
# `http_app` runs in its owner's runner, whose `keepalive_timeout` does it). More than
# `max_sessions` sessions or `max_concurrent_requests` POSTs in flight -> 503 + Retry-After.
# aiohttp sets TCP_NODELAY on every connection. Client input never produces a 500: every
# refusal is a 4xx with a JSON-RPC error body that says what was wrong.
#
# Threads: the handlers run on the runtime's loop (the one the session actors run on), so the
# outbox, the streams and the session table are only touched from that loop.

"""Streamable HTTP transport (legacy-era sessions) on aiohttp: `http_app`, `serve`, `run_http`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import msgspec
import structlog
from aiohttp import web

from fastestmcp.protocol import jsonrpc, versions
from fastestmcp.protocol.errors import InternalError, InvalidRequest, McpError
from fastestmcp.server.ids import new_session_id
from fastestmcp.server.running import DEFAULT_POOL_SIZE, ServerHandle, start, start_async
from fastestmcp.transports._fast_lane import LANE_SUPPORTED, FastLane, LaneServer
from fastestmcp.transports._http_common import (
    SESSION_HEADER,
    Answer,
    OriginPolicy,
    check_body_timeout,
    check_idle_connection_timeout,
    client_gone,
    error_body,
    finish_sse,
    listen_handler,
    one_path,
    peek,
    read_body,
    refuse_runner_option,
    sse_event,
    start_sse,
    unread_answer,
    wait_for_interrupt,
)
from fastestmcp.transports._http_common import http_info as _http_info
from fastestmcp.transports._http_common import refuse as _refuse
from fastestmcp.transports.base import HttpRequestInfo, RequestId
from fastestmcp.transports.event_store import EventStore, InMemoryEventStore
from fastestmcp.transports.http_modern import Waiting, post_modern
from fastestmcp.transports.listening import ListeningServer
from supervisors import MaxChildrenError, Runtime

if TYPE_CHECKING:
    from fastestmcp.server.definition import Server
    from fastestmcp.server.session import SessionSink

__all__ = [
    "DEFAULT_PATH",
    "HttpOptions",
    "HttpOutbox",
    "HttpServer",
    "StreamableHttpTransport",
    "TRANSPORT_KEY",
    "http_app",
    "run_http",
    "serve",
]

log = structlog.get_logger("fastestmcp.transports.http")

DEFAULT_PATH: Final = "/mcp"
LAST_EVENT_ID_HEADER: Final = "Last-Event-ID"
STANDALONE_STREAM: Final = "0"
VERSION_HEADER: Final = "MCP-Protocol-Version"
TRANSPORT_NAME: Final = "streamable-http"
_SESSION_NOT_FOUND: Final = -32001  # what the reference SDKs answer an unknown session with


@dataclass(frozen=True, kw_only=True)
class HttpOptions:
    """Options of the streamable HTTP transport (all have working defaults).

    Attributes:
        path: The MCP endpoint.
        max_body_size: Largest POST body, in bytes (larger: 413).
        body_timeout: Seconds a POST body may take to arrive once its headers have: a body
            still incomplete then (a stalled or slowloris client) is answered 408 and its
            connection closed. None: no limit.
        idle_connection_timeout: Seconds a connection may stay open with no request in
            progress (before its first request, between requests, or while a request head is
            still arriving: a client that connects and sends nothing, or sends part of the
            headers and stalls) before the server closes it. The time counts from when the
            connection opened or its last response ended, not from the last byte received. A
            request in progress (a long call, an open SSE stream) is never cut by it. None:
            aiohttp's own default (3630 s). Not `keepalive`, the SSE comment interval; and
            `serve` only: an `http_app` runs in your runner, whose `keepalive_timeout` is
            this setting (`http_app` refuses this option).
        max_concurrent_requests: POSTs carrying requests in flight at once, over all
            sessions (more: 503 + Retry-After). None: no limit.
        retry_after: Seconds suggested in `Retry-After` when refusing with 503.
        dns_rebinding_protection: Validate Host and Origin. None (default): on for connections
            that arrived on a loopback address; True: always; False: never.
        allowed_hosts: Host header values accepted when protecting (`"example.com"` matches
            any port, `"example.com:8080"` only that one). None: localhost, 127.0.0.1, [::1].
        allowed_origins: Origin values accepted when protecting (`"https://app.example"`;
            `"*"` accepts any). None: http(s) origins on localhost, 127.0.0.1, [::1].
            A request without Origin (not from a browser) is always accepted.
        standalone_backlog: Frames kept for a session's GET stream while none is open.
        max_queued_bytes: Bytes queued on one response stream whose client does not read
            before the connection is closed.
        keepalive: Seconds between SSE comment lines on an idle GET stream (None: never).
        sse_retry: The `retry:` field (milliseconds) at the start of every SSE stream: how long
            a client waits before it reconnects (None: no field).
        event_store: Where SSE events are kept for resumption (None: an `InMemoryEventStore`
            bounded by the next three options).
        max_stream_events: Events kept per SSE stream for resumption.
        max_session_events: Events kept per session, over all its streams.
        ended_stream_grace: Seconds the events of an ended stream stay resumable.
        close_sse_after: Seconds after which the server closes the connection of a request's
            SSE stream that is still running (SEP-1699 polling: the client resumes it with
            `Last-Event-ID`). None: only `ctx.close_sse_stream()` closes one early.
        principal: Who is calling: a function of the request (`HttpRequestInfo`: headers
            lower-cased) returning a principal id, or None for anonymous. Put your
            authentication here (verify the token, return its subject). A legacy session
            answers only its creator (404 for anyone else); with the server option
            `principal_state=True` a 2026-07-28 request gets its principal's session state;
            handlers see it as `ctx.principal`.
        fast_lane: `serve` only: serve the usual POST (a plain `POST` to `path` with a
            Content-Length body, HTTP/1.1) on a lean path of its own instead of aiohttp's
            request machinery (about a quarter fewer instructions per call); any other
            request is aiohttp's as before. False: every request is aiohttp's. An `http_app`
            is served by your runner, always aiohttp's.
    """

    path: str = DEFAULT_PATH
    max_body_size: int = 4 * 1024 * 1024
    body_timeout: float | None = 30.0
    idle_connection_timeout: float | None = 75.0
    max_concurrent_requests: int | None = 1024
    retry_after: int = 1
    dns_rebinding_protection: bool | None = None
    allowed_hosts: tuple[str, ...] | None = None
    allowed_origins: tuple[str, ...] | None = None
    standalone_backlog: int = 256
    max_queued_bytes: int = 16 * 1024 * 1024
    keepalive: float | None = 15.0
    sse_retry: int | None = 1000
    event_store: EventStore | None = None
    max_stream_events: int = 256
    max_session_events: int = 2048
    ended_stream_grace: float = 60.0
    close_sse_after: float | None = None
    principal: Callable[[HttpRequestInfo], str | None] | None = None
    fast_lane: bool = True

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/', got {self.path!r}")
        if self.max_body_size < 1:
            raise ValueError(f"max_body_size must be at least 1 byte, got {self.max_body_size}")
        check_body_timeout(self.body_timeout)
        check_idle_connection_timeout(self.idle_connection_timeout)
        if self.max_concurrent_requests is not None and self.max_concurrent_requests < 1:
            raise ValueError("max_concurrent_requests must be at least 1 (or None: no limit)")
        if self.standalone_backlog < 0:
            raise ValueError("standalone_backlog must be >= 0")
        if self.close_sse_after is not None and self.close_sse_after <= 0:
            raise ValueError("close_sse_after must be > 0 seconds (or None: never)")
        if self.sse_retry is not None and self.sse_retry < 0:
            raise ValueError("sse_retry must be >= 0 milliseconds (or None: no retry field)")


def _options(options: Mapping[str, Any]) -> HttpOptions:
    fields = dict(options)
    for key in ("allowed_hosts", "allowed_origins"):
        if fields.get(key) is not None:
            fields[key] = tuple(fields[key])
    try:
        return HttpOptions(**fields)
    except TypeError:
        known = sorted(HttpOptions.__dataclass_fields__)
        unknown = sorted(set(fields) - set(known))
        raise TypeError(
            f"unknown HTTP transport option(s) {unknown}; the options are {known}"
        ) from None


# -- frames: what kind is it (only what routing needs) -----------------------------------------


class _IdPeek(msgspec.Struct):
    id: RequestId | None = None


class _InitializeResult(msgspec.Struct):
    protocol_version: str | None = msgspec.field(default=None, name="protocolVersion")


class _InitializePeek(msgspec.Struct):
    result: _InitializeResult | None = None


_INITIALIZE = msgspec.json.Decoder(_InitializePeek)
_BATCH_IDS = msgspec.json.Decoder(list[_IdPeek])


def _negotiated(frame: bytes) -> str | None:
    """The protocolVersion of an initialize response."""
    try:
        result = _INITIALIZE.decode(frame).result
    except msgspec.DecodeError:  # pragma: no cover - the session sends valid results
        return None
    return None if result is None else result.protocol_version


def _sse_start(event_id: str | None, retry: int | None) -> bytes:
    """What opens an SSE stream: `retry:` and the priming event (an id, empty data)."""
    lines = "" if retry is None else f"retry: {retry}\n"
    if event_id is not None:
        lines = f"id: {event_id}\n{lines}data: \n"
    return f"{lines}\n".encode() if lines else b""


def _parse_event_id(value: str) -> tuple[str, int] | None:
    """`<stream>:<seq>` -> (stream, seq); None when it is not one of ours."""
    stream_id, sep, seq = value.strip().rpartition(":")
    if not sep or not stream_id or not (seq.isascii() and seq.isdigit()) or len(seq) > 18:
        return None
    return stream_id, int(seq)


# -- SSE streams ---------------------------------------------------------------------------------


class _Stream:
    """The response stream of one POST that carried requests: a JSON body or an SSE stream.

    Frames are pushed by the outbox (on the loop) and written by whichever connection holds the
    stream (`conn`): the POST's own, or a GET that resumed it. It becomes an SSE stream (with a
    `stream_id`; its frames numbered and stored) as soon as something other than a lone final
    response has to go on it. The stream is done after its final frame: the response to its
    request (for a batch: the array of responses).
    """

    __slots__ = (
        "accepts_json",
        "accepts_sse",
        "close_at",
        "close_requested",
        "closed",
        "conn",
        "final_seen",
        "frames",
        "overflowed",
        "primed",
        "queued",
        "request_ids",
        "seq",
        "stream_id",
        "wake",
    )

    def __init__(
        self, request_ids: tuple[RequestId, ...], *, accepts_json: bool, accepts_sse: bool
    ) -> None:
        self.request_ids = request_ids
        self.accepts_json = accepts_json
        self.accepts_sse = accepts_sse
        #: (seq, frame, final) not yet written by the connection holding the stream.
        self.frames: deque[tuple[int, bytes, bool]] = deque()
        #: Made when a connection first waits for the stream: most answers come before.
        self.wake: asyncio.Event | None = None
        self.queued = 0
        self.final_seen = False
        self.closed = False  # the session ended: no more frames will come
        self.conn: object | None = None  # the connection writing it (None: nobody)
        self.overflowed = False
        self.stream_id: str | None = None  # set once it is an SSE stream
        self.seq = 0  # the last event number issued
        self.primed = False  # the client has an event id of it: it can resume
        self.close_requested = False  # SEP-1699: end the connection, keep the stream
        self.close_at = 0  # ... after the events issued when it was asked (later: resumed)

    def queue(self, seq: int, frame: bytes, final: bool, limit: int) -> None:
        """Hand a frame to the connection holding the stream (if any)."""
        if self.conn is None or self.overflowed:
            return
        self.queued += len(frame)
        if self.queued > limit:
            self.overflowed = True
            self.frames.clear()
            log.error(
                "a client does not read its response stream; closing the connection",
                queued_bytes=self.queued,
            )
        else:
            self.frames.append((seq, frame, final))
        self.notify()

    def notify(self) -> None:
        """Wake the connection waiting for the stream, if one waits."""
        if self.wake is not None:
            self.wake.set()

    def waiter(self) -> asyncio.Event:
        """The (cleared) event to wait on for the stream's next change."""
        wake = self.wake
        if wake is None:
            wake = self.wake = asyncio.Event()
        else:
            wake.clear()
        return wake

    def detach(self, conn: object) -> None:
        """Connection `conn` no longer writes the stream (what it had not written is stored)."""
        if self.conn is conn:
            self.conn = None
            self.frames.clear()
            self.queued = 0
            self.overflowed = False

    def close(self) -> None:
        self.closed = True
        self.notify()


class _Standalone:
    """The GET stream of a session (one connection of its stream "0")."""

    __slots__ = ("closed", "frames", "wake")

    def __init__(self) -> None:
        self.frames: deque[tuple[int, bytes]] = deque()
        self.wake = asyncio.Event()
        self.closed = False

    def push(self, seq: int, frame: bytes) -> None:
        self.frames.append((seq, frame))
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()


# -- a session, as the transport sees it ---------------------------------------------------------


@dataclass(eq=False)
class _HttpSession:
    id: str
    transport: StreamableHttpTransport
    sink: SessionSink | None = None
    #: The POST streams by request id (while their frames can still go somewhere).
    streams: dict[RequestId, _Stream] = field(default_factory=dict)
    #: The open SSE POST streams by stream id (for resumption).
    sse: dict[str, _Stream] = field(default_factory=dict)
    standalone: _Standalone | None = None
    #: (seq, frame) for the GET stream while none is open.
    backlog: deque[tuple[int, bytes]] | None = None  # made when first needed
    standalone_seq: int = 0
    last_stream: int = 0
    ended: bool = False
    #: The protocol version `initialize` negotiated (None until then).
    version: str | None = None
    #: Who created the session (the auth hook: requests from anyone else get 404).
    principal: Any = None
    #: When a waiting POST last told the session its client is there: `time.monotonic()`,
    #: the loop's clock, read without `get_running_loop` (a getpid syscall on Python 3.11).
    touched: float = 0.0

    @property
    def store(self) -> EventStore:
        return self.transport.event_store

    def unroute(self, stream: _Stream) -> None:
        """The client cannot get `stream` back: its later frames go elsewhere or are dropped."""
        if stream.primed or stream.final_seen:
            return
        for request_id in stream.request_ids:
            if self.streams.get(request_id) is stream:
                del self.streams[request_id]
        if stream.stream_id is not None:
            self.sse.pop(stream.stream_id, None)
            self.store.end_stream(self.id, stream.stream_id)

    def priming(self) -> bool:
        """Does this session's client take priming events (empty data)? From 2025-11-25 on."""
        return self.version is None or versions.features(self.version).sse_polling


def _event_id(stream_id: str, seq: int) -> str:
    return f"{stream_id}:{seq}"


class HttpOutbox:
    """The `Outbox` of one HTTP session: routes each frame by its related request."""

    def __init__(self, session: _HttpSession) -> None:
        self._session = session

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        session = self._session
        if related_request is not None:
            stream = session.streams.get(related_request)
            final = peek(frame).method is None
            if stream is not None and self._push(stream, frame, final):
                return
            if final:
                log.info(
                    "response dropped: the client's stream for this request is gone",
                    session_id=session.id,
                    request_id=related_request,
                )
                return
        elif frame[:1] == b"[":  # a batch's responses, as one array (2025-03-26)
            stream = self._batch_stream(frame)
            if stream is None or not self._push(stream, frame, True):
                log.info(
                    "batch responses dropped: the client's stream is gone", session_id=session.id
                )
            return
        self._standalone(frame)

    def _push(self, stream: _Stream, frame: bytes, final: bool) -> bool:
        """Put `frame` on `stream`; False when it cannot carry it (the caller reroutes)."""
        session = self._session
        limit = session.transport.options.max_queued_bytes
        if stream.final_seen or stream.closed:
            return False
        if stream.stream_id is None:
            if stream.conn is None:
                return False  # its POST is gone and never gave the client an event id
            if final and stream.accepts_json:  # a plain JSON answer
                stream.queue(0, frame, True, limit)
                self._finish(stream)
                return True
            if not stream.accepts_sse:
                return False  # a JSON-only client: only its response goes on this POST
            self._open_sse(stream)
        assert stream.stream_id is not None
        stream.seq += 1
        session.store.append(session.id, stream.stream_id, stream.seq, frame)
        stream.queue(stream.seq, frame, final, limit)
        if final:
            self._finish(stream)
        return True

    def _open_sse(self, stream: _Stream) -> None:
        session = self._session
        session.last_stream += 1
        stream.stream_id = str(session.last_stream)
        session.sse[stream.stream_id] = stream
        session.store.open_stream(session.id, stream.stream_id)

    def _finish(self, stream: _Stream) -> None:
        """The final frame is out: the stream takes no more frames (it stays resumable)."""
        session = self._session
        stream.final_seen = True
        stream.notify()
        for request_id in stream.request_ids:
            if session.streams.get(request_id) is stream:
                del session.streams[request_id]
        if stream.stream_id is not None:
            session.sse.pop(stream.stream_id, None)
            session.store.end_stream(session.id, stream.stream_id)

    def no_response(self, related_request: RequestId) -> None:
        """The request ended with no response, and none will come (it was cancelled): its
        stream takes no more frames and its connection ends (`_respond`); what it carried
        stays resumable."""
        stream = self._session.streams.get(related_request)
        if stream is not None and not (stream.final_seen or stream.closed):
            self._finish(stream)

    def close_stream(self, related_request: RequestId) -> bool:
        """SEP-1699: end the connection of the SSE stream of `related_request`, keep the stream.

        The client reconnects with `Last-Event-ID` and gets what follows, the response
        included. False when that is not possible (no such stream, it is finished, or its
        client cannot resume: it accepts no SSE, or an old revision and nothing was sent yet).
        """
        session = self._session
        stream = session.streams.get(related_request)
        if stream is None or stream.final_seen or stream.closed or stream.conn is None:
            return False
        if stream.stream_id is None:
            if not (stream.accepts_sse and session.priming()):
                return False
            self._open_sse(stream)
        elif not (stream.primed or stream.frames or session.priming()):
            return False
        stream.close_requested = True
        stream.close_at = stream.seq
        stream.notify()
        return True

    def _batch_stream(self, frame: bytes) -> _Stream | None:
        try:
            ids = _BATCH_IDS.decode(frame)
        except msgspec.DecodeError:  # pragma: no cover - the session sends valid arrays
            return None
        for item in ids:
            if item.id is not None and item.id in self._session.streams:
                return self._session.streams[item.id]
        return None

    def _standalone(self, frame: bytes) -> None:
        session = self._session
        if session.ended:
            return
        if session.standalone_seq == 0:
            session.store.open_stream(session.id, STANDALONE_STREAM)
        session.standalone_seq += 1
        seq = session.standalone_seq
        session.store.append(session.id, STANDALONE_STREAM, seq, frame)
        if session.standalone is not None and not session.standalone.closed:
            session.standalone.push(seq, frame)
            return
        bound = session.transport.options.standalone_backlog
        if session.backlog is None:
            session.backlog = deque()
        if len(session.backlog) >= bound:
            if bound == 0:
                log.warning("no GET stream open: server message dropped", session_id=session.id)
                return
            session.backlog.popleft()
            log.warning(
                "no GET stream open and its backlog is full: oldest server message dropped",
                session_id=session.id,
                backlog=bound,
            )
        session.backlog.append((seq, frame))

    def close(self) -> None:
        """The session ended: finish its streams and forget it (its id now answers 404)."""
        session = self._session
        if session.ended:
            return
        session.ended = True
        session.sink = None  # sink -> outbox -> session -> sink: a cycle only gc would free
        session.transport._forget(session)
        for stream in list(session.streams.values()) + list(session.sse.values()):
            stream.close()
        if session.standalone is not None:
            session.standalone.close()
        session.backlog = None
        session.store.drop_session(session.id)


# -- request parsing helpers ---------------------------------------------------------------------


def _accepts(request: web.BaseRequest) -> tuple[bool, bool]:
    """(accepts application/json, accepts text/event-stream); no Accept header accepts both."""
    return _parse_accept(request.headers.get("Accept"))


@functools.lru_cache(maxsize=128)  # clients send the same few Accept headers over and over
def _parse_accept(header: str | None) -> tuple[bool, bool]:
    if header is None or not header.strip():
        return True, True
    json_ok = sse_ok = False
    for part in header.split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if any(_refused_q(param) for param in params):
            continue
        if media in ("application/json", "application/*", "*/*"):
            json_ok = True
        if media in ("text/event-stream", "text/*", "*/*"):
            sse_ok = True
    return json_ok, sse_ok


def _refused_q(param: str) -> bool:
    """`q=0` (or `q=0.000`): the client explicitly does not accept the media type."""
    name, _, value = param.partition("=")
    if name.strip().lower() != "q":
        return False
    try:
        return float(value.strip()) <= 0.0
    except ValueError:
        return False


def _batch_errors(batch: jsonrpc.Batch) -> bytes | None:
    """The error responses (a JSON array) of a batch's invalid elements; None without any."""
    errors = [error_body(item) for item in batch.items if isinstance(item, McpError)]
    return b"[" + b",".join(errors) + b"]" if errors else None


def _bad_request(message: str, request_id: RequestId | None = None) -> web.Response:
    return _refuse(400, InvalidRequest(f"Bad Request: {message}"), request_id)


# -- the transport -------------------------------------------------------------------------------


class StreamableHttpTransport:
    """Serves one server's sessions over streamable HTTP (see the module comment).

    Use `http_app(server)` (an aiohttp application that starts and stops the server with
    itself) or `serve(server)` / `server.run(transport="http")`; build one directly to put
    an already running `ServerHandle` behind HTTP (`attach(handle)`, then `application()`).
    """

    def __init__(self, server: Server, options: HttpOptions | None = None) -> None:
        self.server = server
        self.options = options or HttpOptions()
        self.handle: ServerHandle | None = None
        self._sessions: dict[str, _HttpSession] = {}
        self._in_flight = 0
        self._closing = False
        #: Idle 2026-07-28 request actors, for reuse (see `http_modern`).
        self._idle_actors: list[tuple[SessionSink, Any]] = []
        #: The POSTs waiting for their answer (see `http_modern.Waiting`, `_wait`).
        self._waiting = Waiting()
        options = self.options
        self._policy = OriginPolicy(
            options.dns_rebinding_protection, options.allowed_hosts, options.allowed_origins
        )
        self.event_store: EventStore = options.event_store or InMemoryEventStore(
            max_events_per_stream=options.max_stream_events,
            max_events_per_session=options.max_session_events,
            ended_stream_grace=options.ended_stream_grace,
        )

    def attach(self, handle: ServerHandle) -> None:
        self.handle = handle

    @property
    def session_ids(self) -> list[str]:
        """The ids of the open sessions."""
        return list(self._sessions)

    def _forget(self, session: _HttpSession) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    def application(self) -> web.Application:
        """An aiohttp application serving this transport at `options.path`."""
        app = web.Application()
        self.add_routes(app)
        app.on_shutdown.append(self._on_shutdown)
        return app

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", self.options.path, self.handle_request)

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """End every open stream (so the server can stop without waiting for clients)."""
        self._closing = True
        idle, self._idle_actors = self._idle_actors, []
        for sink, _ in idle:
            sink.closed()
        for session in list(self._sessions.values()):
            for stream in list(session.streams.values()) + list(session.sse.values()):
                stream.close()
            if session.standalone is not None:
                session.standalone.close()

    # -- entry -----------------------------------------------------------------------------------

    async def handle_request(self, request: web.BaseRequest) -> web.StreamResponse:
        """Serve one request of the MCP endpoint (aiohttp's handler for it)."""
        answer = await self.answer_request(request)
        return answer.response() if isinstance(answer, Answer) else answer

    async def answer_request(self, request: web.BaseRequest) -> web.StreamResponse | Answer:
        """`handle_request`, but a plain answer is left an `Answer` (what the fast lane
        writes without an aiohttp response)."""
        try:
            refused = self._check_origin(request)
            if refused is not None:
                return refused
            if request.method == "POST":
                return await self._post(request)
            if request.method == "GET":
                return await self._get(request)
            if request.method == "DELETE":
                return await self._delete(request)
            return _refuse(
                405,
                InvalidRequest(
                    f"Method Not Allowed: {request.method} is not served here; "
                    "use POST, GET or DELETE"
                ),
                headers={"Allow": "GET, POST, DELETE"},
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, ConnectionError) and client_gone(request):
                # A write to a client that went away (say, starting the stream of a call it
                # dropped): its doing, not a failure, so no traceback; nobody reads the answer.
                log.info("client closed its connection mid-request", method=request.method)
                return unread_answer()
            # A bug here must not answer a client with a bare 500.
            log.exception("HTTP request failed", method=request.method, path=request.path)
            return _refuse(500, InternalError("Internal Server Error: see the server's log"))

    @property
    def _touch_every(self) -> float:
        """How often an open stream tells its session the client is there: often enough for
        `session_idle_timeout`, and every `keepalive` (infinite: neither is set)."""
        idle = self.server.session_idle_timeout
        intervals = [t for t in (self.options.keepalive, idle / 3 if idle else None) if t]
        return min(intervals) if intervals else math.inf

    # -- Host and Origin (DNS rebinding) ---------------------------------------------------------

    def _check_origin(self, request: web.BaseRequest) -> web.Response | None:
        return self._policy.check(request)

    # -- sessions ----------------------------------------------------------------------------------

    def _principal(self, request: web.BaseRequest) -> Any:
        """Who is calling (`HttpOptions.principal`; None: anonymous)."""
        resolve = self.options.principal
        return None if resolve is None else resolve(_http_info(request))

    def _session_of(
        self, request: web.BaseRequest
    ) -> tuple[_HttpSession | None, web.Response | None]:
        sid = request.headers.get(SESSION_HEADER)
        if sid is None:
            return None, _bad_request(
                f"the {SESSION_HEADER} header is missing; send initialize first and put the "
                f"session id it returns in the {SESSION_HEADER} header of every later request"
            )
        session = self._sessions.get(sid.strip())
        if session is None or session.ended or session.principal != self._principal(request):
            return None, _session_not_found()
        return session, None

    def _check_version(
        self, request: web.BaseRequest, session: _HttpSession
    ) -> tuple[str | None, web.Response | None]:
        header = request.headers.get(VERSION_HEADER)
        try:
            return versions.http_header_version(header, negotiated=session.version), None
        except McpError as exc:
            return None, _refuse(400, exc)

    def _busy(self, what: str) -> web.Response:
        return _refuse(
            503,
            InternalError(f"Service Unavailable: {what}; retry later"),
            headers={"Retry-After": str(self.options.retry_after)},
        )

    async def _open_session(self, request: web.BaseRequest) -> _HttpSession | web.Response:
        handle = self.handle
        if handle is None or self._closing:
            return self._busy("the server is not running")
        limit = self.server.max_sessions
        if limit is not None and len(self._sessions) >= limit:
            return self._busy(f"the server has its maximum of {limit} sessions open")
        session = _HttpSession(new_session_id(), self, principal=self._principal(request))
        try:
            _, sink = await handle.open_session(
                HttpOutbox(session),
                transport=TRANSPORT_NAME,
                session_id=session.id,
                principal=session.principal,
                fresh=True,  # just minted
            )  # the session supervisor answers every start: no timer of our own
        except MaxChildrenError:
            return self._busy(f"the server has its maximum of {limit} sessions open")
        except Exception:
            log.exception("could not open a session")
            return self._busy("could not open a session")
        session.sink = sink
        # It was active just now: its first waiting POST has nothing to tell it yet.
        session.touched = time.monotonic()
        self._sessions[session.id] = session
        return session

    # -- POST ------------------------------------------------------------------------------------

    async def _post(self, request: web.BaseRequest) -> web.StreamResponse | Answer:
        json_ok, sse_ok = _accepts(request)
        if not (json_ok or sse_ok):
            return _refuse(
                406,
                InvalidRequest(
                    "Not Acceptable: the client must accept application/json and "
                    "text/event-stream (Accept: application/json, text/event-stream)"
                ),
            )
        content_type = request.headers.get("Content-Type", "")
        if content_type.partition(";")[0].strip().lower() != "application/json":
            return _refuse(
                415,
                InvalidRequest(
                    f"Unsupported Media Type: Content-Type {content_type!r}; send one JSON-RPC "
                    "message as application/json"
                ),
            )
        body = await self._read_body(request)
        if not isinstance(body, bytes):  # (not `web.Response`: an ABC, a slower isinstance)
            return body
        try:
            decoded = jsonrpc.decode(body, allow_batch=True)
        except McpError as exc:
            return _refuse(400, exc, exc.request_id)
        items = decoded.items if isinstance(decoded, jsonrpc.Batch) else (decoded,)
        request_ids: dict[RequestId, None] = {}  # in order, without repeats
        initialize: jsonrpc.Request | None = None
        for item in items:
            if isinstance(item, jsonrpc.Request):
                if item.id in request_ids:
                    return _bad_request(f"request id {item.id!r} appears twice", item.id)
                request_ids[item.id] = None
                if item.method == "initialize":
                    initialize = item
        if self._modern(request, items):
            return await post_modern(self, request, body, decoded, sse_ok)
        if initialize is not None and isinstance(decoded, jsonrpc.Batch):
            return _bad_request("initialize must be sent alone, not in a batch", initialize.id)
        limit = self.options.max_concurrent_requests
        if request_ids and limit is not None and self._in_flight >= limit:
            return self._busy(f"{limit} requests are in flight")

        # Only an initialize without a session id opens (and, when it fails, ends) a session:
        # one re-sent inside an open session is refused by that session, which goes on.
        opens = initialize is not None and SESSION_HEADER not in request.headers
        if opens:
            opened = await self._open_session(request)
            if not isinstance(opened, _HttpSession):
                return opened
            session = opened
        else:
            # The 2026-07-28 era (stateless requests with `_meta` protocolVersion, no session
            # id) will be told apart here, before the session lookup (versions.era_of_request).
            found, refused = self._session_of(request)
            if refused is not None:
                return refused
            assert found is not None
            session = found
            version, refused = self._check_version(request, session)
            if refused is not None:
                return refused
            assert version is not None
            # The session decides too: it refuses a batch its negotiated version does not allow.
            if isinstance(decoded, jsonrpc.Batch):
                for named in (version, session.version or version):
                    if not versions.features(named).batching:
                        return _bad_request(
                            f"JSON-RPC batches are not allowed at protocol version {named}; "
                            "send one message per POST"
                        )

        sink = session.sink
        assert sink is not None
        info = _http_info(request)
        single = None if isinstance(decoded, jsonrpc.Batch) else decoded
        if not request_ids:  # notifications and responses only: handled now when it is idle
            if isinstance(decoded, jsonrpc.Batch):
                errors = _batch_errors(decoded)
                if errors is not None:
                    # Invalid elements and no request: their errors go back on this POST (the
                    # session's answer would have no request to be routed by); the valid
                    # elements go to the session one by one, so it answers nothing.
                    for item in decoded.items:
                        if not isinstance(item, McpError):
                            sink.frame(body, info, decoded=item, now=True)
                    return web.Response(
                        body=errors,
                        content_type="application/json",
                        headers={SESSION_HEADER: session.id},
                    )
            sink.frame(body, info, decoded=single, now=True)
            return Answer(202, session_id=session.id)

        for request_id in request_ids:
            if request_id in session.streams:
                return _refuse(
                    409,
                    InvalidRequest(
                        f"Conflict: request id {request_id!r} is already in flight in this "
                        "session; use a new id"
                    ),
                    request_id,
                )
        stream = _Stream(tuple(request_ids), accepts_json=json_ok, accepts_sse=sse_ok)
        conn = stream.conn = object()
        for request_id in request_ids:
            session.streams[request_id] = stream
        self._in_flight += 1
        try:
            sink.frame(body, info, decoded=single, now=True)
            return await self._respond(request, session, stream, conn, opens)
        finally:
            self._in_flight -= 1
            stream.detach(conn)
            if stream.conn is None:
                session.unroute(stream)  # unless the client can resume it

    def _modern(self, request: web.BaseRequest, items: Sequence[Any]) -> bool:
        """Is this POST of the 2026-07-28 era (served statelessly by `post_modern`)?"""
        if SESSION_HEADER in request.headers:
            return False  # a session's POST is legacy (`versions.era_of_http_request`)
        version_header = request.headers.get(VERSION_HEADER)
        if version_header is not None and versions.is_modern(version_header.strip()):
            # A modern header makes every request modern whatever its `_meta` says
            # (`era_of_http_request`; a mismatch is the modern validation's -32020): no decode.
            return True
        requests = [item for item in items if isinstance(item, jsonrpc.Request)]
        if not requests:  # notifications or responses: modern only without any legacy sign
            return version_header is None
        return any(
            versions.era_of_http_request(
                item.method,
                item.params,
                session_header=False,
                version_header=version_header,
            )
            is versions.Era.MODERN
            for item in requests
        )

    async def _read_body(self, request: web.BaseRequest) -> bytes | web.Response:
        options = self.options
        return await read_body(request, options.max_body_size, options.body_timeout)

    def _end(self, session: _HttpSession) -> None:
        self._forget(session)
        if self.handle is not None:
            self.handle.end_session(session.id)

    async def _respond(
        self,
        request: web.BaseRequest,
        session: _HttpSession,
        stream: _Stream,
        conn: object,
        opens: bool,
    ) -> web.StreamResponse | Answer:
        headers = {SESSION_HEADER: session.id}
        while True:
            if stream.overflowed:
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=503)
            if stream.frames and stream.stream_id is None:  # a plain JSON answer
                _, frame, _ = stream.frames.popleft()
                if opens:  # the initialize that opened this session
                    if peek(frame).error is not None:
                        self._end(session)  # a failed initialize issues no session
                        return Answer(200, frame)
                    session.version = _negotiated(frame)
                return Answer(200, frame, session.id)
            if stream.stream_id is not None:
                response = await self._start_sse(request, headers, session, stream.stream_id, 0)
                stream.primed = stream.primed or session.priming()
                return await self._pump(request, response, session, stream, conn)
            if stream.final_seen:  # ended with no response (cancelled)
                return await self._unanswered(request, headers, stream)
            if stream.closed:
                if self._closing:
                    return self._busy("the server is shutting down")
                return _session_not_found()
            if not await self._wait(request, session, stream):
                return unread_answer()  # its frames are dropped, or stored if it can resume

    async def _unanswered(
        self, request: web.BaseRequest, headers: Mapping[str, str], stream: _Stream
    ) -> web.StreamResponse:
        """End the POST of a request that ended with no response before anything was sent."""
        if stream.accepts_sse:  # a stream that ends without an event: nothing follows
            response = await start_sse(request, headers)
            await finish_sse(response)
            return response
        # A JSON-only client must get one JSON object: an error, which it ignores (it cancelled).
        cancelled = InternalError("Request cancelled: no result follows (notifications/cancelled)")
        return _refuse(200, cancelled, stream.request_ids[0], headers=headers)

    async def _pump(
        self,
        request: web.BaseRequest,
        response: web.StreamResponse,
        session: _HttpSession,
        stream: _Stream,
        conn: object,
    ) -> web.StreamResponse:
        """Write SSE stream `stream` on `response` while connection `conn` holds it."""
        assert stream.stream_id is not None
        stream_id = stream.stream_id
        close_after = self.options.close_sse_after
        loop = asyncio.get_running_loop()
        deadline = None if close_after is None else loop.time() + close_after
        while stream.conn is conn:
            if stream.overflowed:
                if request.transport is not None:
                    request.transport.close()
                return response
            while stream.frames and stream.conn is conn:
                if stream.close_requested and stream.frames[0][0] > stream.close_at:
                    break  # issued after the close was asked: the resumed stream's (stored)
                seq, frame, final = stream.frames.popleft()
                stream.queued -= len(frame)
                try:
                    await response.write(sse_event(frame, _event_id(stream_id, seq)))
                except (ConnectionError, RuntimeError):
                    log.info(
                        "client closed its response stream",
                        session_id=session.id,
                        request_ids=list(stream.request_ids),
                    )
                    return response
                stream.primed = True
                if final:
                    await finish_sse(response)
                    return response
            if stream.conn is not conn:
                break  # a resuming GET took the stream over
            if stream.close_requested:  # SEP-1699: the client resumes with Last-Event-ID
                stream.close_requested = False
                log.debug("closing an SSE stream mid-call", session_id=session.id, stream=stream_id)
                break
            if stream.closed or stream.final_seen:
                break
            # No await since the last check: no wake-up missed.
            if deadline is None or close_after is None:
                if not await self._wait(request, session, stream):
                    return response  # the client can resume what follows
                continue
            try:
                alive = await asyncio.wait_for(
                    self._wait(request, session, stream), max(deadline - loop.time(), 0.0)
                )
            except TimeoutError:
                if stream.primed:  # the client can come back
                    log.debug("closing an SSE stream (close_sse_after)", session_id=session.id)
                    break
                deadline = loop.time() + close_after  # not before it has an event id
                continue
            if not alive:
                return response
        await finish_sse(response)
        return response

    async def _wait(self, request: web.BaseRequest, session: _HttpSession, stream: _Stream) -> bool:
        """Wait for a change of `stream`; False when the client's connection closed meanwhile.

        aiohttp does not cancel a handler whose client went away, so the transport's sweep
        (`Waiting`, shared with the 2026-07-28 POSTs) wakes every waiting POST each
        `DISCONNECT_CHECK` seconds to look: a POST whose client left lets go of its stream
        (and its `max_concurrent_requests` slot) without waiting for the call to end. A POST
        whose client is there keeps the session from idle expiry, as an open GET stream does.
        """
        await self._waiting.wait(stream, stream.waiter())
        if client_gone(request):
            log.info(
                "client closed its connection while its request ran",
                session_id=session.id,
                request_ids=list(stream.request_ids),
            )
            return False
        now = time.monotonic()  # (see `touched`)
        if now - session.touched >= self._touch_every and session.sink is not None:
            session.touched = now
            session.sink.touch()
        return True

    async def _start_sse(
        self,
        request: web.BaseRequest,
        headers: Mapping[str, str],
        session: _HttpSession | None = None,
        stream_id: str | None = None,
        seq: int = 0,
    ) -> web.StreamResponse:
        """Start an SSE response: the `retry:` field and, for `stream_id`, a priming event."""
        response = web.StreamResponse(
            status=200,
            headers={
                **headers,
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache, no-transform",
                "X-Accel-Buffering": "no",
            },
        )
        await response.prepare(request)
        priming = stream_id is not None and session is not None and session.priming()
        opening = _sse_start(
            _event_id(stream_id, seq) if priming and stream_id is not None else None,
            self.options.sse_retry,
        )
        if opening:
            await response.write(opening)
        return response

    # -- GET: the standalone stream, or resuming a stream -----------------------------------------

    async def _get(self, request: web.BaseRequest) -> web.StreamResponse:
        _, sse_ok = _accepts(request)
        if not sse_ok:
            return _refuse(
                406,
                InvalidRequest(
                    "Not Acceptable: GET opens an SSE stream; send Accept: text/event-stream"
                ),
            )
        session, refused = self._session_of(request)
        if refused is not None:
            return refused
        assert session is not None
        _, refused = self._check_version(request, session)
        if refused is not None:
            return refused
        if client_gone(request):
            # Its client reset before this handler ran: it must not take the stream (and the
            # frames waiting for it) only to write them into a closed connection.
            log.info("client closed its GET stream before it started", session_id=session.id)
            return unread_answer()
        last_event_id = request.headers.get(LAST_EVENT_ID_HEADER)
        resumed: tuple[str, int] | None = None
        replay: list[tuple[int, bytes]] = []
        if last_event_id is not None:
            resumed = _parse_event_id(last_event_id)
            events = (
                None
                if resumed is None
                else self.event_store.events_after(session.id, resumed[0], resumed[1])
            )
            if resumed is None or events is None:
                return _bad_request(
                    f"{LAST_EVENT_ID_HEADER} {last_event_id!r} cannot be resumed: the stream "
                    "is unknown or expired, or events after it are no longer kept; re-issue "
                    "your request (or open the GET stream without the header)"
                )
            replay = events
            if resumed[0] != STANDALONE_STREAM:
                return await self._resume(request, session, resumed, replay)
        elif session.standalone is not None and not session.standalone.closed:
            return _refuse(
                409,
                InvalidRequest(
                    "Conflict: this session already has a GET stream open; use that one"
                ),
            )
        if session.standalone is not None:
            session.standalone.close()  # taken over by a resuming GET
        standalone = session.standalone = _Standalone()
        if resumed is not None:
            # What the store still has after the client's id, then what it never kept.
            last = replay[-1][0] if replay else resumed[1]
            standalone.frames.extend(replay)
            standalone.frames.extend(item for item in session.backlog or () if item[0] > last)
            first = resumed[1]
        else:
            standalone.frames.extend(session.backlog or ())
            first = session.backlog[0][0] - 1 if session.backlog else session.standalone_seq
            if session.standalone_seq == 0:
                self.event_store.open_stream(session.id, STANDALONE_STREAM)
        session.backlog = None
        # An open GET stream keeps its session from idle expiry (the client is there, waiting
        # for notifications); the comment lines find dead connections.
        every = self._touch_every
        keepalive = None if every == math.inf else every
        sink = session.sink
        assert sink is not None
        sink.touch()
        response: web.StreamResponse | None = None
        try:
            # In the `try`: a client gone before the head is written must let go of the stream.
            response = await self._start_sse(
                request, {SESSION_HEADER: session.id}, session, STANDALONE_STREAM, first
            )
            while True:
                while standalone.frames and not standalone.closed:
                    seq, frame = standalone.frames[0]
                    await response.write(sse_event(frame, _event_id(STANDALONE_STREAM, seq)))
                    standalone.frames.popleft()
                if standalone.closed:
                    break
                standalone.wake.clear()  # no await since the frames were taken: none missed
                try:  # among the swept: a client that left lets go at once
                    await asyncio.wait_for(
                        self._waiting.wait(standalone, standalone.wake), keepalive
                    )
                except TimeoutError:
                    sink.touch()
                    await response.write(b": keepalive\n\n")
                if client_gone(request):
                    raise ConnectionResetError("the client closed its GET stream")
            await finish_sse(response)
        except (ConnectionError, RuntimeError):
            log.info("client closed its GET stream", session_id=session.id)
        finally:
            if session.standalone is standalone:
                session.standalone = None
                # What it had not written yet waits for the next GET stream.
                if standalone.frames and not session.ended:
                    if session.backlog is None:
                        session.backlog = deque()
                    session.backlog.extendleft(reversed(standalone.frames))
        return response if response is not None else unread_answer()

    async def _resume(
        self,
        request: web.BaseRequest,
        session: _HttpSession,
        resumed: tuple[str, int],
        replay: list[tuple[int, bytes]],
    ) -> web.StreamResponse:
        """GET + Last-Event-ID of a POST stream: its events after that one, then live ones."""
        stream_id, seq = resumed
        headers = {SESSION_HEADER: session.id}
        stream = session.sse.get(stream_id)
        if stream is None or stream.final_seen or stream.closed:  # ended: replay, then done
            response = await self._start_sse(request, headers, session, stream_id, seq)
            try:
                for number, frame in replay:
                    await response.write(sse_event(frame, _event_id(stream_id, number)))
            except (ConnectionError, RuntimeError):
                return response
            await finish_sse(response)
            return response
        # Still open: take it over (a connection the server has not yet seen die lets go).
        conn = object()
        stream.conn = conn
        stream.overflowed = False
        stream.close_requested = False
        stream.frames = deque((number, frame, False) for number, frame in replay)
        stream.queued = sum(len(frame) for _, frame in replay)
        stream.notify()
        try:
            response = await self._start_sse(request, headers, session, stream_id, seq)
            return await self._pump(request, response, session, stream, conn)
        finally:
            stream.detach(conn)

    # -- DELETE ------------------------------------------------------------------------------------

    async def _delete(self, request: web.BaseRequest) -> web.StreamResponse | Answer:
        session, refused = self._session_of(request)
        if refused is not None:
            return refused
        assert session is not None
        _, refused = self._check_version(request, session)
        if refused is not None:
            return refused
        self._forget(session)  # from now on the id answers 404
        if self.handle is not None:
            with contextlib.suppress(Exception):
                await self.handle.end_session(session.id)
        return Answer(204)


TRANSPORT_KEY: Final = web.AppKey("fastestmcp.transport", StreamableHttpTransport)
"""Where `http_app` keeps its transport: `app[TRANSPORT_KEY].session_ids`..."""


def _session_not_found() -> web.Response:
    return _refuse(
        404,
        McpError(
            _SESSION_NOT_FOUND,
            "Session not found: it ended, expired or was never issued; start a new session "
            "with initialize (without an Mcp-Session-Id header)",
        ),
    )


# -- ways to run it ----------------------------------------------------------------------------


def http_app(server: Server, **options: Any) -> web.Application:
    """An aiohttp application serving `server` over streamable HTTP at `path` (default /mcp).

    Run it with aiohttp (`web.run_app(app)`), or mount it in an application of your own
    (`main.add_subapp("/tools", app)`) and add routes of your own to it. On startup it starts
    the server's supervision tree on a runtime attached to the application's loop; on cleanup
    it stops it. Options: see `HttpOptions`, but for `idle_connection_timeout`: connections
    belong to the runner that serves the application, so how long an idle one stays open is
    that runner's `keepalive_timeout`, yours to set (`web.run_app(app, keepalive_timeout=75)`,
    `web.AppRunner(app, keepalive_timeout=75)`; aiohttp's default is 3630 seconds).
    """
    refuse_runner_option(options, "http_app")
    transport = StreamableHttpTransport(server, _options(options))
    app = transport.application()

    async def lifespan(_app: web.Application) -> AsyncIterator[None]:
        runtime = Runtime(f"fastestmcp:{server.name}")
        await runtime.__aenter__()
        try:
            transport.attach(await start_async(server, runtime))
            yield
        finally:
            transport.shutdown()
            await runtime.aclose()

    app.cleanup_ctx.append(lifespan)
    app[TRANSPORT_KEY] = transport
    return app


class HttpServer(ListeningServer):
    """A server listening on streamable HTTP, its tree on a runtime thread (see `serve`)."""

    def __init__(
        self,
        handle: ServerHandle,
        transport: StreamableHttpTransport,
        runner: web.BaseRunner,
        host: str,
        port: int,
    ) -> None:
        super().__init__(handle, host, port)
        self.transport = transport
        self._runner = runner

    @property
    def url(self) -> str:
        """The endpoint's URL, e.g. ``http://127.0.0.1:8000/mcp``."""
        return self.base_url + self.transport.options.path

    async def _close_listener(self) -> None:
        await self._runner.cleanup()


def serve(
    server: Server,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    pool_size: int = DEFAULT_POOL_SIZE,
    **options: Any,
) -> HttpServer:
    """Start `server` on streamable HTTP and return at once (port 0: any free port).

    The server's tree and the aiohttp listener run on a runtime thread of their own; stop it
    with `stop()` or a `with` block. Options: see `HttpOptions`.
    """
    transport = StreamableHttpTransport(server, _options(options))
    handle = start(server, pool_size=pool_size)
    transport.attach(handle)

    try:
        # A standalone server has one path: aiohttp's low-level server, no application (see
        # `one_path`); `http_app` is the application, for mounting in one of your own.
        standalone = one_path(transport.options.path, transport.handle_request)
        listening = listen_handler(
            standalone,
            host,
            port,
            idle_timeout=transport.options.idle_connection_timeout,
            on_shutdown=transport.shutdown,
            server_class=_server_class(transport),
        )
        runner, bound = handle.runtime.run_coroutine(listening).result(30)
    except BaseException:
        handle.stop()
        raise
    return HttpServer(handle, transport, runner, host, bound)


def _server_class(transport: StreamableHttpTransport) -> Callable[..., web.Server]:
    """aiohttp's low-level server, or the fast lane's (`HttpOptions.fast_lane`)."""
    options = transport.options
    if not (options.fast_lane and LANE_SUPPORTED):
        return web.Server
    lane = FastLane(  # the lane serves only POSTs to `path` without Expect: no `one_path`
        path=options.path,
        handler=transport.answer_request,
        max_body_size=options.max_body_size,
        body_timeout=options.body_timeout,
        reclaimer=transport.handle.reclaimer if transport.handle is not None else None,
    )
    return functools.partial(LaneServer, lane=lane)


def run_http(
    server: Server,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    path: str = DEFAULT_PATH,
    **options: Any,
) -> None:
    """Serve `server` on streamable HTTP until interrupted (Ctrl-C); blocking."""
    running = serve(server, host=host, port=port, path=path, **options)
    log.info("serving MCP over streamable HTTP", url=running.url)
    wait_for_interrupt(running.stop)
