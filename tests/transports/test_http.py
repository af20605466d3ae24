"""Streamable HTTP (legacy era) through a real aiohttp server on 127.0.0.1, raw requests.

Every test talks to a real listener over TCP; every await is bounded by `WAIT` (and the whole
test by `run`); servers are stopped in `finally`/fixture teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

import fastestmcp
from fastestmcp import Context
from fastestmcp.server.reclaim import GC_THRESHOLD
from fastestmcp.transports._http_common import MEMO_SIZE
from fastestmcp.transports.http import HttpOptions, HttpServer, http_app, serve
from supervisors import count_children
from tests.transports.http_fixture import (
    ACCEPT_BOTH,
    CLOSE_WAIT,
    IDLE,
    LATEST,
    PARTIAL_HEAD,
    WAIT,
    RawClient,
    body_parts,
    closed_by_server,
    connection_timeouts,
    handlers_done,
    idle_connection,
    initialize_message,
    make_server,
    parse_sse,
    post_head,
    read_answer,
    slow_post,
    sse_events,
    trickle_head,
    until,
)
from tests.transports.http_fixture import (
    run_client as run,
)


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    running = serve(make_server(), host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


async def connected(http: aiohttp.ClientSession, server: HttpServer) -> RawClient:
    client = RawClient(http, server.url)
    await client.initialize()
    return client


# -- the handshake and sessions -----------------------------------------------------------------


def test_initialize_issues_a_session_id_and_tools_work(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, server.url)
        init = await client.initialize()
        assert init["result"]["protocolVersion"] == LATEST
        assert init["result"]["serverInfo"]["name"] == "http-test"
        sid = client.session_id
        assert sid is not None
        assert len(sid) == 32
        assert all(0x21 <= ord(c) <= 0x7E for c in sid)
        assert sid in server.transport.session_ids

        status, kind, found = await client.call(
            "tools/call", {"name": "add", "arguments": {"a": 2, "b": 40}}
        )
        assert status == 200
        assert kind.startswith("application/json")  # nothing streamed: a JSON answer
        assert found[0]["result"]["structuredContent"] == {"result": 42}
        assert (await client.result("ping")) == {}

    run(test)


def test_session_ids_differ_and_state_is_per_session(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        a = await connected(http, server)
        b = await connected(http, server)
        assert a.session_id != b.session_id
        args = {"name": "remember", "arguments": {"value": "first"}}
        assert (await a.result("tools/call", args))["content"][0]["text"] == ""
        args = {"name": "remember", "arguments": {"value": "second"}}
        assert (await a.result("tools/call", args))["content"][0]["text"] == "first"
        # The other session has its own state.
        args = {"name": "remember", "arguments": {"value": "b"}}
        assert (await b.result("tools/call", args))["content"][0]["text"] == ""

    run(test)


def test_delete_ends_the_session_then_404(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        async with http.delete(server.url, headers=client.headers()) as response:
            assert response.status == 204
        assert client.session_id not in server.transport.session_ids
        status, _, found = await client.call("ping")
        assert status == 404
        assert "Session not found" in found[0]["error"]["message"]
        async with http.delete(server.url, headers=client.headers()) as response:
            assert response.status == 404
        async with http.get(server.url, headers=client.headers()) as response:
            assert response.status == 404

    run(test)


def test_unknown_session_is_404_and_never_a_new_session(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        before = set(server.transport.session_ids)
        client = RawClient(http, server.url, session_id="f" * 32)
        status, kind, found = await client.call("tools/list")
        assert status == 404
        assert kind.startswith("application/json")
        assert found[0]["error"]["code"] == -32001
        # Even initialize with an unknown id: 404, not a fresh session under that id.
        async with http.post(
            server.url, json=initialize_message(), headers=client.headers()
        ) as response:
            assert response.status == 404
        assert set(server.transport.session_ids) <= before | set()

    run(test)


def test_missing_session_id_is_400_with_a_reason(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, server.url)
        status, _, found = await client.call("tools/list")
        assert status == 400
        error = found[0]["error"]
        assert error["code"] == -32600
        assert "Mcp-Session-Id" in error["message"]
        async with http.get(server.url, headers=client.headers()) as response:
            assert response.status == 400
        async with http.delete(server.url, headers=client.headers()) as response:
            assert response.status == 400

    run(test)


def test_protocol_version_header(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        status, _, found = await client.call("ping", **{"MCP-Protocol-Version": "1999-01-01"})
        assert status == 400
        assert "MCP-Protocol-Version" in found[0]["error"]["message"]
        # The modern revision is not a legacy session's version either.
        status, _, _ = await client.call("ping", **{"MCP-Protocol-Version": "2026-07-28"})
        assert status == 400
        # Absent: 2025-03-26 is assumed (the spec's rule), the request is served.
        client.version = None
        status, _, found = await client.call("ping")
        assert status == 200
        assert found[0]["result"] == {}

    run(test)


def test_initialize_inside_a_session_is_refused_and_the_session_goes_on(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        status, _, (answer,) = await client.call("initialize", initialize_message()["params"])
        assert status == 200
        assert answer["error"]["code"] == -32600
        assert client.session_id in server.transport.session_ids
        assert (await client.result("ping")) == {}

    run(test)


def test_failed_initialize_issues_no_session(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        before = set(server.transport.session_ids)
        bad = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"nope": 1}}
        async with http.post(
            server.url,
            json=bad,
            headers={"Accept": ACCEPT_BOTH, "Content-Type": "application/json"},
        ) as response:
            assert response.status == 200
            assert "Mcp-Session-Id" not in response.headers
            body = await response.json()
            assert body["error"]["code"] == -32602
        assert set(server.transport.session_ids) == before

    run(test)


# -- streams --------------------------------------------------------------------------------------


def test_logging_and_progress_arrive_on_the_calls_stream(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        assert await client.result("logging/setLevel", {"level": "debug"}) == {}
        status, kind, found = await client.call(
            "tools/call", {"name": "chatty", "arguments": {}, "_meta": {"progressToken": "tok"}}
        )
        assert status == 200
        assert kind.startswith("text/event-stream")
        methods = [m.get("method") for m in found[:-1]]
        assert methods == [
            "notifications/message",
            "notifications/progress",
            "notifications/progress",
            "notifications/message",
            "notifications/progress",
        ]
        progress = [m["params"]["progress"] for m in found if m.get("method", "").endswith("ss")]
        assert progress == [1, 2, 3]
        assert all(m["params"]["progressToken"] == "tok" for m in found[1:3])
        assert found[-1]["result"]["content"][0]["text"] == "done"

    run(test)


def test_json_only_client_gets_json_and_notifications_go_to_get_stream(
    server: HttpServer,
) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        status, kind, found = await client.call(
            "tools/call",
            {"name": "chatty", "arguments": {}, "_meta": {"progressToken": 7}},
            Accept="application/json",
        )
        assert status == 200
        assert kind.startswith("application/json")
        assert found[0]["result"]["content"][0]["text"] == "done"
        # The notifications it could not carry wait for the GET stream (bounded backlog).
        headers = client.headers(Accept="text/event-stream")
        async with http.get(server.url, headers=headers) as response:
            assert response.status == 200
            got = []
            async for message in sse_events(response):
                got.append(message["method"])
                if len(got) == 5:
                    break
        assert got.count("notifications/progress") == 3

    run(test)


def test_standalone_get_stream_carries_list_changed(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        headers = client.headers(Accept="text/event-stream")
        async with http.get(server.url, headers=headers) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            # One GET stream per session.
            async with http.get(server.url, headers=headers) as second:
                assert second.status == 409
            result = await client.result("tools/call", {"name": "announce", "arguments": {}})
            assert result["content"][0]["text"] == "announced"
            events = sse_events(response)
            message = await asyncio.wait_for(events.__anext__(), WAIT)
            assert message == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}

    run(test)


def test_sampling_round_trip_during_a_call(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        call = client.message("tools/call", {"name": "ask_model", "arguments": {"prompt": "hi"}})
        async with http.post(server.url, json=call, headers=client.headers()) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = sse_events(response)
            request = await asyncio.wait_for(events.__anext__(), WAIT)
            assert request["method"] == "sampling/createMessage"
            assert request["params"]["messages"][0]["content"]["text"] == "hi"
            reply = {
                "jsonrpc": "2.0",
                "id": request["id"],
                "result": {
                    "role": "assistant",
                    "content": {"type": "text", "text": "HI"},
                    "model": "echo",
                },
            }
            async with http.post(server.url, json=reply, headers=client.headers()) as posted:
                assert posted.status == 202
            final = await asyncio.wait_for(events.__anext__(), WAIT)
            assert final["id"] == call["id"]
            assert final["result"]["content"][0]["text"] == "model said: HI"

    run(test)


def test_elicitation_round_trip_during_a_call(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        call = client.message("tools/call", {"name": "ask_name", "arguments": {}})
        async with http.post(server.url, json=call, headers=client.headers()) as response:
            events = sse_events(response)
            request = await asyncio.wait_for(events.__anext__(), WAIT)
            assert request["method"] == "elicitation/create"
            reply = {
                "jsonrpc": "2.0",
                "id": request["id"],
                "result": {"action": "accept", "content": {"value": "Ada"}},
            }
            async with http.post(server.url, json=reply, headers=client.headers()) as posted:
                assert posted.status == 202
            final = await asyncio.wait_for(events.__anext__(), WAIT)
            assert final["result"]["content"][0]["text"] == "hello Ada"

    run(test)


def test_concurrent_calls_on_one_session_and_duplicate_ids(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        slow = client.message("tools/call", {"name": "slow", "arguments": {"seconds": 0.3}})

        async def post(message: dict[str, Any]) -> tuple[int, Any]:
            async with http.post(server.url, json=message, headers=client.headers()) as r:
                return r.status, await r.json()

        pending = asyncio.ensure_future(post(slow))
        await asyncio.sleep(0.05)
        # Same id while the first is in flight: 409, the first one is not disturbed.
        status, body = await post(dict(slow))
        assert status == 409
        assert body["id"] == slow["id"]
        lists = await asyncio.gather(*(post(client.message("tools/list")) for _ in range(3)))
        assert [s for s, _ in lists] == [200, 200, 200]
        status, body = await asyncio.wait_for(pending, WAIT)
        assert status == 200
        assert body["result"]["content"][0]["text"] == "slept"

    run(test)


def test_request_context_sees_the_http_request(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        client.url = server.url + "?tenant=acme"
        client.extra_headers["X-Test"] = "yes"
        result = await client.result("tools/call", {"name": "request_info", "arguments": {}})
        assert result["structuredContent"] == {
            "path": "/mcp",
            "query": {"tenant": "acme"},
            "x_test": "yes",
            "transport": "streamable-http",
            "has_content_type": False,
        }

    run(test)


# -- refusals: 4xx with a body, never a 500 -------------------------------------------------------


def test_malformed_json_is_400_parse_error(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        async with http.post(server.url, data=b"{not json", headers=client.headers()) as r:
            assert r.status == 400
            body = await r.json()
            assert body["error"]["code"] == -32700
        async with http.post(server.url, data=b'{"jsonrpc":"1.0"}', headers=client.headers()) as r:
            assert r.status == 400
            assert (await r.json())["error"]["code"] == -32600

    run(test)


def test_wrong_content_type_accept_and_method(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        ping = json.dumps(client.message("ping"))
        headers = client.headers(**{"Content-Type": "text/plain"})
        async with http.post(server.url, data=ping, headers=headers) as r:
            assert r.status == 415
            assert "Content-Type" in (await r.json())["error"]["message"]
        async with http.post(
            server.url, data=ping, headers=client.headers(Accept="text/html")
        ) as r:
            assert r.status == 406
        headers = client.headers(Accept="application/json")
        async with http.get(server.url, headers=headers) as r:
            assert r.status == 406
        async with http.put(server.url, data=ping, headers=client.headers()) as r:
            assert r.status == 405
            assert "POST" in r.headers["Allow"]

    run(test)


async def _raw_exchange(
    server: HttpServer, head: str, body: bytes = b"", *, after_head: bool = False
) -> tuple[bytes, bytes]:
    """Send a request head (and the body, after an interim answer when `after_head`); the
    first answer's head and what followed it."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(server.host, server.port), WAIT)
    try:
        writer.write(head.encode() + (b"" if after_head else body))
        interim = b""
        if after_head:
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            writer.write(body)
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        length = int(
            next(
                line.split(b":", 1)[1]
                for line in answer.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
        )
        data = await asyncio.wait_for(reader.readexactly(length), WAIT)
        return interim + answer, data
    finally:
        writer.close()


def test_a_standalone_server_serves_one_path_and_answers_expect(server: HttpServer) -> None:
    """`serve` runs aiohttp's low-level server with no application (no router): the MCP path
    is served, any other is a 404 that says where MCP is, `Expect: 100-continue` is answered
    before the client sends its body (as aiohttp's router does), other expectations are 417."""
    body = json.dumps(initialize_message()).encode()
    head = (
        "POST {path} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        "Content-Type: application/json\r\n"
        f"Accept: {ACCEPT_BOTH}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "{expect}\r\n"
    )

    async def test(_http: aiohttp.ClientSession) -> None:
        path = server.url.removeprefix(server.base_url)
        start = head.format(path=path, expect="Expect: 100-continue\r\n")
        answer, data = await _raw_exchange(server, start, body, after_head=True)
        assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
        assert json.loads(data)["result"]["protocolVersion"] == LATEST

        answer, data = await _raw_exchange(server, head.format(path="/other", expect=""), body)
        assert answer.startswith(b"HTTP/1.1 404 ")
        message = json.loads(data)["error"]["message"]
        assert "'/other' is not served here" in message
        assert path in message

        start = head.format(path=path, expect="Expect: 200-ok\r\n")
        answer, data = await _raw_exchange(server, start)
        assert answer.startswith(b"HTTP/1.1 417 ")
        assert "Expect: 100-continue" in json.loads(data)["error"]["message"]

    run(test)


def test_foreign_host_and_origin_are_refused() -> None:
    running = serve(make_server("dns"), port=0)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            base = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
            body = initialize_message()
            evil = dict(base, Host="evil.example.com", Origin="http://evil.example.com")
            async with http.post(running.url, json=body, headers=evil) as r:
                assert r.status == 421
                assert "DNS rebinding" in (await r.json())["error"]["message"]
            evil = dict(base, Origin="http://evil.example.com")
            async with http.post(running.url, json=body, headers=evil) as r:
                assert r.status == 403
            good = dict(base, Host=f"localhost:{running.port}", Origin="http://localhost:5173")
            async with http.post(running.url, json=body, headers=good) as r:
                assert r.status == 200
            good = dict(base, Host=f"[::1]:{running.port}")
            async with http.post(running.url, json=body, headers=good) as r:
                assert r.status == 200

        run(test)
    finally:
        running.stop()


def test_host_checks_are_remembered_per_host_and_bounded() -> None:
    # The decision is memoised per (Host, Origin, local address): asking again gives the same
    # answer, and hostile clients inventing Host values cannot grow the memo without bound.
    running = serve(make_server("dns-memo"), port=0)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            base = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
            body = initialize_message()
            good = dict(base, Host=f"localhost:{running.port}")
            evil = dict(base, Host="evil.example.com")
            for _ in range(3):
                async with http.post(running.url, json=body, headers=evil) as r:
                    assert r.status == 421
                async with http.post(running.url, json=body, headers=good) as r:
                    assert r.status == 200
            for i in range(MEMO_SIZE + 20):
                invented = dict(base, Host=f"h{i}.example.com")
                async with http.post(running.url, json=body, headers=invented) as r:
                    assert r.status == 421
            async with http.post(running.url, json=body, headers=good) as r:
                assert r.status == 200

        run(test)
        assert len(running.transport._policy._memo) <= MEMO_SIZE
    finally:
        running.stop()


def test_allow_lists_are_configurable() -> None:
    running = serve(
        make_server("lists"),
        port=0,
        allowed_hosts=["mcp.example.com"],
        allowed_origins=["https://app.example.com"],
    )
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            base = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
            body = initialize_message()
            ok = dict(base, Host="mcp.example.com:443", Origin="https://app.example.com")
            async with http.post(running.url, json=body, headers=ok) as r:
                assert r.status == 200
            async with http.post(running.url, json=body, headers=base) as r:
                assert r.status == 421  # 127.0.0.1 is not on this list
            bad = dict(base, Host="mcp.example.com", Origin="https://other.example.com")
            async with http.post(running.url, json=body, headers=bad) as r:
                assert r.status == 403

        run(test)
    finally:
        running.stop()


def test_body_too_large_is_413() -> None:
    running = serve(make_server("small"), port=0, max_body_size=1000)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            big = client.message("tools/call", {"name": "add", "arguments": {"pad": "x" * 2000}})
            async with http.post(running.url, json=big, headers=client.headers()) as r:
                assert r.status == 413
                assert "Payload Too Large" in (await r.json())["error"]["message"]

            async def chunks() -> Any:  # no Content-Length: counted while reading
                for _ in range(5):
                    yield b" " * 400

            async with http.post(running.url, data=chunks(), headers=client.headers()) as r:
                assert r.status == 413
            assert (await client.result("ping")) == {}

        run(test)
    finally:
        running.stop()


def test_max_sessions_answers_503_with_retry_after() -> None:
    running = serve(make_server("few", max_sessions=2), port=0)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            first = await connected(http, running)
            await connected(http, running)
            async with http.post(
                running.url,
                json=initialize_message(),
                headers={"Accept": ACCEPT_BOTH, "Content-Type": "application/json"},
            ) as r:
                assert r.status == 503
                assert r.headers["Retry-After"] == "1"
                assert "maximum of 2 sessions" in (await r.json())["error"]["message"]
            async with http.delete(running.url, headers=first.headers()) as r:
                assert r.status == 204
            await connected(http, running)  # room again

        run(test)
    finally:
        running.stop()


def test_concurrency_limit_answers_503() -> None:
    running = serve(make_server("busy"), port=0, max_concurrent_requests=1)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            slow = client.message("tools/call", {"name": "slow", "arguments": {"seconds": 0.5}})

            async def post(message: dict[str, Any]) -> int:
                async with http.post(running.url, json=message, headers=client.headers()) as r:
                    await r.read()
                    return r.status

            pending = asyncio.ensure_future(post(slow))
            await asyncio.sleep(0.1)
            assert await post(client.message("ping")) == 503
            assert await asyncio.wait_for(pending, WAIT) == 200

        run(test)
    finally:
        running.stop()


def test_hostile_inputs_never_get_a_500(server: HttpServer) -> None:
    rng = random.Random(1234)
    samples: list[bytes] = [
        b"",
        b"null",
        b"[]",
        b"[1,2]",
        b'{"jsonrpc":"2.0"}',
        b'{"jsonrpc":"2.0","id":null,"method":"ping"}',
        b'{"jsonrpc":"2.0","id":{},"method":"ping"}',
        b'{"jsonrpc":"2.0","id":1,"method":42}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}',
        b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
        b"\xff\xfe\x00",
        b"[" * 5000,
        b'{"a":' * 3000,
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x" * 10000}).encode(),
    ]
    for _ in range(60):
        samples.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))

    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        header_sets = [
            client.headers(),
            client.headers(**{"Mcp-Session-Id": "../\u00e9 \u00ff"}),
            client.headers(**{"MCP-Protocol-Version": "\u00e9"}),
            client.headers(Accept=",,;q=;"),
            {"Content-Type": "application/json"},
        ]
        statuses = set()
        for i, data in enumerate(samples):
            headers = header_sets[i % len(header_sets)]
            try:
                async with http.post(server.url, data=data, headers=headers) as r:
                    statuses.add(r.status)
                    body = await r.read()
                    assert r.status < 500, (data[:80], r.status, body[:200])
            except (aiohttp.ClientError, ValueError):
                pass  # aiohttp's client refused to send it: nothing to check
        assert statuses, "no request was answered"
        assert (await client.result("ping")) == {}  # the server is still fine

    run(test)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="path must start"):
        HttpOptions(path="mcp")
    with pytest.raises(TypeError, match="unknown HTTP transport option"):
        serve(make_server("opts"), port=0, nonsense=1)


# -- http_app: mounted in an application of the user's, with routes of its own -----------------


def test_http_app_mounts_in_a_users_app_with_extra_routes() -> None:
    async def main() -> None:
        mcp_app = http_app(make_server("mounted"), path="/mcp")

        async def health(_request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        mcp_app.router.add_get("/health", health)
        main_app = web.Application()
        main_app.add_subapp("/api", mcp_app)
        runner = web.AppRunner(main_app, shutdown_timeout=5.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            url = f"http://127.0.0.1:{port}/api/mcp"
            timeout = aiohttp.ClientTimeout(total=WAIT)
            async with aiohttp.ClientSession(timeout=timeout) as http:
                async with http.get(f"http://127.0.0.1:{port}/api/health") as r:
                    assert await r.json() == {"ok": True}
                client = RawClient(http, url)
                await client.initialize()
                result = await client.result(
                    "tools/call", {"name": "request_info", "arguments": {}}
                )
                assert result["structuredContent"]["path"] == "/api/mcp"
                # A GET stream open at shutdown does not hold the cleanup up.
                headers = client.headers(Accept="text/event-stream")
                async with http.get(url, headers=headers) as stream:
                    assert stream.status == 200
                    started = time.monotonic()
                    await asyncio.wait_for(runner.cleanup(), WAIT)
                    assert time.monotonic() - started < 3.0
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 4 * WAIT))


# -- server.run(transport="http"): a real process, stopped with SIGTERM -----------------------

RUN_SCRIPT = """
import gc, sys
from tests.transports.http_fixture import make_server
server = make_server("process")

@server.tool
def gc_threshold() -> list[int]:
    return list(gc.get_threshold())

server.run(transport="http", host="127.0.0.1", port=int(sys.argv[1]))
"""


def test_server_run_http_serves_until_interrupted() -> None:
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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            url = f"http://127.0.0.1:{port}/mcp"
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    client = RawClient(http, url)
                    await client.initialize()
                    break
                except aiohttp.ClientConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
            result = await client.result(
                "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}
            )
            assert result["structuredContent"] == {"result": 3}
            # the process is the server's: its collector was set up for serving
            result = await client.result("tools/call", {"name": "gc_threshold", "arguments": {}})
            gen0, gen1, _ = result["structuredContent"]["result"]
            assert (gen0, gen1) >= GC_THRESHOLD

        run(test)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT)


def test_batches_at_2025_03_26(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, server.url, version=None)  # 2025-03-26 clients send no header
        init = await client.initialize(version="2025-03-26")
        assert init["result"]["protocolVersion"] == "2025-03-26"
        batch = [
            client.message("ping"),
            client.message("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}}),
            {"jsonrpc": "2.0", "method": "notifications/progress", "params": {}},
        ]
        async with http.post(server.url, json=batch, headers=client.headers()) as r:
            assert r.status == 200
            answers = await r.json()
        assert isinstance(answers, list)
        by_id = {answer["id"]: answer for answer in answers}
        assert by_id[batch[0]["id"]]["result"] == {}
        assert by_id[batch[1]["id"]]["result"]["structuredContent"] == {"result": 2}
        # Notifications only: 202.
        only = [{"jsonrpc": "2.0", "method": "notifications/initialized"}]
        async with http.post(server.url, json=only, headers=client.headers()) as r:
            assert r.status == 202
        # A later revision has no batches.
        headers = client.headers(**{"MCP-Protocol-Version": "2025-06-18"})
        async with http.post(server.url, json=batch[:1], headers=headers) as r:
            assert r.status == 400
            assert "batches are not allowed" in (await r.json())["error"]["message"]
        # Without the header a session's negotiated version applies (no batches at 2025-06-18).
        later = RawClient(http, server.url, version=None)
        await later.initialize(version="2025-06-18")
        async with http.post(
            server.url, json=[later.message("ping")], headers=later.headers()
        ) as r:
            assert r.status == 400
            assert "2025-06-18" in (await r.json())["error"]["message"]
        # Nor with a header that claims 2025-03-26 (the session would refuse the batch).
        headers = later.headers(**{"MCP-Protocol-Version": "2025-03-26"})
        async with http.post(server.url, json=[later.message("ping")], headers=headers) as r:
            assert r.status == 400

    run(test)


def test_a_batch_without_requests_still_gets_its_errors(server: HttpServer) -> None:
    # At 2025-03-26 a batch of invalid elements (and notifications) carries no request, but
    # each invalid element is owed an error: not a 202 that drops them.
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, server.url, version=None)
        await client.initialize(version="2025-03-26")
        notification = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        cases = [
            ([1, {"jsonrpc": "2.0", "id": 7, "method": 5}], [None, 7]),
            ([notification, {"jsonrpc": "2.0", "id": 1.5, "method": "ping"}], [None]),
            ([[client.message("ping")]], [None]),
        ]
        for batch, ids in cases:
            async with http.post(server.url, json=batch, headers=client.headers()) as r:
                assert r.status == 200, (batch, await r.text())
                answers = await r.json()
            assert [answer.get("id") for answer in answers] == ids, answers
            assert all(answer["error"]["code"] == -32600 for answer in answers), answers
        assert (await client.result("ping")) == {}

    run(test)


def test_an_expired_session_answers_404() -> None:
    running = serve(make_server("idle", session_idle_timeout=0.2), port=0)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            sid = client.session_id
            deadline = time.monotonic() + WAIT
            while sid in running.transport.session_ids:
                assert time.monotonic() < deadline, "the idle session never expired"
                await asyncio.sleep(0.05)
            status, _, found = await client.call("ping")
            assert status == 404
            assert "expired" in found[0]["error"]["message"]

        run(test)
    finally:
        running.stop()


def test_a_client_that_drops_its_stream_does_not_hurt_the_session(server: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, server)
        call = client.message("tools/call", {"name": "ask_model", "arguments": {"prompt": "x"}})
        async with http.post(server.url, json=call, headers=client.headers()) as response:
            events = sse_events(response)
            request = await asyncio.wait_for(events.__anext__(), WAIT)
            assert request["method"] == "sampling/createMessage"
            response.close()  # the client goes away mid-call (not a cancel)
        reply = {
            "jsonrpc": "2.0",
            "id": request["id"],
            "result": {
                "role": "assistant",
                "content": {"type": "text", "text": "late"},
                "model": "m",
            },
        }
        async with http.post(server.url, json=reply, headers=client.headers()) as posted:
            assert posted.status == 202
        # The call ends, its response has nowhere to go; the session works on.
        result = await client.result("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
        assert result["structuredContent"] == {"result": 3}

    run(test)


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_a_client_gone_before_its_stream_starts_is_no_server_error(
    era: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The client drops a call that has sent nothing yet; then the tool reports progress, so the
    # answer would become an SSE stream on a connection that is gone. That is the client's
    # doing: no "Error handling request" traceback from aiohttp, no 500, the server goes on.
    gate = threading.Event()
    srv = make_server("gone")

    @srv.tool
    async def late_progress(ctx: Context) -> str:
        """Wait for the test's gate, then report progress."""
        await until(gate.is_set)
        await ctx.report_progress(1, 2)
        await ctx.report_progress(2, 2)
        return "done"

    running = serve(srv, host="127.0.0.1", port=0)
    caplog.set_level(logging.WARNING)

    def connections() -> list[Any]:  # the server's open connections (aiohttp's protocols)
        low_level = running._runner.server
        assert low_level is not None
        return list(low_level.connections)

    async def test(http: aiohttp.ClientSession) -> None:
        if era == "legacy":
            client = await connected(http, running)
            headers = client.headers()
            meta: dict[str, Any] = {"progressToken": "p"}
        else:
            headers = {
                "Accept": ACCEPT_BOTH,
                "Content-Type": "application/json",
                "MCP-Protocol-Version": "2026-07-28",
                "Mcp-Method": "tools/call",
                "Mcp-Name": "late_progress",
            }
            meta = {
                "progressToken": "p",
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "late_progress", "arguments": {}, "_meta": meta},
        }
        transport = running.transport
        posting = asyncio.ensure_future(http.post(running.url, json=call, headers=headers))
        await until(
            lambda: transport._in_flight or transport._waiting.outboxes
        )  # until the server holds the call
        held = connections()
        assert held
        posting.cancel()  # aiohttp closes that connection
        with contextlib.suppress(asyncio.CancelledError):
            await posting

        def gone() -> bool:  # the server saw the held connection close
            return all(c.transport is None or c not in connections() for c in held)

        assert await until(gone)
        gate.set()
        await until(
            lambda: not (transport._in_flight or transport._waiting.outboxes)
        )  # until the call has ended
        # The server goes on.
        client = await connected(http, running)
        result = await client.result("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
        assert result["structuredContent"] == {"result": 3}

    try:
        run(test)
    finally:
        running.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def _cancelling_server() -> fastestmcp.Server:
    srv = make_server("cancel")

    @srv.tool
    async def wait_after_progress(ctx: Context) -> str:
        """Report progress (the answer becomes a stream), then wait to be cancelled."""
        await ctx.report_progress(1, 2)
        await asyncio.sleep(WAIT * 4)
        return "never"

    return srv


@pytest.mark.parametrize(
    ("tool", "accept"),
    [
        ("slow", ACCEPT_BOTH),  # nothing sent yet: an SSE answer that ends empty
        ("slow", "application/json"),  # nothing sent yet, JSON only: an error object
        ("wait_after_progress", ACCEPT_BOTH),  # already a stream: it ends
    ],
)
def test_a_cancelled_call_ends_its_post(tool: str, accept: str) -> None:
    # `notifications/cancelled` ends the call with no response (the spec's SHOULD NOT); the
    # POST that carried it must still end, or the client's connection hangs for good.
    running = serve(_cancelling_server(), host="127.0.0.1", port=0)

    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, running)
        call = client.message(
            "tools/call",
            {"name": tool, "arguments": {"seconds": WAIT * 4}, "_meta": {"progressToken": 1}},
        )
        if tool == "slow":
            del call["params"]["_meta"]
        else:
            del call["params"]["arguments"]
        posting = asyncio.ensure_future(
            http.post(running.url, json=call, headers=client.headers(Accept=accept))
        )
        if tool == "wait_after_progress":  # the stream starts with the progress
            r = await asyncio.wait_for(posting, WAIT)
            events = sse_events(r)
            first = await asyncio.wait_for(events.__anext__(), WAIT)
            assert first["method"] == "notifications/progress"
        else:
            await until(lambda: running.transport._in_flight)  # until the call runs
        await client.notify("notifications/cancelled", {"requestId": call["id"]})
        if tool != "wait_after_progress":
            r = await asyncio.wait_for(posting, WAIT)
        async with r:
            assert r.status == 200
            if accept == "application/json":
                assert r.content_type == "application/json"
                answer = await asyncio.wait_for(r.json(), WAIT)
                assert answer["id"] == call["id"]
                assert "cancelled" in answer["error"]["message"]
            else:
                assert r.content_type == "text/event-stream"
                rest = await asyncio.wait_for(r.text(), WAIT)  # the stream ends
                assert not [m for m in parse_sse(rest) if m.get("id") == call["id"]]
        assert await until(
            lambda: not running.transport._in_flight
        )  # the handler returns just after the stream ends
        assert (await client.result("ping")) == {}  # the session goes on

    try:
        run(test)
    finally:
        running.stop()


@pytest.mark.parametrize("tool", ["slow", "wait_after_progress"])
def test_a_post_whose_client_left_lets_go_while_the_call_runs(tool: str) -> None:
    # A disconnect is not a cancel (legacy era): the call goes on. But its POST handler must
    # not wait for it: it holds the connection's state and a max_concurrent_requests slot.
    running = serve(_cancelling_server(), host="127.0.0.1", port=0, max_concurrent_requests=1)

    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, running)
        params: dict[str, Any] = {"name": tool, "arguments": {}}
        if tool == "slow":
            params["arguments"] = {"seconds": WAIT * 4}
        else:
            params["_meta"] = {"progressToken": 1}
        posting = asyncio.ensure_future(
            http.post(
                running.url, json=client.message("tools/call", params), headers=client.headers()
            )
        )
        if tool == "wait_after_progress":  # the stream has started
            r = await asyncio.wait_for(posting, WAIT)
            await asyncio.wait_for(sse_events(r).__anext__(), WAIT)
            r.close()  # the client goes away
        else:
            await until(lambda: running.transport._in_flight)  # until the call runs
            posting.cancel()  # the client goes away
            with contextlib.suppress(asyncio.CancelledError):
                await posting
        assert await until(
            lambda: not running.transport._in_flight
        )  # let go, though the call still runs
        assert len(running.handle.runtime.run_coroutine(_tasks_named("_run")).result(WAIT)) == 1
        # The slot is free: the next call is served (one in flight at most).
        result = await client.result("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
        assert result["structuredContent"] == {"result": 3}

    try:
        run(test)
    finally:
        running.stop()


async def _tasks_named(name: str) -> list[asyncio.Task[Any]]:
    """The tasks on the server's loop whose coroutine is `name` (a session's requests: `_run`)."""
    return [
        t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", "").endswith(name)
    ]


def test_a_batch_whose_every_request_is_cancelled_ends_its_post() -> None:
    running = serve(_cancelling_server(), host="127.0.0.1", port=0)

    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, running.url, version=None)
        await client.initialize(version="2025-03-26")
        batch = [
            client.message("tools/call", {"name": "slow", "arguments": {"seconds": WAIT * 4}})
            for _ in range(2)
        ]
        posting = asyncio.ensure_future(
            http.post(running.url, json=batch, headers=client.headers())
        )
        await until(lambda: running.transport._in_flight)  # until the calls run
        for call in batch:
            await client.notify("notifications/cancelled", {"requestId": call["id"]})
        async with await asyncio.wait_for(posting, WAIT) as r:
            assert r.status == 200
            rest = await asyncio.wait_for(r.text(), WAIT)  # the answer ends, with no response
            assert not parse_sse(rest)
        assert await until(
            lambda: not running.transport._in_flight
        )  # the handler returns just after the stream ends

    try:
        run(test)
    finally:
        running.stop()


def test_stopping_the_server_ends_open_streams_quickly() -> None:
    running = serve(make_server("stopping"), port=0)
    stopped = False
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            nonlocal stopped
            client = await connected(http, running)
            headers = client.headers(Accept="text/event-stream")
            async with http.get(running.url, headers=headers) as stream:
                assert stream.status == 200
                started = time.monotonic()
                await asyncio.get_running_loop().run_in_executor(None, running.stop)
                stopped = True
                assert time.monotonic() - started < 5.0
                body = await asyncio.wait_for(stream.read(), WAIT)
                assert b"data: {" not in body  # the stream ended with no message (priming only)

        run(test)
    finally:
        if not stopped:
            running.stop()


def test_run_names_the_transports_it_knows() -> None:
    with pytest.raises(ValueError, match="'http'"):
        make_server("unknown").run(transport="carrier-pigeon")


def test_an_open_get_stream_keeps_the_session_alive() -> None:
    running = serve(make_server("kept", session_idle_timeout=0.3), port=0)
    try:

        async def test(http: aiohttp.ClientSession) -> None:
            client = await connected(http, running)
            headers = client.headers(Accept="text/event-stream")
            async with http.get(running.url, headers=headers) as stream:
                assert stream.status == 200
                await asyncio.sleep(1.0)  # > 3 idle timeouts
                assert client.session_id in running.transport.session_ids
                assert (await client.result("ping")) == {}
            # Without the stream the session expires.
            deadline = time.monotonic() + WAIT
            while client.session_id in running.transport.session_ids:
                assert time.monotonic() < deadline, "the idle session never expired"
                await asyncio.sleep(0.05)

        run(test)
    finally:
        running.stop()


@pytest.mark.parametrize("holds_stream", [False, True])
def test_a_call_waiting_on_a_client_that_left_does_not_keep_its_session(
    holds_stream: bool,
) -> None:
    # The tool waits for the client's sampling answer. A client that holds the call's stream
    # open is there (the session stays past its idle timeout); one that dropped it and says
    # nothing is gone: the session expires and the waiting call ends with it.
    # (An open POST stream tells its session every sweep of waiting POSTs, 0.5 s: the idle
    # timeout must be longer for it to count.)
    idle = 1.5 if holds_stream else 0.3
    running = serve(make_server("left", session_idle_timeout=idle), port=0)

    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, running)
        call = client.message("tools/call", {"name": "ask_model", "arguments": {"prompt": "x"}})
        response = await http.post(running.url, json=call, headers=client.headers())
        try:
            request = await asyncio.wait_for(sse_events(response).__anext__(), WAIT)
            assert request["method"] == "sampling/createMessage"
            if holds_stream:
                await asyncio.sleep(2 * idle + 0.2)  # the stream open, no answer
                assert client.session_id in running.transport.session_ids
                assert (
                    len(running.handle.runtime.run_coroutine(_tasks_named("_run")).result(WAIT))
                    == 1
                )
            response.close()  # the client goes away (not a cancel) and never answers
            deadline = time.monotonic() + WAIT
            while client.session_id in running.transport.session_ids:
                assert time.monotonic() < deadline, "the abandoned session never expired"
                await asyncio.sleep(0.05)
            assert await until(
                lambda: not running.handle.runtime.run_coroutine(_tasks_named("_run")).result(WAIT)
            )  # its waiting call ends with it
        finally:
            response.close()

    try:
        run(test)
    finally:
        running.stop()


def test_a_working_call_keeps_its_session_though_its_client_left() -> None:
    # A call at work (not waiting for the client) keeps its session: the client may come back
    # for the session's state, and the call may have effects of its own.
    running = serve(_cancelling_server(), port=0)
    running.handle.server.session_idle_timeout = 0.3

    async def test(http: aiohttp.ClientSession) -> None:
        client = await connected(http, running)
        call = client.message("tools/call", {"name": "slow", "arguments": {"seconds": WAIT * 4}})
        posting = asyncio.ensure_future(http.post(running.url, json=call, headers=client.headers()))
        await until(lambda: running.transport._in_flight)  # until the call runs
        posting.cancel()  # the client goes away
        with contextlib.suppress(asyncio.CancelledError):
            await posting
        await asyncio.sleep(1.2)  # > 3 idle timeouts
        assert client.session_id in running.transport.session_ids
        assert (await client.result("ping")) == {}

    try:
        run(test)
    finally:
        running.stop()


# -- every kind of hostile input, raw bytes on the wire, and no leaked session ---------------------

DEEP = 100_000  # levels of nesting: far past any decoder's limit


def raw_request(
    server: HttpServer, method: str, body: bytes | None, headers: Mapping[str, str | bytes]
) -> tuple[int, dict[str, str], bytes]:
    """One request on a connection of its own (bounded); (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    try:
        path = server.transport.options.path
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{server.port}", **headers}.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def assert_clear_answer(status: int, headers: dict[str, str], body: bytes, what: str) -> None:
    """A 4xx with a JSON-RPC error that says why, or a 2xx whose messages are JSON-RPC."""
    assert status < 500, (what, status, body[:300])
    if status in (202, 204):
        assert body == b"", (what, body[:300])
        return
    if headers.get("content-type", "").startswith("text/event-stream"):
        assert 200 <= status < 300, (what, status)
        messages = [
            json.loads(line[6:])
            for line in body.decode().splitlines()
            if line.startswith("data: ") and line[6:]
        ]
        assert messages
        assert all("result" in m or "error" in m or "method" in m for m in messages)
        return
    answer = json.loads(body)
    assert answer["jsonrpc"] == "2.0", (what, answer)
    if status >= 400:
        assert isinstance(answer["error"]["code"], int), (what, answer)
        assert answer["error"]["message"], (what, answer)
    else:
        assert "result" in answer or "error" in answer, (what, answer)


def session_counts(server: HttpServer) -> tuple[int, int]:
    """(the transport's open sessions, the session supervisor's live children less the idle
    2026-07-28 request actors the transport keeps for reuse)."""
    active = count_children(server.handle.sessions).get(timeout=WAIT).active
    return len(server.transport.session_ids), active - len(server.transport._idle_actors)


def settle(server: HttpServer, expected: tuple[int, int]) -> tuple[int, int]:
    """The session counts once they reach `expected` (a failed initialize ends its session
    asynchronously), or whatever they are after `WAIT` seconds."""
    deadline = time.monotonic() + WAIT
    counts = session_counts(server)
    while counts != expected and time.monotonic() < deadline:
        time.sleep(0.02)
        counts = session_counts(server)
    return counts


def raw_session(server: HttpServer) -> dict[str, str]:
    """Open a session with raw requests; the headers that go with it."""
    status, headers, body = raw_request(
        server,
        "POST",
        json.dumps(initialize_message()).encode(),
        {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"},
    )
    assert status == 200, body
    session = {
        "Accept": ACCEPT_BOTH,
        "Content-Type": "application/json",
        "Mcp-Session-Id": headers["mcp-session-id"],
        "MCP-Protocol-Version": LATEST,
    }
    initialized = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
    assert raw_request(server, "POST", initialized, session)[0] == 202
    return session


def hostile_cases(session: dict[str, str]) -> list[tuple[str, str, bytes | None, dict[str, Any]]]:
    """(what, method, body, headers): every category of hostile input, with a known answer."""
    fresh = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
    init = initialize_message()
    ping = b'{"jsonrpc":"2.0","id":7,"method":"ping"}'

    def message(method: str, params: Any) -> bytes:
        return json.dumps({"jsonrpc": "2.0", "id": 9, "method": method, "params": params}).encode()

    def initialize_with(**params: Any) -> bytes:
        return json.dumps({**init, "params": {**init["params"], **params}}).encode()

    deep_arrays = b"[" * DEEP + b"]" * DEEP
    deep_objects = b'{"a":' * DEEP + b"1" + b"}" * DEEP
    deep_arguments = (
        b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":'
        + deep_arrays
        + b"}}"
    )
    cases: list[tuple[str, str, bytes | None, dict[str, Any]]] = [
        # broken JSON
        ("truncated JSON", "POST", b'{"jsonrpc":"2.0","id":1,"method":"pi', session),
        ("trailing garbage", "POST", ping + b"}", session),
        ("not JSON at all", "POST", b"<xml/>", session),
        ("empty body", "POST", b"", session),
        ("NaN literal", "POST", b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}', session),
        # wrong types
        ("a number", "POST", b"42", session),
        ("a string", "POST", b'"ping"', session),
        ("jsonrpc 1.0", "POST", b'{"jsonrpc":"1.0","id":1,"method":"ping"}', session),
        ("method a number", "POST", b'{"jsonrpc":"2.0","id":1,"method":42}', session),
        ("id an object", "POST", b'{"jsonrpc":"2.0","id":{},"method":"ping"}', session),
        ("id a float", "POST", b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', session),
        ("params a list", "POST", message("tools/call", [1, 2]), session),
        ("name a number", "POST", message("tools/call", {"name": 7}), session),
        (
            "arguments a string",
            "POST",
            message("tools/call", {"name": "add", "arguments": "x"}),
            session,
        ),
        (
            "a wrong argument type",
            "POST",
            message("tools/call", {"name": "add", "arguments": {"a": "x", "b": []}}),
            session,
        ),
        ("an unknown method", "POST", message("no/such/method", {}), session),
        ("a response to nothing", "POST", b'{"jsonrpc":"2.0","id":999,"result":{}}', session),
        ("a batch after 2025-03-26", "POST", b"[" + ping + b"]", session),
        ("an empty batch", "POST", b"[]", session),
        # huge bodies (over the 4 MiB default)
        (
            "a huge body",
            "POST",
            b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"x" * (5 << 20) + b'"}}',
            session,
        ),
        ("a huge initialize", "POST", initialize_with(pad="x" * (5 << 20)), fresh),
        # unknown session ids
        ("an unknown session id", "POST", ping, {**session, "Mcp-Session-Id": "0" * 32}),
        ("a path as session id", "POST", ping, {**session, "Mcp-Session-Id": "../../etc/passwd"}),
        (
            "a Latin-1 session id",
            "POST",
            ping,
            {**session, "Mcp-Session-Id": "\u00e9\u00ff".encode("latin-1")},
        ),
        ("an empty session id", "POST", ping, {**session, "Mcp-Session-Id": ""}),
        ("no session id", "POST", ping, fresh),
        ("GET, unknown session", "GET", None, {**session, "Mcp-Session-Id": "f" * 32}),
        ("DELETE, unknown session", "DELETE", None, {**session, "Mcp-Session-Id": "f" * 32}),
        ("initialize inside a session", "POST", json.dumps(init).encode(), session),
        # wrong versions
        (
            "an unsupported version header",
            "POST",
            ping,
            {**session, "MCP-Protocol-Version": "1999-01-01"},
        ),
        (
            "a garbage version header",
            "POST",
            ping,
            {**session, "MCP-Protocol-Version": "\u00e9".encode("latin-1")},
        ),
        ("GET, wrong version", "GET", None, {**session, "MCP-Protocol-Version": "nope"}),
        ("initialize, version a number", "POST", initialize_with(protocolVersion=20251125), fresh),
        ("initialize, clientInfo a list", "POST", initialize_with(clientInfo=[1]), fresh),
        ("initialize, capabilities a string", "POST", initialize_with(capabilities="all"), fresh),
        # foreign origins and hosts (DNS rebinding)
        ("a foreign Origin", "POST", ping, {**session, "Origin": "http://evil.example"}),
        ("a null Origin", "POST", ping, {**session, "Origin": "null"}),
        ("a foreign Host", "POST", ping, {**session, "Host": "evil.example"}),
        (
            "initialize from a foreign Origin",
            "POST",
            json.dumps(init).encode(),
            {**fresh, "Origin": "https://evil.example"},
        ),
        ("GET from a foreign Origin", "GET", None, {**session, "Origin": "http://evil.example"}),
        # invalid UTF-8
        ("invalid UTF-8 body", "POST", b"\xff\xfe\x00", session),
        (
            "invalid UTF-8 in a string",
            "POST",
            b'{"jsonrpc":"2.0","id":1,"method":"ping\xff"}',
            session,
        ),
        (
            "a lone surrogate escape",
            "POST",
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\\ud800"}}',
            session,
        ),
        ("overlong UTF-8", "POST", b'{"jsonrpc":"2.0","id":1,"method":"\xc0\xafping"}', session),
        (
            "invalid UTF-8 in initialize",
            "POST",
            json.dumps(init).encode().replace(b"raw-test", b"raw\xff\xfe"),
            fresh,
        ),
        # deep nesting
        ("100k nested arrays", "POST", deep_arrays, session),
        ("100k nested objects", "POST", deep_objects, session),
        ("100k nested arguments", "POST", deep_arguments, session),
        (
            "100k nested initialize",
            "POST",
            initialize_with(capabilities={"x": 0}).replace(b'{"x": 0}', deep_objects),
            fresh,
        ),
        # framing
        ("a wrong Content-Type", "POST", ping, {**session, "Content-Type": "text/plain"}),
        ("no acceptable Accept", "POST", ping, {**session, "Accept": "text/html"}),
        ("a wrong method", "PUT", ping, session),
        (
            "a bad Last-Event-ID",
            "GET",
            None,
            {
                **session,
                "Accept": "text/event-stream",
                "Last-Event-ID": "\u00ff:-1".encode("latin-1"),
            },
        ),
    ]
    return cases


def test_every_kind_of_hostile_input_gets_a_clear_answer_and_leaks_no_session() -> None:
    running = serve(make_server("fuzz"), port=0)
    try:
        session = raw_session(running)
        baseline = settle(running, (1, 1))
        assert baseline == (1, 1)
        statuses: dict[str, int] = {}
        for what, method, body, headers in hostile_cases(session):
            status, answer_headers, answer = raw_request(running, method, body, headers)
            assert_clear_answer(status, answer_headers, answer, what)
            # No new session id is issued (a refused initialize opens no session).
            issued = answer_headers.get("mcp-session-id")
            assert issued in (None, session["Mcp-Session-Id"]), (what, status)
            statuses[what] = status
        expected = {
            "truncated JSON": 400,
            "a huge body": 413,
            "a huge initialize": 413,
            "an unknown session id": 404,
            "no session id": 400,
            "GET, unknown session": 404,
            "DELETE, unknown session": 404,
            "initialize inside a session": 200,  # a JSON-RPC error; the session goes on
            "an unsupported version header": 400,
            "a garbage version header": 400,
            "GET, wrong version": 400,
            "a foreign Origin": 403,
            "a foreign Host": 421,
            "initialize from a foreign Origin": 403,
            "invalid UTF-8 body": 400,
            "100k nested arrays": 400,
            "100k nested objects": 400,
            "100k nested arguments": 400,
            "100k nested initialize": 400,
            "a wrong Content-Type": 415,
            "no acceptable Accept": 406,
            "a wrong method": 405,
            "a bad Last-Event-ID": 400,
        }
        assert {what: statuses[what] for what in expected} == expected
        # No session leaked (transport table and supervisor agree), and the session works on.
        assert settle(running, baseline) == baseline
        status, headers, answer = raw_request(
            running, "POST", b'{"jsonrpc":"2.0","id":1,"method":"ping"}', session
        )
        assert (status, json.loads(answer)) == (200, {"jsonrpc": "2.0", "id": 1, "result": {}})
    finally:
        running.stop()


def abandon(server: HttpServer, method: str, head: Mapping[str, str], body: bytes) -> None:
    """Send a request (or the start of one) and drop the connection at once (a reset)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        lines = [f"{method} {server.transport.options.path} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def test_a_client_that_goes_away_mid_request_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A client that resets the connection halfway through its body, or right after a GET, is
    # not a server error: no traceback in the log, no 500, and the server goes on.
    running = serve(make_server("gone"), port=0)
    try:
        session = raw_session(running)
        host = {"Host": f"127.0.0.1:{running.port}"}
        ping = b'{"jsonrpc":"2.0","id":7,"method":"ping"}'
        with caplog.at_level(logging.ERROR), capture_logs() as logs:
            for _ in range(3):
                cut = {**host, **session, "Content-Length": "100"}
                abandon(running, "POST", cut, ping[:10])
                chunked = {**host, **session, "Transfer-Encoding": "chunked"}
                abandon(running, "POST", chunked, b"5\r\n" + ping[:5] + b"\r\n")
                get = {**host, **session, "Accept": "text/event-stream"}
                abandon(running, "GET", get, b"")
            handlers_done(running)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == []
        assert [entry for entry in logs if entry["log_level"] in ("error", "critical")] == []
        status, _, answer = raw_request(running, "POST", ping, session)
        assert (status, json.loads(answer)["result"]) == (200, {})
    finally:
        running.stop()


def test_a_get_whose_client_left_at_once_does_not_hold_the_session_stream() -> None:
    # A GET whose client resets before the SSE head is written: the next GET opens the stream
    # (not a 409 for a stream nobody holds) and gets what was waiting for it.
    running = serve(make_server("gone-get"), port=0)
    try:
        session = raw_session(running)
        host = {"Host": f"127.0.0.1:{running.port}"}
        announce = b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"announce"}}'
        status, _, _ = raw_request(
            running, "POST", announce, {**session, "Accept": "application/json"}
        )
        assert status == 200  # its list_changed waits for a GET stream
        for _ in range(3):
            abandon(running, "GET", {**host, **session, "Accept": "text/event-stream"}, b"")
        handlers_done(running)

        async def test(http: aiohttp.ClientSession) -> None:
            headers = {**session, "Accept": "text/event-stream"}
            async with http.get(running.url, headers=headers) as response:
                assert response.status == 200, await response.text()
                message = await asyncio.wait_for(sse_events(response).__anext__(), WAIT)
                assert message["method"] == "notifications/tools/list_changed"

        run(test)
    finally:
        running.stop()


# -- bodies that come slowly or stall (slowloris) -----------------------------------------------

STALL = 0.3  # body_timeout of the stalling tests (seconds)
PING = b'{"jsonrpc":"2.0","id":7,"method":"ping"}'


def assert_body_timed_out(status: int, headers: dict[str, str], body: bytes) -> None:
    """A 408 with a JSON-RPC error that says the body did not arrive in time, and what to do."""
    assert status == 408, (status, body)
    assert headers["content-type"].startswith("application/json")
    assert headers.get("connection", "").lower() == "close"
    answer = json.loads(body)
    assert answer["jsonrpc"] == "2.0"
    assert answer.get("id") is None  # no request id: none was read
    assert answer["error"]["code"] == -32600
    message = answer["error"]["message"]
    assert "Request Timeout" in message
    assert f"within {STALL:g} seconds" in message
    assert "without pausing" in message


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_that_stalls_is_cut_off_with_408_and_the_connection_closed(
    chunked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # A client that sends its headers and part of its body, then nothing: after body_timeout
    # it gets a 408 (a JSON-RPC error saying why), its connection is closed (the rest of the
    # body is never read) and its handler ends; the server serves the next request.
    running = serve(make_server("stall"), port=0, body_timeout=STALL)
    try:
        session = raw_session(running)
        path = running.transport.options.path
        head = post_head(running.port, path, session, chunked=chunked, length=len(PING))
        first = body_parts(PING, 2, chunked=chunked)[0]  # half the body, then a stall
        with caplog.at_level(logging.ERROR), capture_logs() as logs:
            status, headers, body = slow_post(
                running.port, head, [first], pause=0, until_closed=True
            )
            handlers_done(running)
        assert_body_timed_out(status, headers, body)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert [entry for entry in logs if entry["log_level"] in ("error", "critical")] == []
        status, _, answer = raw_request(running, "POST", PING, session)
        assert (status, json.loads(answer)["result"]) == (200, {})
    finally:
        running.stop()


def test_a_head_with_no_body_at_all_is_cut_off_too() -> None:
    # Not one byte of the announced body: the same 408, a new session is not opened.
    running = serve(make_server("stall-empty"), port=0, body_timeout=STALL)
    try:
        headers = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
        path = running.transport.options.path
        head = post_head(running.port, path, headers, chunked=False, length=500)
        status, answer_headers, body = slow_post(running.port, head, [], pause=0, until_closed=True)
        assert_body_timed_out(status, answer_headers, body)
        assert settle(running, (0, 0)) == (0, 0)
    finally:
        running.stop()


@pytest.mark.parametrize("timeout", [WAIT, None], ids=["bounded", "no-limit"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_that_trickles_in_within_body_timeout_is_served(
    chunked: bool, timeout: float | None
) -> None:
    # The slow path (the body did not come with the headers) serves a body that arrives in
    # pieces, on a connection that stays open for the next request.
    running = serve(make_server("trickle"), port=0, body_timeout=timeout)
    try:
        session = raw_session(running)
        path = running.transport.options.path
        head = post_head(running.port, path, session, chunked=chunked, length=len(PING))
        parts = body_parts(PING, 4, chunked=chunked)
        status, headers, body = slow_post(running.port, head, parts, pause=0.05, until_closed=False)
        assert (status, json.loads(body)["result"]) == (200, {})
        assert headers.get("connection", "").lower() != "close"
    finally:
        running.stop()


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), float("inf"), "30", True], ids=repr)
def test_body_timeout_is_checked(value: Any) -> None:
    with pytest.raises(ValueError, match="body_timeout must be a number of seconds > 0"):
        HttpOptions(body_timeout=value)
    with pytest.raises(ValueError, match="body_timeout"):
        serve(make_server("opts"), port=0, body_timeout=value)


def test_body_timeout_defaults_to_30_seconds_and_none_disables_it() -> None:
    assert HttpOptions().body_timeout == 30.0
    assert HttpOptions(body_timeout=None).body_timeout is None
    assert HttpOptions(body_timeout=2).body_timeout == 2


# -- connections that sit idle (idle_connection_timeout) -----------------------------------------


def idle_server(name: str, timeout: float = IDLE) -> HttpServer:
    """A server whose idle connections are closed after `timeout` seconds; no SSE comments
    (keepalive=None), so a quiet stream is quiet on the wire."""
    srv = make_server(name)

    @srv.tool
    async def log_then_wait(seconds: float, ctx: Context) -> str:
        """Log (the POST's answer becomes an SSE stream), then sleep `seconds`."""
        await ctx.info("waiting")
        await asyncio.sleep(seconds)
        return "waited"

    return serve(srv, port=0, idle_connection_timeout=timeout, keepalive=None)


@pytest.mark.parametrize("sent", [b"", PARTIAL_HEAD], ids=["nothing", "part-of-a-head"])
def test_a_connection_without_a_request_is_closed_after_idle_connection_timeout(
    sent: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # A client that connects and sends nothing, or the start of a request head and then
    # nothing (slowloris on the headers): closed after the timeout (aiohttp's default would
    # hold it an hour), its handler gone, nothing logged as an error; the server serves on.
    running = idle_server("idle-nothing")
    try:
        with caplog.at_level(logging.ERROR), idle_connection(running.port, sent) as sock:
            waited = closed_by_server(sock)
            handlers_done(running)
        assert waited >= IDLE * 0.8, waited  # the timeout, not at once
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        session = raw_session(running)
        status, _, answer = raw_request(running, "POST", PING, session)
        assert (status, json.loads(answer)["result"]) == (200, {})
    finally:
        running.stop()


def test_a_request_head_that_trickles_in_is_cut_at_the_timeout() -> None:
    # A head sent a byte at a time and never ended: the clock runs from the connection's
    # opening, not from its last byte, so the bytes coming do not keep it open.
    running = idle_server("idle-trickle")
    try:
        path = running.transport.options.path
        assert trickle_head(running.port, path, pause=0.02, limit=CLOSE_WAIT) < CLOSE_WAIT
        handlers_done(running)
    finally:
        running.stop()


def test_a_keep_alive_connection_is_kept_while_used_and_closed_once_idle() -> None:
    # Requests on one connection, each sent before the timeout since the last answer though
    # together longer than it: all served (the clock restarts after every response). Then
    # nothing more: closed a timeout after the last answer.
    timeout = 1.0
    running = idle_server("idle-keep-alive", timeout)
    try:
        session = raw_session(running)
        path = running.transport.options.path
        head = post_head(running.port, path, session, chunked=False, length=len(PING))
        with idle_connection(running.port) as sock:
            sock.settimeout(WAIT)
            started = time.monotonic()
            for _ in range(3):
                time.sleep(timeout * 0.4)
                sock.sendall(head + PING)
                status, headers, body, extra = read_answer(sock)
                assert (status, json.loads(body)["result"], extra) == (200, {}, b"")
                assert headers.get("connection", "").lower() != "close"
            assert time.monotonic() - started > timeout  # longer than the timeout in all
            assert closed_by_server(sock) >= timeout * 0.8
        handlers_done(running)
    finally:
        running.stop()


@pytest.mark.parametrize("request_kind", ["json-post", "sse-post", "get-stream"])
def test_a_request_in_progress_is_not_cut_by_idle_connection_timeout(request_kind: str) -> None:
    # A POST whose call runs three timeouts with nothing written until its JSON answer, a POST
    # whose SSE stream is quiet as long after its first event, the GET stream quiet as long
    # and then given a notification: none is cut. (A POST's connection is closed once idle
    # after its answer.)
    running = idle_server("idle-busy")
    try:
        session = raw_session(running)
        if request_kind == "get-stream":

            async def test(http: aiohttp.ClientSession) -> None:
                client = RawClient(http, running.url, session_id=session["Mcp-Session-Id"])
                headers = client.headers(Accept="text/event-stream")
                async with http.get(running.url, headers=headers) as response:
                    assert response.status == 200
                    await asyncio.sleep(3 * IDLE)  # the stream open, nothing on it
                    assert await client.result("tools/call", {"name": "announce"})
                    message = await asyncio.wait_for(sse_events(response).__anext__(), WAIT)
                    assert message["method"] == "notifications/tools/list_changed"

            run(test)
            return
        tool, kind, result = {
            "json-post": ("slow", "application/json", "slept"),
            "sse-post": ("log_then_wait", "text/event-stream", "waited"),
        }[request_kind]
        call = {"name": tool, "arguments": {"seconds": 3 * IDLE}}
        body = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": call})
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=WAIT)
        try:
            started = time.monotonic()
            connection.request("POST", running.transport.options.path, body, session)
            response = connection.getresponse()
            answer = response.read().decode()
            assert time.monotonic() - started >= 3 * IDLE * 0.8  # it did run that long
            assert response.status == 200, answer
            assert response.getheader("Content-Type", "").startswith(kind)
            messages = parse_sse(answer) if kind == "text/event-stream" else [json.loads(answer)]
            if kind == "text/event-stream":
                assert messages[0]["method"] == "notifications/message"  # then quiet
            assert messages[-1]["result"]["structuredContent"] == {"result": result}
            assert connection.sock is not None  # kept alive after the answer...
            assert closed_by_server(connection.sock) >= IDLE * 0.8  # ...until idle
        finally:
            connection.close()
    finally:
        running.stop()


def test_idle_connection_timeout_reaches_aiohttp_as_keepalive_timeout() -> None:
    # The option is the keep-alive timeout of every connection's handler; None leaves
    # aiohttp's own (3630 s).
    for option, expected in ((None, 3630), (2.5, 2.5)):
        running = serve(make_server("idle-opts"), port=0, idle_connection_timeout=option)
        try:
            assert running.transport.options.idle_connection_timeout == option
            with idle_connection(running.port):
                assert connection_timeouts(running) == [expected]
        finally:
            running.stop()


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), float("inf"), "75", True], ids=repr)
def test_idle_connection_timeout_is_checked(value: Any) -> None:
    message = "idle_connection_timeout must be a number of seconds > 0"
    with pytest.raises(ValueError, match=message):
        HttpOptions(idle_connection_timeout=value)
    with pytest.raises(ValueError, match=message):
        serve(make_server("opts"), port=0, idle_connection_timeout=value)


def test_idle_connection_timeout_defaults_to_75_seconds_and_is_not_http_apps() -> None:
    assert HttpOptions().idle_connection_timeout == 75.0
    assert HttpOptions(idle_connection_timeout=None).idle_connection_timeout is None
    assert HttpOptions(idle_connection_timeout=2).idle_connection_timeout == 2
    # An application's connections are its runner's: the option would not apply, so it is
    # refused, naming what does.
    with pytest.raises(TypeError, match="keepalive_timeout"):
        http_app(make_server("opts"), idle_connection_timeout=5)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
METHODS = st.sampled_from(
    ["initialize", "ping", "tools/call", "tools/list", "resources/read", "resources/subscribe",
     "logging/setLevel", "notifications/initialized", "notifications/cancelled", "x"]
)  # fmt: skip


@st.composite
def hostile_messages(draw: st.DrawFn) -> bytes:
    """A JSON-RPC-shaped message with any field missing, mistyped or arbitrary, or raw bytes."""
    kind = draw(st.sampled_from(["message", "value", "bytes", "mangled"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "value":
        return json.dumps(draw(JSON)).encode()
    message: dict[str, Any] = {}
    if draw(st.booleans()):
        message["jsonrpc"] = (
            draw(st.sampled_from(["2.0", "2.0", "1.0", 2])) if draw(st.booleans()) else draw(JSON)
        )
    if draw(st.booleans()):
        message["id"] = draw(st.integers() | st.text(max_size=10) | JSON)
    message["method"] = draw(METHODS | JSON)
    if draw(st.booleans()):
        message["params"] = draw(JSON | st.fixed_dictionaries({"name": JSON, "arguments": JSON}))
    data = json.dumps(message).encode()
    if kind == "mangled" and data:
        cut = draw(st.integers(0, len(data) - 1))
        data = data[:cut] + draw(st.binary(max_size=4)) + data[cut + 1 :]
    return data


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[HttpServer, dict[str, str]]]:
    running = serve(make_server("hypothesis"), port=0)
    try:
        yield running, raw_session(running)
    finally:
        running.stop()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=hostile_messages(),
    variant=st.sampled_from(["session", "fresh", "unknown", "version"]),
)
def test_hypothesis_hostile_messages_get_clear_answers(
    fuzz_server: tuple[HttpServer, dict[str, str]], body: bytes, variant: str
) -> None:
    running, session = fuzz_server
    headers: dict[str, Any] = {
        "session": session,
        "fresh": {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"},
        "unknown": {**session, "Mcp-Session-Id": "0" * 32},
        "version": {**session, "MCP-Protocol-Version": "2000-01-01"},
    }[variant]
    status, answer_headers, answer = raw_request(running, "POST", body, headers)
    assert_clear_answer(status, answer_headers, answer, repr(body[:100]))
    issued = answer_headers.get("mcp-session-id", session["Mcp-Session-Id"])
    if issued != session["Mcp-Session-Id"]:  # a valid initialize opened a session: end it
        assert status == 200, (status, answer[:300])
        ended = {**session, "Mcp-Session-Id": issued}
        assert raw_request(running, "DELETE", None, ended)[0] == 204
    # Only the fixture's own session stays open.
    assert settle(running, (1, 1)) == (1, 1)
