"""The HTTP fast lane of `serve()` (`fastestmcp.transports._fast_lane`), on real listeners.

The rest of the HTTP tests run through the lane too (it is on by default); these check what
is the lane's own: which requests it serves and which it hands to aiohttp, that a connection
leaves it at a message boundary with nothing lost, pipelining, split writes, SSE answers
through it, and that it answers byte streams as aiohttp alone does (hypothesis).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from fastestmcp.protocol import versions
from fastestmcp.transports._fast_lane import (
    LANE_SUPPORTED,
    FastLane,
    LaneConnection,
    LaneRequest,
    LaneServer,
    _answer_bytes,
    _plain,
    http_date,
)
from fastestmcp.transports._http_common import Answer
from fastestmcp.transports.http import HttpServer, serve
from tests.transports.http_fixture import (
    ACCEPT_BOTH,
    WAIT,
    RawClient,
    closed_by_server,
    initialize_message,
    make_server,
    post_head,
    read_answer,
    run_client,
    until,
)

MODERN = versions.V2026_07_28


@pytest.fixture
def running() -> Iterator[HttpServer]:
    server = serve(make_server("lane"), port=0)
    try:
        yield server
    finally:
        server.stop()


def kinds(running: HttpServer) -> tuple[int, int]:
    """(connections in the lane, connections aiohttp's protocol serves)."""
    listener = running._runner.server
    assert isinstance(listener, LaneServer)
    lanes = [c for c in listener.connections if isinstance(c, LaneConnection)]
    return len(lanes), len(listener.connections) - len(lanes)


def modern_call(request_id: int, name: str, arguments: dict[str, Any]) -> bytes:
    meta = {
        versions.META_PROTOCOL_VERSION: MODERN,
        versions.META_CLIENT_CAPABILITIES: {},
    }
    params = {"name": name, "arguments": arguments, "_meta": meta}
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
    return json.dumps(message).encode()


def request(
    body: bytes,
    *,
    target: str = "/mcp",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> bytes:
    """One raw HTTP/1.1 request carrying `body` (a 2026-07-28 call's headers by default)."""
    sent = {
        "Host": "127.0.0.1",
        "Accept": ACCEPT_BOTH,
        "Content-Type": "application/json",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "add",
    }
    sent.update(headers or {})
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in sent.items())]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n" if body else b"0\r\n\r\n"
    elif method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def connect(running: HttpServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", running.port), timeout=WAIT)


def answers(sock: socket.socket, count: int) -> list[tuple[int, str, Any]]:
    """`count` answers with a Content-Length: (status, content type, the body: decoded when
    JSON, None when empty); nothing may follow them. The socket's timeout bounds each read."""
    found = []
    buffer = b""
    for _ in range(count):
        status, headers, body, buffer = read_answer(sock, buffer)
        kind = headers.get("content-type", "")
        decoded = json.loads(body) if body and "json" in kind else (body or None)
        found.append((status, kind, decoded))
    assert buffer == b"", f"more than {count} answers: {buffer!r}"
    return found


def result_of(answer: tuple[int, str, Any]) -> Any:
    status, _, body = answer
    assert status == 200, body
    return body["result"]["structuredContent"]["result"]


# -- what the lane serves --------------------------------------------------------------------------


def test_the_lane_is_supported_by_the_aiohttp_we_install() -> None:
    # Without this the lane would silently be off on an aiohttp whose internals moved.
    assert LANE_SUPPORTED


def test_the_usual_session_stays_in_the_lane(running: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, running.url)
        await client.initialize()
        assert await client.result("tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}})
        assert kinds(running) == (1, 0)

    run_client(test)


def test_a_sessions_delete_stays_in_the_lane(running: HttpServer) -> None:
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, running.url)
        await client.initialize()
        async with http.delete(running.url, headers=client.headers()) as response:
            assert response.status == 204
            assert await response.read() == b""
        assert kinds(running) == (1, 0)  # aiohttp's client sends no Content-Length here
        status, _, found = await client.call("tools/list")
        assert status == 404, found  # the session is gone
        assert kinds(running) == (1, 0)

    run_client(test)


def test_a_reclaim_has_every_lane_connection_drop_its_kept_heads(running: HttpServer) -> None:
    # What a connection keeps parsed was made while sessions lived: the server's reclaim after
    # a mass end lets go of it (it would pin the ended sessions' memory); the next request is
    # parsed afresh and served.
    with connect(running) as first, connect(running) as second:
        for n, sock in enumerate((first, second)):
            sock.sendall(request(modern_call(n, "add", {"a": n, "b": 1})))
            assert result_of(answers(sock, 1)[0]) == n + 1
        listener = running._runner.server
        assert isinstance(listener, LaneServer)
        lanes = list(listener.lanes)
        assert len(lanes) == 2
        assert all(lane._heads for lane in lanes)
        running.handle.runtime.call(running.handle.reclaimer.reclaim, timeout=WAIT)
        assert not any(lane._heads for lane in lanes)
        first.sendall(request(modern_call(5, "add", {"a": 5, "b": 1})))
        assert result_of(answers(first, 1)[0]) == 6
        assert kinds(running) == (2, 0)


def test_connections_whose_requests_end_within_a_step_share_one_time() -> None:
    # An idle connection keeps when its last request ended; one float made per request, kept
    # by each idle connection, lands wherever the allocator has room and pins memory that
    # ended sessions leave. Within `coarse_step` every connection gets the same object.
    async def main() -> None:
        unused: Any = None  # (no request reaches the handlers)
        lane = FastLane("/mcp", unused, 1024, None)
        server = LaneServer(unused, lane=lane, keepalive_timeout=5.0)
        assert server.coarse_step == 0.5  # a tenth of the idle timeout, a second at most
        first = server.coarse_time()
        assert server.coarse_time() is first
        await asyncio.sleep(0.6)
        later = server.coarse_time()
        assert later is not first
        assert later - first >= 0.5

    asyncio.run(main())


def test_head_and_body_in_separate_writes_stay_in_the_lane(running: HttpServer) -> None:
    # As httpx (the official SDK's client) sends them.
    with connect(running) as sock:
        for n in range(3):
            whole = request(modern_call(n, "add", {"a": n, "b": 1}))
            head, _, body = whole.partition(b"\r\n\r\n")
            sock.sendall(head + b"\r\n\r\n")
            time.sleep(0.02)
            sock.sendall(body[:5])
            time.sleep(0.02)
            sock.sendall(body[5:])
            assert result_of(answers(sock, 1)[0]) == n + 1
        assert kinds(running) == (1, 0)


def test_pipelined_requests_are_answered_in_order(running: HttpServer) -> None:
    # The second one suspends (an async tool that sleeps): it runs as a task, and the third,
    # already received, waits for its answer to go out first.
    stream = b"".join(
        [
            request(modern_call(1, "add", {"a": 1, "b": 1})),
            request(modern_call(2, "slow", {"seconds": 0.05}), headers={"Mcp-Name": "slow"}),
            request(modern_call(3, "add", {"a": 1, "b": 2})),
        ]
    )
    with connect(running) as sock:
        sock.sendall(stream)
        found = answers(sock, 3)
    assert [body["id"] for _, _, body in found] == [1, 2, 3]
    assert [result_of(a) for a in found] == [2, "slept", 3]


def test_an_sse_answer_goes_through_the_lane(running: HttpServer) -> None:
    # `chatty` logs before it answers: an SSE stream (chunked), then the next request.
    async def test(http: aiohttp.ClientSession) -> None:
        client = RawClient(http, running.url)
        await client.initialize()
        await client.call("logging/setLevel", {"level": "debug"})
        status, kind, messages = await client.call("tools/call", {"name": "chatty"})
        assert (status, kind) == (200, "text/event-stream")
        assert messages[0]["method"] == "notifications/message"
        assert messages[-1]["result"]["structuredContent"]["result"] == "done"
        assert await client.result("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
        assert kinds(running) == (1, 0)

    run_client(test)


def test_the_handler_sees_the_query_and_headers(running: HttpServer) -> None:
    body = modern_call(1, "request_info", {})
    sent = request(body, target="/mcp?who=lane&x=", headers={"X-Test": "yes", "Mcp-Name": "x"})
    with connect(running) as sock:
        sock.sendall(sent.replace(b"Mcp-Name: x", b"Mcp-Name: request_info"))
        status, _, body = answers(sock, 1)[0]
        assert status == 200, body
        info = body["result"]["structuredContent"]
        assert kinds(running) == (1, 0)
    assert info["query"] == {"who": "lane", "x": ""}
    assert info["x_test"] == "yes"
    assert info["path"] == "/mcp"


# -- leaving the lane ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(request(modern_call(7, "add", {"a": 3, "b": 4}), chunked=True), id="chunked"),
        pytest.param(
            request(modern_call(7, "add", {"a": 3, "b": 4}), headers={"X-Dup": "a"}).replace(
                b"X-Dup: a\r\n", b"X-Dup: a\r\nx-dup: b\r\n"
            ),
            id="a header twice",
        ),
        pytest.param(
            request(modern_call(7, "add", {"a": 3, "b": 4}), headers={"Connection": "upgrade"}),
            id="connection other than keep-alive",
        ),
    ],
)
def test_a_connection_leaves_the_lane_at_a_message_boundary(
    running: HttpServer, other: bytes
) -> None:
    # A lane request, one the lane leaves to aiohttp, another: each answered once, in order,
    # nothing lost; the connection is aiohttp's from the second on.
    before = request(modern_call(6, "add", {"a": 1, "b": 2}))
    after = request(modern_call(8, "add", {"a": 5, "b": 6}))
    with connect(running) as sock:
        sock.sendall(before)
        assert result_of(answers(sock, 1)[0]) == 3
        assert kinds(running) == (1, 0)
        sock.sendall(other + after)
        found = answers(sock, 2)
        assert kinds(running) == (0, 1)
    assert [result_of(a) for a in found] == [7, 11]


def test_a_head_only_aiohttp_refuses_gets_its_refusal(running: HttpServer) -> None:
    # A folded header line (obs-fold) is not the lane's: aiohttp's parser answers 400 and
    # closes, as it does without the lane.
    folded = request(modern_call(7, "add", {"a": 3, "b": 4}), headers={"X-Fold": "a"})
    with connect(running) as sock:
        sock.sendall(folded.replace(b"X-Fold: a\r\n", b"X-Fold: a\r\n  folded\r\n"))
        assert answers(sock, 1)[0][0] == 400
        assert sock.recv(65536) == b""


def test_other_requests_are_aiohttps(running: HttpServer) -> None:
    with connect(running) as sock:  # another path: the standalone server's 404
        sock.sendall(request(modern_call(1, "add", {"a": 1, "b": 1}), target="/other"))
        status, _, body = answers(sock, 1)[0]
        assert status == 404
        assert "MCP is at /mcp" in body["error"]["message"]
        assert kinds(running)[0] == 0
    with connect(running) as sock:  # a GET without a session
        sock.sendall(request(b"", method="GET"))
        assert answers(sock, 1)[0][0] == 400
    with connect(running) as sock:  # a body over max_body_size
        big = b"x" * (running.transport.options.max_body_size + 1)
        sock.sendall(request(big)[: -len(big)])
        assert answers(sock, 1)[0][0] == 413


def test_fast_lane_off_serves_every_request_with_aiohttp() -> None:
    running = serve(make_server("no-lane"), port=0, fast_lane=False)
    try:
        assert type(running._runner.server) is web.Server
        with connect(running) as sock:
            sock.sendall(request(modern_call(1, "add", {"a": 1, "b": 1})))
            assert result_of(answers(sock, 1)[0]) == 2
    finally:
        running.stop()


def test_a_delete_with_a_body_is_answered_at_once_as_aiohttp_does() -> None:
    # aiohttp answers a DELETE without reading its body; the lane serves only bodiless ones,
    # so a DELETE whose declared body never comes still ends its session at once (no 408).
    running = serve(make_server("lane-delete-body"), port=0, body_timeout=0.5)
    try:
        opening = json.dumps(initialize_message(1)).encode()
        plain = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json"}
        head = post_head(running.port, "/mcp", plain, chunked=False, length=len(opening))
        with connect(running) as sock:
            sock.sendall(head + opening)
            status, headers, _, _ = read_answer(sock)
            assert status == 200
            session = headers["mcp-session-id"]
            assert running.transport.session_ids == [session]
            deleting = f"DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nMcp-Session-Id: {session}\r\n"
            sock.sendall(f"{deleting}Content-Length: 10\r\n\r\n".encode())  # and no body
            started = time.monotonic()
            assert read_answer(sock)[0] == 204
            assert time.monotonic() - started < 0.5  # not the body timeout's 408
            assert running.transport.session_ids == []
            assert kinds(running) == (0, 1)  # aiohttp's from the DELETE on
    finally:
        running.stop()


def test_an_idle_connection_is_never_closed_before_its_timeout() -> None:
    # When a connection went idle is read to a step of the idle timeout (one float shared by
    # the connections idle within it); the deadline is rounded up, so a connection that went
    # idle late in a step is still kept its whole timeout.
    idle = 2.0  # a step of 0.2 s: early would be 0.18 s early here
    running = serve(make_server("lane-idle"), port=0, idle_connection_timeout=idle)
    try:
        call = request(modern_call(1, "add", {"a": 1, "b": 2}))
        with connect(running) as first, connect(running) as second:
            time.sleep(0.3)
            first.sendall(call)
            assert read_answer(first)[0] == 200  # the server reads its clock afresh here
            time.sleep(idle / 10 * 0.9)  # still within that step
            second.sendall(call)
            assert read_answer(second)[0] == 200
            assert closed_by_server(second) >= idle - 0.1  # (the answer took some of it)
    finally:
        running.stop()


def test_a_stalled_body_in_the_lane_is_answered_408_and_closed() -> None:
    running = serve(make_server("lane-408"), port=0, body_timeout=0.2)
    try:
        whole = request(modern_call(1, "add", {"a": 1, "b": 1}))
        with connect(running) as sock:
            sock.sendall(whole[:-5])  # the head and most of the body, then nothing
            found = answers(sock, 1)
            assert found[0][0] == 408
            assert "body_timeout" in found[0][2]["error"]["message"]
            assert sock.recv(65536) == b""  # closed
    finally:
        running.stop()


def test_a_client_that_leaves_mid_call_frees_its_connection(running: HttpServer) -> None:
    with connect(running) as sock:
        sock.sendall(
            request(modern_call(1, "slow", {"seconds": 0.3}), headers={"Mcp-Name": "slow"})
        )
        assert asyncio.run(until(lambda: kinds(running) == (1, 0)))
    assert asyncio.run(until(lambda: kinds(running) == (0, 0)))


# -- the lane answers as aiohttp does (hypothesis) -------------------------------------------------

# Requests whose answers do not depend on the server instance (2026-07-28 calls need no session;
# the legacy ones here are refused the same way by both), each keeping the connection open.
MENU: list[bytes] = [
    request(modern_call(1, "add", {"a": 1, "b": 2})),
    request(modern_call(2, "add", {"a": 2, "b": 2}), target="/mcp?q=1"),
    request(modern_call(3, "add", {"a": 3, "b": 2})).replace(b"Accept:", b"accept:  "),
    request(modern_call(4, "add", {"a": 4, "b": 2}), headers={"Connection": "keep-alive"}),
    request(b'{"jsonrpc": "2.0", "id": 5, "method": '),  # bad JSON: 400
    request(modern_call(6, "add", {"a": 6, "b": 2}), headers={"Content-Type": "text/plain"}),
    request(modern_call(7, "add", {"a": 7, "b": 2}), headers={"Accept": "text/html"}),
    request(b""),  # an empty body: 400
    request(json.dumps(initialize_message(8)).encode(), headers={"Mcp-Session-Id": "nope"}),
    request(b"", method="DELETE", headers={"Mcp-Session-Id": "nope"}),  # 404
    request(b"", method="DELETE", headers={"Content-Length": "0"}),  # no session id: 400
    request(b"abc", method="DELETE", headers={"Content-Length": "3", "Mcp-Session-Id": "no"}),
    request(modern_call(9, "add", {"a": 9, "b": 2}), chunked=True),  # aiohttp's from here
    request(b"", method="GET", headers={"Accept": "text/event-stream"}),
    request(modern_call(10, "add", {"a": 10, "b": 2}), target="/elsewhere"),
]


def normalised(found: list[tuple[int, str, Any]]) -> list[tuple[int, str, Any]]:
    return [(status, kind.partition(";")[0], body) for status, kind, body in found]


def exchange(port: int, stream: bytes, cuts: list[int], count: int) -> list[tuple[int, str, Any]]:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        start = 0
        for cut in [*sorted(set(cuts)), len(stream)]:
            if cut > start:
                sock.sendall(stream[start:cut])
                start = cut
                time.sleep(0.001)
        return normalised(answers(sock, count))


def test_the_lane_answers_byte_streams_as_aiohttp_does() -> None:
    lane = serve(make_server("parity"), port=0)
    plain = serve(make_server("parity"), port=0, fast_lane=False)
    try:

        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            derandomize=True,
        )
        @given(
            picks=st.lists(st.integers(0, len(MENU) - 1), min_size=1, max_size=5),
            cuts=st.lists(st.integers(0, 4000), max_size=6),
        )
        def check(picks: list[int], cuts: list[int]) -> None:
            stream = b"".join(MENU[i] for i in picks)
            cuts = [c for c in cuts if c < len(stream)]
            expected = exchange(plain.port, stream, [], len(picks))
            assert exchange(lane.port, stream, cuts, len(picks)) == expected

        check()
    finally:
        lane.stop()
        plain.stop()


# -- the plain answer's bytes --------------------------------------------------------------------


def split(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


def test_a_plain_answer_is_written_as_aiohttp_writes_it() -> None:
    raw = _plain(web.Response(body=b'{"a":1}', content_type="application/json"))
    assert raw is not None
    status, headers, body = split(raw)
    assert status == "HTTP/1.1 200 OK"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == "7"
    assert "Date" in headers
    assert headers["Server"].startswith("Python/")
    assert "Connection" not in headers
    assert body == b'{"a":1}'

    closing = web.Response(status=408, body=b"{}", content_type="application/json")
    closing.force_close()
    raw = _plain(closing)
    assert raw is not None
    assert split(raw)[1]["Connection"] == "close"

    raw = _plain(web.Response(status=204))
    assert raw is not None
    assert "Content-Length" not in split(raw)[1]
    raw = _plain(web.Response(status=202, headers={"Mcp-Session-Id": "abc"}))
    assert raw is not None
    assert split(raw)[1]["Content-Length"] == "0"
    assert split(raw)[1]["Mcp-Session-Id"] == "abc"


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(web.Response(body=b"x", headers={"X-Bad": "a\r\nInjected: 1"}), id="CRLF"),
        pytest.param(web.Response(body=b"x", headers={"X-Bad": "a\nb"}), id="LF"),
        pytest.param(web.Response(body=b"x", headers={"set-cookie": "a=b"}), id="cookie"),
        pytest.param(web.Response(body=b"x", headers={"content-length": "1"}), id="length"),
        pytest.param(web.StreamResponse(), id="stream"),
    ],
)
def test_anything_but_a_plain_answer_goes_through_aiohttps_prepare(
    response: web.StreamResponse,
) -> None:
    assert _plain(response) is None


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(Answer(200, b'{"jsonrpc":"2.0","id":1,"result":{}}', "ab12"), id="result"),
        pytest.param(Answer(200, b"{}"), id="no session"),
        pytest.param(Answer(202, session_id="ab12"), id="accepted"),
        pytest.param(Answer(202), id="accepted, no session"),
        pytest.param(Answer(400, b'{"error":1}'), id="error status"),
    ],
)
def test_an_answer_goes_out_as_aiohttps_response_of_it_would(answer: Answer) -> None:
    def undated(raw: bytes | None) -> bytes:
        assert raw is not None
        return re.sub(rb"\r\nDate: [^\r]*", b"", raw)

    assert undated(_answer_bytes(answer)) == undated(_plain(answer.response()))


@pytest.mark.parametrize("session_id", ["a\r\nX-Injected: 1", "a b", "caf\u00e9", "a\x7f"])
def test_an_answer_with_an_odd_session_id_is_left_to_aiohttp(session_id: str) -> None:
    assert _answer_bytes(Answer(200, b"{}", session_id)) is None


# -- the last head, kept ---------------------------------------------------------------------------


async def unserved(request: web.BaseRequest) -> web.StreamResponse:
    raise AssertionError("not called: these tests parse heads only")


def lane_connection(max_body_size: int = 1000) -> LaneConnection:
    async def make() -> LaneConnection:
        lane = FastLane("/mcp", unserved, max_body_size=max_body_size, body_timeout=None)
        return LaneConnection(LaneServer(unserved, lane=lane), asyncio.get_running_loop())

    return asyncio.run(make())


def head_of(length: str, *, spaces: str = "", extra: str = "", session: str = "s1") -> bytes:
    return (
        "POST /mcp?a=1 HTTP/1.1\r\nHost: x\r\nMcp-Session-Id: " + session + "\r\n"
        f"content-length: {length}{spaces}\r\nX-Other: y{extra}\r\n\r\n"
    ).encode()


def parsed(conn: LaneConnection, raw: bytes) -> Any:
    end = raw.find(b"\r\n\r\n")
    found = conn._known_head(raw, end)
    return found if found is not None else conn._parse_head(raw, end)


@pytest.mark.parametrize("spaces", ["", "  "])
def test_a_head_that_differs_in_header_values_reuses_the_last_parse(spaces: str) -> None:
    conn = lane_connection()
    first = parsed(conn, head_of("10", spaces=spaces))
    assert first[4] == 10
    (template,) = conn._heads
    assert parsed(conn, head_of("10", spaces=spaces)) is first  # the same head: the same parse
    for length, session in [("7", "s1"), ("123", "s1"), ("0", "other"), ("0", "s2")]:
        method, path, query, headers, size = parsed(
            conn, head_of(length, spaces=spaces, session=session)
        )
        assert conn._heads == [template]  # no fresh parse
        assert (method, path, query, size) == ("POST", "/mcp", "a=1", int(length))
        assert headers["Content-Length"] == length
        assert headers["Mcp-Session-Id"] == session
        assert list(headers) == ["Host", "Mcp-Session-Id", "content-length", "X-Other"]
        again = parsed(conn, head_of(length, spaces=spaces, session=session))
        assert again[3] is headers  # the same head again: its parse kept
    changed = parsed(conn, head_of("5", spaces=spaces, extra=" z\t"))
    assert changed[3]["X-Other"] == "y z"
    assert conn._heads == [template]


@pytest.mark.parametrize(
    ("length", "session", "extra"),
    [
        pytest.param("1001", "s1", "", id="over the body limit"),
        pytest.param("1a", "s1", "", id="not digits"),
        pytest.param("-1", "s1", "", id="negative"),
        pytest.param("1" * 13, "s1", "", id="too many digits"),
        pytest.param("5", "s\x7f1", "", id="a control byte"),
        pytest.param("5", "s\x80", "", id="obs-text"),
        pytest.param("5", "s1", "\rInjected: 1", id="bare CR"),
        pytest.param("5", "s1", "\nInjected: 1", id="bare LF"),
    ],
)
def test_a_changed_value_the_lane_does_not_serve_is_not_served(
    length: str, session: str, extra: str
) -> None:
    conn = lane_connection()
    parsed(conn, head_of("10"))
    raw = (
        head_of("10")
        .replace(b"s1", session.encode("latin-1"))
        .replace(b": 10", b": " + length.encode())
    )
    raw = raw.replace(b"X-Other: y", b"X-Other: y" + extra.encode())
    assert parsed(conn, raw) is None  # neither the kept head nor a fresh parse serves it


def test_a_connection_header_that_changes_to_close_leaves_the_lane() -> None:
    conn = lane_connection()
    parsed(conn, b"POST /mcp HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n")
    assert (
        parsed(conn, b"POST /mcp HTTP/1.1\r\nConnection: close\r\nContent-Length: 1\r\n\r\n")
        is None
    )
    again = parsed(
        conn, b"POST /mcp HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n"
    )
    assert again[4] == 2


def test_other_header_names_or_another_target_are_parsed_afresh() -> None:
    conn = lane_connection()
    parsed(conn, head_of("10"))
    (template,) = conn._heads
    renamed = head_of("10").replace(b"X-Other", b"X-Other2")
    assert parsed(conn, renamed)[3]["X-Other2"] == "y"
    assert conn._heads[0] is not template
    # A header of another name with the template's name as its prefix is no match either.
    longer = head_of("10").replace(b"X-Other:", b"X-Other-Too:")
    assert "X-Other" not in parsed(conn, longer)[3]
    elsewhere = head_of("10").replace(b"/mcp?a=1", b"/mcp?a=2")
    assert parsed(conn, elsewhere)[2] == "a=2"


def test_a_connection_keeps_its_last_two_heads() -> None:
    conn = lane_connection()
    opening = b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n"
    first = parsed(conn, opening)
    for session in ("s1", "s2", "s3"):
        # A proxy's pooled connection: an `initialize`, then a session's requests.
        assert parsed(conn, opening) is first
        assert parsed(conn, head_of("10", session=session))[3]["Mcp-Session-Id"] == session
        assert len(conn._heads) == 2
    third = b"POST /mcp HTTP/1.1\r\nHost: y\r\nX: 1\r\nContent-Length: 9\r\n\r\n"
    parsed(conn, third)
    assert len(conn._heads) == 2
    assert parsed(conn, opening) is not first  # the oldest was let go: parsed afresh


def test_a_lane_requests_body_reads_as_aiohttps_does() -> None:
    conn = lane_connection()
    request = LaneRequest(conn, "POST", "/mcp", "", CIMultiDictProxy(CIMultiDict()), b"abcdef")
    assert request.content.is_eof()
    assert request.content.read_nowait(2) == b"ab"
    assert request.content.read_nowait() == b"cdef"
    assert request.content.read_nowait() == b""
    assert request.content_length == 6  # the header's length, not what is left


def test_the_date_header_is_formatdates() -> None:
    # Every weekday and month, leap days, the epoch, far ahead.
    for seconds in [0, 951782400, 1709164800, 4102444799, *range(0, 2_000_000_000, 7_777_777)]:
        assert http_date(seconds) == formatdate(seconds, usegmt=True), seconds


def test_the_lane_parses_only_a_bodiless_delete() -> None:
    conn = lane_connection()
    bare = b"DELETE /mcp HTTP/1.1\r\nHost: x\r\nMcp-Session-Id: s1\r\n\r\n"
    method, path, _, headers, size = parsed(conn, bare)
    assert (method, path, size, headers["Mcp-Session-Id"]) == ("DELETE", "/mcp", 0, "s1")
    zero = b"DELETE /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    assert parsed(conn, zero)[4] == 0
    # A body: aiohttp's (it answers without waiting for it), from a fresh parse or a template.
    assert parsed(conn, zero.replace(b"Length: 0", b"Length: 5")) is None
    assert conn._parse_head(zero.replace(b"Length: 0", b"Length: 5"), len(zero) - 4) is None
