"""Interop: the official `mcp` SDK's streamable HTTP client drives a fastestmcp server.

`ClientSession.initialize()` is the legacy handshake (2025-11-25). The server listens on a
free port of 127.0.0.1 (its tree and listener on a runtime thread of their own); every await
is bounded, the server is stopped by the fixture.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import mcp.types as types
import pytest
from mcp import ClientSession, MCPDeprecationWarning
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client

from fastestmcp.transports.http import HttpServer, serve
from tests.transports.http_fixture import LATEST, WAIT, make_server

T = TypeVar("T")


async def bounded(awaitable: Awaitable[T], seconds: float = WAIT) -> T:
    with anyio.fail_after(seconds):
        return await awaitable


async def eventually(condition: Callable[[], bool]) -> None:
    """Poll `condition` (the SDK runs callbacks in tasks of their own), bounded."""
    with anyio.fail_after(WAIT):
        while True:
            if condition():
                return
            await anyio.sleep(0.01)


def run(test: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        with anyio.fail_after(4 * WAIT):
            await test()

    anyio.run(main)


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    running = serve(make_server("sdk"), port=0)
    try:
        yield running
    finally:
        running.stop()


class Recorder:
    def __init__(self) -> None:
        self.logs: list[types.LoggingMessageNotificationParams] = []
        self.progress: list[tuple[float, float | None, str | None]] = []
        self.sampled: list[types.CreateMessageRequestParams] = []
        self.updated: list[str] = []

    async def on_message(self, message: types.ServerNotification | Exception) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            self.updated.append(str(message.params.uri))

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        self.logs.append(params)

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append((progress, total, message))

    async def on_sampling(
        self, context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        self.sampled.append(params)
        (message,) = params.messages
        assert isinstance(message.content, types.TextContent)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=message.content.text.upper()),
            model="echo",
        )

    async def on_elicitation(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"value": "Grace"})


@asynccontextmanager
async def connect(
    server: HttpServer, recorder: Recorder | None = None
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
        streamable_http_client(server.url) as (read, write),
        ClientSession(read, write, read_timeout_seconds=WAIT, **callbacks) as session,
    ):
        init = await bounded(session.initialize())
        yield session, init


def text_of(result: types.CallToolResult) -> str:
    (block,) = result.content
    assert isinstance(block, types.TextContent)
    return block.text


def test_handshake_tools_and_state(server: HttpServer) -> None:
    async def test() -> None:
        before = set(server.transport.session_ids)
        async with connect(server) as (session, init):
            assert init.protocol_version == LATEST
            assert init.server_info.name == "sdk"
            (opened,) = set(server.transport.session_ids) - before
            listed = await bounded(session.list_tools())
            assert {"add", "remember", "chatty"} <= {tool.name for tool in listed.tools}
            added = await bounded(session.call_tool("add", {"a": 20, "b": 22}))
            assert added.structured_content == {"result": 42}
            assert text_of(await bounded(session.call_tool("remember", {"value": "x"}))) == ""
            assert text_of(await bounded(session.call_tool("remember", {"value": "y"}))) == "x"
            await bounded(session.send_ping())
        # The SDK sends DELETE on exit: the session is gone.
        await eventually(lambda: opened not in server.transport.session_ids)

    run(test)


def test_logging_and_progress_on_the_calls_stream(server: HttpServer) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with connect(server, recorder) as (session, _):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                await bounded(session.set_logging_level("debug"))
            result = await bounded(
                session.call_tool("chatty", {}, progress_callback=recorder.on_progress)
            )
            assert text_of(result) == "done"
            # The notifications came on the call's stream, before its response.
            assert [p[0] for p in recorder.progress] == [1, 2, 3]
            assert [p[2] for p in recorder.progress] == ["one", "two", "three"]
            await eventually(lambda: len(recorder.logs) >= 2)
            assert [log.data for log in recorder.logs] == ["started", "finishing"]

    run(test)


def test_sampling_and_elicitation_round_trips(server: HttpServer) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with connect(server, recorder) as (session, _):
            sampled = await bounded(session.call_tool("ask_model", {"prompt": "hello"}))
            assert text_of(sampled) == "model said: HELLO"
            assert len(recorder.sampled) == 1
            elicited = await bounded(session.call_tool("ask_name", {}))
            assert text_of(elicited) == "hello Grace"

    run(test)


def test_concurrent_calls_in_one_session(server: HttpServer) -> None:
    async def test() -> None:
        async with connect(server) as (session, _):
            results: list[str] = []

            async def call(i: int) -> None:
                result = await bounded(session.call_tool("add", {"a": i, "b": 1}))
                results.append(text_of(result))

            async with anyio.create_task_group() as group:
                for i in range(10):
                    group.start_soon(call, i)
            assert sorted(results, key=int) == [str(i + 1) for i in range(10)]

    run(test)


async def check_subscriptions(
    session: ClientSession, init: types.InitializeResult, recorder: Recorder
) -> None:
    """Only subscribed URIs are announced, in order, until unsubscribed (`resources/updated`)."""
    resources = init.capabilities.resources
    assert resources is not None
    assert resources.subscribe is True
    listed = await bounded(session.list_resources())
    assert [str(resource.uri) for resource in listed.resources] == ["memo://notes"]
    await bounded(session.subscribe_resource("memo://notes"))
    touched = await bounded(session.call_tool("touch", {"uri": "memo://other"}))
    assert text_of(touched) == "touched memo://other"  # nobody subscribed: not announced
    await bounded(session.call_tool("touch", {"uri": "memo://notes"}))
    await eventually(lambda: len(recorder.updated) >= 1)
    assert recorder.updated == ["memo://notes"]
    await bounded(session.unsubscribe_resource("memo://notes"))
    await bounded(session.call_tool("touch", {"uri": "memo://notes"}))  # no longer announced
    await bounded(session.subscribe_resource("memo://other"))
    await bounded(session.call_tool("touch", {"uri": "memo://other"}))
    await eventually(lambda: len(recorder.updated) >= 2)
    assert recorder.updated == ["memo://notes", "memo://other"]


def test_subscriptions_and_resources_updated(server: HttpServer) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with connect(server, recorder) as (session, init):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                await check_subscriptions(session, init, recorder)

    run(test)


def test_updates_go_only_to_the_subscribed_session(server: HttpServer) -> None:
    async def test() -> None:
        subscribed, other = Recorder(), Recorder()
        async with (
            connect(server, subscribed) as (session, _),
            connect(server, other) as (bystander, _),
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                await bounded(session.subscribe_resource("memo://notes"))
            # The bystander's own call announces the update; only the subscriber hears it.
            await bounded(bystander.call_tool("touch", {"uri": "memo://notes"}))
            await eventually(lambda: subscribed.updated == ["memo://notes"])
            await bounded(bystander.send_ping())
            await bounded(session.send_ping())
            assert other.updated == []

    run(test)
