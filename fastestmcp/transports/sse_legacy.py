# The HTTP+SSE transport of MCP 2024-11-05 (deprecated since 2025-03-26, kept for the clients
# that still use it) on aiohttp, next to streamable HTTP on the same application.
#
#   GET  /sse        opens a session and its SSE stream. The first event is `event: endpoint`
#                    whose data is the URL to POST to, carrying the session id
#                    (`/messages?session_id=<id>`, relative to the server; a mounted application
#                    announces its prefix too). Every frame of the session follows as
#                    `event: message`, in order. The session ends when this stream closes (the
#                    client went away), and the stream closes when the session ends (idle
#                    expiry, server stop).
#   POST /messages?session_id=<id>
#                    one JSON-RPC message from the client: 202 Accepted (its answer travels on
#                    the SSE stream). No session_id: 400; an unknown or ended one: 404.
#
# Security and limits are streamable HTTP's (`_http_common`): Host/Origin validation on
# loopback connections (421/403), bodies over `max_body_size` -> 413, a body not all arrived
# within `body_timeout` seconds -> 408 (connection closed), a connection with no request in
# progress for `idle_connection_timeout` seconds closed (`serve_sse`), `application/json`
# only (415: a plain form cannot post here). A client that does not read its stream gets
# its connection closed once `max_queued_bytes` are waiting, and its session ends. Every
# refusal is a 4xx with a JSON-RPC error body that says what was wrong.
#
# Threads: the handlers run on the runtime's loop, like the session actors, so the outbox,
# the stream and the session table are only touched from that loop.

"""Legacy HTTP+SSE transport (2024-11-05): `sse_app`, `serve_sse`, `run_sse`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final

import structlog
from aiohttp import web

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import InternalError, InvalidRequest, McpError
from fastestmcp.server.ids import new_session_id
from fastestmcp.server.running import DEFAULT_POOL_SIZE, ServerHandle, start, start_async
from fastestmcp.transports._http_common import (
    OriginPolicy,
    check_body_timeout,
    check_idle_connection_timeout,
    client_gone,
    http_info,
    listen,
    read_body,
    refuse,
    refuse_runner_option,
    sse_event,
    start_sse,
    unread_answer,
    wait_for_interrupt,
)
from fastestmcp.transports.base import RequestId
from fastestmcp.transports.http import TRANSPORT_KEY, HttpOptions, StreamableHttpTransport
from fastestmcp.transports.listening import ListeningServer
from supervisors import MaxChildrenError, Runtime

if TYPE_CHECKING:
    from fastestmcp.server.definition import Server
    from fastestmcp.server.session import SessionSink

__all__ = [
    "DEFAULT_MESSAGES_PATH",
    "DEFAULT_SSE_PATH",
    "SSE_TRANSPORT_KEY",
    "SseOptions",
    "SseServer",
    "SseTransport",
    "run_sse",
    "serve_sse",
    "sse_app",
]

log = structlog.get_logger("fastestmcp.transports.sse_legacy")

DEFAULT_SSE_PATH: Final = "/sse"
DEFAULT_MESSAGES_PATH: Final = "/messages"
TRANSPORT_NAME: Final = "sse"
SESSION_PARAM: Final = "session_id"
_SESSION_NOT_FOUND: Final = -32001


@dataclass(frozen=True, kw_only=True)
class SseOptions:
    """Options of the legacy HTTP+SSE transport (all have working defaults).

    Attributes:
        sse_path: Where clients open their SSE stream (GET).
        messages_path: Where clients POST their messages (announced by the endpoint event).
        max_body_size: Largest POST body, in bytes (larger: 413).
        body_timeout: Seconds a POST body may take to arrive once its headers have (a body
            still incomplete then: 408, connection closed). None: no limit.
        idle_connection_timeout: Seconds a connection may stay open with no request in
            progress (before its first request, between requests, or while a request head is
            still arriving) before the server closes it; an open SSE stream or a POST being
            served is never cut by it. None: aiohttp's own default (3630 s). Not
            `keepalive`, the SSE comment interval; and `serve_sse` only: an `sse_app` runs in
            your runner, whose `keepalive_timeout` is this setting (as for `HttpOptions`).
        retry_after: Seconds suggested in `Retry-After` when refusing with 503.
        dns_rebinding_protection, allowed_hosts, allowed_origins: as for streamable HTTP
            (`HttpOptions`).
        max_queued_bytes: Bytes queued on a session's SSE stream whose client does not read
            before the connection is closed (and the session ended).
        keepalive: Seconds between SSE comment lines on an idle stream (None: never).
        disconnect_check: Seconds between checks that an idle stream's client is still
            connected (its session ends when it is not).
    """

    sse_path: str = DEFAULT_SSE_PATH
    messages_path: str = DEFAULT_MESSAGES_PATH
    max_body_size: int = 4 * 1024 * 1024
    body_timeout: float | None = 30.0
    idle_connection_timeout: float | None = 75.0
    retry_after: int = 1
    dns_rebinding_protection: bool | None = None
    allowed_hosts: tuple[str, ...] | None = None
    allowed_origins: tuple[str, ...] | None = None
    max_queued_bytes: int = 16 * 1024 * 1024
    keepalive: float | None = 15.0
    disconnect_check: float = 1.0

    def __post_init__(self) -> None:
        for name in ("sse_path", "messages_path"):
            if not getattr(self, name).startswith("/"):
                raise ValueError(f"{name} must start with '/', got {getattr(self, name)!r}")
        if self.sse_path == self.messages_path:
            raise ValueError("sse_path and messages_path must differ")
        if self.max_body_size < 1:
            raise ValueError(f"max_body_size must be at least 1 byte, got {self.max_body_size}")
        check_body_timeout(self.body_timeout)
        check_idle_connection_timeout(self.idle_connection_timeout)
        if self.disconnect_check <= 0:
            raise ValueError("disconnect_check must be > 0 seconds")

    @property
    def origin_policy(self) -> OriginPolicy:
        return OriginPolicy(self.dns_rebinding_protection, self.allowed_hosts, self.allowed_origins)


_SSE_FIELDS: Final = frozenset(f.name for f in fields(SseOptions))
_HTTP_FIELDS: Final = frozenset(f.name for f in fields(HttpOptions))


def _split_options(
    options: Mapping[str, Any], *, with_http: bool
) -> tuple[SseOptions, HttpOptions | None]:
    """Options for both transports: shared names (limits, Host/Origin) go to both."""
    given = dict(options)
    for key in ("allowed_hosts", "allowed_origins"):
        if given.get(key) is not None:
            given[key] = tuple(given[key])
    known = _SSE_FIELDS | _HTTP_FIELDS if with_http else _SSE_FIELDS
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(
            f"unknown HTTP+SSE transport option(s) {unknown}; the options are {sorted(known)}"
        )
    sse = SseOptions(**{k: v for k, v in given.items() if k in _SSE_FIELDS})
    http = None
    if with_http:
        http = HttpOptions(**{k: v for k, v in given.items() if k in _HTTP_FIELDS})
    return sse, http


# -- a session's stream ------------------------------------------------------------------------


class _SseSession:
    """One session as this transport sees it: its sink and the frames for its SSE stream."""

    __slots__ = ("closed", "connection", "frames", "id", "overflowed", "queued", "sink", "wake")

    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.sink: SessionSink | None = None
        self.connection: asyncio.Transport | None = None  # the GET's, once it streams
        self.frames: deque[bytes] = deque()
        self.queued = 0
        self.wake = asyncio.Event()
        self.closed = False  # the session ended: flush, then end the stream
        self.overflowed = False  # the client does not read: drop the connection


class SseOutbox:
    """The `Outbox` of one legacy SSE session: every frame goes on its one stream."""

    def __init__(self, transport: SseTransport, session: _SseSession) -> None:
        self._transport = transport
        self._session = session

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        session = self._session
        if session.closed or session.overflowed:
            return
        session.queued += len(frame)
        if session.queued > self._transport.options.max_queued_bytes:
            session.overflowed = True
            session.frames.clear()
            log.error(
                "a client does not read its SSE stream; closing the connection",
                session_id=session.id,
                queued_bytes=session.queued,
            )
            if session.connection is not None:
                # The writer may be waiting for the client to drain: cut it off now (the
                # stream's handler then ends the session).
                session.connection.abort()
        else:
            session.frames.append(frame)
        session.wake.set()

    def close(self) -> None:
        session = self._session
        if session.closed:
            return
        session.closed = True
        self._transport._forget(session)
        session.wake.set()


# -- the transport -------------------------------------------------------------------------------


class SseTransport:
    """Serves one server's sessions over legacy HTTP+SSE (see the module comment).

    `sse_app(server)` builds an application with it (and streamable HTTP); to put it on an
    application of your own next to a running `ServerHandle`: `attach(handle)`, then
    `add_routes(app)`.
    """

    def __init__(self, server: Server, options: SseOptions | None = None) -> None:
        self.server = server
        self.options = options or SseOptions()
        self.handle: ServerHandle | None = None
        self._policy = self.options.origin_policy
        self._sessions: dict[str, _SseSession] = {}
        self._messages: web.AbstractResource | None = None
        self._closing = False

    def attach(self, handle: ServerHandle) -> None:
        self.handle = handle

    @property
    def session_ids(self) -> list[str]:
        """The ids of the open sessions."""
        return list(self._sessions)

    def _forget(self, session: _SseSession) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    def add_routes(self, app: web.Application) -> None:
        """Serve `GET sse_path` and `POST messages_path` on `app`."""
        app.router.add_route("*", self.options.sse_path, self.handle_sse)
        route = app.router.add_route("*", self.options.messages_path, self.handle_message)
        self._messages = route.resource
        app.on_shutdown.append(self._on_shutdown)

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """End every open stream (so the server can stop without waiting for clients)."""
        self._closing = True
        for session in list(self._sessions.values()):
            session.closed = True
            session.wake.set()

    def _busy(self, what: str) -> web.Response:
        return refuse(
            503,
            InternalError(f"Service Unavailable: {what}; retry later"),
            headers={"Retry-After": str(self.options.retry_after)},
        )

    def _endpoint(self, session_id: str) -> str:
        path = self.options.messages_path
        if self._messages is not None:
            path = str(self._messages.url_for())  # with the prefix of a mounted application
        return f"{path}?{SESSION_PARAM}={session_id}"

    # -- GET: the session's stream -----------------------------------------------------------

    async def handle_sse(self, request: web.Request) -> web.StreamResponse:
        refused = self._policy.check(request)
        if refused is not None:
            return refused
        if request.method != "GET":
            return _method_not_allowed(request.method, "GET")
        handle = self.handle
        if handle is None or self._closing:
            return self._busy("the server is not running")
        limit = self.server.max_sessions
        if limit is not None and len(self._sessions) >= limit:
            return self._busy(f"the server has its maximum of {limit} sessions open")
        session = _SseSession(new_session_id())
        try:
            _, sink = await handle.open_session(
                SseOutbox(self, session),
                transport=TRANSPORT_NAME,
                session_id=session.id,
                fresh=True,  # just minted
            )  # the session supervisor answers every start: no timer of our own
        except MaxChildrenError:
            return self._busy(f"the server has its maximum of {limit} sessions open")
        except Exception:
            log.exception("could not open a session")
            return self._busy("could not open a session")
        session.sink = sink
        self._sessions[session.id] = session
        response: web.StreamResponse | None = None
        session.connection = request.transport
        try:
            response = await start_sse(request, {})
            await response.write(
                b"event: endpoint\ndata: " + self._endpoint(session.id).encode() + b"\n\n"
            )
            await self._pump(request, response, session, sink)
        except (ConnectionError, RuntimeError):
            log.info("client closed its SSE stream", session_id=session.id)
        finally:
            self._forget(session)
            if not session.closed:
                session.closed = True
                sink.closed()  # the client went away: the session ends
        return response if response is not None else unread_answer()

    async def _pump(
        self,
        request: web.Request,
        response: web.StreamResponse,
        session: _SseSession,
        sink: SessionSink,
    ) -> None:
        """Write the session's frames until it ends or the client goes away."""
        loop = asyncio.get_running_loop()
        idle = self.server.session_idle_timeout
        intervals = [t for t in (self.options.keepalive, idle / 3 if idle else None) if t]
        keepalive = min(intervals) if intervals else None
        tick = min(self.options.disconnect_check, keepalive or self.options.disconnect_check)
        last_write = last_touch = loop.time()
        sink.touch()
        while True:
            if session.overflowed:
                if request.transport is not None:
                    request.transport.abort()
                return
            while session.frames:
                frame = session.frames.popleft()
                session.queued -= len(frame)
                await response.write(sse_event(frame))
                last_write = loop.time()
            if session.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await response.write_eof()
                return
            session.wake.clear()  # no await since the frames were taken: none missed
            try:
                await asyncio.wait_for(session.wake.wait(), tick)
            except TimeoutError:
                if client_gone(request):
                    raise ConnectionResetError("the client closed the connection") from None
            now = loop.time()
            if keepalive is not None and now - last_touch >= keepalive:
                sink.touch()  # the client is there, its stream open: the session is not idle
                last_touch = now
            if keepalive is not None and now - last_write >= keepalive:
                await response.write(b": keepalive\n\n")  # also finds dead connections
                last_write = now

    # -- POST: one message -------------------------------------------------------------------

    async def handle_message(self, request: web.Request) -> web.StreamResponse:
        refused = self._policy.check(request)
        if refused is not None:
            return refused
        if request.method != "POST":
            return _method_not_allowed(request.method, "POST")
        sid = request.query.get(SESSION_PARAM)
        if sid is None:
            return refuse(
                400,
                InvalidRequest(
                    f"Bad Request: the {SESSION_PARAM} query parameter is missing; POST to the "
                    f"URL the endpoint event of GET {self.options.sse_path} announced"
                ),
            )
        session = self._sessions.get(sid)
        if session is None or session.closed or session.sink is None:
            return refuse(
                404,
                McpError(
                    _SESSION_NOT_FOUND,
                    "Session not found: it ended or was never issued; open a new SSE stream "
                    f"(GET {self.options.sse_path}) and POST to the endpoint it announces",
                ),
            )
        content_type = request.headers.get("Content-Type", "")
        if content_type.partition(";")[0].strip().lower() != "application/json":
            return refuse(
                415,
                InvalidRequest(
                    f"Unsupported Media Type: Content-Type {content_type!r}; send one JSON-RPC "
                    "message as application/json"
                ),
            )
        options = self.options
        body = await read_body(request, options.max_body_size, options.body_timeout)
        if isinstance(body, web.Response):
            return body
        try:
            jsonrpc.decode(body, allow_batch=True)  # the session decides whether batches are ok
        except McpError as exc:
            return refuse(400, exc, exc.request_id)
        if self._sessions.get(sid) is not session:  # ended while the body was read
            return refuse(404, McpError(_SESSION_NOT_FOUND, "Session not found: it ended"))
        session.sink.frame(body, http_info(request))
        return web.Response(status=202, text="Accepted")


def _method_not_allowed(method: str, allowed: str) -> web.Response:
    return refuse(
        405,
        InvalidRequest(f"Method Not Allowed: {method} is not served here; use {allowed}"),
        headers={"Allow": allowed},
    )


SSE_TRANSPORT_KEY: Final = web.AppKey("fastestmcp.sse_transport", SseTransport)
"""Where `sse_app` keeps its legacy SSE transport (`app[SSE_TRANSPORT_KEY].session_ids`)."""


def _build(
    server: Server, options: Mapping[str, Any], streamable_http: bool
) -> tuple[web.Application, SseTransport, StreamableHttpTransport | None]:
    sse_options, http_options = _split_options(options, with_http=streamable_http)
    sse = SseTransport(server, sse_options)
    http = StreamableHttpTransport(server, http_options) if http_options is not None else None
    app = http.application() if http is not None else web.Application()
    sse.add_routes(app)
    return app, sse, http


# -- ways to run it ----------------------------------------------------------------------------


def sse_app(server: Server, *, streamable_http: bool = True, **options: Any) -> web.Application:
    """An aiohttp application serving `server` over legacy HTTP+SSE (`/sse`, `/messages`).

    With `streamable_http` (the default) the same application serves streamable HTTP at
    `path` (`/mcp`) too, so clients of every era find the server. Mount it or run it as
    `http_app`'s application. Options: `SseOptions` and, with streamable HTTP, `HttpOptions`
    (shared names, like `max_body_size` or `allowed_origins`, apply to both), but for
    `idle_connection_timeout`: how long an idle connection stays open is the `keepalive_timeout`
    of the runner that serves the application, yours to set (see `http_app`).
    """
    refuse_runner_option(options, "sse_app")
    app, sse, http = _build(server, options, streamable_http)

    async def lifespan(_app: web.Application) -> AsyncIterator[None]:
        runtime = Runtime(f"fastestmcp:{server.name}")
        await runtime.__aenter__()
        try:
            handle = await start_async(server, runtime)
            sse.attach(handle)
            if http is not None:
                http.attach(handle)
            yield
        finally:
            sse.shutdown()
            if http is not None:
                http.shutdown()
            await runtime.aclose()

    app.cleanup_ctx.append(lifespan)
    app[SSE_TRANSPORT_KEY] = sse
    if http is not None:
        app[TRANSPORT_KEY] = http
    return app


class SseServer(ListeningServer):
    """A server listening on legacy HTTP+SSE (and streamable HTTP), see `serve_sse`."""

    def __init__(
        self,
        handle: ServerHandle,
        transport: SseTransport,
        http_transport: StreamableHttpTransport | None,
        runner: web.BaseRunner,
        host: str,
        port: int,
    ) -> None:
        super().__init__(handle, host, port)
        self.transport = transport
        self.http_transport = http_transport
        self._runner = runner

    @property
    def url(self) -> str:
        """The SSE endpoint's URL, e.g. ``http://127.0.0.1:8000/sse``."""
        return self.base_url + self.transport.options.sse_path

    @property
    def http_url(self) -> str | None:
        """The streamable HTTP endpoint's URL (None when not served)."""
        if self.http_transport is None:
            return None
        return self.base_url + self.http_transport.options.path

    async def _close_listener(self) -> None:
        # Cleanup runs the application's on_shutdown: the transports end their streams.
        await self._runner.cleanup()


def serve_sse(
    server: Server,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    pool_size: int = DEFAULT_POOL_SIZE,
    streamable_http: bool = True,
    **options: Any,
) -> SseServer:
    """Start `server` on legacy HTTP+SSE (and streamable HTTP) and return at once.

    Port 0 picks a free port. The server's tree and the listener run on a runtime thread of
    their own; stop it with `stop()` or a `with` block. Options: see `sse_app`.
    """
    app, sse, http = _build(server, options, streamable_http)
    handle = start(server, pool_size=pool_size)
    sse.attach(handle)
    if http is not None:
        http.attach(handle)
    try:
        listening = listen(app, host, port, idle_timeout=sse.options.idle_connection_timeout)
        runner, bound = handle.runtime.run_coroutine(listening).result(30)
    except BaseException:
        handle.stop()
        raise
    return SseServer(handle, sse, http, runner, host, bound)


def run_sse(server: Server, *, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
    """Serve `server` on legacy HTTP+SSE (and streamable HTTP) until Ctrl-C; blocking."""
    running = serve_sse(server, host=host, port=port, **options)
    log.info("serving MCP over HTTP+SSE", url=running.url, streamable_http=running.http_url)
    wait_for_interrupt(running.stop)
