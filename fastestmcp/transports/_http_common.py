# What the HTTP transports share: streamable HTTP (`http.py`), legacy HTTP+SSE
# (`sse_legacy.py`) and, for the Host/Origin checks of its handshake, WebSocket
# (`websocket.py`).
#
# - Refusals: a 4xx/5xx with a JSON-RPC error body that says what was wrong (`refuse`).
# - DNS rebinding protection (`OriginPolicy`): on connections that arrived on a loopback
#   address (or always, with explicit allow-lists) a foreign Host is refused (421) and a
#   foreign Origin too (403). A request without Origin (not a browser) passes.
# - Bodies read in bounded chunks (`read_body`: 413 over the limit, 400 when empty) and in
#   bounded time: a body that has not all arrived `body_timeout` seconds after the handler
#   started waiting for it (a slowloris client: headers and part of a body, then a stall, each
#   such connection holding a handler, a file descriptor and its buffers for as long as it
#   likes) is answered 408 and its connection closed. Only the slow path arms that timer: the
#   usual small POST, whose body came with its headers, is taken from aiohttp's buffer as before.
# - SSE: the response headers and the `message` event framing.
# - Listening: an aiohttp runner on a runtime's loop (`listen` for an application,
#   `listen_handler` for one request handler on aiohttp's low-level server), and blocking until
#   Ctrl-C or SIGTERM (`wait_for_interrupt`). Both close a connection that sits idle for
#   `idle_connection_timeout` seconds (aiohttp's `keepalive_timeout`, 3630 by default): one
#   that never sends a request, sends part of a request head and stalls (slowloris on the
#   headers), or keeps its connection open after a response. aiohttp arms that timer when the
#   connection opens and after every response, and closes only a connection that is waiting
#   for a request head: a request in progress (a long POST, an SSE stream) is not cut.
# - `one_path`: what an application with a single route does for a standalone server, without
#   the application. aiohttp's `Application` resolves a route, builds and freezes its match
#   info, checks for middlewares and sends `on_response_prepare` on every request: about 23 k
#   instructions of ~410 k per `tools/call` (callgrind), all for a server with one path.
#   `Expect: 100-continue` is answered as aiohttp's router answers it (its low-level server
#   leaves that to the application); any other path is a 404 that names the one served.

"""Helpers shared by the HTTP transports (not a public API)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import math
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import InvalidRequest, McpError
from fastestmcp.server.reclaim import settle_gc_for_serving
from fastestmcp.transports.base import HttpRequestInfo, RequestId

__all__ = [
    "LOOPBACK_NAMES",
    "OriginPolicy",
    "body_timed_out",
    "check_body_timeout",
    "check_idle_connection_timeout",
    "error_body",
    "unread_answer",
    "host_name",
    "http_info",
    "listen",
    "listen_handler",
    "one_path",
    "read_body",
    "refuse",
    "refuse_runner_option",
    "sse_event",
    "start_sse",
    "wait_for_interrupt",
]

LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def error_body(exc: McpError, request_id: RequestId | None = None) -> bytes:
    """A JSON-RPC error response, encoded."""
    return jsonrpc.encode(jsonrpc.error_response(exc, request_id))


def refuse(
    status: int,
    exc: McpError,
    request_id: RequestId | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A 4xx/5xx answer with a JSON-RPC error body that says what was wrong."""
    return web.Response(
        status=status,
        body=error_body(exc, request_id),
        content_type="application/json",
        headers=headers,
    )


def host_name(value: str) -> str:
    """`example.com:8080` -> `example.com`; `[::1]:80` -> `::1` (lower-cased)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value


class _Lowered(Mapping[str, str]):
    """Request headers or query parameters as a plain mapping, built on first use (most
    requests never look): header names lower-cased, repeated headers joined with ", "."""

    __slots__ = ("_built", "_lower", "_source")

    def __init__(self, source: Any, *, lower: bool) -> None:
        self._source = source
        self._lower = lower
        self._built: dict[str, str] | None = None

    def _dict(self) -> dict[str, str]:
        built = self._built
        if built is None:
            built = {}
            for key, value in self._source.items():
                name = key.lower() if self._lower else key
                if self._lower and name in built:
                    built[name] = f"{built[name]}, {value}"
                elif name not in built:
                    built[name] = value
            self._built = built
        return built

    def __getitem__(self, key: str) -> str:
        return self._dict()[key]

    def get(self, key: str, default: Any = None) -> Any:  # Mapping.get goes via a KeyError
        if self._built is not None:
            return self._built.get(key, default)
        # One key from aiohttp's multidict, without building the whole mapping (the server
        # looks up a few headers of every request; handlers rarely look at all of them).
        if not self._lower:
            return self._source.get(key, default)  # the first value, as `_dict` keeps
        if key != key.lower():
            return default  # the mapping's names are lower-cased
        values = self._source.getall(key, None)  # case-insensitive
        if values is None:
            return default
        return values[0] if len(values) == 1 else ", ".join(values)

    def __contains__(self, key: object) -> bool:
        return key in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())


def http_info(request: web.BaseRequest) -> HttpRequestInfo:
    """What a handler sees of the HTTP request a frame came with (headers lower-cased)."""
    return HttpRequestInfo(
        method=request.method,
        path=request.path,
        query_params=_Lowered(request.query, lower=False),
        headers=_Lowered(request.headers, lower=True),
    )


# -- Host and Origin (DNS rebinding) ------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _protect_address(address: str) -> bool:
    """Protect connections that arrived on a loopback (or unparsable) local address."""
    try:
        return ipaddress.ip_address(address.partition("%")[0]).is_loopback
    except ValueError:
        return True


#: Entries of an `OriginPolicy`'s memo of decisions.
MEMO_SIZE = 256
_UNKNOWN: Any = object()  # not in the memo yet


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    """Which Host and Origin values are accepted (see `HttpOptions` for the three settings)."""

    dns_rebinding_protection: bool | None = None
    allowed_hosts: tuple[str, ...] | None = None
    allowed_origins: tuple[str, ...] | None = None
    #: `refusal` by (Host, Origin, local address): a client sends the same ones on every
    #: request, and the check parses addresses. Bounded: cleared when full (the values are
    #: the client's to choose).
    _memo: dict[tuple[str | None, str | None, str], tuple[int, str] | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def protecting(self, sockname: Any) -> bool:
        """Whether to check a connection that arrived on `sockname` (the local address)."""
        if self.dns_rebinding_protection is not None:
            return self.dns_rebinding_protection
        if self.allowed_hosts is not None or self.allowed_origins is not None:
            return True
        if not sockname or not isinstance(sockname, tuple):
            return True  # unknown (e.g. a Unix socket): be safe
        return _protect_address(str(sockname[0]))

    def refusal(
        self, host: str | None, origin: str | None, sockname: Any
    ) -> tuple[int, str] | None:
        """(status, message) when the request must be refused, else None."""
        if not self.protecting(sockname):
            return None
        host = host or ""
        if not self.host_allowed(host):
            return (
                421,
                f"Misdirected Request: Host {host!r} is not served here (DNS rebinding "
                "protection); allow it with allowed_hosts",
            )
        if origin is not None and not self.origin_allowed(origin):
            return (
                403,
                f"Forbidden: Origin {origin!r} is not allowed (DNS rebinding protection); "
                "allow it with allowed_origins",
            )
        return None

    def check(self, request: web.BaseRequest) -> web.Response | None:
        """The refusal of an aiohttp request (421/403 with a JSON-RPC error body), or None."""
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        headers = request.headers
        host, origin = headers.get("Host"), headers.get("Origin")
        local = sockname[0] if isinstance(sockname, tuple) and sockname else repr(sockname)
        key = (host, origin, str(local))
        memo = self._memo
        refused = memo.get(key, _UNKNOWN)
        if refused is _UNKNOWN:
            refused = self.refusal(host, origin, sockname)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[key] = refused
        if refused is None:
            return None
        return refuse(refused[0], InvalidRequest(refused[1]))

    def host_allowed(self, host: str) -> bool:
        if not host:
            return False
        allowed = self.allowed_hosts
        if allowed is None:
            return host_name(host) in LOOPBACK_NAMES
        value = host.strip().lower()
        name = host_name(value)
        return any(entry.lower() in (value, name) for entry in allowed)

    def origin_allowed(self, origin: str) -> bool:
        allowed = self.allowed_origins
        if allowed is not None:
            return "*" in allowed or origin.strip().lower().rstrip("/") in {
                entry.lower().rstrip("/") for entry in allowed
            }
        try:
            parts = urlsplit(origin.strip())
            name = parts.hostname
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and name in LOOPBACK_NAMES


# -- bodies and SSE ------------------------------------------------------------------------------


def client_gone(request: web.BaseRequest) -> bool:
    """The client's connection is closed (or closing): nothing more reaches it. (aiohttp
    does not cancel a handler whose client went away; a handler that waits looks.)"""
    transport = request.transport
    return transport is None or transport.is_closing()


def _too_large(limit: int) -> web.Response:
    return refuse(
        413,
        InvalidRequest(f"Payload Too Large: the body is over {limit} bytes; send smaller messages"),
    )


SESSION_HEADER: Final = "Mcp-Session-Id"


class Answer:
    """A whole answer the transport made itself: a status, a JSON body or none, and the
    session's id (one the server minted) or none. Most POSTs end with one. Where an aiohttp
    response is wanted it becomes one (`response()`, what `handle_request` returns); the
    fast lane writes it in one piece without making that response."""

    __slots__ = ("body", "session_id", "status")

    def __init__(self, status: int, body: bytes | None = None, session_id: str | None = None):
        self.status = status
        self.body = body
        self.session_id = session_id

    def response(self) -> web.Response:
        headers = None if self.session_id is None else {SESSION_HEADER: self.session_id}
        if self.body is None:
            return web.Response(status=self.status, headers=headers)
        return web.Response(
            status=self.status, body=self.body, content_type="application/json", headers=headers
        )


def unread_answer() -> web.Response:
    """What a handler returns when its client went away: nobody reads it (499, as nginx
    logs a request the client closed)."""
    return web.Response(status=499)


def _check_seconds(name: str, value: object, none: str) -> None:
    """A timeout option: a finite number of seconds > 0, or None (which means `none`)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a number of seconds > 0 (or None: {none}), got {value!r}")


def check_body_timeout(value: object) -> None:
    """`body_timeout` (an option of both HTTP transports): seconds > 0, or None (no limit)."""
    _check_seconds("body_timeout", value, "no limit")


def check_idle_connection_timeout(value: object) -> None:
    """`idle_connection_timeout` (an option of both HTTP transports): seconds > 0, or None
    (aiohttp's own keep-alive timeout, about an hour)."""
    _check_seconds("idle_connection_timeout", value, "aiohttp's default, about an hour")


def refuse_runner_option(options: Mapping[str, Any], function: str) -> None:
    """An application builder (`http_app`, `sse_app`) given `idle_connection_timeout`: a
    TypeError. The application's connections are made by the runner that serves it, so the
    option could not apply; ignoring it would leave them at aiohttp's hour."""
    if "idle_connection_timeout" in options:
        raise TypeError(
            f"{function}() does not take idle_connection_timeout: the application's "
            "connections belong to the runner that serves it; set keepalive_timeout there "
            "(web.run_app(app, keepalive_timeout=...), web.AppRunner(app, "
            "keepalive_timeout=...))"
        )


async def read_body(
    request: web.BaseRequest, limit: int, timeout: float | None
) -> bytes | web.Response:
    """The body, read in bounded chunks; a 413 over `limit` bytes, a 400 when empty, a 408
    (and the connection closed) when it has not all arrived within `timeout` seconds."""
    length = request.content_length
    if length is not None and length > limit:
        return _too_large(limit)
    try:
        content = request.content
        if length is not None and content.is_eof():
            # All of it came with the headers (the usual small POST): no timer, no wait.
            body = content.read_nowait()
        else:
            read = await _read_slowly(request, length, limit, timeout)
            if isinstance(read, web.Response):
                return read
            body = read
    except ConnectionResetError:
        # The client went away before its body was complete: nobody to answer (aiohttp would
        # log the error as a failed handler).
        return unread_answer()
    if not body:
        return refuse(400, InvalidRequest("Bad Request: the body is empty; send a message"))
    return body


async def _read_slowly(
    request: web.BaseRequest, length: int | None, limit: int, timeout: float | None
) -> bytes | web.Response:
    """The body that has yet to arrive (or a chunked one), within `timeout` seconds."""
    if timeout is None or request.content.is_eof():  # nothing to wait for: no timer
        return await _read_rest(request, length, limit)
    try:
        async with asyncio.timeout(timeout):
            return await _read_rest(request, length, limit)
    except TimeoutError:
        return await _answer_body_timeout(request, timeout)


async def _read_rest(
    request: web.BaseRequest, length: int | None, limit: int
) -> bytes | web.Response:
    if length is not None:  # bounded by the header: one read
        return await request.read()
    chunks: list[bytes] = []  # chunked: count as it comes
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            return _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def body_timed_out(timeout: float) -> web.Response:
    """The 408 of a body that did not arrive within `timeout` seconds, `Connection: close`."""
    response = refuse(
        408,
        InvalidRequest(
            f"Request Timeout: the body did not arrive within {timeout:g} seconds "
            "(body_timeout); send the whole body without pausing, on a new connection"
        ),
    )
    response.force_close()
    return response


async def _answer_body_timeout(request: web.BaseRequest, timeout: float) -> web.Response:
    """Answer 408 and close the connection: the rest of the body is never read. (A response
    returned with `Connection: close` alone would have aiohttp read on and discard the rest
    for up to its lingering time, holding the connection; so the answer is sent here and
    the connection closed once it is written.)"""
    response = body_timed_out(timeout)
    with contextlib.suppress(ConnectionError):
        await response.prepare(request)
        await response.write_eof()
    request.protocol.force_close()  # flushes what was written, then closes
    return response


class Peek(msgspec.Struct):
    """What routing needs of an outgoing frame: a request/notification has a method, a
    response none; an error response has an error."""

    method: str | None = None
    error: Any = None


_PEEK = msgspec.json.Decoder(Peek)


def peek(frame: bytes) -> Peek:
    """Peek at an outgoing frame (the session only sends valid ones)."""
    try:
        return _PEEK.decode(frame)
    except msgspec.DecodeError:  # pragma: no cover - the session only sends valid frames
        return Peek(method="?")


def sse_event(frame: bytes, event_id: str | None = None) -> bytes:
    """One SSE `message` event (frames are compact JSON: no raw newline in them)."""
    head = b"event: message\n" if event_id is None else f"id: {event_id}\nevent: message\n".encode()
    return head + b"data: " + frame + b"\n\n"


async def start_sse(request: web.BaseRequest, headers: Mapping[str, str]) -> web.StreamResponse:
    """Send the head of an SSE response (200, `text/event-stream`, no caching or buffering)."""
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
    return response


async def finish_sse(response: web.StreamResponse) -> None:
    """End an SSE response; a client that went away already is not an error."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        await response.write_eof()


# -- listening -----------------------------------------------------------------------------------


SHUTDOWN_TIMEOUT: Final = 5.0  # seconds the runner waits for requests in flight on stop

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
#: What the fast lane runs: a handler that may answer with an `Answer`.
AnswerHandler = Callable[[web.BaseRequest], Awaitable["web.StreamResponse | Answer"]]


def _connection_options(idle_timeout: float | None) -> dict[str, Any]:
    """What aiohttp's connection handlers are made with: no access log, and `idle_timeout`
    as their keep-alive timeout (None: aiohttp's own, 3630 seconds). That timer is armed
    when a connection opens and after every response, and closes the connection only if it
    is waiting for a request head then: a request in progress (a long POST, an SSE stream)
    is never cut by it."""
    if idle_timeout is None:
        return {"access_log": None}
    return {"access_log": None, "keepalive_timeout": idle_timeout}


async def listen(
    app: web.Application, host: str, port: int, *, idle_timeout: float | None
) -> tuple[web.BaseRunner, int]:
    """Serve `app` on host:port (port 0: any free port), closing connections idle for
    `idle_timeout` seconds (see `_connection_options`); (its runner, the bound port)."""
    options = _connection_options(idle_timeout)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, **options)
    return runner, await _start(runner, host, port)


async def listen_handler(
    handler: Handler,
    host: str,
    port: int,
    *,
    idle_timeout: float | None,
    on_shutdown: Callable[[], None],
    server_class: Callable[..., web.Server] = web.Server,
) -> tuple[web.BaseRunner, int]:
    """Serve every request with `handler` on aiohttp's low-level server (no application:
    see `one_path`), closing connections idle for `idle_timeout` seconds (see
    `_connection_options`). `on_shutdown` runs where an application's `on_shutdown` would:
    when the runner is cleaned up, after the listener stopped, before the open connections
    are waited for. `server_class` makes the server (`web.Server`, or the fast lane's: see
    `_fast_lane`) from `handler` and aiohttp's connection options. (Its runner, the bound
    port.)"""
    server = server_class(handler, **_connection_options(idle_timeout))
    runner = _HandlerRunner(server, on_shutdown)
    return runner, await _start(runner, host, port)


class _HandlerRunner(web.ServerRunner):
    __slots__ = ("_on_shutdown",)

    def __init__(self, server: web.Server, on_shutdown: Callable[[], None]) -> None:
        super().__init__(server, shutdown_timeout=SHUTDOWN_TIMEOUT)
        self._on_shutdown = on_shutdown

    async def shutdown(self) -> None:
        self._on_shutdown()


async def _start(runner: web.BaseRunner, host: str, port: int) -> int:
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        server_ = site._server
        sockets = getattr(server_, "sockets", None) or ()
        return int(sockets[0].getsockname()[1]) if sockets else port
    except BaseException:
        await runner.cleanup()
        raise


def one_path(path: str, handler: Handler) -> Handler:
    """`handler` at `path` alone, for `listen_handler`: what an aiohttp application with this
    one route would do (see the module comment)."""

    async def serve(request: web.BaseRequest) -> web.StreamResponse:
        if request.path != path:
            return refuse(
                404,
                InvalidRequest(f"Not Found: {request.path!r} is not served here; MCP is at {path}"),
            )
        expect = request.headers.get("Expect")
        if expect is not None and request.version >= (1, 1):
            if expect.strip().lower() != "100-continue":
                return refuse(
                    417,
                    InvalidRequest(
                        f"Expectation Failed: Expect {expect!r} is not supported here; "
                        "send Expect: 100-continue or no Expect header"
                    ),
                )
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return await handler(request)

    return serve


def wait_for_interrupt(stop: Callable[[], None]) -> None:
    """Block until Ctrl-C (or SIGTERM, on the main thread), then call `stop` (blocking)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        settle_gc_for_serving()  # this process is the server's
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        stop()


def _interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM (a container stopping) ends serving as Ctrl-C does: cleanly."""
    raise KeyboardInterrupt
