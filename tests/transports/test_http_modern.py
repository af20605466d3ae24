"""Streamable HTTP in the 2026-07-28 era: one stateless POST per request, on a real listener.

Every test talks to an aiohttp server on 127.0.0.1 (port 0); every await is bounded by `WAIT`
(and the whole test by `run`); servers are stopped in fixture teardown or `finally`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import aiohttp
import msgspec
import pytest

import fastestmcp
from fastestmcp import Context
from fastestmcp.protocol import versions
from fastestmcp.protocol.modern import META_STATE_HANDLE
from fastestmcp.transports.http import HttpServer, serve
from supervisors import count_children
from tests.transports.http_fixture import (
    ACCEPT_BOTH,
    WAIT,
    RawClient,
    make_server,
    parse_sse,
    sse_events,
)
from tests.transports.http_fixture import (
    run_client as run,
)

MODERN = versions.V2026_07_28


def build(name: str = "modern-http", **options: Any) -> fastestmcp.Server:
    srv = make_server(name, **options)

    @srv.tool
    def regional(
        region: Annotated[str, msgspec.Meta(extra_json_schema={"x-mcp-header": "Region"})],
    ) -> str:
        """A tool whose `region` argument is mirrored to `Mcp-Param-Region`."""
        return f"region {region}"

    @srv.tool
    async def mint(ctx: Context) -> str:
        """Mint a state handle (the scope of later requests that carry it)."""
        return await ctx.new_state_handle()

    return srv


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    running = serve(build(), host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fresh() -> Iterator[HttpServer]:
    """A server of its own, for the tests that count its sessions (no other test's actors)."""
    running = serve(build("fresh"), host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


def modern_meta(caps: dict[str, Any] | None = None, /, **more: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        versions.META_PROTOCOL_VERSION: MODERN,
        versions.META_CLIENT_CAPABILITIES: {"sampling": {}, "elicitation": {}}
        if caps is None
        else caps,
    }
    meta.update(more)
    return meta


@dataclass
class Answer:
    status: int
    kind: str
    headers: dict[str, str]
    messages: list[dict[str, Any]]

    @property
    def last(self) -> dict[str, Any]:
        return self.messages[-1]

    @property
    def result(self) -> dict[str, Any]:
        assert self.status == 200, (self.status, self.messages)
        found: dict[str, Any] = self.last["result"]
        return found

    @property
    def error(self) -> dict[str, Any]:
        found: dict[str, Any] = self.last["error"]
        return found


@dataclass
class ModernClient:
    """A raw 2026-07-28 HTTP client: `_meta` and the SEP-2243 headers on every request."""

    http: aiohttp.ClientSession
    url: str
    next_id: int = 0

    def headers(self, method: str, params: dict[str, Any]) -> dict[str, str]:
        headers = {
            "Accept": ACCEPT_BOTH,
            "Content-Type": "application/json",
            "Mcp-Method": method,
            "MCP-Protocol-Version": MODERN,
        }
        name = params.get("uri") if method == "resources/read" else params.get("name")
        if method in ("tools/call", "prompts/get", "resources/read") and isinstance(name, str):
            headers["Mcp-Name"] = name
        return headers

    def body(
        self, method: str, params: dict[str, Any], meta: dict[str, Any] | bool | None
    ) -> dict[str, Any]:
        """The request (`meta`: None for the default `_meta`, False for none at all)."""
        self.next_id += 1
        full = dict(params)
        if meta is None or meta is True:
            full["_meta"] = modern_meta()
        elif meta is not False:
            full["_meta"] = meta
        return {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": full}

    async def post(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        meta: Any = None,
        headers: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
        body: Any = None,
    ) -> Answer:
        params = params or {}
        sent = self.headers(method, params)
        sent.update(headers or {})
        for name in drop:
            sent.pop(name, None)
        payload = self.body(method, params, meta) if body is None else body
        async with self.http.post(self.url, json=payload, headers=sent) as response:
            kind = response.headers.get("Content-Type", "")
            text = await response.text()
            if kind.startswith("text/event-stream"):
                found = parse_sse(text)
            else:
                found = [json.loads(text)] if text else []
            return Answer(response.status, kind, dict(response.headers), found)

    async def call(self, name: str, arguments: dict[str, Any] | None = None, **kw: Any) -> Answer:
        return await self.post("tools/call", {"name": name, "arguments": arguments or {}}, **kw)


def text_of(result: dict[str, Any]) -> str:
    return "".join(b["text"] for b in result["content"] if b["type"] == "text")


# -- the basics ----------------------------------------------------------------------------------


def test_modern_post_is_served_without_a_session(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        sessions_before = list(server.transport.session_ids)
        answer = await client.call("add", {"a": 20, "b": 22})
        assert answer.status == 200
        assert answer.kind.startswith("application/json")
        assert "Mcp-Session-Id" not in answer.headers
        assert answer.result["structuredContent"] == {"result": 42}
        assert answer.result["resultType"] == "complete"
        assert answer.result["_meta"][versions.META_SERVER_INFO]["name"] == "modern-http"
        assert answer.last["id"] == client.next_id
        assert list(server.transport.session_ids) == sessions_before  # no session was made
        discover = await client.post("server/discover")
        assert MODERN in discover.result["supportedVersions"]

    run(test)


def test_statuses_and_ids(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)

        async def expect(answer: Answer, status: int, code: int) -> None:
            assert answer.status == status, answer
            assert answer.error["code"] == code, answer
            assert answer.last["id"] == client.next_id  # the request id is kept

        await expect(await client.post("tools/list", meta=False), 400, -32602)
        await expect(
            await client.post("tools/list", meta={versions.META_PROTOCOL_VERSION: MODERN}),
            400,
            -32602,
        )
        await expect(await client.post("tools/list", drop=("Mcp-Method",)), 400, -32020)
        await expect(
            await client.post("tools/list", headers={"Mcp-Method": "prompts/list"}), 400, -32020
        )
        await expect(
            await client.call("add", {"a": 1, "b": 2}, headers={"Mcp-Name": "sub"}), 400, -32020
        )
        await expect(
            await client.post("tools/list", headers={"MCP-Protocol-Version": "2099-01-01"}),
            400,
            -32020,
        )
        unsupported = await client.post(
            "tools/list",
            meta=modern_meta(**{versions.META_PROTOCOL_VERSION: "2099-01-01"}),
            headers={"MCP-Protocol-Version": "2099-01-01"},
        )
        await expect(unsupported, 400, -32022)
        assert unsupported.error["data"]["requested"] == "2099-01-01"
        await expect(
            await client.call("ask_model", {"prompt": "hi"}, meta=modern_meta({})), 400, -32021
        )
        for removed in ("ping", "logging/setLevel", "resources/subscribe", "no/such"):
            await expect(
                await client.post(removed, {"uri": "memo://notes", "level": "info"}), 404, -32601
            )
        # Header names are case-insensitive, values trimmed.
        ok = await client.call(
            "add",
            {"a": 1, "b": 2},
            drop=("Mcp-Method", "Mcp-Name"),
            headers={"mcp-method": " tools/call ", "MCP-NAME": "add "},
        )
        assert ok.result["structuredContent"] == {"result": 3}

    run(test)


def test_notifications_202_and_batches_400(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        headers = {
            "Accept": ACCEPT_BOTH,
            "Content-Type": "application/json",
            "MCP-Protocol-Version": MODERN,
        }
        note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
        async with http.post(server.url, json=note, headers=headers) as response:
            assert response.status == 202
        batch = [
            {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": modern_meta()}},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": modern_meta()}},
        ]
        async with http.post(
            server.url, json=batch, headers={**headers, "Mcp-Method": "tools/list"}
        ) as response:
            assert response.status == 400
            body = await response.json()
            assert body["error"]["code"] == -32600

    run(test)


def test_sse_answer_with_progress_and_logs(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        answer = await client.call(
            "chatty", meta=modern_meta(progressToken="tok", **{versions.META_LOG_LEVEL: "info"})
        )
        assert answer.status == 200
        assert answer.kind.startswith("text/event-stream")
        methods = [m.get("method") for m in answer.messages[:-1]]
        assert methods == [
            "notifications/message",
            "notifications/progress",
            "notifications/progress",
            "notifications/message",
            "notifications/progress",
        ]
        assert text_of(answer.result) == "done"
        assert answer.result["resultType"] == "complete"
        # Without logLevel and progress token: nothing first, a plain JSON answer.
        quiet = await client.call("chatty")
        assert quiet.kind.startswith("application/json")
        assert text_of(quiet.result) == "done"

    run(test)


# -- x-mcp-header ----------------------------------------------------------------------------------


def test_param_headers(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        ok = await client.call(
            "regional", {"region": "eu-west"}, headers={"Mcp-Param-Region": "eu-west"}
        )
        assert text_of(ok.result) == "region eu-west"
        b64 = await client.call(
            "regional", {"region": "Hello"}, headers={"Mcp-Param-Region": "=?base64?SGVsbG8=?="}
        )
        assert text_of(b64.result) == "region Hello"
        missing = await client.call("regional", {"region": "eu"})
        assert (missing.status, missing.error["code"]) == (400, -32020)
        for bad in ("=?base64?SGVsbG8?=", "=?base64?SGVs!!!bG8=?="):
            wrong = await client.call(
                "regional", {"region": "Hello"}, headers={"Mcp-Param-Region": bad}
            )
            assert (wrong.status, wrong.error["code"]) == (400, -32020)
        mismatch = await client.call(
            "regional", {"region": "eu"}, headers={"Mcp-Param-Region": "us"}
        )
        assert mismatch.status == 400

    run(test)


# -- state scopes ----------------------------------------------------------------------------------


def test_no_scope_is_a_clear_error(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        answer = await client.call("remember", {"value": "x"})
        assert answer.result["isError"] is True
        assert "state handle" in text_of(answer.result)

    run(test)


def test_state_handle_persists_across_posts(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        handle = text_of((await client.call("mint")).result)
        assert handle.startswith("h_")
        with_handle = modern_meta(**{META_STATE_HANDLE: handle})
        first = await client.call("remember", {"value": "one"}, meta=with_handle)
        assert text_of(first.result) == ""
        second = await client.call("remember", {"value": "two"}, meta=with_handle)
        assert text_of(second.result) == "one"
        unknown = await client.call(
            "remember", {"value": "x"}, meta=modern_meta(**{META_STATE_HANDLE: "h_unknown"})
        )
        assert (unknown.status, unknown.error["code"]) == (400, -32602)
        assert unknown.last["id"] == client.next_id

    run(test)


def test_a_reused_request_actor_forgets_the_last_requests_scope(fresh: HttpServer) -> None:
    """Sequential anonymous requests share one pooled actor; what a request did with its
    scope (a state handle) must not reach the next request on that actor."""
    server = fresh

    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        handle = text_of((await client.call("mint")).result)
        with_handle = modern_meta(**{META_STATE_HANDLE: handle})
        assert (
            text_of((await client.call("remember", {"value": "kept"}, meta=with_handle)).result)
            == ""
        )
        pooled = list(server.transport._idle_actors)
        assert len(pooled) == 1
        anonymous = await client.call("remember", {"value": "stray"})
        assert server.transport._idle_actors == pooled  # the same actor served it
        assert anonymous.result["isError"] is True
        assert "no state scope" in text_of(anonymous.result)
        again = await client.call("remember", {"value": "next"}, meta=with_handle)
        assert text_of(again.result) == "kept"  # the anonymous call wrote nothing there

    run(test)


def test_principal_state() -> None:
    running = serve(
        build("principals", principal_state=True),
        host="127.0.0.1",
        port=0,
        principal=lambda info: info.headers.get("x-user"),
    )

    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, running.url)
        alice, bob = {"x-user": "alice"}, {"x-user": "bob"}
        assert text_of((await client.call("remember", {"value": "a1"}, headers=alice)).result) == ""
        assert text_of((await client.call("remember", {"value": "b1"}, headers=bob)).result) == ""
        assert (
            text_of((await client.call("remember", {"value": "a2"}, headers=alice)).result) == "a1"
        )
        assert text_of((await client.call("remember", {"value": "b2"}, headers=bob)).result) == "b1"
        anonymous = await client.call("remember", {"value": "x"})
        assert anonymous.result["isError"] is True

    try:
        run(test)
    finally:
        running.stop()


# -- subscriptions/listen --------------------------------------------------------------------------


async def active_sessions(server: HttpServer) -> int:
    """Session actors at work: the supervisor's count, less the idle (reusable) request actors
    the transport keeps."""
    counts = await count_children(server.handle.sessions).wait(WAIT)
    return int(counts.active) - len(server.transport._idle_actors)


async def until(predicate: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `predicate` (the supervisor has no event to await) for at most `WAIT` seconds."""
    try:
        async with asyncio.timeout(WAIT):
            while not await predicate():  # noqa: ASYNC110 - a supervisor count has no event
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {WAIT} s waiting for {what}") from None


def test_listen_stream(fresh: HttpServer) -> None:
    server = fresh

    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        before = await active_sessions(server)
        body = client.body(
            "subscriptions/listen", {"notifications": {"toolsListChanged": True}}, None
        )
        listen_id = body["id"]
        response = await http.post(
            server.url, json=body, headers=client.headers("subscriptions/listen", {})
        )
        try:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = sse_events(response)
            ack = await anext(events)
            assert ack["method"] == "notifications/subscriptions/acknowledged"
            assert ack["params"]["_meta"][versions.META_SUBSCRIPTION_ID] == listen_id
            assert ack["params"]["notifications"] == {"toolsListChanged": True}
            assert await active_sessions(server) == before + 1
            done = await client.call("announce")
            assert text_of(done.result) == "announced"
            changed = await anext(events)
            assert changed["method"] == "notifications/tools/list_changed"
            assert changed["params"]["_meta"][versions.META_SUBSCRIPTION_ID] == listen_id
        finally:
            response.close()

        async def back_down() -> bool:
            return await active_sessions(server) == before

        await until(back_down, "the listen actor to end")

    run(test)


# -- eras side by side and limits ----------------------------------------------------------------


def test_legacy_session_alongside_modern(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        legacy = RawClient(http, server.url)
        await legacy.initialize()
        assert legacy.session_id is not None
        modern = ModernClient(http, server.url)
        legacy_result = await legacy.result(
            "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}}
        )
        assert "resultType" not in legacy_result
        modern_answer = await modern.call("add", {"a": 2, "b": 2})
        assert modern_answer.result["resultType"] == "complete"
        # A modern-looking request carrying the legacy session id is served by that session.
        status, _, found = await legacy.call(
            "tools/call",
            {"name": "remember", "arguments": {"value": "kept"}, "_meta": modern_meta()},
        )
        assert status == 200
        assert "resultType" not in found[-1]["result"]
        again = await legacy.result("tools/call", {"name": "remember", "arguments": {"value": "x"}})
        assert text_of(again) == "kept"  # session state: the request was legacy

    run(test)


def test_max_sessions_503() -> None:
    running = serve(build("full", max_sessions=1), host="127.0.0.1", port=0)

    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, running.url)
        body = client.body(
            "subscriptions/listen", {"notifications": {"toolsListChanged": True}}, None
        )
        response = await http.post(
            running.url, json=body, headers=client.headers("subscriptions/listen", {})
        )
        try:
            ack = await anext(sse_events(response))
            assert ack["method"] == "notifications/subscriptions/acknowledged"
            busy = await client.call("add", {"a": 1, "b": 1})
            assert busy.status == 503
        finally:
            response.close()

    try:
        run(test)
    finally:
        running.stop()


def test_json_only_client_gets_the_response_only(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        answer = await client.call(
            "chatty",
            meta=modern_meta(None, progressToken="t", **{versions.META_LOG_LEVEL: "debug"}),
            headers={"Accept": "application/json"},
        )
        assert answer.status == 200
        assert answer.kind.startswith("application/json")
        assert len(answer.messages) == 1
        assert text_of(answer.result) == "done"

    run(test)


def test_listen_resource_subscriptions(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        wanted = {"resourceSubscriptions": ["memo://notes"]}
        body = client.body("subscriptions/listen", {"notifications": wanted}, None)
        headers = client.headers("subscriptions/listen", {})
        async with http.post(server.url, json=body, headers=headers) as response:
            events = sse_events(response)
            ack = await anext(events)
            assert ack["params"]["notifications"] == wanted
            await client.call("touch", {"uri": "memo://other"})  # not listed
            await client.call("announce")  # tools list changes: not asked for
            await client.call("touch", {"uri": "memo://notes"})
            updated = await anext(events)
            assert updated["method"] == "notifications/resources/updated"
            assert updated["params"]["uri"] == "memo://notes"
            assert updated["params"]["_meta"][versions.META_SUBSCRIPTION_ID] == body["id"]

    run(test)


def test_a_client_going_away_ends_its_request_actor(fresh: HttpServer) -> None:
    server = fresh

    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        before = await active_sessions(server)
        pending = asyncio.create_task(client.call("slow", {"seconds": 60}))

        async def running() -> bool:
            return await active_sessions(server) == before + 1

        async def back_down() -> bool:
            return await active_sessions(server) == before

        try:
            await until(running, "the request actor to start")
        finally:
            pending.cancel()  # closes the connection: the client went away
        await until(back_down, "the request actor to end")
        # A done request hands its actor back to the transport's pool; the next one reuses it.
        assert (await client.call("add", {"a": 1, "b": 1})).status == 200
        await until(back_down, "the request actor of a done request to be idle")
        idle = list(server.transport._idle_actors)
        assert len(idle) == 1
        assert (await client.call("add", {"a": 2, "b": 2})).status == 200
        await until(back_down, "the reused actor to be idle again")
        assert server.transport._idle_actors == idle

    run(test)


def test_mrtr_over_http_and_tampered_state(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = ModernClient(http, server.url)
        first = await client.call("ask_name")
        assert first.status == 200
        asked = first.result
        assert asked["resultType"] == "input_required"
        ((key, request),) = asked["inputRequests"].items()
        assert request["method"] == "elicitation/create"
        state: str = asked["requestState"]
        tampered = state[:-1] + ("A" if state[-1] != "A" else "B")
        bad = await client.post(
            "tools/call", {"name": "ask_name", "arguments": {}, "requestState": tampered}
        )
        assert (bad.status, bad.error["code"]) == (400, -32602)
        assert bad.last["id"] == client.next_id
        done = await client.post(
            "tools/call",
            {
                "name": "ask_name",
                "arguments": {},
                "inputResponses": {key: {"action": "accept", "content": {"value": "Zoe"}}},
                "requestState": state,
            },
        )
        assert text_of(done.result) == "hello Zoe"

    run(test)
