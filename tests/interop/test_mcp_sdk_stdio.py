"""Interop: the official `mcp` SDK client drives a fastestmcp server over stdio.

The server is `stdio_server.py`, next to this file, started as a real process by the SDK's
`stdio_client` (which also stops it: it closes stdin, waits, then kills the process group).
`ClientSession.initialize()` is the legacy handshake (`initialize` at 2025-11-25);
`mcp.Client`'s default `mode="auto"` first probes the 2026-07-28 `server/discover`, which a
dual-era fastestmcp server answers, so that client stays modern (last test; the modern era
has its own interop tests in `test_mcp_sdk_modern.py`).

Every await is bounded (`anyio.fail_after`, and each test as a whole; the SDK bounds its own
shutdown), and every test checks that the server process is gone afterwards and that it
exited by itself when its stdin closed, before the SDK's grace period ran out.
"""

from __future__ import annotations

import base64
import os
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import mcp.types as types
import pytest
from mcp import ClientSession, MCPDeprecationWarning, MCPError, StdioServerParameters
from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.client.stdio import stdio_client
from mcp.types.version import LATEST_HANDSHAKE_VERSION
from pydantic import FileUrl

HERE = Path(__file__).resolve().parent
SERVER = HERE / "stdio_server.py"
REPO = HERE.parents[1]

TIMEOUT = 20.0  # for one await; generous for a loaded CI machine
EXIT_MARKER = "fixture server: stdin closed, exiting"
LEGACY_VERSION = "2025-11-25"  # what ClientSession.initialize() offers (asserted below)
RESOURCE_NOT_FOUND = -32002  # the legacy spec's code; the SDK has no constant for it

T = TypeVar("T")


async def bounded(awaitable: Awaitable[T], seconds: float = TIMEOUT) -> T:
    with anyio.fail_after(seconds):
        return await awaitable


async def eventually(
    recorder: Recorder, condition: Callable[[], bool], seconds: float = TIMEOUT
) -> None:
    """Wait for callbacks the SDK runs in tasks of their own (notifications are spawned)."""
    with anyio.fail_after(seconds):
        while not condition():
            await recorder.changed.wait()


def run(test: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        with anyio.fail_after(4 * TIMEOUT):
            await test()

    anyio.run(main)


# -- the client side: callbacks that record what the server asked for ----------------------


@dataclass
class Recorder:
    """The SDK callbacks of one session, and what they saw."""

    elicit_action: str = "accept"
    elicit_content: dict[str, Any] = field(
        default_factory=lambda: {"date": "2025-12-24", "guests": 4, "vegetarian": True}
    )
    logs: list[types.LoggingMessageNotificationParams] = field(default_factory=list)
    progress: list[tuple[float, float | None, str | None]] = field(default_factory=list)
    sampling: list[types.CreateMessageRequestParams] = field(default_factory=list)
    elicitations: list[types.ElicitRequestParams] = field(default_factory=list)
    roots_calls: int = 0
    changed: anyio.Event = field(default_factory=anyio.Event)

    def _record(self, items: list[T], item: T) -> None:
        items.append(item)
        self.changed.set()
        self.changed = anyio.Event()

    async def on_sampling(
        self, context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        self.sampling.append(params)
        (message,) = params.messages
        assert isinstance(message.content, types.TextContent)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=message.content.text.upper()),
            model="echo-model",
            stop_reason="endTurn",
        )

    async def on_elicitation(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        self.elicitations.append(params)
        if self.elicit_action != "accept":
            return types.ElicitResult(action=self.elicit_action)  # type: ignore[arg-type]
        return types.ElicitResult(action="accept", content=self.elicit_content)

    async def on_list_roots(self, context: ClientRequestContext) -> types.ListRootsResult:
        self.roots_calls += 1
        return types.ListRootsResult(
            roots=[
                types.Root(uri=FileUrl("file:///projects/alpha"), name="alpha"),
                types.Root(uri=FileUrl("file:///projects/beta"), name="beta"),
            ]
        )

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        self._record(self.logs, params)

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self._record(self.progress, (progress, total, message))


# -- the server process ---------------------------------------------------------------------


def server_parameters() -> StdioServerParameters:
    # The SDK passes only a few variables (HOME, PATH...) to the child: give it the checkout,
    # so the fixture imports this fastestmcp even when it is not installed.
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return StdioServerParameters(
        command=sys.executable, args=[str(SERVER)], env={"PYTHONPATH": pythonpath}, cwd=REPO
    )


@dataclass
class ServerProcess:
    """What a test learns of the server process: its pid and its stderr."""

    errlog: Path
    pid: int | None = None

    def stderr(self) -> str:
        return self.errlog.read_text(errors="replace")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _children_running(script: Path) -> list[int]:
    """Processes whose parent is this test process and that run the fixture (Linux only)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and str(script).encode() in cmdline:
            found.append(int(entry.name))
    return found


def assert_server_gone(server: ServerProcess) -> None:
    """The process exited by itself at stdin EOF (not killed by the SDK) and left nothing."""
    assert server.pid is not None
    assert not _alive(server.pid), f"server process {server.pid} is still running"
    assert _children_running(SERVER) == []
    assert EXIT_MARKER in server.stderr(), (
        "the server did not exit by itself when its stdin closed (the SDK killed it?); "
        f"its stderr:\n{server.stderr()}"
    )


@asynccontextmanager
async def connect(
    tmp_path: Path, recorder: Recorder | None = None, *, name: str = "server"
) -> AsyncIterator[tuple[ClientSession, types.InitializeResult, ServerProcess]]:
    """Start the fixture server with the SDK's stdio client and initialize a session."""
    server = ServerProcess(tmp_path / f"{name}.stderr")
    callbacks: dict[str, Any] = {}
    if recorder is not None:
        callbacks = {
            "sampling_callback": recorder.on_sampling,
            "elicitation_callback": recorder.on_elicitation,
            "list_roots_callback": recorder.on_list_roots,
            "logging_callback": recorder.on_log,
        }
    with server.errlog.open("w") as errlog:
        try:
            async with (
                stdio_client(server_parameters(), errlog=errlog) as (read, write),
                ClientSession(read, write, read_timeout_seconds=TIMEOUT, **callbacks) as session,
            ):
                init = await bounded(session.initialize())
                pid = await bounded(session.call_tool("pid"))
                assert pid.structured_content is not None
                server.pid = pid.structured_content["result"]
                yield session, init, server
        except BaseException:
            errlog.flush()
            print(f"server stderr:\n{server.stderr()}", file=sys.stderr)
            raise


def text_of(result: types.CallToolResult) -> str:
    (block,) = result.content
    assert isinstance(block, types.TextContent)
    return block.text


# -- the tests ------------------------------------------------------------------------------


def test_handshake_is_legacy_and_capabilities_are_advertised(tmp_path: Path) -> None:
    async def test() -> None:
        assert LATEST_HANDSHAKE_VERSION == LEGACY_VERSION
        async with connect(tmp_path) as (session, init, server):
            assert init.protocol_version == LEGACY_VERSION
            assert session.protocol_version == LEGACY_VERSION
            assert init.server_info.name == "interop"
            assert init.server_info.version == "1.2.3"
            assert init.instructions == "A fixture server for the official MCP SDK's client."
            caps = init.capabilities
            assert caps.tools is not None
            assert caps.tools.list_changed is True
            assert caps.resources is not None
            assert caps.resources.subscribe is True
            assert caps.prompts is not None
            assert caps.logging is not None
            assert caps.completions is not None
            pong = await bounded(session.send_ping())
            assert isinstance(pong, types.EmptyResult)
        assert_server_gone(server)

    run(test)


def test_tools_sync_and_async_with_structured_output(tmp_path: Path) -> None:
    async def test() -> None:
        async with connect(tmp_path) as (session, _, server):
            listed = await bounded(session.list_tools())
            tools = {tool.name: tool for tool in listed.tools}
            assert set(tools) >= {"add", "greet", "count", "work", "summarize", "book_table"}
            add = tools["add"]
            assert add.description == "Add two integers (a sync tool, run in the server's pool)."
            assert add.input_schema["properties"] == {
                "a": {"type": "integer"},
                "b": {"type": "integer"},
            }
            assert add.input_schema["required"] == ["a", "b"]
            assert add.annotations is not None
            assert add.annotations.read_only_hint is True
            assert add.output_schema is not None

            # The SDK validates structuredContent against the listed outputSchema itself.
            added = await bounded(session.call_tool("add", {"a": 2, "b": 40}))
            assert not added.is_error
            assert text_of(added) == "42"
            assert added.structured_content == {"result": 42}

            greeted = await bounded(session.call_tool("greet", {"name": "Ada"}))
            assert text_of(greeted) == "Hello, Ada!"
            assert greeted.structured_content == {"result": "Hello, Ada!"}
            greeted = await bounded(session.call_tool("greet", {"name": "Bob", "punctuation": "?"}))
            assert text_of(greeted) == "Hello, Bob?"

            # Non-ASCII text, and a frame of about 2 MB each way.
            greeted = await bounded(session.call_tool("greet", {"name": "Zoë 🚀\u2028"}))
            assert text_of(greeted) == "Hello, Zoë 🚀\u2028!"
            big = "ab\n" * 700_000
            greeted = await bounded(session.call_tool("greet", {"name": big}))
            assert text_of(greeted) == f"Hello, {big}!"

            # An object result: its own output schema, no wrapping.
            assert tools["forecast"].output_schema is not None
            assert "x-fastestmcp-wrap-result" not in tools["forecast"].output_schema
            forecast = await bounded(session.call_tool("forecast", {"city": "Oslo", "days": 3}))
            assert not forecast.is_error
            assert forecast.structured_content == {
                "city": "Oslo",
                "temperatures": [20.5, 21.5, 22.5],
            }

            # Mixed content: one block each, the image base64 on the wire.
            assert tools["chart"].output_schema is None
            chart = await bounded(session.call_tool("chart"))
            text, image = chart.content
            assert isinstance(text, types.TextContent)
            assert text.text == "A chart:"
            assert isinstance(image, types.ImageContent)
            assert image.mime_type == "image/png"
            assert base64.b64decode(image.data) == b"\x89PNG\r\n\x1a\n" + bytes(16)
            assert chart.structured_content is None
        assert_server_gone(server)

    run(test)


def test_tool_errors_and_unknown_tool(tmp_path: Path) -> None:
    async def test() -> None:
        async with connect(tmp_path) as (session, _, server):
            # Invalid arguments: a result with isError, for the model to read.
            bad = await bounded(session.call_tool("add", {"a": "two", "b": 40}))
            assert bad.is_error is True
            assert "Invalid arguments for tool 'add'" in text_of(bad)
            assert "$.a" in text_of(bad)
            missing = await bounded(session.call_tool("add", {"a": 1}))
            assert missing.is_error is True
            assert "$.b" in text_of(missing)
            assert "required" in text_of(missing)

            # A deliberate ToolError: also a result.
            failed = await bounded(session.call_tool("divide", {"a": 1, "b": 0}))
            assert failed.is_error is True
            assert text_of(failed) == "cannot divide by zero"
            halved = await bounded(session.call_tool("divide", {"a": 1, "b": 2}))
            assert halved.structured_content == {"result": 0.5}

            # An unknown tool: a JSON-RPC error, raised by the SDK.
            with pytest.raises(MCPError) as raised:
                await bounded(session.call_tool("no_such_tool", {}))
            assert raised.value.code == types.INVALID_PARAMS
            assert "unknown tool 'no_such_tool'" in raised.value.message

            # The session is still usable afterwards.
            added = await bounded(session.call_tool("add", {"a": 1, "b": 1}))
            assert added.structured_content == {"result": 2}
        assert_server_gone(server)

    run(test)


def test_resources_and_templates(tmp_path: Path) -> None:
    async def test() -> None:
        async with connect(tmp_path) as (session, _, server):
            listed = await bounded(session.list_resources())
            resources = {str(r.uri): r for r in listed.resources}
            assert set(resources) == {"config://app", "data://blob"}
            assert resources["config://app"].mime_type == "application/json"
            assert resources["config://app"].description == "The app's settings."

            text = await bounded(session.read_resource("config://app"))
            (content,) = text.contents
            assert isinstance(content, types.TextResourceContents)
            assert str(content.uri) == "config://app"
            assert content.mime_type == "application/json"
            assert content.text == '{"theme": "dark"}'

            binary = await bounded(session.read_resource("data://blob"))
            (blob,) = binary.contents
            assert isinstance(blob, types.BlobResourceContents)
            assert blob.mime_type == "application/octet-stream"
            assert base64.b64decode(blob.blob) == bytes(range(256))

            templates = await bounded(session.list_resource_templates())
            (template,) = templates.resource_templates
            assert template.uri_template == "users://{user_id}/profile"
            assert template.name == "profile"
            assert template.mime_type == "text/plain"

            # The capture arrives in the handler as an int.
            profile = await bounded(session.read_resource("users://41/profile"))
            (user,) = profile.contents
            assert isinstance(user, types.TextResourceContents)
            assert str(user.uri) == "users://41/profile"
            assert user.text == "user 41 (int), next is 42"

            with pytest.raises(MCPError) as raised:
                await bounded(session.read_resource("users://not-a-number/profile"))
            assert raised.value.code == types.INVALID_PARAMS
            assert "'user_id' must be int" in raised.value.message
            with pytest.raises(MCPError) as raised:
                await bounded(session.read_resource("nothing://here"))
            assert raised.value.code == RESOURCE_NOT_FOUND
        assert_server_gone(server)

    run(test)


def test_prompts_and_completions(tmp_path: Path) -> None:
    async def test() -> None:
        async with connect(tmp_path) as (session, _, server):
            listed = await bounded(session.list_prompts())
            (prompt,) = listed.prompts
            assert prompt.name == "review"
            assert prompt.description == "Ask for a code review."
            arguments = {a.name: a.required for a in prompt.arguments or []}
            assert arguments == {"code": True, "language": False}

            got = await bounded(
                session.get_prompt("review", {"code": "x = 1", "language": "Elixir"})
            )
            (message,) = got.messages
            assert message.role == "user"
            assert isinstance(message.content, types.TextContent)
            assert message.content.text == "Review this Elixir code:\nx = 1"

            with pytest.raises(MCPError) as raised:  # `code` is required
                await bounded(session.get_prompt("review", {"language": "Python"}))
            assert raised.value.code == types.INVALID_PARAMS
            assert "code" in raised.value.message

            languages = await bounded(
                session.complete(
                    types.PromptReference(type="ref/prompt", name="review"),
                    {"name": "language", "value": "e"},
                )
            )
            assert languages.completion.values == ["Elixir", "Erlang"]

            users = await bounded(
                session.complete(
                    types.ResourceTemplateReference(
                        type="ref/resource", uri="users://{user_id}/profile"
                    ),
                    {"name": "user_id", "value": "42"},
                )
            )
            assert users.completion.values == ["42", "420", "4200"]

            nothing = await bounded(
                session.complete(
                    types.PromptReference(type="ref/prompt", name="review"),
                    {"name": "code", "value": "x"},
                )
            )
            assert nothing.completion.values == []
        assert_server_gone(server)

    run(test)


def test_logging_and_progress(tmp_path: Path) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with connect(tmp_path, recorder) as (session, _, server):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026
                await bounded(session.set_logging_level("info"))
            result = await bounded(
                session.call_tool("work", {"steps": 3}, progress_callback=recorder.on_progress)
            )
            assert text_of(result) == "did 3 steps"
            await eventually(
                recorder, lambda: len(recorder.progress) == 3 and len(recorder.logs) == 3
            )
            assert recorder.progress == [
                (1.0, 3.0, "step 1"),
                (2.0, 3.0, "step 2"),
                (3.0, 3.0, "step 3"),
            ]
            assert [(log.level, log.logger, log.data) for log in recorder.logs] == [
                ("info", "work", "step 1 of 3"),
                ("info", "work", "step 2 of 3"),
                ("info", "work", "step 3 of 3"),
            ]

            # Without a progress callback the SDK sends no progressToken: no progress, and
            # the tool still succeeds.
            quiet = await bounded(session.call_tool("work", {"steps": 1}))
            assert text_of(quiet) == "did 1 steps"
            await eventually(recorder, lambda: len(recorder.logs) == 4)
            await anyio.sleep(0.2)  # nothing else arrives: debug is below `info`
            assert len(recorder.progress) == 3
            assert [log.data for log in recorder.logs][3:] == ["step 1 of 1"]
        assert_server_gone(server)

    run(test)


def test_sampling_elicitation_and_roots(tmp_path: Path) -> None:
    async def test() -> None:
        recorder = Recorder()
        async with connect(tmp_path, recorder) as (session, _, server):
            summary = await bounded(session.call_tool("summarize", {"text": "a long story"}))
            assert not summary.is_error, text_of(summary)
            assert text_of(summary) == "echo-model: SUMMARIZE: A LONG STORY"
            (asked,) = recorder.sampling
            assert asked.system_prompt == "Be brief."
            assert asked.temperature == 0.5
            assert asked.max_tokens == 64

            booked = await bounded(session.call_tool("book_table", {"restaurant": "Noma"}))
            assert not booked.is_error, text_of(booked)
            assert text_of(booked) == "booked Noma for 4 on 2025-12-24, vegetarian"
            (elicited,) = recorder.elicitations
            assert isinstance(elicited, types.ElicitRequestFormParams)
            assert elicited.message == "Booking at Noma: which date, how many guests?"
            schema = elicited.requested_schema
            assert schema["type"] == "object"
            assert set(schema["properties"]) == {"date", "guests", "vegetarian"}
            assert schema["properties"]["guests"]["type"] == "integer"
            assert sorted(schema["required"]) == ["date", "guests"]

            recorder.elicit_action = "decline"
            declined = await bounded(session.call_tool("book_table", {"restaurant": "Noma"}))
            assert text_of(declined) == "the user declined"
            recorder.elicit_action = "cancel"
            cancelled = await bounded(session.call_tool("book_table", {"restaurant": "Noma"}))
            assert text_of(cancelled) == "the user cancelled"

            roots = await bounded(session.call_tool("list_roots"))
            assert not roots.is_error, text_of(roots)
            assert roots.structured_content == {
                "result": ["alpha=file:///projects/alpha", "beta=file:///projects/beta"]
            }
            assert recorder.roots_calls == 1
        assert_server_gone(server)

    run(test)


def test_elicitation_forms_with_enum_and_literal_fields(tmp_path: Path) -> None:
    # MCP's enum schema is {"type": "string", "enum": [...]}: `type` is required, and the
    # choices are shown in the order the server gives them (declaration order).
    async def test() -> None:
        recorder = Recorder()
        async with connect(tmp_path, recorder) as (session, _, server):
            recorder.elicit_content = {"kind": "cocoa", "size": "large", "sugar": 2}
            drink = await bounded(session.call_tool("order_drink"))
            assert not drink.is_error, text_of(drink)
            assert text_of(drink) == "large cocoa, 2 sugar"
            (asked,) = recorder.elicitations
            assert isinstance(asked, types.ElicitRequestFormParams)
            assert asked.requested_schema["properties"] == {
                "kind": {"type": "string", "enum": ["tea", "coffee", "cocoa"]},
                "size": {
                    "type": "string",
                    "title": "Size",
                    "enum": ["small", "medium", "large"],
                    "default": "medium",
                },
                "sugar": {"type": "integer", "default": 0},
            }
            assert asked.requested_schema["required"] == ["kind"]

            recorder.elicit_content = {"value": "small"}
            size = await bounded(session.call_tool("pick_size"))
            assert text_of(size) == "picked SMALL"
            asked = recorder.elicitations[1]
            assert isinstance(asked, types.ElicitRequestFormParams)
            assert asked.requested_schema == {
                "type": "object",
                "properties": {
                    "value": {
                        "type": "string",
                        "title": "Size",
                        "enum": ["small", "medium", "large"],
                    }
                },
                "required": ["value"],
            }
        assert_server_gone(server)

    run(test)


def test_concurrent_calls_and_server_requests_are_correlated(tmp_path: Path) -> None:
    # Several calls in flight at once, each making its own request to the client (one from
    # a sync tool, in the server's pool): every answer reaches the call that asked for it.
    async def test() -> None:
        recorder = Recorder()
        async with connect(tmp_path, recorder) as (session, _, server):
            results: dict[str, str] = {}

            async def call(key: str, tool: str, arguments: dict[str, Any]) -> None:
                results[key] = text_of(await bounded(session.call_tool(tool, arguments)))

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
        assert_server_gone(server)

    run(test)


def test_a_call_the_client_abandons_is_cancelled_on_the_server(tmp_path: Path) -> None:
    # The SDK sends notifications/cancelled for a request whose caller gave up; the server
    # cancels the handler (it never finishes) and the session goes on.
    async def test() -> None:
        async with connect(tmp_path) as (session, _, server):
            with anyio.move_on_after(0.3) as scope:
                await session.call_tool("wait", {"seconds": 1.5})
            assert scope.cancelled_caught
            await anyio.sleep(2.0)  # past the moment the handler would have finished
            noted = await bounded(session.call_tool("recall", {"key": "waited"}))
            assert noted.structured_content == {"result": None}
            done = await bounded(session.call_tool("wait", {"seconds": 0.01}))
            assert text_of(done) == "waited 0.01 s"
            noted = await bounded(session.call_tool("recall", {"key": "waited"}))
            assert noted.structured_content == {"result": "0.01 s"}
        assert_server_gone(server)

    run(test)


def test_client_without_capabilities_gets_tool_errors(tmp_path: Path) -> None:
    # No callbacks: the SDK declares no sampling, elicitation or roots capability, and the
    # server does not send requests the client cannot answer.
    async def test() -> None:
        async with connect(tmp_path) as (session, _, server):
            for tool, arguments, capability in (
                ("summarize", {"text": "x"}, "sampling"),
                ("book_table", {"restaurant": "Noma"}, "elicitation"),
                ("list_roots", {}, "roots"),
            ):
                result = await bounded(session.call_tool(tool, arguments))
                assert result.is_error is True, tool
                assert f"did not declare the {capability!r} capability" in text_of(result)
        assert_server_gone(server)

    run(test)


def test_session_state_persists_within_a_session_and_not_across(tmp_path: Path) -> None:
    async def test() -> None:
        async with connect(tmp_path, name="first") as (session, _, first):
            one = await bounded(session.call_tool("count"))
            two = await bounded(session.call_tool("count", {"step": 5}))
            assert (one.structured_content, two.structured_content) == (
                {"result": 1},
                {"result": 6},
            )
            stored = await bounded(session.call_tool("remember", {"key": "k", "value": "v1"}))
            assert text_of(stored) == "k=v1 (was None)"
            again = await bounded(session.call_tool("remember", {"key": "k", "value": "v2"}))
            assert text_of(again) == "k=v2 (was v1)"
            recalled = await bounded(session.call_tool("recall", {"key": "k"}))
            assert recalled.structured_content == {"result": "v2"}
        assert_server_gone(first)

        # A new session is a new process, with fresh state.
        async with connect(tmp_path, name="second") as (session, _, second):
            assert second.pid != first.pid
            fresh = await bounded(session.call_tool("count"))
            assert fresh.structured_content == {"result": 1}
            recalled = await bounded(session.call_tool("recall", {"key": "k"}))
            assert recalled.structured_content == {"result": None}
        assert_server_gone(second)

    run(test)


def test_default_client_probes_discover_and_stays_modern(tmp_path: Path) -> None:
    # `mcp.Client` defaults to mode="auto": it sends `server/discover` (2026-07-28) first and
    # falls back to `initialize` on an error. fastestmcp is dual-era: it answers the probe,
    # so the connection stays modern (no initialize), on the same stdio server.
    async def test() -> None:
        server = ServerProcess(tmp_path / "auto.stderr")
        with server.errlog.open("w") as errlog:
            client = Client(stdio_client(server_parameters(), errlog=errlog))
            assert client.mode == "auto"
            async with client:
                assert client.protocol_version == "2026-07-28"
                assert client.session.initialize_result is None
                assert client.session.discover_result is not None
                pid = await bounded(client.call_tool("pid"))
                assert pid.structured_content is not None
                server.pid = pid.structured_content["result"]
                added = await bounded(client.call_tool("add", {"a": 20, "b": 22}))
                assert added.structured_content == {"result": 42}
        assert_server_gone(server)

    run(test)
