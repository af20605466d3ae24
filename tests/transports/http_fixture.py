"""The server and the raw HTTP client the streamable HTTP tests share."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

import fastestmcp
from fastestmcp import Context
from fastestmcp.server.elicitation import AcceptedElicitation

WAIT = 15.0
"""The bound of every wait in these tests (seconds)."""


def run_client(test: Callable[[aiohttp.ClientSession], Awaitable[None]]) -> None:
    """Run `test` with an aiohttp client session, every request and the whole test bounded."""

    async def main() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            await asyncio.wait_for(test(http), 4 * WAIT)

    asyncio.run(main())


async def until(condition: Callable[[], object]) -> bool:
    """Poll `condition` until it holds, for `WAIT` seconds at most; whether it held."""
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return bool(condition())


def connection_timeouts(running: Any) -> list[float]:
    """The idle (keep-alive) timeout of each connection of a running server, once it has one
    (blocking: polls for `WAIT` seconds at most)."""
    listener = running._runner.server
    assert listener is not None
    deadline = time.monotonic() + WAIT
    while not listener.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    return [c.keepalive_timeout for c in listener.connections]


def handlers_done(running: Any) -> None:
    """Wait (bounded) until a running server's listener has no connection left: every
    handler has ended."""
    listener = running._runner.server
    assert listener is not None
    deadline = time.monotonic() + WAIT
    while listener.connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not listener.connections, "a handler is still running"


LATEST = "2025-11-25"
ACCEPT_BOTH = "application/json, text/event-stream"


def make_server(name: str = "http-test", **options: Any) -> fastestmcp.Server:
    srv = fastestmcp.server(name, version="9.9.9", **options)

    @srv.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @srv.tool
    async def remember(value: str, ctx: Context) -> str:
        """Store `value` in the session; return what was stored before."""
        before = await ctx.get_state("value", "")
        await ctx.set_state("value", value)
        return str(before)

    @srv.tool
    async def chatty(ctx: Context) -> str:
        """Log and report progress while running."""
        await ctx.info("started")
        await ctx.report_progress(1, 3, "one")
        await asyncio.sleep(0.01)
        await ctx.report_progress(2, 3, "two")
        await ctx.info("finishing")
        await ctx.report_progress(3, 3, "three")
        return "done"

    @srv.tool
    async def ask_model(prompt: str, ctx: Context) -> str:
        """Sample the client's model during the call."""
        result = await ctx.sample(prompt, max_tokens=50)
        content = result.content
        return f"model said: {getattr(content, 'text', content)}"

    @srv.tool
    async def ask_name(ctx: Context) -> str:
        """Elicit a name during the call."""
        answer = await ctx.elicit("What is your name?", str)
        if isinstance(answer, AcceptedElicitation):
            return f"hello {answer.data}"
        return f"no name ({answer.action})"

    @srv.tool
    def request_info(ctx: Context) -> dict[str, Any]:
        """What the tool sees of its HTTP request."""
        http = ctx.http_request
        assert http is not None
        return {
            "path": http.path,
            "query": dict(http.query_params),
            "x_test": ctx.http_headers().get("x-test"),
            "transport": ctx.transport,
            "has_content_type": "content-type" in ctx.http_headers(),
        }

    @srv.tool
    async def slow(seconds: float) -> str:
        """Sleep for `seconds`."""
        await asyncio.sleep(seconds)
        return "slept"

    @srv.tool
    async def announce(ctx: Context) -> str:
        """Tell every session the tool list changed (a message for the GET stream)."""
        await ctx.send_tool_list_changed()
        return "announced"

    @srv.resource("memo://notes", mime_type="text/plain")
    def notes() -> str:
        """The notes (a resource clients can subscribe to)."""
        return "the notes"

    @srv.tool
    async def touch(uri: str, ctx: Context) -> str:
        """Tell the sessions subscribed to `uri` that it changed (`resources/updated`)."""
        await ctx.notify_resource_updated(uri)
        return f"touched {uri}"

    return srv


def initialize_message(request_id: int | str = 1, version: str = LATEST) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {"sampling": {}, "elicitation": {}},
            "clientInfo": {"name": "raw-test", "version": "0"},
        },
    }


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The JSON messages of a whole SSE body."""
    found = []
    for event in text.split("\n\n"):
        data = [line[6:] for line in event.split("\n") if line.startswith("data: ")]
        if data and any(data):  # a priming event (an id, empty data) carries no message
            found.append(json.loads("\n".join(data)))
    return found


async def sse_events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The JSON messages of an SSE response, as they arrive."""
    buffer = b""
    async for chunk in response.content.iter_any():
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if line.startswith(b"data: ") and line[6:]:  # not a priming event
                    yield json.loads(line[6:])


@dataclass
class RawClient:
    """A raw streamable HTTP client: exact requests, exact answers."""

    http: aiohttp.ClientSession
    url: str
    session_id: str | None = None
    version: str | None = LATEST
    next_id: int = 100
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self, **more: str) -> dict[str, str]:
        headers = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
        if self.session_id is not None:
            headers["Mcp-Session-Id"] = self.session_id
        if self.version is not None:
            headers["MCP-Protocol-Version"] = self.version
        headers.update(self.extra_headers)
        headers.update(more)
        return headers

    async def initialize(self, version: str = LATEST) -> dict[str, Any]:
        async with self.http.post(
            self.url,
            json=initialize_message(version=version),
            headers={"Accept": ACCEPT_BOTH, "Content-Type": "application/json"},
        ) as response:
            assert response.status == 200, await response.text()
            assert response.headers["Content-Type"].startswith("application/json")
            self.session_id = response.headers["Mcp-Session-Id"]
            body: dict[str, Any] = await response.json()
        await self.notify("notifications/initialized")
        return body

    async def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        async with self.http.post(self.url, json=message, headers=self.headers()) as response:
            assert response.status == 202, await response.text()
            assert await response.read() == b""

    def message(self, method: str, params: Any = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        return message

    async def call(
        self, method: str, params: Any = None, **headers: str
    ) -> tuple[int, str, list[dict[str, Any]]]:
        """POST one request; (status, content type, the messages of the answer)."""
        async with self.http.post(
            self.url, json=self.message(method, params), headers=self.headers(**headers)
        ) as response:
            kind = response.headers.get("Content-Type", "")
            text = await response.text()
            if kind.startswith("text/event-stream"):
                return response.status, kind, parse_sse(text)
            return response.status, kind, [json.loads(text)] if text else []

    async def result(self, method: str, params: Any = None) -> Any:
        status, _, found = await self.call(method, params)
        assert status == 200, found
        final = found[-1]
        assert "result" in final, final
        return final["result"]


# -- raw requests whose body comes slowly (or not at all) ------------------------------------------


def post_head(
    port: int, path: str, headers: dict[str, str], *, chunked: bool, length: int
) -> bytes:
    """The head of a POST whose body is `length` bytes (with Content-Length) or chunked."""
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def body_parts(body: bytes, pieces: int, *, chunked: bool) -> list[bytes]:
    """`body` cut in `pieces` parts as they go on the wire (chunk framing when chunked, the
    last chunk included)."""
    size = -(-len(body) // pieces)
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    if not chunked:
        return parts
    framed = [f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in parts]
    framed[-1] += b"0\r\n\r\n"
    return framed


def slow_post(
    port: int, head: bytes, parts: list[bytes], *, pause: float, until_closed: bool
) -> tuple[int, dict[str, str], bytes]:
    """Send `head`, then `parts` with `pause` seconds before each (and nothing more); the
    answer (status, headers lower-cased, body). `until_closed`: then read on until the server
    closes the connection (a server that keeps it open fails the read after `WAIT` seconds).
    Every wait is bounded by `WAIT`."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(head)
        for part in parts:
            time.sleep(pause)
            sock.sendall(part)
        status, answer_headers, body, extra = read_answer(sock)
        if until_closed:
            while chunk := sock.recv(65536):
                extra += chunk
        assert extra == b"", f"more than one answer: {extra!r}"
        return status, answer_headers, body


def read_answer(
    sock: socket.socket, received: bytes = b""
) -> tuple[int, dict[str, str], bytes, bytes]:
    """One answer with a Content-Length from `sock` (its timeout bounds every read), after
    the bytes `received` already: (status, headers lower-cased, body, whatever came after
    it)."""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer: {received!r}"
        received += chunk
    raw_head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
    answer_headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    length = int(answer_headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of the answer"
        rest += chunk
    return int(status_line.split()[1]), answer_headers, rest[:length], rest[length:]


# -- connections that sit idle ---------------------------------------------------------------------

IDLE = 0.3
"""The idle_connection_timeout of the idle-connection tests (seconds)."""

CLOSE_WAIT = 5.0
"""How long those tests wait for the server to close an idle connection (seconds): far above
`IDLE`, far below aiohttp's default of an hour, so a server that keeps the connection fails
the test in a few seconds."""


def closed_by_server(sock: socket.socket) -> float:
    """Wait (at most `CLOSE_WAIT` seconds) for the server to close `sock`; the seconds it
    took. Fails when the server sends anything instead, or keeps the connection open."""
    sock.settimeout(CLOSE_WAIT)
    started = time.monotonic()
    try:
        data = sock.recv(65536)
    except TimeoutError:
        raise AssertionError(
            f"the server kept an idle connection open for more than {CLOSE_WAIT} seconds"
        ) from None
    assert data == b"", f"the server sent {data!r} on an idle connection"
    return time.monotonic() - started


def idle_connection(port: int, sent: bytes = b"") -> socket.socket:
    """A connection to 127.0.0.1:`port` that sends `sent` and nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLOSE_WAIT)
    if sent:
        sock.sendall(sent)
    return sock


PARTIAL_HEAD = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
"""The start of a request head whose end never comes (slowloris on the headers)."""


def trickle_head(port: int, path: str, *, pause: float, limit: float) -> float:
    """Send a request head a byte every `pause` seconds and never end it, until the server
    closes the connection; the seconds from connecting to the close. Fails when the server
    still keeps it after `limit` seconds."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=CLOSE_WAIT) as sock:
        started = time.monotonic()
        sock.settimeout(pause)
        sent = 0
        while time.monotonic() - started < limit:
            try:
                sock.sendall(head[sent : sent + 1] if sent < len(head) else b"a")
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started  # closed between two bytes
            sent += 1
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue  # still open: the next byte
            except ConnectionResetError:
                return time.monotonic() - started
            assert data == b"", f"the server answered a head it never got whole: {data!r}"
            return time.monotonic() - started
        raise AssertionError(f"a head trickling in was still open after {limit} seconds")
