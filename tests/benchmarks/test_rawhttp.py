"""`benchmarks/rawhttp.py`, the load generator's HTTP/1.1 client: the response parser on whole,
split and malformed responses, and the connection against a small asyncio server."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_rawhttp", ROOT / "benchmarks/rawhttp.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


rawhttp = _load()

JSON_BODY = b'{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hello"}]}}'
LENGTH = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nCONTENT-LENGTH: %d\r\n"
    b"Mcp-Session-Id: abc\r\nX-Twice: 1\r\nx-twice:  2 \r\n\r\n%b" % (len(JSON_BODY), JSON_BODY)
)
SSE_BODY = b'event: message\r\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\r\n\r\n'
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"f;name=value\r\n" + SSE_BODY[:15] + b"\r\n"
    b"1\r\n" + SSE_BODY[15:16] + b"\r\n"
    b"%X ; ext\r\n" % (len(SSE_BODY) - 16) + SSE_BODY[16:] + b"\r\n"
    b"0;last\r\nX-Trailer: t\r\n\r\n"
)
ERROR_BODY = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}'
NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%b"
    % (
        len(ERROR_BODY),
        ERROR_BODY,
    )
)


def _parse_split(raw: bytes, cuts: list[int]) -> list[Any]:
    parser = rawhttp.ResponseParser()
    responses: list[Any] = []
    last = 0
    for cut in [*cuts, len(raw)]:
        responses += parser.feed(raw[last:cut])
        last = cut
    assert parser.idle
    return responses


def test_content_length_response_and_case_insensitive_headers() -> None:
    [resp] = rawhttp.ResponseParser().feed(LENGTH)
    assert (resp.status, resp.reason, resp.body, resp.keep_alive) == (200, "OK", JSON_BODY, True)
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers.get("CONTENT-TYPE") == "application/json"
    assert resp.headers.get("mcp-session-id") == "abc"
    assert "MCP-SESSION-ID" in resp.headers
    assert "Content-Encoding" not in resp.headers
    assert resp.headers.get("X-Missing", "") == ""
    assert resp.headers["x-twice"] == "1, 2"


@pytest.mark.parametrize("raw", [LENGTH, CHUNKED, NOT_FOUND], ids=["length", "chunked", "404"])
def test_every_split_into_two_and_three_reads_parses_the_same(raw: bytes) -> None:
    [whole] = rawhttp.ResponseParser().feed(raw)
    for cut in range(1, len(raw)):
        [resp] = _parse_split(raw, [cut])
        assert (resp.status, resp.body) == (whole.status, whole.body), cut
    for first in range(1, len(raw), 7):
        for second in range(first, len(raw), 5):
            [resp] = _parse_split(raw, [first, second])
            assert resp.body == whole.body, (first, second)
    # and one byte at a time
    [resp] = _parse_split(raw, list(range(1, len(raw))))
    assert resp.body == whole.body


def test_chunked_body_with_extensions_and_trailers() -> None:
    [resp] = rawhttp.ResponseParser().feed(CHUNKED)
    assert resp.status == 200
    assert resp.body == SSE_BODY
    assert resp.headers["content-type"] == "text/event-stream"
    assert resp.keep_alive


def test_a_4xx_keeps_its_body() -> None:
    [resp] = rawhttp.ResponseParser().feed(NOT_FOUND)
    assert (resp.status, resp.reason) == (404, "Not Found")
    assert resp.body == ERROR_BODY


def test_responses_back_to_back_interim_and_bodiless() -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        + LENGTH
        + b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
        + b"HTTP/1.1 204 No Content\r\n\r\n"
        + CHUNKED
    )
    responses = _parse_split(raw, [30, 31, len(raw) - 3])
    assert [r.status for r in responses] == [200, 202, 204, 200]
    assert [r.body for r in responses] == [JSON_BODY, b"", b"", SSE_BODY]


def test_connection_close_and_a_body_framed_by_the_close() -> None:
    parser = rawhttp.ResponseParser()
    [resp] = parser.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
    assert not resp.keep_alive
    assert parser.feed(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the ") == []
    assert parser.feed(b"end") == []
    resp = parser.feed_eof()
    assert resp.body == b"to the end"
    assert not resp.keep_alive
    [resp] = rawhttp.ResponseParser().feed(
        b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"
    )
    assert resp.keep_alive
    assert rawhttp.ResponseParser().feed_eof() is None


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n\r\n",
        b"HTTP/1.1 OK\r\n\r\n",
        b"SPDY 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ],
)
def test_malformed_responses_are_refused(raw: bytes) -> None:
    with pytest.raises(rawhttp.HttpError):
        rawhttp.ResponseParser().feed(raw)


def test_a_close_in_the_middle_of_a_response_is_an_error() -> None:
    parser = rawhttp.ResponseParser()
    assert parser.feed(LENGTH[:-5]) == []
    with pytest.raises(rawhttp.HttpError):
        parser.feed_eof()


async def _serve(responses: list[bytes]) -> tuple[asyncio.Server, list[bytes], int]:
    """A server that answers the n-th request it reads with `responses[n]` (closing the
    connection after any response that says `Connection: close`)."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            requests.append(head + await reader.readexactly(length))
            answer = responses[len(requests) - 1]
            for i in range(0, len(answer), 9):  # in small pieces
                writer.write(answer[i : i + 9])
                await writer.drain()
            if b"Connection: close" in answer:
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    return server, requests, port


def test_connection_keeps_alive_reconnects_after_close_and_chains_requests() -> None:
    async def main() -> None:
        closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nbye!\n"
        server, requests, port = await _serve([LENGTH, CHUNKED, closing, NOT_FOUND, LENGTH])
        async with server:
            conn = rawhttp.HttpConnection("127.0.0.1", port, timeout=10)
            head = rawhttp.encode_head("POST", "/mcp", f"127.0.0.1:{port}", {"A": "b"})
            bodies = [b"one", b"two", b"three"]
            got: list[Any] = []
            await conn.run(
                lambda: rawhttp.encode_request(head, bodies.pop(0)) if bodies else None,
                got.append,
            )
            assert [r.body for r in got] == [JSON_BODY, SSE_BODY, b"bye!\n"]
            assert conn.connects == 1
            resp = await conn.request(rawhttp.encode_request(head, b"four"))
            assert resp.status == 404
            assert conn.connects == 2  # the server had closed the first connection

            def refuse(resp: Any) -> None:
                raise ValueError("checked and refused")

            with pytest.raises(ValueError, match="refused"):
                await conn.run(lambda: rawhttp.encode_request(head, b"five"), refuse)
            conn.close()
        assert requests[0] == (
            b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nA: b\r\nContent-Length: 3\r\n\r\none"
            % port
        )
        assert [r.rsplit(b"\n", 1)[1] for r in requests] == [
            b"one",
            b"two",
            b"three",
            b"four",
            b"five",
        ]

    asyncio.run(main())


def test_connection_reports_a_server_that_hangs_up() -> None:
    async def main() -> None:
        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(LENGTH[:40])
            writer.close()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            conn = rawhttp.HttpConnection("127.0.0.1", port, timeout=10)
            request = rawhttp.encode_request(rawhttp.encode_head("GET", "/", "x", {}), b"")
            with pytest.raises(rawhttp.HttpError, match="middle of a response"):
                await conn.request(request)

    asyncio.run(main())


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_the_measured_loops_requests_match_call_body(era: str, monkeypatch: Any) -> None:
    """`RawMcpSession.caller` splices each id into one pre-encoded request: the bytes must be
    those `call_body` + `encode` would build for that id."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "benchmarks/http_bench.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)
    spec.loader.exec_module(bench)
    fast = bench.RawMcpSession("http://127.0.0.1:8123/mcp", era)
    slow = bench.RawMcpSession("http://127.0.0.1:8123/mcp", era)
    if era == "legacy":
        for session in (fast, slow):
            session.session_id = "abc%d"
            session.headers["Mcp-Session-Id"] = "abc%d"
    call_id = fast.caller("echo", {"message": "100% hello"})
    slow.next_id = fast.next_id
    for _ in range(12):  # the ids cross 9 -> 10: the Content-Length grows
        request_id, data = call_id()
        expected_id, body, headers = slow.call_body("echo", {"message": "100% hello"})
        assert request_id == expected_id
        assert data == slow.encode("POST", body, headers)
    assert b"Mcp-Session-Id: abc%d\r\n" in data if era == "legacy" else b"Mcp-Name: echo" in data
