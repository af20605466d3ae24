# The HTTP fast lane: the usual MCP POST (and a session's DELETE) served without aiohttp's
# per-request machinery.
#
# Why: measured with callgrind (docs/performance.md, "Under the floor"), aiohttp's low-level
# server spends about 229 k instructions on a request whose answer is canned; a plain asyncio
# protocol around the same parser, about 72 k. The difference is the request object, its URL,
# the stream writer, a task per request, the wake-ups of the connection's `start()` loop, the
# response's header machinery: about 40 % of a whole `tools/call` of ours.
#
# What: each connection of a standalone streamable HTTP server (`serve()`) starts in the lane,
# a plain asyncio protocol that splits request heads itself. A request it finds unambiguous is
# served once its body is in hand:
#   `POST <the MCP path>[?query] HTTP/1.1`, every header a token name with a visible-ASCII
#   value, no header twice, one decimal Content-Length within `max_body_size`, no
#   Transfer-Encoding, Expect, Upgrade or Content-Encoding, Connection absent or keep-alive;
#   `DELETE` the same, without a body (no Content-Length, or 0: aiohttp answers a DELETE
#   without waiting for a body, so one that has a body is left to it). Serving DELETE here keeps
#   a connection whose sessions end in the lane: handed to aiohttp, each such connection
#   would keep aiohttp's request state, made while the sessions ended, and that state pins
#   allocator arenas the ended sessions left nearly empty (docs/performance.md).
# The transport's handler runs on a small request object (`LaneRequest`), its first step
# outside any task (`supervisors.eager`): a call answered at once (most) costs no task, and
# its plain response goes out in one write. Anything else (another method or path, a chunked
# or compressed body, a head aiohttp must judge, HTTP/1.0, an oversized head or body) hands the
# connection to aiohttp for good, at a message boundary, with every byte received so far:
# aiohttp's own protocol then serves it exactly as it serves a connection that never was in
# the lane (its parser's errors and limits, 404, 413, GET streams, DELETE, lingering).
#
# A client sends much the same head on every request of a connection: the same, or the same
# but for a header value or two (the Content-Length of bodies of other sizes; the session id
# of a proxy carrying many sessions over pooled connections). The lane keeps the last two
# heads it parsed (`_Template`): a head equal to one of them is not parsed again, and one
# with the same request line and header names is checked again only in the lines that differ
# (the full split and its checks are about 7 us; the match, a fraction of that).
#
# What the lane keeps of aiohttp's connection semantics:
# - `idle_connection_timeout`: a connection with no request in progress (before its first,
#   between two, or with a partial head) is closed once it has been idle that long;
# - `body_timeout`: a head whose body stalls is answered 408 and its connection closed;
# - pipelined requests are answered in order; a client pipelining far ahead is paused;
# - SSE answers go through aiohttp's `StreamResponse` and `StreamWriter` (flow control and
#   chunked framing as before): the lane's protocol is an aiohttp `BaseProtocol`;
# - a handler is not cancelled when its client leaves (the transport looks, as under aiohttp);
# - on shutdown idle connections close at once, requests in flight are waited for (up to the
#   runner's timeout) and then cancelled.
# `HttpOptions.fast_lane=False` turns the lane off; it is off too on an aiohttp whose internals
# differ from what it relies on (`lane_supported`).

"""The HTTP fast lane for `serve()` (not a public API; see the module comment)."""

from __future__ import annotations

import asyncio
import contextvars
import math
import re
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from fastestmcp.protocol.errors import InternalError
from fastestmcp.transports._http_common import (
    SESSION_HEADER,
    Answer,
    AnswerHandler,
    Handler,
    body_timed_out,
    refuse,
)
from supervisors.eager import resume_in_task

if TYPE_CHECKING:
    from fastestmcp.server.reclaim import Reclaimer

try:  # what the lane uses of aiohttp beyond its public web API (see `lane_supported`)
    from aiohttp.base_protocol import BaseProtocol
    from aiohttp.http import SERVER_SOFTWARE, HttpVersion11
    from aiohttp.http_writer import StreamWriter
    from aiohttp.tcp_helpers import tcp_keepalive

    _IMPORTED = True
except ImportError:  # pragma: no cover - an aiohttp laid out otherwise: no lane
    BaseProtocol = asyncio.Protocol  # type: ignore[misc,assignment]
    _IMPORTED = False

__all__ = ["FastLane", "LaneServer", "lane_supported"]

log = structlog.get_logger("fastestmcp.transports")

#: The longest head the lane waits for; a longer one goes to aiohttp (whose limits judge it).
MAX_HEAD: Final = 16 * 1024
#: Bytes a client may send ahead (pipelined) while its connection's request runs: more pauses
#: reading until the lane catches up.
MAX_AHEAD: Final = 256 * 1024
#: Heads a connection keeps parsed (see `_Template`): a client alternating between two kinds
#: of request (say, a proxy's `initialize` and its sessions' calls) matches one of them.
KEPT_HEADS: Final = 2
#: aiohttp's own keep-alive timeout, what `idle_timeout=None` means (see `_http_common`).
AIOHTTP_IDLE_TIMEOUT: Final = 3630.0

_HEAD_END: Final = b"\r\n\r\n"
# A head the lane serves, whole: the request line, then header fields, each `token ":"
# visible-ASCII-or-blank CRLF` (no obs-fold, no obs-text), then the blank line.
_HEAD: Final = re.compile(
    rb"(POST|DELETE) (/[!-~]*) HTTP/1\.1\r\n"
    rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t !-~]*\r\n)*\r\n"
)
_VALUE: Final = re.compile(rb"[\t !-~]*")  # a header's value (after its colon)
# Headers whose message the lane leaves to aiohttp (framing, continuation, upgrade, coding).
_LEFT_TO_AIOHTTP: Final = frozenset({"transfer-encoding", "expect", "upgrade", "content-encoding"})
_NO_BODY_STATUSES: Final = frozenset({204, 304})


def lane_supported() -> bool:
    """Whether this aiohttp has what the lane relies on beyond its public web API: the
    protocol base class with write flow control, the stream writer, and the two request
    hooks `StreamResponse.prepare` calls (`_payload_writer`, `_prepare_hook`)."""
    return (
        _IMPORTED
        and callable(getattr(BaseProtocol, "_drain_helper", None))
        and hasattr(BaseProtocol, "writing_paused")
        and callable(getattr(web.BaseRequest, "_prepare_hook", None))
        and "_payload_writer" in getattr(web.BaseRequest, "ATTRS", ())
        and callable(getattr(web.Server, "pre_shutdown", None))
    )


LANE_SUPPORTED: Final = lane_supported()


@dataclass(frozen=True, slots=True)
class FastLane:
    """What the lane serves: POSTs and DELETEs to `path` with bodies up to `max_body_size`
    bytes, which arrive within `body_timeout` seconds (None: no limit) of their heads, by
    `handler`. After many sessions end, `reclaimer` (the running server's) has the lane let
    go of its connections' parsed heads before it collects (`LaneServer.forget_heads`)."""

    path: str
    handler: AnswerHandler
    max_body_size: int
    body_timeout: float | None
    reclaimer: Reclaimer | None = None


# -- the request a handler sees ------------------------------------------------------------------


class _Body:
    """`request.content` of a lane request: its body, all of it already in hand."""

    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body = body

    def is_eof(self) -> bool:
        return True

    def read_nowait(self, n: int = -1) -> bytes:
        """Up to `n` bytes of what is left (all of it when `n` < 0), as aiohttp's stream."""
        body = self._body
        if n < 0 or n >= len(body):
            self._body = b""
            return body
        self._body = body[n:]
        return body[:n]


_NO_QUERY: Final[MultiDictProxy[str]] = MultiDictProxy(MultiDict())


class LaneRequest:
    """What the HTTP transports use of an aiohttp request, for a request in the lane."""

    __slots__ = (
        "_conn",
        "_query",
        "_query_string",
        "_writer",
        "content",
        "content_length",
        "headers",
        "method",
        "path",
    )

    version: Final = HttpVersion11 if _IMPORTED else (1, 1)
    keep_alive: Final = True

    def __init__(
        self,
        conn: LaneConnection,
        method: str,
        path: str,
        query_string: str,
        headers: CIMultiDictProxy[str],
        body: bytes,
    ) -> None:
        self._conn = conn
        self.method = method
        self.path = path
        self._query_string = query_string
        self._query: MultiDictProxy[str] | None = None
        self._writer: StreamWriter | None = None
        self.headers = headers
        self.content = _Body(body)
        self.content_length = len(body)  # (the body is taken from `content` once)

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._conn.transport

    @property
    def protocol(self) -> LaneConnection:
        return self._conn

    @property
    def query(self) -> MultiDictProxy[str]:
        query = self._query
        if query is None:
            if not self._query_string:
                return _NO_QUERY
            pairs = parse_qsl(self._query_string, keep_blank_values=True)
            query = self._query = MultiDictProxy(MultiDict(pairs))
        return query

    @property
    def _payload_writer(self) -> StreamWriter:  # what `StreamResponse.prepare` writes with
        writer = self._writer
        if writer is None:
            writer = self._writer = StreamWriter(self._conn, self._conn._loop)
        return writer

    writer = _payload_writer

    async def read(self) -> bytes:
        return self.content.read_nowait()

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        """An application's `on_response_prepare`: there is none here."""


#: A head the lane serves: (method, path, query string, headers, Content-Length).
_Head = tuple[str, str, str, CIMultiDictProxy[str], int]


class _Template:
    """A head a connection's client sent, parsed. A client sends much the same head on every
    request of a connection: the same one, or one that differs in a header value or two (the
    Content-Length of a body of another size; the `Mcp-Session-Id` of a proxy that carries
    many sessions over its pooled connections). A head equal to it byte for byte is the same
    request head (its headers, a read-only mapping, shared); one with the same request line
    and the same header names in the same order is checked again only in the lines that
    differ (each value visible ASCII; a Content-Length, its digits and the limit; a
    Connection, keep-alive). Anything else is parsed afresh."""

    __slots__ = ("head", "keys", "limit", "lines", "lowered", "names", "parsed")

    def __init__(self, head: bytes, parsed: _Head, pairs: list[tuple[str, str]], limit: int):
        self.head = head
        self.limit = limit
        self.parsed = parsed
        self.lines = head.split(b"\r\n")  # the request line, then one line per header
        # Per line: its name and colon as sent (the request line: nothing), its name as sent
        # and lowered.
        self.names = [b"", *(line[: line.index(b":") + 1] for line in self.lines[1:])]
        self.keys = ["", *(name for name, _ in pairs)]
        self.lowered = [key.lower() for key in self.keys]

    def match(self, raw: bytes, lines: list[bytes]) -> _Head | None:
        """The parsed head `raw` (split into `lines`) if it is this one with other header
        values the lane serves; else None. (A head equal to this one byte for byte is found
        by the caller.)"""
        mine = self.lines
        if len(lines) != len(mine) or lines[0] != mine[0]:
            return None
        names = self.names
        method, path, query, headers, size = self.parsed
        changed: CIMultiDict[str] | None = None
        for i in range(1, len(lines)):
            line = lines[i]
            if line == mine[i]:
                continue
            name = names[i]
            if not line.startswith(name) or _VALUE.fullmatch(line, len(name)) is None:
                return None
            value = line[len(name) :].decode("ascii").strip(" \t")
            lowered = self.lowered[i]
            if lowered == "content-length":
                served = _served_size(method, value, self.limit)
                if served is None:
                    return None  # parsed afresh: left to aiohttp
                size = served
            elif lowered == "connection" and value.lower() != "keep-alive":
                return None
            if changed is None:
                changed = headers.copy()
            changed[self.keys[i]] = value  # (names are unique: it keeps its place)
        if changed is not None:
            headers = CIMultiDictProxy(changed)
        parsed = method, path, query, headers, size
        # The next head is likely this one again.
        self.head, self.lines, self.parsed = raw, lines, parsed
        return parsed


def _served_size(method: str, length: str, limit: int) -> int | None:
    """The body size a Content-Length value gives, if the lane serves it: decimal digits
    (12 at most), within `limit` (over it, aiohttp answers 413), and none for a DELETE
    (aiohttp answers one without waiting for its body). None: aiohttp's to judge."""
    if not length.isdigit() or len(length) > 12:
        return None
    size = int(length)
    if size > limit or (size and method == "DELETE"):
        return None
    return size


# -- the connection ------------------------------------------------------------------------------


class LaneConnection(BaseProtocol):
    """One client connection in the lane (see the module comment)."""

    __slots__ = (
        "_active_at",
        "_body_timer",
        "_buffer",
        "_closing",
        "_handed",
        "_heads",
        "_idle_timer",
        "_lane",
        "_pending",
        "_server",
        "_task",
    )

    def __init__(self, server: LaneServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._server = server
        self._lane = server.lane
        self._buffer: bytes | bytearray = b""
        self._task: asyncio.Task[None] | None = None
        self._pending = False  # a head is in, its body not all yet
        self._closing = False  # the server is stopping, or this connection closes
        self._handed = False  # the connection left for aiohttp's protocol
        self._active_at = 0.0  # when a request last ended: `LaneServer.coarse_time()`
        self._idle_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._heads: list[_Template] = []  # the last heads parsed, the latest first

    @property
    def keepalive_timeout(self) -> float:
        """The idle timeout (as aiohttp's protocols name it)."""
        return self._server.idle_timeout

    # asyncio's protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # TCP_NODELAY
        tcp_keepalive(cast(asyncio.Transport, transport))
        self._server.lanes.add(self)
        self._arm_idle()

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)  # wakes a writer waiting to drain
        self._server.lanes.discard(self)
        self._buffer = b""
        self._cancel_timers()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        buffer = self._buffer
        if not buffer:
            self._buffer = data
        else:
            if isinstance(buffer, bytes):
                buffer = self._buffer = bytearray(buffer)
            buffer += data
        if self._task is None:
            self._advance()
        elif len(self._buffer) > MAX_AHEAD and self.transport is not None:
            self.transport.pause_reading()  # resumed when the request ends (`_task_done`)

    def eof_received(self) -> None:
        """The client shut its side: the transport closes (as under aiohttp's protocol)."""

    # serving

    def _advance(self) -> None:
        """Serve what the buffer holds, in order, until it needs more bytes, a request
        suspends (it goes on as a task; `_task_done` comes back here), or the connection
        leaves the lane."""
        while self._task is None and self._buffer and self.transport is not None:
            buffer = self._buffer
            end = buffer.find(_HEAD_END)
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    self._hand_over()
                return  # the rest of the head is to come; the idle timer bounds the wait
            head = self._known_head(buffer, end)
            if head is None:
                head = self._parse_head(buffer, end)
                if head is None:
                    self._hand_over()
                    return
            method, path, query, headers, length = head
            start = end + 4
            stop = start + length
            if len(buffer) < stop:
                self._await_body()
                return
            if self._pending:
                self._pending = False
                if self._body_timer is not None:
                    self._body_timer.cancel()
                    self._body_timer = None
            body = bytes(buffer[start:stop])
            self._buffer = buffer[stop:] if len(buffer) > stop else b""
            self._run(LaneRequest(self, method, path, query, headers, body))
        if self._task is None and not self._buffer and self._closing:
            self._close()

    def _known_head(self, buffer: bytes | bytearray, end: int) -> _Head | None:
        """The head in `buffer` parsed by one of the last heads kept (see `_Template`)."""
        heads = self._heads
        for template in heads:
            head = template.head
            if end == len(head) and buffer.startswith(head):
                parsed: _Head | None = template.parsed
                break
        else:
            if not heads:
                return None
            raw = bytes(buffer[:end])
            lines = raw.split(b"\r\n")
            for template in heads:
                parsed = template.match(raw, lines)
                if parsed is not None:
                    break
            else:
                return None
        if template is not heads[0]:
            heads.remove(template)
            heads.insert(0, template)
        return parsed

    def _parse_head(self, buffer: bytes | bytearray, end: int) -> _Head | None:
        """(method, path, query string, headers, Content-Length) of a head the lane serves;
        None for any other (see the module comment)."""
        head = _HEAD.fullmatch(buffer, 0, end + 4)
        if head is None:
            return None
        method = "POST" if head.group(1) == b"POST" else "DELETE"
        target = head.group(2)
        if b"#" in target:
            return None
        path, _, query = target.partition(b"?")
        lane = self._lane
        if path != self._server.path_bytes:
            return None
        pairs: list[tuple[str, str]] = []
        lowered: dict[str, str] = {}
        start = head.end(2) + 11  # after " HTTP/1.1\r\n"
        if start < end:  # (a plain loop: cheaper here than a regex's findall)
            for field in buffer[start:end].decode("ascii").split("\r\n"):
                name, _, value = field.partition(":")
                value = value.strip(" \t")
                pairs.append((name, value))
                lowered[name.lower()] = value
        if len(lowered) != len(pairs) or not _LEFT_TO_AIOHTTP.isdisjoint(lowered):
            return None  # a header twice (which one counts is aiohttp's to judge), or framing
        connection = lowered.get("connection")
        if connection is not None and connection.lower() != "keep-alive":
            return None
        length = lowered.get("content-length")
        if length is None and method == "DELETE":
            length = "0"  # (a DELETE without a body need not say so)
        size = None if length is None else _served_size(method, length, lane.max_body_size)
        if size is None:
            return None
        headers = CIMultiDictProxy(CIMultiDict(pairs))
        parsed = method, lane.path, query.decode("ascii"), headers, size
        heads = self._heads
        heads.insert(0, _Template(bytes(buffer[:end]), parsed, pairs, lane.max_body_size))
        del heads[KEPT_HEADS:]
        return parsed

    def _run(self, request: LaneRequest) -> None:
        """Run the handler's first step now, in a context of its own (as a task of its own
        would); one that suspends goes on as a task."""
        context = contextvars.copy_context()
        coro = self._respond(request)
        try:
            waiting = context.run(coro.send, None)
        except StopIteration:
            return
        task = self._loop.create_task(resume_in_task(coro, waiting), context=context)
        self._task = task
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._task = None
        if self._handed:
            return
        transport = self.transport
        if transport is not None and not self._closing:
            transport.resume_reading()
        if self._buffer:
            self._advance()
        elif self._closing:
            self._close()

    async def _respond(self, request: LaneRequest) -> None:
        try:
            response = await self._lane.handler(cast(web.BaseRequest, request))
        except Exception:
            # The transports answer their own failures; this is the lane's last guard.
            log.exception("HTTP request failed", method=request.method, path=request.path)
            response = refuse(500, InternalError("Internal Server Error: see the server's log"))
            response.force_close()
        try:
            keep_alive = await self._write(request, response)
        except ConnectionError:
            keep_alive = False
        if not keep_alive or self._closing:
            self._close()
        else:
            self._arm_idle()

    async def _write(self, request: LaneRequest, response: web.StreamResponse | Answer) -> bool:
        """Send `response` (whole, or the end of a streamed one); whether the connection
        stays open for the next request."""
        if type(response) is Answer:
            whole = _answer_bytes(response)
            if whole is not None:
                self._send(whole)
                return True
            response = response.response()
        assert isinstance(response, web.StreamResponse)
        if not response.prepared:
            plain = _plain(response)
            if plain is not None:
                self._send(plain)
                return response.keep_alive is not False
            await response.prepare(cast(web.BaseRequest, request))
        await response.write_eof()  # a no-op for a stream the handler ended
        return bool(response.keep_alive)

    def _send(self, data: bytes) -> None:
        transport = self.transport
        if transport is None:
            raise ConnectionResetError("Connection lost")
        transport.write(data)

    # timers

    def _arm_idle(self) -> None:
        """(Re)start the idle time: the connection is closed if it is still without a
        request in progress `idle_timeout` seconds from now (aiohttp's keep-alive timer)."""
        self._active_at = self._server.coarse_time()
        if self._idle_timer is None:
            self._idle_timer = self._loop.call_at(self._idle_deadline(), self._idle_check)

    def _idle_deadline(self) -> float:
        """When the connection has been idle `idle_timeout` seconds, or a little later (the
        time it became idle is read to `coarse_time`'s step, rounded up)."""
        server = self._server
        return self._active_at + server.idle_timeout + server.coarse_step

    def _idle_check(self) -> None:
        self._idle_timer = None
        if self._task is not None or self._pending or self.transport is None:
            return  # a request in progress: re-armed when its response has gone
        deadline = self._idle_deadline()
        if self._loop.time() < deadline:
            self._idle_timer = self._loop.call_at(deadline, self._idle_check)
            return
        self._close()

    def _await_body(self) -> None:
        """A head is in, its body not yet all: a request in progress, bounded by
        `body_timeout` from now."""
        if self._pending:
            return
        self._pending = True
        timeout = self._lane.body_timeout
        if timeout is not None:
            self._body_timer = self._loop.call_later(timeout, self._body_timed_out, timeout)

    def _body_timed_out(self, timeout: float) -> None:
        self._body_timer = None
        transport = self.transport
        if transport is not None and self._pending:
            self._buffer = b""
            answer = _plain(body_timed_out(timeout))
            assert answer is not None
            transport.write(answer)
            self._close()

    def _cancel_timers(self) -> None:
        for timer in (self._idle_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._idle_timer = self._body_timer = None

    # leaving

    def _close(self) -> None:
        """Close the connection once what was written has gone; serve nothing more on it
        (a request pipelined behind an answer that closes is not answered, as under
        aiohttp)."""
        self._closing = True
        self._buffer = b""
        transport = self.transport
        if transport is not None:
            transport.close()

    def _hand_over(self) -> None:
        """Leave the lane for good: aiohttp's protocol takes the connection and every byte
        received so far (a message boundary: nothing of this message was answered)."""
        transport = self.transport
        assert transport is not None
        assert self._task is None
        data, self._buffer = bytes(self._buffer), b""
        self._handed = True
        self._pending = False
        self._cancel_timers()
        self._server.lanes.discard(self)
        transport.resume_reading()
        self._server.hand_over(transport, data, writing_paused=self._paused)
        self.transport = None

    def force_close(self) -> None:
        """Close the connection once what was written has gone (aiohttp's protocol API)."""
        self._close()

    def close_when_idle(self) -> None:
        """The server is stopping: close now if no request is in progress, else after it."""
        self._closing = True
        if self._task is None and not self._pending:
            self._close()

    async def shutdown(self, timeout: float | None) -> None:
        """The server is stopping: wait up to `timeout` seconds for the request in progress,
        then cancel it; close the connection."""
        self._closing = True
        task = self._task
        if task is not None:
            await asyncio.wait((task,), timeout=timeout)
            if not task.done():
                task.cancel()
                await asyncio.wait((task,), timeout=timeout)
        self._close()


class LaneServer(web.Server):
    """aiohttp's low-level server whose connections start in the lane (see the module
    comment); the ones that leave it are aiohttp's own `RequestHandler`s."""

    def __init__(self, handler: Handler, *, lane: FastLane, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.lane = lane
        self.path_bytes = lane.path.encode("utf-8")
        #: aiohttp's keep-alive timeout, which its own protocols get from `kwargs` too.
        self.idle_timeout = float(kwargs.get("keepalive_timeout", AIOHTTP_IDLE_TIMEOUT))
        #: `coarse_time`'s step: a tenth of the idle timeout, a second at most.
        self.coarse_step = min(1.0, self.idle_timeout / 10)
        self._coarse_now = -math.inf
        self.lanes: set[LaneConnection] = set()
        if lane.reclaimer is not None:
            lane.reclaimer.add_hook(self.forget_heads)

    def coarse_time(self) -> float:
        """The loop's time, read anew only once `coarse_step` has passed: one float object
        for every connection whose request ended meanwhile. (A float of its own per request,
        which an idle connection keeps, is made wherever the allocator has room; made while
        sessions live and end, a few dozen of them pinned megabytes of the memory those
        sessions left, see `fastestmcp.server.reclaim`.)"""
        now = self._loop.time()
        if now - self._coarse_now >= self.coarse_step:
            self._coarse_now = now
        return self._coarse_now

    def forget_heads(self) -> None:
        """Every lane connection drops the heads it keeps parsed (`_Template`): they were
        made while sessions lived and would pin the memory those sessions leave (see
        `fastestmcp.server.reclaim`). The next request of each is parsed afresh."""
        for lane in self.lanes:
            lane._heads.clear()

    @property
    def connections(self) -> list[Any]:
        """Every open connection: aiohttp's protocols and the lane's."""
        return [*super().connections, *self.lanes]

    def __call__(self) -> LaneConnection:  # type: ignore[override]
        return LaneConnection(self, self._loop)

    def hand_over(self, transport: asyncio.Transport, data: bytes, *, writing_paused: bool) -> None:
        """Give `transport` to a new aiohttp protocol, as if it had just connected and sent
        `data`."""
        protocol = super().__call__()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if writing_paused:
            protocol.pause_writing()
        if data:
            protocol.data_received(data)

    def pre_shutdown(self) -> None:
        super().pre_shutdown()
        for lane in list(self.lanes):
            lane.close_when_idle()

    async def shutdown(self, timeout: float | None = None) -> None:
        if self.lane.reclaimer is not None:
            self.lane.reclaimer.remove_hook(self.forget_heads)
        lanes = [lane.shutdown(timeout) for lane in list(self.lanes)]
        await asyncio.gather(super().shutdown(timeout), *lanes)
        self.lanes.clear()


# -- responses -----------------------------------------------------------------------------------


def _plain(response: web.StreamResponse) -> bytes | None:
    """A `web.Response` with a bytes body (or none) and plain headers, serialised as aiohttp
    would (Content-Length, Date, Server; `Connection: close` when it closes); None for any
    other (it goes through aiohttp's `prepare`)."""
    if type(response) is not web.Response or response.chunked or response.compression:
        return None
    body = response.body
    if body is None:
        body = b""
    elif type(body) is not bytes:
        return None
    headers = response.headers
    if not headers.keys().isdisjoint(_SET_BY_AIOHTTP):  # (the keys of a CIMultiDict: any case)
        return None
    fields = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    if fields.count("\n") != len(headers) or fields.count("\r") != len(headers):
        return None  # a CR or LF inside a name or value: aiohttp refuses these; let it
    status = response.status
    if status >= 200 and status not in _NO_BODY_STATUSES:
        fields += f"Content-Length: {len(body)}\r\n"
    elif body:
        return None
    if response.keep_alive is False:
        fields += "Connection: close\r\n"
    head = f"HTTP/1.1 {status} {response.reason}\r\n{fields}{_date_and_server()}\r\n"
    return head.encode("utf-8") + body


def _answer_bytes(answer: Answer) -> bytes | None:
    """An `Answer` as `_plain` serialises its aiohttp response; None for a session id that
    is not a plain visible-ASCII token (never one the server minted: aiohttp judges it)."""
    body = answer.body
    session_id = answer.session_id
    if session_id is None:
        session = ""
    elif session_id.isascii() and session_id.isprintable() and " " not in session_id:
        session = f"{SESSION_HEADER}: {session_id}\r\n"
    else:
        return None
    status = answer.status
    reason = _REASONS.get(status)
    if reason is None:
        return None
    if body is None:
        body, fields = b"", session
    else:
        fields = f"{session}Content-Type: application/json\r\n"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n{fields}Content-Length: {len(body)}\r\n"
        f"{_date_and_server()}\r\n"
    )
    return head.encode("ascii") + body


#: The reason phrases of the statuses an `Answer` has (aiohttp's: Python's `HTTPStatus`).
_REASONS: Final = {
    int(status): status.phrase
    for status in HTTPStatus
    if 200 <= status < 600 and status not in _NO_BODY_STATUSES  # (no Content-Length)
}

#: Headers the lane writes itself (or, for a cookie, leaves to aiohttp's `prepare`).
_SET_BY_AIOHTTP: Final = frozenset(
    {"Content-Length", "Date", "Server", "Connection", "Set-Cookie", "Transfer-Encoding"}
)
_SERVER: Final = SERVER_SOFTWARE if _IMPORTED else "fastestmcp"


class _DateCache:
    """The `Date` and `Server` header lines, made once a second."""

    second = -1
    lines = ""


def _date_and_server() -> str:
    now = int(time.time())
    if now != _DateCache.second:
        _DateCache.lines = f"Date: {http_date(now)}\r\nServer: {_SERVER}\r\n"
        _DateCache.second = now
    return _DateCache.lines


_DAY: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(seconds: float) -> str:
    """The HTTP date of `seconds` since the epoch (`email.utils.formatdate(seconds,
    usegmt=True)`, which leaves an object alive per call: made once a second while sessions
    come and go, they pinned memory the sessions left)."""
    t = time.gmtime(seconds)
    return (
        f"{_DAY[t.tm_wday]}, {t.tm_mday:02d} {_MONTH[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )
