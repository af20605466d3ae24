"""A minimal HTTP/1.1 client on asyncio, for the benchmark's load generator
(`benchmarks/http_bench.py`).

A general client (aiohttp's) spends more CPU per request than the servers it measures (~140-250
us a call on a small VM, against ~60 us for a canned responder): on a machine whose CPUs the
driver and the server share, the driver then caps every server's calls/s. This one does only
what the load generator needs, cheaply:

- `HttpConnection`: one keep-alive TCP connection, one request at a time (no pipelining), the
  request handed over already encoded (`bytes`), reconnecting when the server closed the
  connection (`Connection: close`, HTTP/1.0, or an idle keep-alive the server dropped).
  `request(data)` sends one request; `run(next_request, on_response)` chains them from the
  connection's own callbacks: the next request is written from `data_received` as soon as
  the previous response has been handled, with no future, task switch or timer per request
  (one deadline timer per connection, moved by each request).
- `ResponseParser`: incremental response parsing: the status line, the headers (looked up
  case-insensitively), a body framed by `Content-Length`, by `Transfer-Encoding: chunked`
  (chunk extensions and trailers skipped) or by the end of the connection; `1xx` interim
  responses skipped. No content codings: the requests send no `Accept-Encoding`, and a coded
  body is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

MAX_HEAD = 64 * 1024  # a longer status line + headers is refused
MAX_LINE = 8 * 1024  # a longer chunk-size or trailer line is refused

_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILERS, _EOF = range(7)


def _find(data: bytes, end: bytes, pos: int, limit: int, what: str) -> int:
    """Where `end` starts in `data` from `pos`, or -1 when it has not arrived yet; a line or
    head that is already longer than `limit` without it is refused."""
    found = data.find(end, pos)
    if found < 0 and len(data) - pos > limit:
        raise HttpError(f"{what} too long")
    return found


class HttpError(Exception):
    """A malformed response, or a connection lost before the response was complete."""


class Headers(dict[str, str]):
    """Response headers, names lowercased; `get`, `[]` and `in` take any case."""

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())


class HttpResponse:
    __slots__ = ("body", "headers", "keep_alive", "reason", "status")

    def __init__(
        self, status: int, reason: str, headers: Headers, body: bytes, keep_alive: bool
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.reason} {len(self.body)} bytes>"


class ResponseParser:
    """Feed it the bytes as they arrive; it hands back the responses they complete."""

    def __init__(self) -> None:
        self._buf = b""  # an incomplete head or line, kept for the next `feed`
        self._state = _HEAD
        self._start()

    def _start(self) -> None:
        self._status = 0
        self._reason = ""
        self._headers = Headers()
        self._keep_alive = True
        self._remaining = 0
        self._parts: list[bytes] = []

    @property
    def idle(self) -> bool:
        """No response begun: a connection closed now lost nothing."""
        return self._state == _HEAD and not self._buf

    def feed(self, data: bytes) -> list[HttpResponse]:
        if self._buf:
            data = self._buf + data
            self._buf = b""
        pos = 0
        size = len(data)
        done: list[HttpResponse] = []
        while pos < size:
            state = self._state
            if state == _HEAD:
                end = _find(data, b"\r\n\r\n", pos, MAX_HEAD, "response headers")
                if end < 0:
                    break
                self._head(data[pos:end], done)
                pos = end + 4
            elif state in (_LENGTH, _CHUNK_DATA):
                need = self._remaining
                if size - pos < need:  # a part of the body (or chunk): keep it, wait for more
                    self._parts.append(data[pos:])
                    self._remaining = need - (size - pos)
                    pos = size
                    break
                self._parts.append(data[pos : pos + need])
                pos += need
                if state == _LENGTH:
                    self._finish(done)
                else:
                    self._state = _CHUNK_CRLF
            elif state == _CHUNK_SIZE:
                eol = _find(data, b"\r\n", pos, MAX_LINE, "chunk-size line")
                if eol < 0:
                    break
                line = data[pos:eol]
                pos = eol + 2
                semi = line.find(b";")  # chunk extensions: ignored
                if semi >= 0:
                    line = line[:semi]
                line = line.strip()
                if not line or line.strip(b"0123456789abcdefABCDEF"):
                    raise HttpError(f"bad chunk size {line[:40]!r}")
                self._remaining = int(line, 16)
                self._state = _CHUNK_DATA if self._remaining else _TRAILERS
            elif state == _CHUNK_CRLF:
                if size - pos < 2:
                    break
                if data[pos : pos + 2] != b"\r\n":
                    raise HttpError("chunk data not followed by CRLF")
                pos += 2
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                eol = _find(data, b"\r\n", pos, MAX_LINE, "trailer line")
                if eol < 0:
                    break
                if eol == pos:  # the blank line that ends the trailers
                    self._finish(done)
                pos = eol + 2
            else:  # _EOF: the body runs to the end of the connection
                self._parts.append(data[pos:])
                pos = size
        if pos < size:
            self._buf = data[pos:]
        return done

    def feed_eof(self) -> HttpResponse | None:
        """The connection closed: the response it completed (a body framed by the close), None
        when no response was under way, else `HttpError`."""
        if self._state == _EOF:
            done: list[HttpResponse] = []
            self._finish(done)
            return done[0]
        if self.idle:
            return None
        raise HttpError("the connection closed in the middle of a response")

    def _head(self, head: bytes, done: list[HttpResponse]) -> None:
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise HttpError(f"bad status line {lines[0][:80]!r}")
        status = int(code)
        fields: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise HttpError(f"bad header line {line[:80]!r}")
            key = name.lower()
            if key in fields:  # a repeated header: its values joined, as a list
                fields[key] += ", " + value.strip()
            else:
                fields[key] = value.strip()
        if 100 <= status < 200:  # an interim response: the real one follows
            return
        self._status = status
        self._reason = reason
        self._headers = Headers(fields)
        connection = fields.get("connection")
        if version == "HTTP/1.0":
            self._keep_alive = connection is not None and "keep-alive" in connection.lower()
        else:
            self._keep_alive = connection is None or "close" not in connection.lower()
        coding = fields.get("content-encoding")
        if coding and coding.lower() != "identity":
            raise HttpError(f"a Content-Encoding the client did not ask for: {coding}")
        transfer = fields.get("transfer-encoding")
        length = fields.get("content-length")
        if status == 204 or status == 304:
            self._finish(done)
        elif transfer is not None:
            if transfer.lower().replace(" ", "").split(",")[-1] != "chunked":
                raise HttpError(f"unsupported Transfer-Encoding {transfer}")
            self._state = _CHUNK_SIZE
        elif length is not None:
            if not length.isdigit():
                raise HttpError(f"bad Content-Length {length!r}")
            self._remaining = int(length)
            if self._remaining:
                self._state = _LENGTH
            else:
                self._finish(done)
        else:
            self._keep_alive = False
            self._state = _EOF

    def _finish(self, done: list[HttpResponse]) -> None:
        parts = self._parts
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        done.append(HttpResponse(self._status, self._reason, self._headers, body, self._keep_alive))
        self._state = _HEAD
        self._start()


NextRequest = Callable[[], "bytes | None"]
OnResponse = Callable[[HttpResponse], None]


class _Protocol(asyncio.Protocol):
    """One connection; while a run is under way, sends each request as soon as the previous
    response has been handled, from `data_received` itself (no task switch per request)."""

    def __init__(self) -> None:
        self.parser = ResponseParser()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[bytes | None] | None = None  # set while a run is under way
        self.next_request: NextRequest | None = None
        self.on_response: OnResponse | None = None
        self.timeout = 0.0
        self.deadline = 0.0  # the time by which the pending request must be answered
        self.watch: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def start(
        self,
        data: bytes,
        next_request: NextRequest,
        on_response: OnResponse,
        done: asyncio.Future[bytes | None],
        timeout: float,
    ) -> None:
        assert self.transport is not None
        assert self.done is None
        self.done = done
        self.next_request = next_request
        self.on_response = on_response
        self.timeout = timeout
        self.deadline = self.loop.time() + timeout
        self.watch = self.loop.call_at(self.deadline, self._check_deadline)
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        try:
            responses = self.parser.feed(data)
        except HttpError as exc:
            self._fail(exc)
            return
        for response in responses:
            if self.done is None:
                self._fail(HttpError(f"a response nobody asked for: {response!r}"))
                return
            self._handle(response)

    def _handle(self, response: HttpResponse) -> None:
        """The pending request's response: hand it over, then send the next request (or end
        the run, or leave the next request to a new connection)."""
        assert self.on_response is not None
        assert self.next_request is not None
        transport = self.transport
        assert transport is not None
        if not response.keep_alive:  # the server closes it: the next request needs another
            self.closed = True
            transport.close()
        try:
            self.on_response(response)
            data = self.next_request()
        except BaseException as exc:
            self._end(exc)
            return
        if data is not None and not self.closed:
            self.deadline = self.loop.time() + self.timeout
            transport.write(data)
        else:  # done, or `data` for the caller to send over a new connection
            self._end(None, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.done is None:
            return
        try:
            response = self.parser.feed_eof()
        except HttpError as error:
            self._end(error)
            return
        if response is None:
            reason = f": {exc}" if exc else ""
            self._end(HttpError(f"the server closed the connection{reason}"))
        else:
            self._handle(response)

    def _check_deadline(self) -> None:
        if self.done is None:
            return
        if self.loop.time() >= self.deadline:
            self._fail(TimeoutError(f"no response within {self.timeout:g} s"))
        else:
            self.watch = self.loop.call_at(self.deadline, self._check_deadline)

    def _end(self, exc: BaseException | None, data: bytes | None = None) -> None:
        done = self.done
        self.done = self.next_request = self.on_response = None
        if self.watch is not None:
            self.watch.cancel()
            self.watch = None
        if done is None or done.done():
            return
        if exc is None:
            done.set_result(data)
        else:
            done.set_exception(exc)

    def _fail(self, exc: BaseException) -> None:
        self.closed = True
        self._end(exc)
        if self.transport is not None:
            self.transport.abort()


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to `host:port`, one request at a time (reconnecting
    when the server closed it)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connects = 0  # how many times it (re)connected
        self._protocol: _Protocol | None = None

    async def run(self, next_request: NextRequest, on_response: OnResponse) -> None:
        """Send `next_request()`, hand its response to `on_response`, and so on until
        `next_request()` returns None. Both are called from the connection's callbacks, with no
        task switch in between; an exception either raises ends the run and propagates here.
        Each response must come within `timeout` seconds of its request."""
        data = next_request()
        while data is not None:
            protocol = self._protocol
            if protocol is None or protocol.closed:
                protocol = await self._connect()
            done: asyncio.Future[bytes | None] = protocol.loop.create_future()
            protocol.start(data, next_request, on_response, done, self.timeout)
            try:
                data = await done
            except BaseException:
                self.close()
                raise

    async def request(self, data: bytes) -> HttpResponse:
        """Send one encoded request (head and body), return its response."""
        pending = [data]
        responses: list[HttpResponse] = []
        await self.run(lambda: pending.pop() if pending else None, responses.append)
        return responses[0]

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(_Protocol, self.host, self.port), self.timeout
        )
        self.connects += 1
        self._protocol = protocol
        return protocol

    def close(self) -> None:
        protocol = self._protocol
        self._protocol = None
        if protocol is not None:
            protocol.closed = True
            protocol._end(HttpError("closed"))
            if protocol.transport is not None:
                protocol.transport.close()


def encode_head(method: str, path: str, host: str, headers: dict[str, str]) -> bytes:
    """A request's head up to (not including) its `Content-Length` line."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def encode_request(head: bytes, body: bytes) -> bytes:
    """`head` (from `encode_head`) + `Content-Length` + the blank line + `body`."""
    return b"%bContent-Length: %d\r\n\r\n%b" % (head, len(body), body)
