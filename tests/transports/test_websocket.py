"""WebSocket (server side) through a real `websockets` listener on 127.0.0.1.

The client is the `websockets` library's (the `mcp` SDK 2.3 has no WebSocket client). Every
await is bounded by `WAIT` (the whole test by `run`); servers are stopped by the fixtures.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from fastestmcp import Context
from fastestmcp.server.running import start_async
from fastestmcp.transports.websocket import WebSocketServer, WebSocketTransport, serve_websocket
from supervisors import Runtime
from tests.transports.http_fixture import LATEST, WAIT, initialize_message, make_server


def run(test: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await asyncio.wait_for(test(), 4 * WAIT)

    asyncio.run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[WebSocketServer]:
    running = serve_websocket(make_server("ws-test"), port=0, max_message_size=64 * 1024)
    try:
        yield running
    finally:
        running.stop()


class Peer:
    """A raw MCP client over one WebSocket connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 100

    async def send(self, message: Any) -> None:
        await asyncio.wait_for(self.ws.send(json.dumps(message)), WAIT)

    async def receive(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), WAIT)
        assert isinstance(raw, str)  # every frame is a text message
        found: dict[str, Any] = json.loads(raw)
        return found

    async def request(self, method: str, params: Any = None) -> list[dict[str, Any]]:
        """Send a request, then read up to its response (included)."""
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.send(message)
        found = []
        while True:
            frame = await self.receive()
            found.append(frame)
            if frame.get("id") == self.next_id and "method" not in frame:
                return found

    async def result(self, method: str, params: Any = None) -> Any:
        final = (await self.request(method, params))[-1]
        assert "result" in final, final
        return final["result"]


@asynccontextmanager
async def peer(server: WebSocketServer, *, initialize: bool = True) -> AsyncIterator[Peer]:
    async with connect(server.url, subprotocols=["mcp"], open_timeout=WAIT) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "mcp"
        client = Peer(ws)
        if initialize:
            init = await client.request("initialize", initialize_message()["params"])
            assert init[-1]["result"]["protocolVersion"] == LATEST
            await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield client


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


async def stored(server: WebSocketServer, session_id: str) -> Any:
    ask = server.handle.store.ask
    return await asyncio.to_thread(lambda: ask(("load", session_id), timeout=WAIT))


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


def test_initialize_tools_and_session_state(server: WebSocketServer) -> None:
    async def test() -> None:
        async with peer(server) as one, peer(server) as two:
            added = await one.result("tools/call", call("add", a=2, b=40))
            assert added["structuredContent"] == {"result": 42}
            assert (await one.result("tools/call", call("remember", value="x")))["content"][0][
                "text"
            ] == ""
            again = await one.result("tools/call", call("remember", value="y"))
            assert again["content"][0]["text"] == "x"
            other = await two.result("tools/call", call("remember", value="z"))
            assert other["content"][0]["text"] == ""  # a session per connection
            listed = await one.result("tools/list")
            assert {"add", "remember", "chatty"} <= {tool["name"] for tool in listed["tools"]}
            assert await one.result("ping") == {}

    run(test)


def test_notifications_arrive_in_order_before_the_response(server: WebSocketServer) -> None:
    async def test() -> None:
        async with peer(server) as client:
            await client.result("logging/setLevel", {"level": "debug"})
            frames = await client.request(
                "tools/call", {**call("chatty"), "_meta": {"progressToken": 5}}
            )
            assert [frame.get("method") for frame in frames] == [
                "notifications/message",
                "notifications/progress",
                "notifications/progress",
                "notifications/message",
                "notifications/progress",
                None,
            ]
            assert frames[1]["params"] == {
                "progressToken": 5,
                "progress": 1,
                "total": 3,
                "message": "one",
            }
            # A notification outside any request (list_changed) travels on the same socket.
            announced = await client.request("tools/call", call("announce"))
            methods = [f.get("method") for f in announced]
            if "notifications/tools/list_changed" not in methods:  # may follow the response
                methods.append((await client.receive()).get("method"))
            assert "notifications/tools/list_changed" in methods

    run(test)


def test_server_to_client_requests(server: WebSocketServer) -> None:
    async def test() -> None:
        async with peer(server) as client:
            await client.send(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": call("ask_model", prompt="hi"),
                }
            )
            asked = await client.receive()
            assert asked["method"] == "sampling/createMessage"
            answer = {"role": "assistant", "content": {"type": "text", "text": "HI"}, "model": "m"}
            await client.send({"jsonrpc": "2.0", "id": asked["id"], "result": answer})
            done = await client.receive()
            assert done["id"] == 1
            assert done["result"]["content"][0]["text"] == "model said: HI"

            await client.send(
                {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call("ask_name")}
            )
            asked = await client.receive()
            assert asked["method"] == "elicitation/create"
            reply = {"action": "accept", "content": {"value": "Ada"}}
            await client.send({"jsonrpc": "2.0", "id": asked["id"], "result": reply})
            done = await client.receive()
            assert done["result"]["content"][0]["text"] == "hello Ada"

    run(test)


def test_tools_know_their_transport(server: WebSocketServer) -> None:
    async def test() -> None:
        async with peer(server) as client:
            await client.send(
                {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "tools/call",
                    "params": call("slow", seconds=0),
                }
            )
            assert (await client.receive())["result"]["content"][0]["text"] == "slept"

    run(test)


@pytest.mark.parametrize(
    ("offered", "expected"),
    [(["chat"], "offered chat"), (None, "offered no subprotocol")],
)
def test_other_subprotocols_are_refused(
    server: WebSocketServer, offered: list[str] | None, expected: str
) -> None:
    async def test() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.url, subprotocols=offered, open_timeout=WAIT):  # type: ignore[arg-type]
                pass
        response = refused.value.response
        assert response.status_code == 400
        body = bytes(response.body).decode()
        assert expected in body
        assert "Sec-WebSocket-Protocol: mcp" in body

    run(test)


def test_foreign_origin_is_refused(server: WebSocketServer) -> None:
    async def test() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                server.url,
                subprotocols=["mcp"],  # type: ignore[list-item]
                origin="http://evil.example",  # type: ignore[arg-type]
                open_timeout=WAIT,
            ):
                pass
        assert refused.value.response.status_code == 403
        assert "Origin" in bytes(refused.value.response.body).decode()
        async with connect(
            server.url,
            subprotocols=["mcp"],  # type: ignore[list-item]
            origin="http://localhost:3000",  # type: ignore[arg-type]
            open_timeout=WAIT,
        ) as ws:
            assert ws.subprotocol == "mcp"

    run(test)


def test_binary_messages_get_an_error_and_the_connection_stays(server: WebSocketServer) -> None:
    async def test() -> None:
        async with peer(server) as client:
            await asyncio.wait_for(
                client.ws.send(b'{"jsonrpc":"2.0","id":1,"method":"ping"}'), WAIT
            )
            error = await client.receive()
            assert error["error"]["code"] == -32600
            assert "text message" in error["error"]["message"]
            assert await client.result("ping") == {}

    run(test)


def test_messages_over_the_limit_close_the_connection(server: WebSocketServer) -> None:
    async def test() -> None:
        async with peer(server) as client:
            huge = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "y" * 70_000}}
            await client.send(huge)
            with pytest.raises(ConnectionClosed) as closed:
                await client.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009

    run(test)


def test_disconnect_ends_the_session_and_deletes_its_state(server: WebSocketServer) -> None:
    async def test() -> None:
        before = set(server.transport.session_ids)
        async with peer(server) as client:
            await client.result("tools/call", call("remember", value="kept"))
            (sid,) = set(server.transport.session_ids) - before
            _, state = await stored(server, sid)
            assert state == {"value": "kept"}
        await until(lambda: sid not in server.transport.session_ids)
        for _ in range(int(WAIT / 0.02)):
            if await stored(server, sid) is None:
                break
            await asyncio.sleep(0.02)
        assert await stored(server, sid) is None

    run(test)


def test_a_session_that_ends_closes_its_connection(server: WebSocketServer) -> None:
    async def test() -> None:
        before = set(server.transport.session_ids)
        async with peer(server) as client:
            (sid,) = set(server.transport.session_ids) - before
            await asyncio.to_thread(lambda: server.handle.end_session(sid).get(timeout=WAIT))
            with pytest.raises(ConnectionClosed) as closed:
                await client.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1000

    run(test)


def test_stopping_the_server_closes_connections() -> None:
    running = serve_websocket(make_server("ws-stop"), port=0)
    try:

        async def test() -> None:
            async with peer(running) as client:
                await asyncio.to_thread(running.stop)
                with pytest.raises(ConnectionClosed):
                    await client.receive()

        run(test)
    finally:
        running.stop()


def test_options_are_checked() -> None:
    with pytest.raises(TypeError, match="unknown WebSocket transport option"):
        serve_websocket(make_server("ws-opts"), port=0, nope=1)


def test_a_fixed_path() -> None:
    running = serve_websocket(make_server("ws-path"), port=0, path="/mcp")
    try:

        async def test() -> None:
            assert running.url.endswith("/mcp")
            async with peer(running) as client:
                assert await client.result("ping") == {}
            wrong = running.url.rsplit("/", 1)[0] + "/other"
            with pytest.raises(InvalidStatus) as refused:
                async with connect(wrong, subprotocols=["mcp"], open_timeout=WAIT):  # type: ignore[list-item]
                    pass
            assert refused.value.response.status_code == 404

        run(test)
    finally:
        running.stop()


# -- server.run(transport="websocket"): a real process, stopped with SIGTERM ------------------

RUN_SCRIPT = """
import sys
from tests.transports.http_fixture import make_server
make_server("process").run(transport="websocket", host="127.0.0.1", port=int(sys.argv[1]))
"""


def test_server_run_websocket_serves_until_interrupted() -> None:
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

        async def test() -> None:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    async with connect(
                        f"ws://127.0.0.1:{port}/",
                        subprotocols=["mcp"],  # type: ignore[list-item]
                        open_timeout=WAIT,
                    ) as ws:
                        client = Peer(ws)
                        await client.request("initialize", initialize_message()["params"])
                        result = await client.result("tools/call", call("add", a=1, b=2))
                        assert result["structuredContent"] == {"result": 3}
                    return
                except OSError:
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


def test_embedded_in_a_running_asyncio_program() -> None:
    async def test() -> None:
        server = make_server("ws-embedded")
        runtime = Runtime("ws-embedded")
        await runtime.__aenter__()
        try:
            transport = WebSocketTransport(server)
            transport.attach(await start_async(server, runtime))
            listener = await transport.listen("127.0.0.1", 0)
            try:
                port = next(iter(listener.sockets)).getsockname()[1]
                async with connect(
                    f"ws://127.0.0.1:{port}/",
                    subprotocols=["mcp"],  # type: ignore[list-item]
                    open_timeout=WAIT,
                ) as ws:
                    client = Peer(ws)
                    await client.request("initialize", initialize_message()["params"])
                    assert await client.result("ping") == {}
                    assert len(transport.session_ids) == 1
            finally:
                listener.close()
                await asyncio.wait_for(listener.wait_closed(), WAIT)
        finally:
            await runtime.aclose()

    run(test)


def test_a_client_that_does_not_read_is_cut_off() -> None:
    srv = make_server("ws-flood")

    @srv.tool
    async def flood(ctx: Context) -> str:
        """Log far more than a client that does not read can be sent."""
        for _ in range(400):
            await ctx.info("x" * 50_000)
        return "flooded"

    running = serve_websocket(srv, port=0, max_queued_bytes=256 * 1024)
    try:

        async def test() -> None:
            async with connect(
                running.url,
                subprotocols=["mcp"],  # type: ignore[list-item]
                open_timeout=WAIT,
                max_queue=1,  # the client stops reading from the socket at once
                close_timeout=0.1,  # its own close cannot complete: the server cut it off
            ) as ws:
                client = Peer(ws)
                await client.request("initialize", initialize_message()["params"])
                (sid,) = running.transport.session_ids
                await client.send(
                    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call("flood")}
                )
                await until(lambda: sid not in running.transport.session_ids)

        run(test)
    finally:
        running.stop()
