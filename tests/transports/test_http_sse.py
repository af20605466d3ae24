"""Streamable HTTP SSE as the spec wants it: event ids, priming, `retry:`, resumption, SEP-1699.

Raw aiohttp requests against a real listener on 127.0.0.1 (exact bytes on the wire), then the
official `mcp` SDK client surviving a stream the server closes mid-call. Every wait is bounded
by `WAIT` (and each test by `run`); servers are stopped in fixture teardown or `finally`.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio
import mcp.types as types
import pytest
from mcp import ClientSession, MCPDeprecationWarning
from mcp.client.streamable_http import streamable_http_client

from fastestmcp import Context
from fastestmcp.server.running import start
from fastestmcp.transports.event_store import InMemoryEventStore
from fastestmcp.transports.http import HttpServer, serve
from fastestmcp.transports.memory import MemoryConnection
from tests.transports.http_fixture import WAIT, RawClient, make_server
from tests.transports.http_fixture import run_client as run

RETRY = 150


def sse_server(name: str = "sse", **options: Any) -> HttpServer:
    srv = make_server(name)

    @srv.tool
    async def polling(ctx: Context, logs: int = 1, pause: float = 0.2, early: bool = False) -> str:
        """Log, close the SSE stream (SEP-1699), log `logs` times, sleep, answer."""
        if not early:
            await ctx.info("before close")
        closed = await ctx.close_sse_stream()
        for number in range(logs):
            await ctx.info(f"after close {number}")
        await asyncio.sleep(pause)
        return f"closed={closed}"

    @srv.tool
    async def steps(ctx: Context, count: int = 3, pause: float = 0.05) -> str:
        """Log `count` steps, `pause` seconds apart, then answer."""
        for number in range(count):
            await ctx.info(f"step {number}")
            await asyncio.sleep(pause)
        return f"{count} steps"

    options.setdefault("sse_retry", RETRY)
    return serve(srv, host="127.0.0.1", port=0, **options)


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    running = sse_server()
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Event:
    """One SSE event as sent: its fields, and its message (None for a priming event)."""

    id: str | None
    retry: int | None
    data: str

    @property
    def message(self) -> dict[str, Any] | None:
        return json.loads(self.data) if self.data else None


def parse_events(text: str) -> list[Event]:
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields.setdefault(name, []).append(value)
        if "data" in fields or "id" in fields or "retry" in fields:
            retry = fields.get("retry")
            events.append(
                Event(
                    id=fields["id"][-1] if "id" in fields else None,
                    retry=int(retry[-1]) if retry else None,
                    data="\n".join(fields.get("data", [])),
                )
            )
    return events


async def read_events(response: aiohttp.ClientResponse, count: int) -> tuple[list[Event], bytes]:
    """The first `count` events of a response (and what was read past them)."""
    buffer = b""
    events: list[Event] = []
    while len(events) < count:
        chunk = await asyncio.wait_for(response.content.readany(), WAIT)
        assert chunk, f"the stream ended after {events}"
        buffer += chunk
        while b"\n\n" in buffer and len(events) < count:
            block, buffer = buffer.split(b"\n\n", 1)
            events.extend(parse_events(block.decode() + "\n\n"))
    return events, buffer


async def connected(http: aiohttp.ClientSession, server: HttpServer) -> RawClient:
    client = RawClient(http, server.url)
    await client.initialize()
    assert await client.result("logging/setLevel", {"level": "debug"}) == {}
    return client


def tool_call(client: RawClient, name: str, **arguments: Any) -> dict[str, Any]:
    return client.message("tools/call", {"name": name, "arguments": arguments})


async def post_events(client: RawClient, message: dict[str, Any]) -> list[Event]:
    """POST one request and read its SSE answer to the end."""
    async with client.http.post(client.url, json=message, headers=client.headers()) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return parse_events(await asyncio.wait_for(response.text(), WAIT))


async def resume(client: RawClient, last_event_id: str) -> tuple[int, list[Event]]:
    headers = client.headers(Accept="text/event-stream", **{"Last-Event-ID": last_event_id})
    async with client.http.get(client.url, headers=headers) as response:
        text = await asyncio.wait_for(response.text(), WAIT)
        if response.status != 200:
            return response.status, []
        return response.status, parse_events(text)


def stream_of(event_id: str | None) -> str:
    assert event_id is not None
    return event_id.rpartition(":")[0]


# -- event ids, priming, retry --------------------------------------------------------------------


def test_a_post_stream_starts_with_retry_and_a_priming_event_and_numbers_its_events(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        events = await post_events(client, tool_call(client, "steps", count=2, pause=0.0))
        priming, *rest = events
        assert priming.retry == RETRY
        assert priming.message is None
        assert priming.id is not None
        assert priming.id.endswith(":0")
        stream = stream_of(priming.id)
        assert stream != "0"  # "0" is the GET stream's
        assert [event.id for event in rest] == [f"{stream}:{n}" for n in (1, 2, 3)]
        assert [event.message["method"] for event in rest[:2] if event.message] == [
            "notifications/message"
        ] * 2
        assert rest[-1].message is not None
        assert rest[-1].message["result"]["content"][0]["text"] == ("2 steps")

        # The next POST stream of the session has an id of its own.
        again = await post_events(client, tool_call(client, "steps", count=1, pause=0.0))
        assert stream_of(again[0].id) not in (stream, "0")

    run(test)


def test_a_plain_answer_stays_json(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        status, kind, found = await client.call(
            "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}
        )
        assert (status, kind) == (200, "application/json")
        assert found[0]["result"]["structuredContent"] == {"result": 3}

    run(test)


def test_the_get_stream_primes_and_numbers_its_events(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        headers = client.headers(Accept="text/event-stream")
        async with http.get(client.url, headers=headers) as stream:
            assert stream.status == 200
            (priming,), _ = await read_events(stream, 1)
            assert (priming.id, priming.retry, priming.message) == ("0:0", RETRY, None)
            assert await client.result("tools/call", {"name": "announce", "arguments": {}})
            (event,), _ = await read_events(stream, 1)
            assert event.id == "0:1"
            assert event.message == {
                "jsonrpc": "2.0",
                "method": "notifications/tools/list_changed",
            }

    run(test)


def test_no_retry_field_when_disabled() -> None:
    running = sse_server("no-retry", sse_retry=None)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            events = await post_events(client, tool_call(client, "steps", count=1, pause=0.0))
            assert all(event.retry is None for event in events)
            assert events[0].message is None
            assert events[0].id is not None

        run(test)
    finally:
        running.stop()


def test_an_older_revision_gets_ids_and_retry_but_no_priming_event(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, server.url, version="2025-06-18")
        await client.initialize("2025-06-18")
        assert await client.result("logging/setLevel", {"level": "debug"}) == {}
        async with http.post(
            client.url,
            json=tool_call(client, "steps", count=1, pause=0.0),
            headers=client.headers(),
        ) as response:
            text = await asyncio.wait_for(response.text(), WAIT)
        assert text.startswith(f"retry: {RETRY}\n\n")
        events = parse_events(text)
        assert all(event.message is not None for event in events if event.id is not None)
        assert [event.id.rpartition(":")[2] for event in events if event.id] == ["1", "2"]

    run(test)


# -- resumption ------------------------------------------------------------------------------------


def test_a_dropped_post_stream_is_resumed_by_get_with_its_final_response(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        message = tool_call(client, "steps", count=4, pause=0.1)
        async with http.post(client.url, json=message, headers=client.headers()) as response:
            seen, _ = await read_events(response, 2)  # the priming event and step 0
            response.close()  # the connection drops mid-call
        priming, first = seen
        assert first.message is not None
        assert first.message["params"]["data"] == "step 0"
        assert first.id is not None

        # From the last event seen: the rest of that stream, its response included.
        status, events = await resume(client, first.id)
        assert status == 200
        assert events[0].message is None
        assert events[0].retry == RETRY
        rest = [event.message for event in events[1:]]
        assert [m["params"]["data"] for m in rest[:-1] if m] == ["step 1", "step 2", "step 3"]
        assert rest[-1] is not None
        assert rest[-1]["id"] == message["id"]
        assert rest[-1]["result"]["content"][0]["text"] == "4 steps"
        stream = stream_of(first.id)
        assert [event.id for event in events[1:]] == [f"{stream}:{n}" for n in range(2, 6)]

        # The ended stream stays resumable (grace period): from its priming event, everything.
        assert priming.id is not None
        status, again = await resume(client, priming.id)
        assert status == 200
        assert len([event for event in again if event.message is not None]) == 5

    run(test)


def test_a_dropped_get_stream_is_resumed_with_what_was_sent_meanwhile(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        headers = client.headers(Accept="text/event-stream")
        async with http.get(client.url, headers=headers) as stream:
            (priming,), _ = await read_events(stream, 1)
            stream.close()
        assert priming.id is not None
        for _ in range(2):  # the GET stream is gone: these wait for it
            assert await client.result("tools/call", {"name": "announce", "arguments": {}})
        resumed_headers = client.headers(Accept="text/event-stream", **{"Last-Event-ID": "0:0"})
        async with http.get(client.url, headers=resumed_headers) as stream:
            assert stream.status == 200
            events, _ = await read_events(stream, 3)
            assert events[0].message is None
            assert [event.id for event in events[1:]] == ["0:1", "0:2"]
            # ... and it goes on live.
            assert await client.result("tools/call", {"name": "announce", "arguments": {}})
            (live,), _ = await read_events(stream, 1)
            assert live.id == "0:3"

    run(test)


def test_ids_that_cannot_be_resumed_are_refused_with_400(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        for bad in ("nonsense", "999:0", "0:99", ":1", "1:-1"):
            headers = client.headers(Accept="text/event-stream", **{"Last-Event-ID": bad})
            async with http.get(client.url, headers=headers) as response:
                assert response.status == 400, bad
                body = await response.json()
                assert "cannot be resumed" in body["error"]["message"]
        # Another session's stream is unknown here.
        other = await connected(http, server)
        events = await post_events(other, tool_call(other, "steps", count=1, pause=0.0))
        assert events[0].id is not None
        status, _ = await resume(client, events[0].id)
        assert status == 400

    run(test)


def test_an_event_id_with_non_ascii_digits_is_refused_with_400_not_500(server: HttpServer) -> None:
    # An Arabic-Indic one and a superscript two are digits to str.isdigit(); int() reads the
    # first as 1 and fails on the second. Our event ids are ASCII: neither is one of them.
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        events = await post_events(client, tool_call(client, "steps", count=1, pause=0.0))
        stream = stream_of(events[0].id)
        for bad in (f"{stream}:\u0661", f"{stream}:\u00b2", "0:\u00b9"):
            headers = client.headers(Accept="text/event-stream", **{"Last-Event-ID": bad})
            async with http.get(client.url, headers=headers) as response:
                assert response.status == 400, bad
                body = await response.json()
                assert "cannot be resumed" in body["error"]["message"]
        assert (await client.result("ping")) == {}

    run(test)


def test_the_store_is_bounded_and_an_evicted_id_is_refused() -> None:
    running = sse_server("bounded", max_stream_events=2)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            message = tool_call(client, "polling", logs=4, pause=0.0)
            events = await post_events(client, message)
            # priming, "before close"; then the server closed the stream
            assert [event.message is None for event in events] == [True, False]
            stream = stream_of(events[0].id)
            await asyncio.sleep(0.3)  # the call ends meanwhile: 4 logs and the response
            # Events 1..6 were sent; the store keeps the last two (5, 6).
            status, _ = await resume(client, f"{stream}:1")
            assert status == 400
            status, kept = await resume(client, f"{stream}:4")
            assert status == 200
            assert [event.id for event in kept[1:]] == [f"{stream}:5", f"{stream}:6"]
            last = kept[-1].message
            assert last is not None
            assert last["result"]["content"][0]["text"] == "closed=True"

        run(test)
    finally:
        running.stop()


# -- SEP-1699: the server closes a stream mid-call -------------------------------------------------


def test_the_server_closes_a_post_stream_mid_call_and_the_result_follows_on_get(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        message = tool_call(client, "polling", logs=1, pause=0.3)
        events = await post_events(client, message)  # ends early: the server closed it
        assert events[0].message is None
        assert events[0].retry == RETRY
        assert [event.message["params"]["data"] for event in events[1:] if event.message] == [
            "before close"
        ]
        last = events[-1].id
        assert last is not None
        # The call is still running: the resumed GET gets what followed, live.
        status, rest = await resume(client, last)
        assert status == 200
        messages = [event.message for event in rest if event.message is not None]
        assert messages[0]["params"]["data"] == "after close 0"
        assert messages[-1]["id"] == message["id"]
        assert messages[-1]["result"]["content"][0]["text"] == "closed=True"

    run(test)


def test_closing_before_anything_was_sent_still_primes_the_client(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, server.url)
        await client.initialize()
        message = tool_call(client, "polling", logs=0, pause=0.1, early=True)
        events = await post_events(client, message)
        assert len(events) == 1
        assert events[0].message is None
        assert events[0].id is not None
        status, rest = await resume(client, events[0].id)
        assert status == 200
        messages = [event.message for event in rest if event.message is not None]
        assert [m["id"] for m in messages] == [message["id"]]

    run(test)


def test_a_json_only_client_cannot_be_closed_on(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        status, kind, found = await client.call(
            "tools/call",
            {"name": "polling", "arguments": {"logs": 0, "pause": 0.0}},
            Accept="application/json",
        )
        assert (status, kind) == (200, "application/json")
        assert found[0]["result"]["content"][0]["text"] == "closed=False"

    run(test)


def test_a_resuming_get_takes_over_a_stream_whose_post_is_still_connected(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        message = tool_call(client, "steps", count=3, pause=0.1)
        async with http.post(client.url, json=message, headers=client.headers()) as response:
            seen, _ = await read_events(response, 2)
            # The client thinks the POST is dead; the server does not know yet.
            status, events = await resume(client, str(seen[-1].id))
            assert status == 200
            found = [event.message for event in events if event.message is not None]
            assert [m["params"]["data"] for m in found[:-1]] == ["step 1", "step 2"]
            assert found[-1]["id"] == message["id"]
            # The POST's connection was let go: it ends without the response.
            rest = await asyncio.wait_for(response.read(), WAIT)
            assert b'"result"' not in rest

    run(test)


def test_close_sse_after_makes_every_long_call_poll() -> None:
    running = sse_server("polling-all", close_sse_after=0.1)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            message = tool_call(client, "steps", count=4, pause=0.1)
            events = await post_events(client, message)
            messages = [event.message for event in events if event.message is not None]
            assert "result" not in messages[-1]  # closed before the end
            last = events[-1].id
            for _ in range(20):  # resume until the response arrives
                assert last is not None
                status, more = await resume(client, last)
                assert status == 200
                messages += [event.message for event in more if event.message is not None]
                last = more[-1].id
                if "result" in messages[-1]:
                    break
            logs = [m["params"]["data"] for m in messages[:-1]]
            assert logs == ["step 0", "step 1", "step 2", "step 3"]
            assert messages[-1]["result"]["content"][0]["text"] == "4 steps"
            # A quick answer is still plain JSON.
            status, kind, _ = await client.call(
                "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}}
            )
            assert (status, kind) == (200, "application/json")

        run(test)
    finally:
        running.stop()


# -- several streams at once -----------------------------------------------------------------------


def test_concurrent_streams_of_one_session_keep_their_own_ids(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        messages = [tool_call(client, "steps", count=3, pause=0.02) for _ in range(4)]
        answers = await asyncio.gather(*(post_events(client, m) for m in messages))
        streams = set()
        for message, events in zip(messages, answers, strict=True):
            stream = stream_of(events[0].id)
            streams.add(stream)
            assert all(stream_of(event.id) == stream for event in events)
            final = events[-1].message
            assert final is not None
            assert final["id"] == message["id"]
            logs = [e.message for e in events[1:-1] if e.message]
            assert [m["params"]["data"] for m in logs] == ["step 0", "step 1", "step 2"]
        assert len(streams) == 4

        # Two of them dropped at once, both resumed (concurrently) with their own events.
        dropped = [tool_call(client, "polling", logs=2, pause=0.2) for _ in range(2)]
        closed = await asyncio.gather(*(post_events(client, m) for m in dropped))
        resumed = await asyncio.gather(*(resume(client, str(e[-1].id)) for e in closed))
        for message, (status, events) in zip(dropped, resumed, strict=True):
            assert status == 200
            found = [event.message for event in events if event.message is not None]
            assert [m["params"]["data"] for m in found[:-1]] == ["after close 0", "after close 1"]
            assert found[-1]["id"] == message["id"]

    run(test)


def test_close_sse_stream_is_a_no_op_on_other_transports() -> None:
    srv = make_server("memory")

    @srv.tool
    async def polling(ctx: Context) -> str:
        """Try to close the stream."""
        return f"closed={await ctx.close_sse_stream()}"

    handle = start(srv)
    try:
        connection = MemoryConnection.open(handle)
        try:
            result = connection.request(
                "tools/call", {"name": "polling", "arguments": {}}, timeout=WAIT
            )
            assert result["content"][0]["text"] == "closed=False"
        finally:
            connection.close(timeout=WAIT)
    finally:
        handle.stop()


# -- the event store -------------------------------------------------------------------------------


def test_the_in_memory_store_bounds_sessions_and_expires_ended_streams() -> None:
    now = [0.0]
    store = InMemoryEventStore(
        max_events_per_stream=3,
        max_events_per_session=4,
        ended_stream_grace=10.0,
        clock=lambda: now[0],
    )
    store.open_stream("s", "1")
    store.open_stream("s", "2")
    assert store.events_after("s", "1", 0) == []
    for seq in range(1, 4):
        store.append("s", "1", seq, b"a%d" % seq)
    assert store.events_after("s", "1", 0) == [(1, b"a1"), (2, b"a2"), (3, b"a3")]
    store.append("s", "1", 4, b"a4")  # per stream: 3
    assert store.events_after("s", "1", 0) is None
    assert store.events_after("s", "1", 1) == [(2, b"a2"), (3, b"a3"), (4, b"a4")]
    store.append("s", "2", 1, b"b1")
    store.append("s", "2", 2, b"b2")  # per session: 4 -> the oldest (stream 1, event 2) goes
    assert store.events_after("s", "1", 1) is None
    assert store.events_after("s", "1", 2) == [(3, b"a3"), (4, b"a4")]
    assert store.events_after("s", "2", 0) == [(1, b"b1"), (2, b"b2")]
    assert store.events_after("s", "2", 3) is None  # never issued
    store.end_stream("s", "2")
    now[0] = 9.0
    assert store.events_after("s", "2", 1) == [(2, b"b2")]
    now[0] = 11.0
    assert store.events_after("s", "2", 1) is None  # its grace period is over
    assert store.events_after("s", "1", 4) == []  # an open stream does not expire
    for seq in range(5, 500):
        store.append("s", "1", seq, b"x")
    assert store.events_after("s", "1", 496) == [(497, b"x"), (498, b"x"), (499, b"x")]
    store.drop_session("s")
    assert store.events_after("s", "1", 498) is None
    with pytest.raises(ValueError):
        InMemoryEventStore(max_events_per_stream=0)


def test_the_session_ending_drops_its_events() -> None:
    store = InMemoryEventStore()
    running = sse_server("ending", event_store=store)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            events = await post_events(client, tool_call(client, "steps", count=1, pause=0.0))
            sid = client.session_id
            assert sid is not None
            assert store.events_after(sid, stream_of(events[0].id), 0)
            async with http.delete(client.url, headers=client.headers()) as response:
                assert response.status == 204
            assert store.events_after(sid, stream_of(events[0].id), 0) is None

        run(test)
    finally:
        running.stop()


# -- the official SDK client -----------------------------------------------------------------------


def test_the_sdk_client_survives_a_stream_the_server_closes(server: HttpServer) -> None:
    logs: list[str] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(str(params.data))

    async def test() -> None:
        with anyio.fail_after(4 * WAIT):
            async with (
                streamable_http_client(server.url) as (read, write),
                ClientSession(
                    read, write, read_timeout_seconds=WAIT, logging_callback=on_log
                ) as session,
            ):
                await session.initialize()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                    await session.set_logging_level("debug")
                result = await session.call_tool("polling", {"logs": 2, "pause": 0.3})
                (block,) = result.content
                assert isinstance(block, types.TextContent)
                assert block.text == "closed=True"
                assert logs == ["before close", "after close 0", "after close 1"]
                # And the session goes on.
                added = await session.call_tool("add", {"a": 1, "b": 2})
                assert added.structured_content == {"result": 3}

    anyio.run(test)


def test_the_sdk_client_follows_a_server_that_polls_every_call() -> None:
    running = sse_server("sdk-polling", close_sse_after=0.1)
    try:

        async def test() -> None:
            with anyio.fail_after(4 * WAIT):
                async with (
                    streamable_http_client(running.url) as (read, write),
                    ClientSession(read, write, read_timeout_seconds=WAIT) as session,
                ):
                    await session.initialize()
                    result = await session.call_tool("steps", {"count": 3, "pause": 0.15})
                    (block,) = result.content
                    assert isinstance(block, types.TextContent)
                    assert block.text == "3 steps"

        anyio.run(test)
    finally:
        running.stop()
