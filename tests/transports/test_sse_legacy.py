"""Legacy HTTP+SSE (2024-11-05) through a real aiohttp server on 127.0.0.1.

Raw requests first (exact statuses and events), then the official `mcp` SDK's legacy client
(`mcp.client.sse.sse_client`). Every await is bounded by `WAIT` (the whole test by `run`);
servers are stopped by the fixtures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import mcp.types as types
import pytest
from aiohttp import web
from mcp import ClientSession, MCPDeprecationWarning
from mcp.client.sse import sse_client

import fastestmcp
from fastestmcp import Context
from fastestmcp.transports.serve import run as run_transport
from fastestmcp.transports.sse_legacy import (
    SSE_TRANSPORT_KEY,
    SseOptions,
    SseOutbox,
    SseServer,
    SseTransport,
    _SseSession,
    serve_sse,
    sse_app,
)
from tests.transports.http_fixture import (
    IDLE,
    LATEST,
    WAIT,
    body_parts,
    closed_by_server,
    connection_timeouts,
    handlers_done,
    idle_connection,
    initialize_message,
    make_server,
    post_head,
    read_answer,
    slow_post,
)
from tests.transports.test_http_sdk import (
    Recorder,
    bounded,
    check_subscriptions,
    eventually,
    text_of,
)


def run(test: Callable[[aiohttp.ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=WAIT)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            await asyncio.wait_for(test(http), 4 * WAIT)

    asyncio.run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[SseServer]:
    running = serve_sse(make_server("sse-test"), port=0, disconnect_check=0.05)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Event:
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


class LegacyClient:
    """A raw legacy SSE client: the GET stream's events, POSTs to the announced endpoint."""

    def __init__(self, http: aiohttp.ClientSession, response: aiohttp.ClientResponse, base: str):
        self.http = http
        self.response = response
        self.base = base
        self.buffer = b""
        self.endpoint = ""
        self.next_id = 100

    async def event(self) -> Event:
        while b"\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(self.response.content.readany(), WAIT)
            if not chunk:
                raise EOFError("the SSE stream ended")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\n\n", 1)
        kind, data = "message", []
        for line in raw.decode().split("\n"):
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
            elif line.startswith(":"):
                return await self.event()  # a keepalive comment
        return Event(kind, "\n".join(data))

    async def message(self) -> dict[str, Any]:
        event = await self.event()
        assert event.event == "message", event
        found: dict[str, Any] = event.json()
        return found

    @property
    def session_id(self) -> str:
        return self.endpoint.rpartition("session_id=")[2]

    async def post(self, message: Any, **headers: str) -> tuple[int, str]:
        async with self.http.post(
            self.base + self.endpoint,
            data=json.dumps(message),
            headers={"Content-Type": "application/json", **headers},
        ) as response:
            return response.status, await response.text()

    async def request(self, method: str, params: Any = None) -> list[dict[str, Any]]:
        """POST a request (202), then read the stream up to its response (included)."""
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        status, _ = await self.post(message)
        assert status == 202
        found = []
        while True:
            frame = await self.message()
            found.append(frame)
            if frame.get("id") == self.next_id and "method" not in frame:
                return found

    async def result(self, method: str, params: Any = None) -> Any:
        final = (await self.request(method, params))[-1]
        assert "result" in final, final
        return final["result"]

    async def initialize(self) -> dict[str, Any]:
        status, body = await self.post(initialize_message())
        assert (status, body) == (202, "Accepted")
        init = await self.message()
        status, _ = await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert status == 202
        return init


@asynccontextmanager
async def legacy(
    http: aiohttp.ClientSession, url: str, *, initialize: bool = True
) -> AsyncIterator[LegacyClient]:
    async with http.get(url, headers={"Accept": "text/event-stream"}) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        base = url.rsplit("/", 1)[0]
        client = LegacyClient(http, response, str(response.url.origin()))
        first = await client.event()
        assert first.event == "endpoint"
        client.endpoint = first.data
        assert base  # the endpoint is announced relative to the server
        if initialize:
            await client.initialize()
        yield client


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


async def stored(server: SseServer, session_id: str) -> Any:
    """What the state store holds for a session (None: nothing)."""
    ask = server.handle.store.ask
    return await asyncio.to_thread(lambda: ask(("load", session_id), timeout=WAIT))


# -- raw: the two endpoints ----------------------------------------------------------------------


def test_endpoint_event_first_then_every_frame_on_the_stream(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url, initialize=False) as client:
            assert client.endpoint.startswith("/messages?session_id=")
            assert len(client.session_id) == 32
            assert client.session_id in server.transport.session_ids
            init = await client.initialize()
            assert init["result"]["protocolVersion"] == LATEST
            assert init["result"]["serverInfo"]["name"] == "sse-test"
            added = await client.result("tools/call", call("add", a=2, b=40))
            assert added["structuredContent"] == {"result": 42}

    run(test)


def test_session_state_across_calls_and_sessions_apart(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url) as one, legacy(http, server.url) as two:
            assert one.session_id != two.session_id
            first = await one.result("tools/call", call("remember", value="x"))
            assert first["content"][0]["text"] == ""
            again = await one.result("tools/call", call("remember", value="y"))
            assert again["content"][0]["text"] == "x"
            other = await two.result("tools/call", call("remember", value="z"))
            assert other["content"][0]["text"] == ""

    run(test)


def test_logs_and_progress_come_before_the_response(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url) as client:
            await client.result("logging/setLevel", {"level": "debug"})
            params = {**call("chatty"), "_meta": {"progressToken": "p1"}}
            frames = await client.request("tools/call", params)
            methods = [frame.get("method") for frame in frames]
            assert methods == [
                "notifications/message",
                "notifications/progress",
                "notifications/progress",
                "notifications/message",
                "notifications/progress",
                None,
            ]
            progress = [
                f["params"]["progress"] for f in frames if "progress" in f.get("params", {})
            ]
            assert progress == [1, 2, 3]
            assert frames[-1]["result"]["content"][0]["text"] == "done"

    run(test)


def test_sampling_and_elicitation_are_answered_by_post(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url) as client:
            status, _ = await client.post(
                {
                    "jsonrpc": "2.0",
                    "id": 7,
                    "method": "tools/call",
                    "params": call("ask_model", prompt="hi"),
                }
            )
            assert status == 202
            asked = await client.message()
            assert asked["method"] == "sampling/createMessage"
            answer = {
                "role": "assistant",
                "content": {"type": "text", "text": "HI"},
                "model": "echo",
            }
            status, _ = await client.post({"jsonrpc": "2.0", "id": asked["id"], "result": answer})
            assert status == 202
            done = await client.message()
            assert done["id"] == 7
            assert done["result"]["content"][0]["text"] == "model said: HI"

            status, _ = await client.post(
                {"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": call("ask_name")}
            )
            asked = await client.message()
            assert asked["method"] == "elicitation/create"
            reply = {"action": "accept", "content": {"value": "Ada"}}
            await client.post({"jsonrpc": "2.0", "id": asked["id"], "result": reply})
            done = await client.message()
            assert done["result"]["content"][0]["text"] == "hello Ada"

    run(test)


def test_tools_see_the_post_they_came_with(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url) as client:
            client.next_id += 1
            message = {
                "jsonrpc": "2.0",
                "id": client.next_id,
                "method": "tools/call",
                "params": call("request_info"),
            }
            status, _ = await client.post(message, **{"X-Test": "yes"})
            assert status == 202
            info = (await client.message())["result"]["structuredContent"]
            assert info["path"] == "/messages"
            assert info["query"] == {"session_id": client.session_id}
            assert info["x_test"] == "yes"
            assert info["transport"] == "sse"

    run(test)


def test_post_refusals(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        base = server.base_url
        ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        json_type = {"Content-Type": "application/json"}
        async with http.post(f"{base}/messages", data=ping, headers=json_type) as response:
            assert response.status == 400
            assert "session_id" in (await response.json())["error"]["message"]
        async with http.post(
            f"{base}/messages?session_id=nope", data=ping, headers=json_type
        ) as response:
            assert response.status == 404
            assert "Session not found" in (await response.json())["error"]["message"]
        async with legacy(http, server.url) as client:
            url = base + client.endpoint
            async with http.post(url, data=ping, headers={"Content-Type": "text/plain"}) as r:
                assert r.status == 415
            async with http.post(url, data="{nope", headers=json_type) as r:
                assert r.status == 400
                assert (await r.json())["error"]["code"] == -32700
            async with http.get(url) as r:
                assert r.status == 405
                assert r.headers["Allow"] == "POST"
        async with http.post(server.url, data=ping, headers=json_type) as response:
            assert response.status == 405
            assert response.headers["Allow"] == "GET"

    run(test)


def test_origin_and_host_are_checked(server: SseServer) -> None:
    running = server

    async def test(http: aiohttp.ClientSession) -> None:
        if True:
            async with http.get(running.url, headers={"Origin": "http://evil.example"}) as r:
                assert r.status == 403
                assert "Origin" in (await r.json())["error"]["message"]
            async with http.get(running.url, headers={"Host": "evil.example"}) as r:
                assert r.status == 421
            async with legacy(http, running.url) as client:
                status, _ = await client.post(
                    {"jsonrpc": "2.0", "method": "notifications/initialized"},
                    Origin="http://evil.example",
                )
                assert status == 403
                status, _ = await client.post(
                    {"jsonrpc": "2.0", "method": "notifications/initialized"},
                    Origin="http://localhost:3000",
                )
                assert status == 202

    run(test)


def test_body_limit() -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, running.url, initialize=False) as client:
            big = {"jsonrpc": "2.0", "id": 9, "method": "ping", "params": {"x": "y" * 500}}
            status, body = await client.post(big)
            assert status == 413
            assert "300 bytes" in json.loads(body)["error"]["message"]

    with serve_sse(make_server("sse-limit"), port=0, max_body_size=300) as running:
        run(test)


def test_a_post_cut_short_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    # A client that resets its connection halfway through a POST body is gone, not a failure of
    # the server: no traceback in the log, and the session goes on.
    def cut_post(port: int, endpoint: str) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            head = (
                f"POST {endpoint} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            )
            sock.sendall(head.encode() + b'{"jsonrpc":')

    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, running.url) as client:
            listener = running._runner.server
            assert listener is not None
            before = len(listener.connections)
            with caplog.at_level(logging.ERROR):
                for _ in range(3):
                    await asyncio.to_thread(cut_post, running.port, client.endpoint)
                for _ in range(int(WAIT / 0.02)):  # until every cut POST's handler has ended
                    if len(listener.connections) <= before:
                        break
                    await asyncio.sleep(0.02)
                assert len(listener.connections) <= before
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            assert errors == []
            assert await client.result("ping") == {}

    with serve_sse(make_server("sse-cut"), port=0) as running:
        run(test)


STALL = 0.3  # body_timeout of the stalling tests (seconds)
PING = b'{"jsonrpc":"2.0","id":7,"method":"ping"}'
JSON_POST = {"Content-Type": "application/json"}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_post_body_that_stalls_is_cut_off_with_408_and_the_connection_closed(
    chunked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Half a body, then nothing: after body_timeout a 408 with a JSON-RPC error that says why,
    # the connection closed (the rest is never read); the session goes on.
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, running.url) as client:
            head = post_head(
                running.port, client.endpoint, JSON_POST, chunked=chunked, length=len(PING)
            )
            first = body_parts(PING, 2, chunked=chunked)[0]
            with caplog.at_level(logging.ERROR):
                status, headers, body = await asyncio.to_thread(
                    slow_post, running.port, head, [first], pause=0, until_closed=True
                )
            assert status == 408, body
            assert headers.get("connection", "").lower() == "close"
            answer = json.loads(body)
            assert answer["error"]["code"] == -32600
            assert answer.get("id") is None  # no request id: none was read
            assert f"did not arrive within {STALL:g} seconds" in answer["error"]["message"]
            assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
            assert await client.result("ping") == {}

    with serve_sse(make_server("sse-stall"), port=0, body_timeout=STALL) as running:
        run(test)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_post_body_that_trickles_in_within_body_timeout_is_served(chunked: bool) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, running.url) as client:
            head = post_head(
                running.port, client.endpoint, JSON_POST, chunked=chunked, length=len(PING)
            )
            parts = body_parts(PING, 4, chunked=chunked)
            status, _, body = await asyncio.to_thread(
                slow_post, running.port, head, parts, pause=0.05, until_closed=False
            )
            assert (status, body) == (202, b"Accepted")
            assert await client.message() == {"jsonrpc": "2.0", "id": 7, "result": {}}

    with serve_sse(make_server("sse-trickle"), port=0, body_timeout=WAIT) as running:
        run(test)


@pytest.mark.parametrize("streamable_http", [True, False], ids=["with-http", "sse-only"])
@pytest.mark.parametrize("sent", ["nothing", "part-of-a-head"])
def test_a_connection_without_a_request_is_closed_after_idle_connection_timeout(
    sent: str, streamable_http: bool
) -> None:
    # Connected and silent, or the start of a head and then nothing: closed after the
    # timeout (aiohttp's default would hold it an hour); the server serves on.
    head = b"POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n" if sent != "nothing" else b""
    with serve_sse(
        make_server("sse-idle"),
        port=0,
        streamable_http=streamable_http,
        idle_connection_timeout=IDLE,
    ) as running:
        with idle_connection(running.port, head) as sock:
            assert closed_by_server(sock) >= IDLE * 0.8
        handlers_done(running)

        async def test(http: aiohttp.ClientSession) -> None:
            async with legacy(http, running.url) as client:
                assert await client.result("ping") == {}

        run(test)


def test_the_sse_stream_outlives_idle_connection_timeout_and_a_used_post_connection_not() -> None:
    # The GET stream is a request in progress: quiet for several timeouts (no keepalive
    # comments), it is not cut and still carries the answers. A POST connection kept alive
    # after its 202 is closed a timeout later.
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, running.url) as client:
            head = post_head(
                running.port, client.endpoint, JSON_POST, chunked=False, length=len(PING)
            )

            def post_then_idle() -> tuple[int, bytes, float]:
                with idle_connection(running.port, head + PING) as sock:
                    sock.settimeout(WAIT)
                    status, headers, body, extra = read_answer(sock)
                    assert headers.get("connection", "").lower() != "close"
                    assert extra == b""
                    return status, body, closed_by_server(sock)

            status, body, waited = await asyncio.to_thread(post_then_idle)
            assert (status, body) == (202, b"Accepted")
            assert waited >= IDLE * 0.8
            assert await client.message() == {"jsonrpc": "2.0", "id": 7, "result": {}}
            await asyncio.sleep(3 * IDLE)  # the stream open, nothing on it
            assert await client.result("ping") == {}

    with serve_sse(
        make_server("sse-idle-stream"), port=0, idle_connection_timeout=IDLE, keepalive=None
    ) as running:
        run(test)


@pytest.mark.parametrize("streamable_http", [True, False], ids=["with-http", "sse-only"])
def test_idle_connection_timeout_reaches_aiohttp_as_keepalive_timeout(
    streamable_http: bool,
) -> None:
    for option, expected in ((None, 3630), (2.5, 2.5)):
        with (
            serve_sse(
                make_server("sse-idle-opts"),
                port=0,
                streamable_http=streamable_http,
                idle_connection_timeout=option,
            ) as running,
            idle_connection(running.port),
        ):
            assert connection_timeouts(running) == [expected]


def test_closing_the_stream_ends_the_session_and_deletes_its_state(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url) as client:
            await client.result("tools/call", call("remember", value="kept"))
            sid, endpoint = client.session_id, client.endpoint
            _, state = await stored(server, sid)
            assert state == {"value": "kept"}
        # The client closed its GET stream: the session ends, its state goes with it.
        for _ in range(int(WAIT / 0.02)):
            if sid not in server.transport.session_ids and await stored(server, sid) is None:
                break
            await asyncio.sleep(0.02)
        assert sid not in server.transport.session_ids
        assert await stored(server, sid) is None
        async with http.post(
            server.base_url + endpoint,
            data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            headers={"Content-Type": "application/json"},
        ) as response:
            assert response.status == 404

    run(test)


def test_a_session_that_ends_closes_its_stream(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, server.url) as client:
            await asyncio.to_thread(
                lambda: server.handle.end_session(client.session_id).get(timeout=WAIT)
            )
            with pytest.raises(EOFError):
                await client.event()
            assert client.session_id not in server.transport.session_ids

    run(test)


def test_a_client_that_does_not_read_is_cut_off() -> None:
    transport = SseTransport(fastestmcp.server("slow-reader"), SseOptions(max_queued_bytes=100))
    session = _SseSession("s1")
    transport._sessions["s1"] = session
    outbox = SseOutbox(transport, session)
    outbox.send(b"x" * 60)
    assert (session.overflowed, len(session.frames)) == (False, 1)
    outbox.send(b"y" * 60)
    assert session.overflowed
    assert not session.frames  # nothing more is kept for it
    outbox.send(b"z")  # ignored
    assert not session.frames
    outbox.close()
    assert transport.session_ids == []


def test_streamable_http_on_the_same_application(server: SseServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        assert server.http_url is not None
        async with http.post(
            server.http_url,
            json=initialize_message(),
            headers={"Accept": "application/json, text/event-stream"},
        ) as response:
            assert response.status == 200
            assert "Mcp-Session-Id" in response.headers

    run(test)


def test_mounted_in_an_application_announces_its_prefix() -> None:
    async def main() -> None:
        mcp_app = sse_app(make_server("mounted"), streamable_http=False)
        root = web.Application()
        root.add_subapp("/legacy", mcp_app)
        runner = web.AppRunner(root)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            timeout = aiohttp.ClientTimeout(total=None, sock_read=WAIT)
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                legacy(http, f"http://127.0.0.1:{port}/legacy/sse") as client,
            ):
                assert client.endpoint.startswith("/legacy/messages?session_id=")
                assert mcp_app[SSE_TRANSPORT_KEY].session_ids == [client.session_id]
                added = await client.result("tools/call", call("add", a=1, b=2))
                assert added["structuredContent"] == {"result": 3}
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 4 * WAIT))


def test_options_are_checked() -> None:
    with pytest.raises(TypeError, match="unknown HTTP\\+SSE transport option"):
        sse_app(make_server("opts"), nope=1)
    with pytest.raises(TypeError, match="unknown HTTP\\+SSE transport option"):
        sse_app(make_server("opts"), streamable_http=False, standalone_backlog=3)
    with pytest.raises(ValueError, match="must differ"):
        SseOptions(sse_path="/x", messages_path="/x")
    assert SseOptions().body_timeout == 30.0
    assert SseOptions(body_timeout=None).body_timeout is None
    bad_values: tuple[Any, ...] = (0, -0.5, "30", True, float("nan"))
    for bad in bad_values:
        with pytest.raises(ValueError, match="body_timeout must be a number of seconds > 0"):
            SseOptions(body_timeout=bad)
        for streamable_http in (True, False):
            with pytest.raises(ValueError, match="body_timeout"):
                sse_app(make_server("opts"), streamable_http=streamable_http, body_timeout=bad)
    with pytest.raises(ValueError, match="unknown transport 'carrier-pigeon'"):
        run_transport(make_server("opts"), "carrier-pigeon")


def test_idle_connection_timeout_is_checked() -> None:
    assert SseOptions().idle_connection_timeout == 75.0
    assert SseOptions(idle_connection_timeout=None).idle_connection_timeout is None
    message = "idle_connection_timeout must be a number of seconds > 0"
    bad_values: tuple[Any, ...] = (0, -0.5, "75", True, float("nan"), float("inf"))
    for bad in bad_values:
        with pytest.raises(ValueError, match=message):
            SseOptions(idle_connection_timeout=bad)
        for streamable_http in (True, False):
            with pytest.raises(ValueError, match=message):
                serve_sse(
                    make_server("opts"),
                    port=0,
                    streamable_http=streamable_http,
                    idle_connection_timeout=bad,
                )
    # An application's connections are its runner's: refused, naming what bounds them.
    for streamable_http in (True, False):
        with pytest.raises(TypeError, match="keepalive_timeout"):
            sse_app(make_server("opts"), streamable_http=streamable_http, idle_connection_timeout=5)


# -- the official SDK's legacy client --------------------------------------------------------------


@asynccontextmanager
async def sdk(
    server: SseServer, recorder: Recorder | None = None
) -> AsyncIterator[tuple[ClientSession, types.InitializeResult]]:
    callbacks: dict[str, Any] = {}
    if recorder is not None:
        callbacks = {
            "logging_callback": recorder.on_log,
            "sampling_callback": recorder.on_sampling,
            "elicitation_callback": recorder.on_elicitation,
            "message_handler": recorder.on_message,
        }
    async with (
        sse_client(server.url, timeout=WAIT, sse_read_timeout=WAIT) as (read, write),
        ClientSession(read, write, read_timeout_seconds=WAIT, **callbacks) as session,
    ):
        init = await bounded(session.initialize())
        yield session, init


def run_sdk(test: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        with anyio.fail_after(4 * WAIT):
            await test()

    anyio.run(main)


def test_sdk_tools_and_session_state(server: SseServer) -> None:
    async def test() -> None:
        before = set(server.transport.session_ids)
        async with sdk(server) as (session, init):
            assert init.protocol_version == LATEST
            assert init.server_info.name == "sse-test"
            (opened,) = set(server.transport.session_ids) - before
            listed = await bounded(session.list_tools())
            assert {"add", "remember", "chatty"} <= {tool.name for tool in listed.tools}
            added = await bounded(session.call_tool("add", {"a": 20, "b": 22}))
            assert added.structured_content == {"result": 42}
            assert text_of(await bounded(session.call_tool("remember", {"value": "x"}))) == ""
            assert text_of(await bounded(session.call_tool("remember", {"value": "y"}))) == "x"
            await bounded(session.send_ping())
        # The SDK closed its stream on exit: the session is gone.
        await eventually(lambda: opened not in server.transport.session_ids)

    run_sdk(test)


def test_sdk_logs_and_progress(server: SseServer) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with sdk(server, recorder) as (session, _):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                await bounded(session.set_logging_level("debug"))
            result = await bounded(
                session.call_tool("chatty", {}, progress_callback=recorder.on_progress)
            )
            assert text_of(result) == "done"
            assert [p[0] for p in recorder.progress] == [1, 2, 3]
            assert [p[2] for p in recorder.progress] == ["one", "two", "three"]
            await eventually(lambda: len(recorder.logs) >= 2)
            assert [log.data for log in recorder.logs] == ["started", "finishing"]

    run_sdk(test)


def test_sdk_sampling_and_elicitation(server: SseServer) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with sdk(server, recorder) as (session, _):
            sampled = await bounded(session.call_tool("ask_model", {"prompt": "hello"}))
            assert text_of(sampled) == "model said: HELLO"
            assert len(recorder.sampled) == 1
            elicited = await bounded(session.call_tool("ask_name", {}))
            assert text_of(elicited) == "hello Grace"

    run_sdk(test)


def test_sdk_concurrent_calls(server: SseServer) -> None:
    async def test() -> None:
        async with sdk(server) as (session, _):
            results: list[str] = []

            async def one(i: int) -> None:
                results.append(text_of(await bounded(session.call_tool("add", {"a": i, "b": 1}))))

            async with anyio.create_task_group() as group:
                for i in range(10):
                    group.start_soon(one, i)
            assert sorted(results, key=int) == [str(i + 1) for i in range(10)]

    run_sdk(test)


def test_sdk_subscriptions_and_resources_updated(server: SseServer) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with sdk(server, recorder) as (session, init):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                await check_subscriptions(session, init, recorder)

    run_sdk(test)


# -- server.run(transport="sse"): a real process, stopped with SIGTERM ------------------------

RUN_SCRIPT = """
import sys
from tests.transports.http_fixture import make_server
make_server("process").run(transport="sse", host="127.0.0.1", port=int(sys.argv[1]))
"""


def test_server_run_sse_serves_until_interrupted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo = Path(__file__).resolve().parents[2]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, str(port)],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    async with legacy(http, f"http://127.0.0.1:{port}/sse") as client:
                        result = await client.result("tools/call", call("add", a=1, b=2))
                        assert result["structuredContent"] == {"result": 3}
                    return
                except aiohttp.ClientConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)

        run(test)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT)


def test_a_stream_that_is_not_read_is_cut_off() -> None:
    srv = make_server("sse-flood")

    @srv.tool
    async def flood(ctx: Context) -> str:
        """Log far more than a client that does not read can be sent."""
        for _ in range(400):
            await ctx.info("x" * 50_000)
        return "flooded"

    async def test(http: aiohttp.ClientSession) -> None:
        async with legacy(http, running.url) as client:
            sid = client.session_id
            status, _ = await client.post(
                {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call("flood")}
            )
            assert status == 202
            # The client reads nothing more: its session is ended, its connection cut.
            for _ in range(int(WAIT / 0.01)):
                if sid not in running.transport.session_ids:
                    break
                await asyncio.sleep(0.01)
            assert sid not in running.transport.session_ids

    with serve_sse(srv, port=0, max_queued_bytes=256 * 1024) as running:
        run(test)
