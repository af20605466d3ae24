"""The 2026-07-28 era in process: modern requests over an in-memory connection.

A connection that never sends `initialize` is served by its session actor as one scope: every
request carries its `_meta`, every result `resultType` and serverInfo, and MRTR replaces the
server's requests to the client.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

import fastestmcp
from fastestmcp import Context
from fastestmcp.protocol import versions
from fastestmcp.protocol.modern import CacheHint
from fastestmcp.server.elicitation import AcceptedElicitation
from fastestmcp.server.running import ServerHandle, start
from fastestmcp.transports.memory import MemoryConnection

from .sessions import messages, notifications, send_request, tool_text, wait_answer, wait_until

MODERN = versions.V2026_07_28
SERVER_INFO = {"name": "modern-test", "version": "4.5.6"}
ALL_CAPS: dict[str, Any] = {"sampling": {}, "elicitation": {}, "roots": {}}

#: How often each tool's "expensive" work ran (the `once` test counts calls).
CALLS: dict[str, int] = {}


def build() -> fastestmcp.Server:
    srv = fastestmcp.server(
        "modern-test",
        "Use the tools.",
        version="4.5.6",
        list_cache=CacheHint(5000, "public"),
        read_cache=CacheHint(1000, "private"),
        request_state_key=b"s" * 32,
    )

    @srv.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @srv.tool
    async def greet(ctx: Context) -> str:
        """Elicit a name under the key `user_name`."""
        answer = await ctx.elicit("What is your name?", str, key="user_name")
        assert isinstance(answer, AcceptedElicitation)
        return f"Hello, {answer.data}!"

    @srv.tool
    async def greet_default(ctx: Context) -> str:
        """Elicit with the default key."""
        answer = await ctx.elicit("Name?", str)
        assert isinstance(answer, AcceptedElicitation)
        return f"Hi {answer.data}"

    @srv.tool
    async def capital(ctx: Context) -> str:
        """Sample the client's model."""
        result = await ctx.sample("What is the capital of France?", max_tokens=100)
        return f"model: {getattr(result.content, 'text', '?')}"

    @srv.tool
    async def roots(ctx: Context) -> str:
        """List the client's roots."""
        found = await ctx.list_roots()
        return ",".join(root.uri for root in found)

    @srv.tool
    async def everything(ctx: Context) -> str:
        """Three inputs, one per round, under explicit keys."""
        name = await ctx.elicit("Name?", str, key="name")
        sampled = await ctx.sample("Greeting", max_tokens=5, key="greeting")
        found = await ctx.list_roots(key="roots")
        assert isinstance(name, AcceptedElicitation)
        text = getattr(sampled.content, "text", "?")
        return f"{name.data}|{text}|{len(found)}"

    @srv.tool
    async def two_steps(ctx: Context) -> str:
        """Two rounds; counts its expensive work (`once`) and its rounds (`round_state`)."""
        ctx.round_state["rounds"] = ctx.round_state.get("rounds", 0) + 1

        def expensive() -> int:
            CALLS["two_steps"] = CALLS.get("two_steps", 0) + 1
            return 42

        value = await ctx.once("expensive", expensive)
        name = await ctx.elicit("Step 1: What is your name?", str, key="step1")
        assert isinstance(name, AcceptedElicitation)
        color = await ctx.elicit("Step 2: What is your favorite color?", str, key="step2")
        assert isinstance(color, AcceptedElicitation)
        return f"{name.data} likes {color.data} ({value}, round {ctx.round_state['rounds']})"

    @srv.tool
    async def gathered(ctx: Context) -> str:
        """Two inputs gathered: both are asked for in the same round."""
        name, said = await asyncio.gather(
            ctx.elicit("Name?", str, key="name"), ctx.sample("Greeting", max_tokens=5, key="word")
        )
        assert isinstance(name, AcceptedElicitation)
        return f"{name.data}/{getattr(said.content, 'text', '?')}"

    @srv.tool
    async def async_once(ctx: Context) -> str:
        """`once` with a coroutine function."""

        async def work() -> int:
            CALLS["async_once"] = CALLS.get("async_once", 0) + 1
            await asyncio.sleep(0)
            return 7

        value = await ctx.once("work", work)
        name = await ctx.elicit("Name?", str, key="name")
        assert isinstance(name, AcceptedElicitation)
        return f"{value} {name.data}"

    @srv.tool
    def sync_greet(ctx: Context) -> str:
        """A sync tool (run in the pool) that elicits."""
        name = ctx.elicit("Name?", str, key="name").get(timeout=10)
        assert isinstance(name, AcceptedElicitation)
        return f"sync {name.data}"

    @srv.tool
    async def swallows(ctx: Context) -> str:
        """`except Exception` does not swallow the end of an attempt."""
        try:
            name = await ctx.elicit("Name?", str, key="name")
        except Exception as exc:  # the point of the test
            return f"swallowed {exc!r}"
        assert isinstance(name, AcceptedElicitation)
        return f"got {name.data}"

    @srv.tool
    async def chatty(ctx: Context) -> str:
        """Log at three levels and report progress."""
        await ctx.debug("debug line")
        await ctx.info("info line")
        await ctx.warning("warning line")
        await ctx.report_progress(1, 2, "half")
        await ctx.report_progress(2, 2, "all")
        return "done"

    @srv.tool
    async def remember(value: str, ctx: Context) -> str:
        """Store `value` in the session; return what was stored before."""
        before = await ctx.get_state("value", "")
        await ctx.set_state("value", value)
        return str(before)

    @srv.tool
    async def mint(ctx: Context) -> str:
        """Mint a state handle."""
        return await ctx.new_state_handle()

    @srv.tool
    async def use(handle: str, ctx: Context) -> bool:
        """Use a state handle; whether this client declared sampling (its own parameters)."""
        await ctx.use_state_handle(handle)
        caps = ctx.capabilities
        return caps is not None and caps.sampling is not None

    @srv.tool
    def has_sampling(ctx: Context) -> bool:
        """Whether this request's client declared sampling."""
        return ctx.capabilities is not None and ctx.capabilities.sampling is not None

    @srv.tool
    async def announce(ctx: Context) -> str:
        """Tell listeners the tool list changed."""
        await ctx.send_tool_list_changed()
        return "announced"

    @srv.tool
    async def announce_prompts(ctx: Context) -> str:
        """Tell listeners the prompt list changed."""
        await ctx.send_prompt_list_changed()
        return "announced"

    @srv.tool
    async def touch(uri: str, ctx: Context) -> str:
        """Tell listeners `uri` changed."""
        await ctx.notify_resource_updated(uri)
        return "touched"

    @srv.resource("memo://plain", mime_type="text/plain")
    def plain() -> str:
        """Read with the server's read_cache."""
        return "plain"

    @srv.resource(
        "memo://cached", mime_type="text/plain", cache={"ttl_ms": 60000, "scope": "public"}
    )
    def cached() -> str:
        """Read with its own cache hint."""
        return "cached"

    @srv.resource("memo://asks", mime_type="text/plain")
    async def asks(ctx: Context) -> str:
        """A resource whose read elicits (MRTR on resources/read)."""
        answer = await ctx.elicit("Which?", str, key="which")
        assert isinstance(answer, AcceptedElicitation)
        return f"read {answer.data}"

    @srv.resource("memo://items/{name}", mime_type="text/plain", cache={"ttl_ms": 77})
    def item(name: str) -> str:
        """A template with its own cache hint."""
        return name

    @srv.tool
    async def keeps_junk(ctx: Context) -> str:
        """Keeps a value that is not JSON across rounds."""
        ctx.round_state["junk"] = object()
        await ctx.elicit("Name?", str, key="name")
        return "unreachable"

    @srv.prompt
    async def context_prompt(ctx: Context) -> str:
        """A prompt that elicits."""
        answer = await ctx.elicit("What context should the prompt use?", str, key="user_context")
        assert isinstance(answer, AcceptedElicitation)
        return f"Use {answer.data}"

    return srv


@pytest.fixture(scope="module")
def handle() -> Iterator[ServerHandle]:
    h = start(build())
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture
def conn(handle: ServerHandle) -> Iterator[MemoryConnection]:
    """A connection that never initializes: modern requests only."""
    c = MemoryConnection.open(handle, initialize=False)
    try:
        yield c
    finally:
        c.close(timeout=5)


_ids = itertools.count(1)


def modern_meta(caps: dict[str, Any] | None = None, /, **more: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        versions.META_PROTOCOL_VERSION: MODERN,
        versions.META_CLIENT_CAPABILITIES: ALL_CAPS if caps is None else caps,
        versions.META_CLIENT_INFO: {"name": "modern-client", "version": "1"},
    }
    meta.update(more)
    return meta


def ask(
    conn: MemoryConnection,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    meta: dict[str, Any] | None = None,
    request_id: str | int | None = None,
) -> dict[str, Any]:
    """Send one modern request; its raw answer (a result or an error, with its id)."""
    rid = next(_ids) if request_id is None else request_id
    body = dict(params or {})
    body["_meta"] = modern_meta() if meta is None else meta
    send_request(conn, rid, method, body)
    answer = wait_answer(conn, rid)
    assert answer["id"] == rid
    return answer


def result(conn: MemoryConnection, method: str, params: Any = None, **kw: Any) -> dict[str, Any]:
    answer = ask(conn, method, params, **kw)
    assert "result" in answer, answer
    found: dict[str, Any] = answer["result"]
    return found


def error(conn: MemoryConnection, method: str, params: Any = None, **kw: Any) -> dict[str, Any]:
    answer = ask(conn, method, params, **kw)
    assert "error" in answer, answer
    found: dict[str, Any] = answer["error"]
    return found


def call(conn: MemoryConnection, name: str, **more: Any) -> dict[str, Any]:
    return result(conn, "tools/call", {"name": name, "arguments": {}, **more})


def accept(content: dict[str, Any]) -> dict[str, Any]:
    return {"action": "accept", "content": content}


def sampled(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": {"type": "text", "text": text}, "model": "m"}


# -- discovery and result members ------------------------------------------------------------


def test_discover(conn: MemoryConnection, handle: ServerHandle) -> None:
    found = result(conn, "server/discover")
    assert found["resultType"] == "complete"
    assert found["_meta"][versions.META_SERVER_INFO] == SERVER_INFO
    assert MODERN in found["supportedVersions"]
    assert found["supportedVersions"] == list(versions.SUPPORTED_VERSIONS)
    assert found["instructions"] == "Use the tools."
    caps = found["capabilities"]
    assert "tools" in caps
    assert "resources" in caps
    assert "prompts" in caps


def test_discover_capabilities_match_components() -> None:
    srv = fastestmcp.server("tools-only")

    @srv.tool
    def one() -> int:
        return 1

    h = start(srv)
    c = MemoryConnection.open(h, initialize=False)
    try:
        found = result(c, "server/discover")
        assert "tools" in found["capabilities"]
        assert "prompts" not in found["capabilities"]
        assert "instructions" not in found
    finally:
        c.close(timeout=5)
        h.stop()


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("tools/list", {}),
        ("prompts/list", {}),
        ("resources/list", {}),
        ("resources/templates/list", {}),
        ("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}),
        (
            "prompts/get",
            {"name": "context_prompt", "inputResponses": {"user_context": accept({"value": "x"})}},
        ),
        (
            "completion/complete",
            {
                "ref": {"type": "ref/prompt", "name": "context_prompt"},
                "argument": {"name": "a", "value": ""},
            },
        ),
    ],
)
def test_every_result_has_result_type_and_server_info(
    conn: MemoryConnection, method: str, params: dict[str, Any]
) -> None:
    answer = ask(conn, method, params)
    found = answer.get("result")
    if found is None:  # e.g. completion of a prompt without that argument: still an error
        assert method == "completion/complete", answer
        return
    assert found["resultType"] == "complete"
    assert found["_meta"][versions.META_SERVER_INFO] == SERVER_INFO


@pytest.mark.parametrize(
    "method", ["tools/list", "prompts/list", "resources/list", "resources/templates/list"]
)
def test_lists_carry_the_server_list_cache(conn: MemoryConnection, method: str) -> None:
    found = result(conn, method)
    assert (found["ttlMs"], found["cacheScope"]) == (5000, "public")


def test_reads_carry_read_cache_or_the_resource_own(conn: MemoryConnection) -> None:
    plain = result(conn, "resources/read", {"uri": "memo://plain"})
    assert (plain["ttlMs"], plain["cacheScope"]) == (1000, "private")
    assert plain["contents"][0]["text"] == "plain"
    cached = result(conn, "resources/read", {"uri": "memo://cached"})
    assert (cached["ttlMs"], cached["cacheScope"]) == (60000, "public")


def test_tool_results_carry_no_caching_hints(conn: MemoryConnection) -> None:
    found = call(conn, "add", arguments={"a": 2, "b": 3})
    assert "ttlMs" not in found
    assert found["structuredContent"] == {"result": 5}


def test_template_reads_carry_the_template_cache(conn: MemoryConnection) -> None:
    found = result(conn, "resources/read", {"uri": "memo://items/abc"})
    assert (found["ttlMs"], found["cacheScope"]) == (77, "private")
    assert found["contents"][0]["text"] == "abc"


def test_tools_list_order_is_deterministic(conn: MemoryConnection) -> None:
    first = [t["name"] for t in result(conn, "tools/list")["tools"]]
    second = [t["name"] for t in result(conn, "tools/list")["tools"]]
    assert first == second


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params"),
    [
        (
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "c", "version": "1"},
            },
        ),
        ("ping", {}),
        ("logging/setLevel", {"level": "info"}),
        ("resources/subscribe", {"uri": "memo://plain"}),
        ("resources/unsubscribe", {"uri": "memo://plain"}),
        ("no/such/method", {}),
    ],
)
def test_removed_and_unknown_methods_are_32601(
    conn: MemoryConnection, method: str, params: dict[str, Any]
) -> None:
    answer = ask(conn, method, params, request_id=f"rid-{method}")
    assert answer["id"] == f"rid-{method}"
    assert answer["error"]["code"] == -32601


def test_missing_meta_members(conn: MemoryConnection) -> None:
    no_caps = {versions.META_PROTOCOL_VERSION: MODERN}
    assert error(conn, "tools/list", meta=no_caps)["code"] == -32602
    bad = error(
        conn, "tools/list", meta=modern_meta(**{versions.META_PROTOCOL_VERSION: "2099-01-01"})
    )
    assert bad["code"] == -32022
    assert bad["data"]["requested"] == "2099-01-01"
    # A request without any _meta on a connection that never initialized: -32602.
    send_request(conn, "bare", "tools/list", {})
    assert wait_answer(conn, "bare")["error"]["code"] == -32602


def test_unknown_resource_is_32602_with_uri(conn: MemoryConnection) -> None:
    uri = "test://nonexistent-resource-for-conformance-testing"
    found = error(conn, "resources/read", {"uri": uri})
    assert found["code"] == -32602
    assert found["data"]["uri"] == uri


def test_missing_sampling_capability_is_32021(conn: MemoryConnection) -> None:
    found = error(conn, "tools/call", {"name": "capital", "arguments": {}}, meta=modern_meta({}))
    assert found["code"] == -32021
    assert found["data"]["requiredCapabilities"] == {"sampling": {}}


# -- MRTR ----------------------------------------------------------------------------------------


def test_elicit_asks_then_completes(conn: MemoryConnection) -> None:
    first = call(conn, "greet")
    assert first["resultType"] == "input_required"
    assert first["_meta"][versions.META_SERVER_INFO] == SERVER_INFO
    request = first["inputRequests"]["user_name"]
    assert request["method"] == "elicitation/create"
    assert request["params"]["message"] == "What is your name?"
    assert "requestState" in first
    done = call(
        conn,
        "greet",
        inputResponses={"user_name": accept({"value": "Ada"})},
        requestState=first["requestState"],
    )
    assert done["resultType"] == "complete"
    assert tool_text(done) == "Hello, Ada!"
    # The retry may omit the state: the answer alone is enough for one round.
    alone = call(conn, "greet", inputResponses={"user_name": accept({"value": "Bo"})})
    assert tool_text(alone) == "Hello, Bo!"


def test_default_keys(conn: MemoryConnection) -> None:
    first = call(conn, "greet_default")
    (key,) = first["inputRequests"]
    assert key == "elicitation_1"
    done = call(conn, "greet_default", inputResponses={key: accept({"value": "Cy"})})
    assert tool_text(done) == "Hi Cy"


def test_sample_and_list_roots(conn: MemoryConnection) -> None:
    first = call(conn, "capital")
    ((key, request),) = first["inputRequests"].items()
    assert key == "sampling_1"
    assert request["method"] == "sampling/createMessage"
    assert request["params"]["maxTokens"] == 100
    done = call(conn, "capital", inputResponses={key: sampled("Paris")})
    assert tool_text(done) == "model: Paris"

    first = call(conn, "roots")
    assert first["inputRequests"] == {"roots_1": {"method": "roots/list", "params": {}}}
    done = call(
        conn,
        "roots",
        inputResponses={"roots_1": {"roots": [{"uri": "file:///a"}, {"uri": "file:///b"}]}},
    )
    assert tool_text(done) == "file:///a,file:///b"


def test_missing_wrong_and_extra_answers(conn: MemoryConnection) -> None:
    first = call(conn, "greet")
    state = first["requestState"]
    # Missing (another key) and wrong (not an elicitation result): asked again, not an error.
    for responses in ({"other": accept({"value": "x"})}, {"user_name": {"nonsense": 1}}, {}):
        again = call(conn, "greet", inputResponses=responses, requestState=state)
        assert again["resultType"] == "input_required"
        assert set(again["inputRequests"]) == {"user_name"}
    # Extra keys next to the right one are ignored.
    done = call(
        conn,
        "greet",
        inputResponses={"user_name": accept({"value": "Di"}), "extra": {"x": 1}},
        requestState=state,
    )
    assert tool_text(done) == "Hello, Di!"


def test_several_inputs_in_one_round(conn: MemoryConnection) -> None:
    first = call(conn, "everything")
    assert set(first["inputRequests"]) == {"name"}  # sequential awaits: one at a time
    second = call(
        conn,
        "everything",
        inputResponses={"name": accept({"value": "Ed"})},
        requestState=first["requestState"],
    )
    assert set(second["inputRequests"]) == {"greeting"}
    third = call(
        conn,
        "everything",
        inputResponses={"greeting": sampled("hey")},
        requestState=second["requestState"],
    )
    assert set(third["inputRequests"]) == {"roots"}
    done = call(
        conn,
        "everything",
        inputResponses={"roots": {"roots": []}},
        requestState=third["requestState"],
    )
    assert tool_text(done) == "Ed|hey|0"


def test_multi_round_with_round_state_and_once(conn: MemoryConnection) -> None:
    CALLS.pop("two_steps", None)
    first = call(conn, "two_steps")
    assert set(first["inputRequests"]) == {"step1"}
    second = call(
        conn,
        "two_steps",
        inputResponses={"step1": accept({"value": "Fay"})},
        requestState=first["requestState"],
    )
    assert second["resultType"] == "input_required"
    assert set(second["inputRequests"]) == {"step2"}
    assert second["requestState"] != first["requestState"]  # updated: carries step1's answer
    done = call(
        conn,
        "two_steps",
        inputResponses={"step2": accept({"value": "teal"})},
        requestState=second["requestState"],
    )
    assert tool_text(done) == "Fay likes teal (42, round 3)"
    assert CALLS["two_steps"] == 1  # `once` ran its function in the first round only


def test_gathered_inputs_are_asked_in_one_round(conn: MemoryConnection) -> None:
    first = call(conn, "gathered")
    assert set(first["inputRequests"]) == {"name", "word"}
    done = call(
        conn,
        "gathered",
        inputResponses={"name": accept({"value": "Gus"}), "word": sampled("yo")},
        requestState=first["requestState"],
    )
    assert tool_text(done) == "Gus/yo"


def test_once_with_a_coroutine_runs_once(conn: MemoryConnection) -> None:
    CALLS.pop("async_once", None)
    first = call(conn, "async_once")
    done = call(
        conn,
        "async_once",
        inputResponses={"name": accept({"value": "Hal"})},
        requestState=first["requestState"],
    )
    assert tool_text(done) == "7 Hal"
    assert CALLS["async_once"] == 1


@pytest.mark.parametrize(("tool", "text"), [("sync_greet", "sync Ivy"), ("swallows", "got Ivy")])
def test_input_required_escapes_sync_tools_and_except_exception(
    conn: MemoryConnection, tool: str, text: str
) -> None:
    first = call(conn, tool)
    assert first["resultType"] == "input_required"
    assert set(first["inputRequests"]) == {"name"}
    done = call(conn, tool, inputResponses={"name": accept({"value": "Ivy"})})
    assert tool_text(done) == text


def test_missing_elicitation_capability_is_32021(conn: MemoryConnection) -> None:
    found = error(
        conn, "tools/call", {"name": "greet", "arguments": {}}, meta=modern_meta({"sampling": {}})
    )
    assert found["code"] == -32021
    assert found["data"]["requiredCapabilities"] == {"elicitation": {}}


def test_tampered_or_foreign_state_is_32602(conn: MemoryConnection) -> None:
    first = call(conn, "greet")
    state: str = first["requestState"]
    tampered = state[:-2] + ("A" if state[-2] != "A" else "B") + state[-1]
    found = error(conn, "tools/call", {"name": "greet", "arguments": {}, "requestState": tampered})
    assert found["code"] == -32602
    foreign = error(
        conn, "tools/call", {"name": "greet_default", "arguments": {}, "requestState": state}
    )
    assert foreign["code"] == -32602
    assert "tools/call:greet" in foreign["message"]


def test_resource_read_input_required(conn: MemoryConnection) -> None:
    first = result(conn, "resources/read", {"uri": "memo://asks"})
    assert first["resultType"] == "input_required"
    assert "ttlMs" not in first
    done = result(
        conn,
        "resources/read",
        {"uri": "memo://asks", "inputResponses": {"which": accept({"value": "that"})}},
    )
    assert done["resultType"] == "complete"
    assert done["contents"][0]["text"] == "read that"
    assert (done["ttlMs"], done["cacheScope"]) == (1000, "private")


def test_invalid_input_responses_are_32602(conn: MemoryConnection) -> None:
    found = error(conn, "tools/call", {"name": "greet", "arguments": {}, "inputResponses": "x"})
    assert found["code"] == -32602
    # A response of the wrong shape under the right key: asked again.
    again = call(conn, "greet", inputResponses={"user_name": "not an object"})
    assert again["resultType"] == "input_required"


def test_round_state_that_is_not_json_fails_the_request_only(conn: MemoryConnection) -> None:
    found = error(conn, "tools/call", {"name": "keeps_junk", "arguments": {}})
    assert found["code"] == -32603
    assert "round_state" in found["message"]
    # The session survived: the connection still answers.
    assert tool_text(call(conn, "add", arguments={"a": 1, "b": 2})) == "3"


def test_prompt_input_required(conn: MemoryConnection) -> None:
    first = result(conn, "prompts/get", {"name": "context_prompt"})
    assert first["resultType"] == "input_required"
    assert set(first["inputRequests"]) == {"user_context"}
    done = result(
        conn,
        "prompts/get",
        {"name": "context_prompt", "inputResponses": {"user_context": accept({"value": "tests"})}},
    )
    assert done["resultType"] == "complete"
    assert done["messages"][0]["content"]["text"] == "Use tests"


# -- logging and progress ------------------------------------------------------------------------


def test_no_log_messages_without_log_level(conn: MemoryConnection) -> None:
    assert tool_text(call(conn, "chatty")) == "done"
    assert notifications(conn, "notifications/message") == []


def test_log_messages_filtered_by_log_level(conn: MemoryConnection) -> None:
    found = result(
        conn,
        "tools/call",
        {"name": "chatty", "arguments": {}},
        meta=modern_meta(**{versions.META_LOG_LEVEL: "info"}),
    )
    assert tool_text(found) == "done"
    logged = [n["data"] for n in notifications(conn, "notifications/message")]
    assert logged == ["info line", "warning line"]


def test_progress_with_a_token(conn: MemoryConnection) -> None:
    assert notifications(conn, "notifications/progress") == []
    result(
        conn,
        "tools/call",
        {"name": "chatty", "arguments": {}},
        meta=modern_meta(progressToken="p-1"),
    )
    progress = notifications(conn, "notifications/progress")
    assert [(p["progressToken"], p["progress"], p["message"]) for p in progress] == [
        ("p-1", 1, "half"),
        ("p-1", 2, "all"),
    ]


# -- subscriptions/listen --------------------------------------------------------------------------


def tagged(conn: MemoryConnection, method: str, listen_id: Any) -> list[dict[str, Any]]:
    return [
        p
        for p in notifications(conn, method)
        if (p or {}).get("_meta", {}).get(versions.META_SUBSCRIPTION_ID) == listen_id
    ]


def listen(conn: MemoryConnection, listen_id: str, wanted: dict[str, Any]) -> dict[str, Any]:
    send_request(
        conn, listen_id, "subscriptions/listen", {"_meta": modern_meta(), "notifications": wanted}
    )
    wait_until(
        lambda: tagged(conn, "notifications/subscriptions/acknowledged", listen_id),
        f"the acknowledgement of {listen_id}",
    )
    (ack,) = tagged(conn, "notifications/subscriptions/acknowledged", listen_id)
    return ack


def test_listen_filters_and_ends_on_cancel(conn: MemoryConnection) -> None:
    ack = listen(
        conn, "L-tools", {"toolsListChanged": True, "resourceSubscriptions": ["memo://plain"]}
    )
    assert ack["notifications"] == {
        "toolsListChanged": True,
        "resourceSubscriptions": ["memo://plain"],
    }
    # The acknowledgement is the first message about the listen request.
    first = next(
        m
        for m in messages(conn)
        if (m.get("params") or {}).get("_meta", {}).get(versions.META_SUBSCRIPTION_ID) == "L-tools"
    )
    assert first["method"] == "notifications/subscriptions/acknowledged"
    listen(conn, "L-prompts", {"promptsListChanged": True})

    call(conn, "announce")
    wait_until(
        lambda: tagged(conn, "notifications/tools/list_changed", "L-tools"), "tools list_changed"
    )
    call(conn, "announce_prompts")
    wait_until(
        lambda: tagged(conn, "notifications/prompts/list_changed", "L-prompts"),
        "prompts list_changed",
    )
    # Each listener got only the kinds it asked for (delivered in one pass, so by now).
    assert tagged(conn, "notifications/prompts/list_changed", "L-tools") == []
    assert tagged(conn, "notifications/tools/list_changed", "L-prompts") == []

    call(conn, "touch", arguments={"uri": "memo://cached"})  # not listed: nothing
    call(conn, "touch", arguments={"uri": "memo://plain"})
    wait_until(
        lambda: tagged(conn, "notifications/resources/updated", "L-tools"), "resource update"
    )
    assert [p["uri"] for p in tagged(conn, "notifications/resources/updated", "L-tools")] == [
        "memo://plain"
    ]

    # Cancelling ends the listener (no answer to it); the other one still hears.
    conn.notify("notifications/cancelled", {"requestId": "L-tools"})
    listen(conn, "L-tools-2", {"toolsListChanged": True})
    call(conn, "announce")
    wait_until(
        lambda: tagged(conn, "notifications/tools/list_changed", "L-tools-2"), "the second listener"
    )
    assert len(tagged(conn, "notifications/tools/list_changed", "L-tools")) == 1
    assert [m for m in messages(conn) if m.get("id") == "L-tools"] == []


# -- state and the legacy era alongside ------------------------------------------------------------


def test_connection_is_one_state_scope(conn: MemoryConnection) -> None:
    assert tool_text(call(conn, "remember", arguments={"value": "one"})) == ""
    assert tool_text(call(conn, "remember", arguments={"value": "two"})) == "one"


def test_minting_a_handle_keeps_the_connection_scope(
    handle: ServerHandle, conn: MemoryConnection
) -> None:
    call(conn, "remember", arguments={"value": "kept"})
    assert tool_text(call(conn, "mint")).startswith("h_")
    assert tool_text(call(conn, "remember", arguments={"value": "x"})) == "kept"
    legacy = MemoryConnection.open(handle)
    try:
        args = {"name": "remember", "arguments": {"value": "legacy"}}
        legacy.request("tools/call", args)
        assert tool_text(legacy.request("tools/call", {"name": "mint", "arguments": {}}))
        assert tool_text(legacy.request("tools/call", args)) == "legacy"
    finally:
        legacy.close(timeout=5)


def test_a_session_using_a_handle_keeps_its_own_parameters(handle: ServerHandle) -> None:
    a = MemoryConnection.open(handle, capabilities={"sampling": {}})
    b = MemoryConnection.open(handle)
    try:
        minted = tool_text(a.request("tools/call", {"name": "mint", "arguments": {}}))
        used = a.request("tools/call", {"name": "use", "arguments": {"handle": minted}})
        assert used["structuredContent"] == {"result": True}
        a.request("logging/setLevel", {"level": "error"})  # saves a's parameters
        a.request("tools/call", {"name": "remember", "arguments": {"value": "shared"}})
        used = b.request("tools/call", {"name": "use", "arguments": {"handle": minted}})
        assert used["structuredContent"] == {"result": False}  # b's, not a's
        after = b.request("tools/call", {"name": "has_sampling", "arguments": {}})
        assert after["structuredContent"] == {"result": False}  # still b's
        shared = b.request("tools/call", {"name": "remember", "arguments": {"value": "b"}})
        assert tool_text(shared) == "shared"
        unknown = b.request("tools/call", {"name": "use", "arguments": {"handle": "h_nope"}})
        assert unknown["isError"] is True
    finally:
        a.close(timeout=5)
        b.close(timeout=5)


def test_legacy_sessions_are_unaffected(handle: ServerHandle, conn: MemoryConnection) -> None:
    legacy = MemoryConnection.open(handle)
    try:
        assert legacy.initialize_result is not None
        assert "resultType" not in legacy.initialize_result
        listed = legacy.request("tools/list")
        assert "resultType" not in listed
        assert "ttlMs" not in listed
        assert legacy.request("ping") == {}
        done = legacy.request("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
        assert "resultType" not in done
        assert done["structuredContent"] == {"result": 2}
        # The modern connection next to it still gets modern answers.
        assert result(conn, "tools/list")["resultType"] == "complete"
    finally:
        legacy.close(timeout=5)
