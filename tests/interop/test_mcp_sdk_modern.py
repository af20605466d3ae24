"""Interop: the official `mcp` SDK client, in its 2026-07-28 (modern) mode, drives fastestmcp.

The server is the fixture of `test_mcp_sdk_stdio.py` (`stdio_server.py`, next to this file),
served two ways: over stdio, started as a real process by the SDK's `stdio_client` (which also
stops it; every such test checks that the process exited by itself), and over streamable HTTP,
served in this process by `fastestmcp.transports.http.serve` on a free port of 127.0.0.1 (its
tree and listener on a runtime thread of their own; the module fixture stops it).

`mcp.Client(..., mode="2026-07-28")` adopts the modern era without any handshake; its default
`mode="auto"` probes `server/discover` first, which a dual-era server answers, so it ends up
modern too. In the modern era nothing is remembered between requests: every request carries
its `_meta`, and a handler's `ctx.elicit`/`ctx.sample`/`ctx.list_roots` end the attempt with
an `InputRequiredResult` (MRTR) that the SDK answers through its callbacks, retrying the call
with `inputResponses` and the echoed `requestState` until the result is complete.

Every await is bounded (`anyio.fail_after`, and each test as a whole).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, cast

import anyio
import mcp.types as types
import msgspec
import pytest
from mcp import MCPError
from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.client.stdio import stdio_client
from mcp.client.subscriptions import ResourceUpdated, Subscription, ToolsListChanged
from pydantic import FileUrl

import fastestmcp
from fastestmcp import Context
from fastestmcp.server.elicitation import AcceptedElicitation
from fastestmcp.transports.http import HttpServer, serve
from tests.interop.stdio_server import app
from tests.interop.test_mcp_sdk_stdio import (
    TIMEOUT,
    Recorder,
    ServerProcess,
    assert_server_gone,
    bounded,
    eventually,
    run,
    server_parameters,
    text_of,
)

MODERN = "2026-07-28"
STATE_HANDLE = "dev.fastestmcp/stateHandle"  # fastestmcp's own `_meta` key for a state scope
SERVER_INFO = "io.modelcontextprotocol/serverInfo"


# -- the client side ----------------------------------------------------------------------------


@dataclass
class ModernRecorder(Recorder):
    """The stdio tests' recorder, noting also the MRTR key each callback answered."""

    keys: list[str | int] = field(default_factory=list)

    async def on_sampling(
        self, context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        self.keys.append(context.request_id)
        return await super().on_sampling(context, params)

    async def on_elicitation(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        self.keys.append(context.request_id)
        return await super().on_elicitation(context, params)

    async def on_list_roots(self, context: ClientRequestContext) -> types.ListRootsResult:
        self.keys.append(context.request_id)
        return await super().on_list_roots(context)


def request_meta(entries: dict[str, Any]) -> types.RequestParamsMeta:
    """Extra `_meta` for one call (an open map; the SDK adds its own keys beside these)."""
    return cast(types.RequestParamsMeta, entries)


# -- a second server, for input rounds in prompts/get and resources/read ---------------------
# (not in the stdio fixture: the legacy tests assert its exact prompts and resources)

extras = fastestmcp.server("interop-extras", version="0.1.0")


@extras.prompt
async def trip_prompt(city: str, ctx: Context) -> str:
    """Ask the user for a mood, then write the prompt."""
    answer = await ctx.elicit(f"Which mood for {city}?", str, key="mood")
    mood = answer.data if isinstance(answer, AcceptedElicitation) else answer.action
    return f"Plan a {mood} trip to {city}"


@extras.tool
def region_of(
    region: Annotated[str, msgspec.Meta(extra_json_schema={"x-mcp-header": "Region"})],
) -> str:
    """Echo `region`, which 2026-07-28 clients also send as the Mcp-Param-Region header."""
    return f"region={region}"


@extras.resource("notes://{topic}", mime_type="text/plain")
async def notes(topic: str, ctx: Context) -> str:
    """Notes the client's model writes, with the client's roots."""
    sampled = await ctx.sample(f"Notes on {topic}", max_tokens=16)
    roots = await ctx.list_roots()
    return f"{getattr(sampled.content, 'text', sampled.content)} ({len(roots)} roots)"


# -- the two transports -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_server() -> Iterator[HttpServer]:
    running = serve(app, host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def extras_server() -> Iterator[HttpServer]:
    running = serve(extras, host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Target:
    """How a test reaches the fixture server: a stdio process of its own, or the HTTP one."""

    transport: str
    tmp_path: Path
    http: HttpServer | None = None

    @asynccontextmanager
    async def connect(
        self,
        recorder: Recorder | None = None,
        *,
        mode: str = MODERN,
        log_level: types.LoggingLevel | None = None,
        name: str = "server",
    ) -> AsyncIterator[Client]:
        """An entered `mcp.Client`, with `recorder`'s callbacks (stdio: checks the exit)."""
        options: dict[str, Any] = {
            "mode": mode,
            "log_level": log_level,
            "read_timeout_seconds": TIMEOUT,
        }
        if recorder is not None:
            options.update(
                sampling_callback=recorder.on_sampling,
                elicitation_callback=recorder.on_elicitation,
                list_roots_callback=recorder.on_list_roots,
                logging_callback=recorder.on_log,
            )
        if self.http is not None:
            async with Client(self.http.url, **options) as client:
                yield client
            return
        server = ServerProcess(self.tmp_path / f"{name}.stderr")
        with server.errlog.open("w") as errlog:
            try:
                async with Client(
                    stdio_client(server_parameters(), errlog=errlog), **options
                ) as client:
                    pid = await bounded(client.call_tool("pid"))
                    assert pid.structured_content is not None
                    server.pid = pid.structured_content["result"]
                    yield client
            except BaseException:
                errlog.flush()
                print(f"server stderr:\n{server.stderr()}")
                raise
        assert_server_gone(server)


@pytest.fixture(params=["stdio", "http"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "http":
        return Target("http", tmp_path, request.getfixturevalue("http_server"))
    return Target("stdio", tmp_path)


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", MODERN])
def test_the_connection_is_modern_without_initialize(target: Target, mode: str) -> None:
    # "auto" sends server/discover first (and would fall back to initialize on an error);
    # MODERN adopts the version without asking. Neither initializes.
    async def test() -> None:
        async with target.connect(mode=mode) as client:
            assert client.protocol_version == MODERN
            assert client.session.initialize_result is None
            if mode == "auto":
                discovered = client.session.discover_result
                assert discovered is not None
                assert MODERN in discovered.supported_versions
                assert client.server_info is not None
                assert (client.server_info.name, client.server_info.version) == ("interop", "1.2.3")
                assert client.instructions == "A fixture server for the official MCP SDK's client."
                caps = client.server_capabilities
                assert caps.tools is not None
                assert caps.tools.list_changed is True
                assert caps.prompts is not None
                assert caps.completions is not None
            added = await bounded(client.call_tool("add", {"a": 20, "b": 22}))
            assert added.structured_content == {"result": 42}
            # Every modern result says what it is and who answered.
            assert added.result_type == "complete"
            assert added.meta is not None
            assert added.meta[SERVER_INFO] == {"name": "interop", "version": "1.2.3"}

    run(test)


def test_tools_sync_async_structured_output_and_errors(target: Target) -> None:
    async def test() -> None:
        async with target.connect() as client:
            listed = await bounded(client.list_tools())
            tools = {tool.name: tool for tool in listed.tools}
            assert set(tools) >= {"add", "greet", "forecast", "plan_trip", "open_scope"}
            assert tools["add"].input_schema["required"] == ["a", "b"]
            assert tools["add"].annotations is not None
            assert tools["add"].annotations.read_only_hint is True
            assert tools["add"].output_schema is not None

            added = await bounded(client.call_tool("add", {"a": 2, "b": 40}))  # sync tool
            assert not added.is_error
            assert text_of(added) == "42"
            assert added.structured_content == {"result": 42}
            greeted = await bounded(client.call_tool("greet", {"name": "Zoë 🚀"}))  # async
            assert text_of(greeted) == "Hello, Zoë 🚀!"
            forecast = await bounded(client.call_tool("forecast", {"city": "Oslo", "days": 3}))
            assert forecast.structured_content == {
                "city": "Oslo",
                "temperatures": [20.5, 21.5, 22.5],
            }
            chart = await bounded(client.call_tool("chart"))
            text, image = chart.content
            assert isinstance(text, types.TextContent)
            assert isinstance(image, types.ImageContent)
            assert base64.b64decode(image.data) == b"\x89PNG\r\n\x1a\n" + bytes(16)

            # Tool errors are results with isError, for the model to read.
            failed = await bounded(client.call_tool("divide", {"a": 1, "b": 0}))
            assert failed.is_error is True
            assert text_of(failed) == "cannot divide by zero"
            bad = await bounded(client.call_tool("add", {"a": "two", "b": 40}))
            assert bad.is_error is True
            assert "Invalid arguments for tool 'add'" in text_of(bad)
            assert "$.a" in text_of(bad)

            # An unknown tool is a JSON-RPC error.
            with pytest.raises(MCPError) as raised:
                await bounded(client.call_tool("no_such_tool", {}))
            assert raised.value.code == types.INVALID_PARAMS
            assert "unknown tool 'no_such_tool'" in raised.value.message

    run(test)


def test_resources_templates_prompts_and_completion(target: Target) -> None:
    async def test() -> None:
        async with target.connect() as client:
            listed = await bounded(client.list_resources())
            assert {str(r.uri) for r in listed.resources} == {"config://app", "data://blob"}
            assert listed.result_type == "complete"
            config = await bounded(client.read_resource("config://app"))
            (content,) = config.contents
            assert isinstance(content, types.TextResourceContents)
            assert content.mime_type == "application/json"
            assert content.text == '{"theme": "dark"}'
            binary = await bounded(client.read_resource("data://blob"))
            (blob,) = binary.contents
            assert isinstance(blob, types.BlobResourceContents)
            assert base64.b64decode(blob.blob) == bytes(range(256))

            templates = await bounded(client.list_resource_templates())
            (template,) = templates.resource_templates
            assert template.uri_template == "users://{user_id}/profile"
            profile = await bounded(client.read_resource("users://41/profile"))
            (user,) = profile.contents
            assert isinstance(user, types.TextResourceContents)
            assert user.text == "user 41 (int), next is 42"

            # 2026-07-28: an unknown resource is -32602 with the URI in `data`.
            with pytest.raises(MCPError) as raised:
                await bounded(client.read_resource("nothing://here"))
            assert raised.value.code == types.INVALID_PARAMS
            assert raised.value.error.data == {"uri": "nothing://here"}

            prompts = await bounded(client.list_prompts())
            (prompt,) = prompts.prompts
            assert prompt.name == "review"
            got = await bounded(
                client.get_prompt("review", {"code": "x = 1", "language": "Elixir"})
            )
            (message,) = got.messages
            assert isinstance(message.content, types.TextContent)
            assert message.content.text == "Review this Elixir code:\nx = 1"
            with pytest.raises(MCPError) as raised:  # `code` is required
                await bounded(client.get_prompt("review", {"language": "Python"}))
            assert raised.value.code == types.INVALID_PARAMS

            languages = await bounded(
                client.complete(
                    types.PromptReference(type="ref/prompt", name="review"),
                    {"name": "language", "value": "e"},
                )
            )
            assert languages.completion.values == ["Elixir", "Erlang"]
            users = await bounded(
                client.complete(
                    types.ResourceTemplateReference(
                        type="ref/resource", uri="users://{user_id}/profile"
                    ),
                    {"name": "user_id", "value": "42"},
                )
            )
            assert users.completion.values == ["42", "420", "4200"]

    run(test)


def test_elicitation_sampling_and_roots_through_input_required_rounds(target: Target) -> None:
    # The handlers are the legacy tests' own: `await ctx.elicit(...)` etc. In this era the
    # first attempt ends with an InputRequiredResult; the SDK runs its callback and retries.
    async def test() -> None:
        recorder = ModernRecorder()
        async with target.connect(recorder) as client:
            booked = await bounded(client.call_tool("book_table", {"restaurant": "Noma"}))
            assert not booked.is_error, text_of(booked)
            assert text_of(booked) == "booked Noma for 4 on 2025-12-24, vegetarian"
            (asked,) = recorder.elicitations
            assert isinstance(asked, types.ElicitRequestFormParams)
            assert asked.message == "Booking at Noma: which date, how many guests?"
            assert set(asked.requested_schema["properties"]) == {"date", "guests", "vegetarian"}

            recorder.elicit_action = "decline"
            declined = await bounded(client.call_tool("book_table", {"restaurant": "Noma"}))
            assert text_of(declined) == "the user declined"
            recorder.elicit_action = "cancel"
            cancelled = await bounded(client.call_tool("book_table", {"restaurant": "Noma"}))
            assert text_of(cancelled) == "the user cancelled"
            assert len(recorder.elicitations) == 3

            summary = await bounded(client.call_tool("summarize", {"text": "a long story"}))
            assert text_of(summary) == "echo-model: SUMMARIZE: A LONG STORY"
            (sampled,) = recorder.sampling
            assert sampled.system_prompt == "Be brief."
            assert sampled.temperature == 0.5
            assert sampled.max_tokens == 64
            # A sync tool waiting on the future with .get() replays the same way.
            summary = await bounded(client.call_tool("summarize_sync", {"text": "a tale"}))
            assert text_of(summary) == "echo-model: SUMMARIZE: A TALE"

            roots = await bounded(client.call_tool("list_roots"))
            assert roots.structured_content == {
                "result": ["alpha=file:///projects/alpha", "beta=file:///projects/beta"]
            }
            assert recorder.roots_calls == 1
            # Without `key=`, inputs are named by kind and call order.
            assert recorder.keys == [
                "elicitation_1",
                "elicitation_1",
                "elicitation_1",
                "sampling_1",
                "sampling_1",
                "roots_1",
            ]

    run(test)


def test_concurrent_calls_each_get_their_own_rounds(target: Target) -> None:
    # Several calls in input rounds at once (one from a sync tool): every retry carries its
    # own requestState, and every answer reaches the call that asked for it.
    async def test() -> None:
        recorder = ModernRecorder()
        async with target.connect(recorder) as client:
            results: dict[str, str] = {}

            async def call(key: str, tool: str, arguments: dict[str, Any]) -> None:
                results[key] = text_of(await bounded(client.call_tool(tool, arguments)))

            async with anyio.create_task_group() as tg:
                for n in range(3):
                    tg.start_soon(call, f"async{n}", "summarize", {"text": f"story {n}"})
                    tg.start_soon(call, f"sync{n}", "summarize_sync", {"text": f"tale {n}"})
                tg.start_soon(call, "book", "book_table", {"restaurant": "Geranium"})
                tg.start_soon(call, "roots", "list_roots", {})
                tg.start_soon(call, "add", "add", {"a": 1, "b": 2})
            assert results == {
                **{f"async{n}": f"echo-model: SUMMARIZE: STORY {n}" for n in range(3)},
                **{f"sync{n}": f"echo-model: SUMMARIZE: TALE {n}" for n in range(3)},
                "book": "booked Geranium for 4 on 2025-12-24, vegetarian",
                "roots": '["alpha=file:///projects/alpha","beta=file:///projects/beta"]',
                "add": "3",
            }
            assert len(recorder.sampling) == 6

    run(test)


def test_several_rounds_replay_the_handler_and_once_runs_once(target: Target) -> None:
    # plan_trip asks for three inputs one after the other: four attempts, and its `once`
    # function ran in the first only (the attempt count travels in the sealed requestState).
    async def test() -> None:
        recorder = ModernRecorder(elicit_content={"city": "Oslo", "nights": 3})
        trip = f"{target.transport}-accept"
        async with target.connect(recorder) as client:
            planned = await bounded(client.call_tool("plan_trip", {"trip": trip}))
            assert not planned.is_error, text_of(planned)
            assert text_of(planned) == (
                f"ticket-{trip}: 3 nights in Oslo (DESCRIBE OSLO), "
                "files in alpha,beta; 4 attempt(s), 1 ticket(s) issued"
            )
            assert recorder.keys == ["where", "describe", "roots"]
            (asked,) = recorder.elicitations
            assert isinstance(asked, types.ElicitRequestFormParams)
            assert asked.message == f"Trip {trip}: where to, and for how long?"

            for action in ("decline", "cancel"):
                recorder.elicit_action = action
                trip = f"{target.transport}-{action}"
                refused = await bounded(client.call_tool("plan_trip", {"trip": trip}))
                assert text_of(refused) == f"ticket-{trip}: no trip ({action}) after 2 attempt(s)"
            assert recorder.keys == ["where", "describe", "roots", "where", "where"]

    run(test)


def test_rounds_driven_by_hand_are_sealed_and_checked(target: Target) -> None:
    # The SDK's lower level returns the InputRequiredResult itself: answer one input per
    # round, as a client that persists `requestState` would.
    async def test() -> None:
        trip = f"{target.transport}-by-hand"
        async with target.connect(ModernRecorder()) as client:
            session = client.session

            async def attempt(
                responses: types.InputResponses | None, state: str | None
            ) -> types.CallToolResult | types.InputRequiredResult:
                return await bounded(
                    session.call_tool(
                        "plan_trip",
                        {"trip": trip},
                        input_responses=responses,
                        request_state=state,
                        allow_input_required=True,
                    )
                )

            first = await attempt(None, None)
            assert isinstance(first, types.InputRequiredResult)
            assert first.result_type == "input_required"
            assert first.input_requests is not None
            assert list(first.input_requests) == ["where"]
            (where,) = first.input_requests.values()
            assert isinstance(where, types.ElicitRequest)
            assert where.params.message == f"Trip {trip}: where to, and for how long?"
            assert first.request_state is not None

            # A state changed by the client, or sealed for another request, is refused.
            state = first.request_state
            forged = state[:4] + ("B" if state[4] == "A" else "A") + state[5:]  # a full 6 bits
            with pytest.raises(MCPError) as raised:
                await attempt(None, forged)
            assert raised.value.code == types.INVALID_PARAMS
            assert "invalid requestState" in raised.value.message
            with pytest.raises(MCPError) as raised:
                await bounded(
                    session.call_tool(
                        "book_table",
                        {"restaurant": "Noma"},
                        request_state=first.request_state,
                        allow_input_required=True,
                    )
                )
            assert raised.value.code == types.INVALID_PARAMS

            # A wrong answer (roots for an elicitation) is asked for again, not an error.
            roots = types.ListRootsResult(
                roots=[types.Root(uri=FileUrl("file:///srv/files"), name="files")]
            )
            again = await attempt({"where": roots}, first.request_state)
            assert isinstance(again, types.InputRequiredResult)
            assert again.input_requests is not None
            assert list(again.input_requests) == ["where"]
            assert again.request_state is not None

            accepted = types.ElicitResult(action="accept", content={"city": "Rome", "nights": 2})
            second = await attempt({"where": accepted}, again.request_state)
            assert isinstance(second, types.InputRequiredResult)
            assert second.input_requests is not None
            (describe,) = second.input_requests.values()
            assert list(second.input_requests) == ["describe"]
            assert isinstance(describe, types.CreateMessageRequest)
            assert second.request_state is not None

            # Earlier answers travel in the sealed state: only the new one is sent.
            sampled = types.CreateMessageResult(
                role="assistant",
                content=types.TextContent(type="text", text="eternal"),
                model="by-hand",
            )
            third = await attempt({"describe": sampled}, second.request_state)
            assert isinstance(third, types.InputRequiredResult)
            assert third.input_requests is not None
            assert list(third.input_requests) == ["roots"]
            assert isinstance(third.input_requests["roots"], types.ListRootsRequest)

            done = await attempt({"roots": roots}, third.request_state)
            assert isinstance(done, types.CallToolResult)
            assert done.result_type == "complete"
            assert text_of(done) == (
                f"ticket-{trip}: 2 nights in Rome (eternal), files in files; "
                "5 attempt(s), 1 ticket(s) issued"
            )

    run(test)


def test_a_client_without_the_capability_gets_error_32021(target: Target) -> None:
    # No callbacks: the SDK declares no sampling/elicitation/roots, and the request fails
    # with -32021 naming what to declare (no InputRequiredResult the client cannot answer).
    async def test() -> None:
        async with target.connect() as client:
            for tool, arguments, capability in (
                ("summarize", {"text": "x"}, "sampling"),
                ("book_table", {"restaurant": "Noma"}, "elicitation"),
                ("list_roots", {}, "roots"),
            ):
                with pytest.raises(MCPError) as raised:
                    await bounded(client.call_tool(tool, arguments))
                assert raised.value.code == types.MISSING_REQUIRED_CLIENT_CAPABILITY, tool
                assert raised.value.error.data == {"requiredCapabilities": {capability: {}}}

    run(test)


def test_progress_always_and_logs_only_when_asked_for(target: Target) -> None:
    # 2026-07-28 logging is opt-in per request: `_meta["io.modelcontextprotocol/logLevel"]`,
    # which the SDK stamps from `Client(log_level=...)` or takes from a call's `meta`.
    async def test() -> None:
        recorder = ModernRecorder()
        async with target.connect(recorder) as client:
            quiet = await bounded(
                client.call_tool("work", {"steps": 2}, progress_callback=recorder.on_progress)
            )
            assert text_of(quiet) == "did 2 steps"
            told = await bounded(
                client.call_tool(
                    "work",
                    {"steps": 3},
                    progress_callback=recorder.on_progress,
                    meta=request_meta({types.LOG_LEVEL_META_KEY: "info"}),
                )
            )
            assert text_of(told) == "did 3 steps"
            await eventually(
                recorder, lambda: len(recorder.progress) == 5 and len(recorder.logs) == 3
            )
            assert recorder.progress == [
                (1.0, 2.0, "step 1"),
                (2.0, 2.0, "step 2"),
                (1.0, 3.0, "step 1"),
                (2.0, 3.0, "step 2"),
                (3.0, 3.0, "step 3"),
            ]
            # The first call's logs would have come before the second's: none were sent,
            # and `debug` is below the `info` asked for.
            assert [(log.level, log.logger, log.data) for log in recorder.logs] == [
                ("info", "work", "step 1 of 3"),
                ("info", "work", "step 2 of 3"),
                ("info", "work", "step 3 of 3"),
            ]

        recorder = ModernRecorder()
        async with target.connect(recorder, log_level="debug", name="debug") as client:
            done = await bounded(client.call_tool("work", {"steps": 1}))  # no progress token
            assert text_of(done) == "did 1 steps"
            await eventually(recorder, lambda: len(recorder.logs) == 2)
            assert [(log.level, log.data) for log in recorder.logs] == [
                ("info", "step 1 of 1"),
                ("debug", "work done"),
            ]
            assert recorder.progress == []

    run(test)


def test_listen_delivers_tool_list_changes_and_resource_updates(target: Target) -> None:
    # toggle_tool changes the fixture's tool list (over HTTP, the `app` of this process) and
    # changes it back: the test leaves the list as it found it.
    async def next_event(subscription: Subscription) -> object:
        with anyio.fail_after(TIMEOUT):
            async for event in subscription:
                return event
        raise AssertionError("the subscription ended")

    async def test() -> None:
        async with (
            target.connect() as client,
            client.listen(
                tools_list_changed=True, resource_subscriptions=["config://app"]
            ) as subscription,
        ):
            assert subscription.honored is not None
            assert subscription.honored.tools_list_changed is True
            assert subscription.honored.resource_subscriptions == ["config://app"]
            before = {tool.name for tool in (await bounded(client.list_tools())).tools}
            assert "dynamic_tool" not in before

            toggled = await bounded(client.call_tool("toggle_tool"))
            assert toggled.structured_content == {"result": True}
            assert await next_event(subscription) == ToolsListChanged()
            # The SDK dropped its cached listing when the event came: this one is fresh.
            after = {tool.name for tool in (await bounded(client.list_tools())).tools}
            assert after == before | {"dynamic_tool"}
            dynamic = await bounded(client.call_tool("dynamic_tool"))
            assert text_of(dynamic) == "dynamic"

            toggled = await bounded(client.call_tool("toggle_tool"))  # removed again
            assert toggled.structured_content == {"result": False}
            assert await next_event(subscription) == ToolsListChanged()
            again = {tool.name for tool in (await bounded(client.list_tools())).tools}
            assert again == before

            # Resource updates: only for the URIs the listener named (the SDK would pass
            # any on, so the first event proves the server did not send the blob's).
            await bounded(client.call_tool("touch", {"uri": "data://blob"}))
            await bounded(client.call_tool("touch", {"uri": "config://app"}))
            assert await next_event(subscription) == ResourceUpdated("config://app")

    run(test)


def test_stdio_state_lives_as_long_as_the_process(tmp_path: Path) -> None:
    # Over stdio the process is one state scope, in the modern era too.
    async def test() -> None:
        target = Target("stdio", tmp_path)
        async with target.connect(name="first") as client:
            one = await bounded(client.call_tool("count"))
            two = await bounded(client.call_tool("count", {"step": 5}))
            assert (one.structured_content, two.structured_content) == (
                {"result": 1},
                {"result": 6},
            )
            stored = await bounded(client.call_tool("remember", {"key": "k", "value": "v1"}))
            assert text_of(stored) == "k=v1 (was None)"
            again = await bounded(client.call_tool("remember", {"key": "k", "value": "v2"}))
            assert text_of(again) == "k=v2 (was v1)"
            recalled = await bounded(client.call_tool("recall", {"key": "k"}))
            assert recalled.structured_content == {"result": "v2"}

        async with target.connect(name="second") as client:  # a new process: fresh state
            fresh = await bounded(client.call_tool("count"))
            assert fresh.structured_content == {"result": 1}

    run(test)


def test_http_state_needs_a_scope_and_a_state_handle_is_one(
    http_server: HttpServer, tmp_path: Path
) -> None:
    async def test() -> None:
        target = Target("http", tmp_path, http_server)
        async with target.connect() as client:
            # No scope: a clear tool error, saying how to get one.
            for tool, arguments in (("count", {}), ("remember", {"key": "k", "value": "v"})):
                failed = await bounded(client.call_tool(tool, arguments))
                assert failed.is_error is True, tool
                assert "no state scope" in text_of(failed)
                assert "state handle" in text_of(failed)
                assert STATE_HANDLE in text_of(failed)

            # A handle the server minted is a scope: its state persists across requests.
            opened = await bounded(client.call_tool("open_scope"))
            assert opened.structured_content is not None
            handle = opened.structured_content["result"]
            assert isinstance(handle, str)
            scoped = request_meta({STATE_HANDLE: handle})
            counted = [
                await bounded(client.call_tool("count", {"step": step}, meta=scoped))
                for step in (1, 2, 3)
            ]
            assert [c.structured_content for c in counted] == [
                {"result": 1},
                {"result": 3},
                {"result": 6},
            ]
            stored = await bounded(  # a sync tool, blocking on its state futures
                client.call_tool("remember", {"key": "k", "value": "v1"}, meta=scoped)
            )
            assert text_of(stored) == "k=v1 (was None)"
            recalled = await bounded(client.call_tool("recall", {"key": "k"}, meta=scoped))
            assert recalled.structured_content == {"result": "v1"}

            # Another handle is another scope; without one there is still none.
            other = await bounded(client.call_tool("open_scope"))
            assert other.structured_content is not None
            assert other.structured_content["result"] != handle
            elsewhere = request_meta({STATE_HANDLE: other.structured_content["result"]})
            fresh = await bounded(client.call_tool("count", meta=elsewhere))
            assert fresh.structured_content == {"result": 1}
            unscoped = await bounded(client.call_tool("recall", {"key": "k"}))
            assert unscoped.is_error is True

            # A handle the server never minted is refused.
            with pytest.raises(MCPError) as raised:
                await bounded(
                    client.call_tool(
                        "count", meta=request_meta({STATE_HANDLE: "h_not-a-real-handle"})
                    )
                )
            assert raised.value.code == types.INVALID_PARAMS
            assert "unknown or expired state handle" in raised.value.message

    run(test)


def test_http_prompts_and_resources_ask_for_input_too(
    extras_server: HttpServer, tmp_path: Path
) -> None:
    # prompts/get and resources/read may end with an InputRequiredResult as tools/call does;
    # the SDK drives those rounds the same way.
    async def test() -> None:
        recorder = ModernRecorder(elicit_content={"value": "calm"})
        target = Target("http", tmp_path, extras_server)
        async with target.connect(recorder) as client:
            prompt = await bounded(client.get_prompt("trip_prompt", {"city": "Oslo"}))
            (message,) = prompt.messages
            assert isinstance(message.content, types.TextContent)
            assert message.content.text == "Plan a calm trip to Oslo"
            recorder.elicit_action = "decline"
            prompt = await bounded(client.get_prompt("trip_prompt", {"city": "Oslo"}))
            (message,) = prompt.messages
            assert isinstance(message.content, types.TextContent)
            assert message.content.text == "Plan a decline trip to Oslo"

            read = await bounded(client.read_resource("notes://fjords"))
            (content,) = read.contents
            assert isinstance(content, types.TextResourceContents)
            assert content.text == "NOTES ON FJORDS (2 roots)"
            assert recorder.keys == ["mood", "mood", "sampling_1", "roots_2"]

    run(test)


def test_http_parameter_headers_are_mirrored_after_a_relist(
    extras_server: HttpServer, tmp_path: Path
) -> None:
    # SEP-2243: a tool argument annotated x-mcp-header travels as Mcp-Param-<Name> too. A
    # client that has not listed the tool cannot know; the server answers -32020 and the SDK
    # relists and resends once, now with the header (base64-wrapped when not plain ASCII).
    async def test() -> None:
        target = Target("http", tmp_path, extras_server)
        async with target.connect() as client:
            for region in ("eu-west", "Zoë / north"):
                echoed = await bounded(client.call_tool("region_of", {"region": region}))
                assert not echoed.is_error, text_of(echoed)
                assert text_of(echoed) == f"region={region}"
            listed = await bounded(client.list_tools())
            (tool,) = (tool for tool in listed.tools if tool.name == "region_of")
            assert tool.input_schema["properties"]["region"]["x-mcp-header"] == "Region"

    run(test)
