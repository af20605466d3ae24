"""A handler's `Context` in a session: state, identity, logging, progress, client requests."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from fastestmcp import Context
from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import McpError
from fastestmcp.transports.memory import MemoryConnection

from .sessions import (
    answers,
    notifications,
    send_request,
    tool_text,
    wait_answer,
    wait_until,
)
from .suite import Connect, call, value

# -- Context: state --------------------------------------------------------------------------


def test_session_state_persists_across_calls_and_is_isolated_between_sessions(
    connect: Connect,
):
    alice, bob = connect(), connect()
    assert value(call(alice, "state_get", key="n")) == "<missing>"
    call(alice, "state_set", key="n", value=1)
    assert value(call(alice, "state_get", key="n")) == 1
    assert value(call(alice, "state_get_sync", key="n")) == 1
    assert value(call(bob, "state_get", key="n")) == "<missing>"
    call(bob, "state_set_sync", key="n", value=2)
    assert value(call(bob, "state_get", key="n")) == 2
    assert value(call(alice, "state_get", key="n")) == 1
    call(alice, "state_delete", key="n")
    assert value(call(alice, "state_get", key="n")) == "<missing>"
    assert value(call(bob, "state_get", key="n")) == 2


def test_non_serializable_state_lives_only_in_the_request(conn):
    call(conn, "state_set", key="k", value=1)
    # Inside the request the request value shadows the session's...
    assert value(call(conn, "local_state", key="k", value=2)) == 2
    # ...and it is gone afterwards: the session value is untouched.
    assert value(call(conn, "state_get", key="k")) == 1
    assert value(call(conn, "local_state", key="fresh", value=3)) == 3
    assert value(call(conn, "state_get", key="fresh")) == "<missing>"


def test_request_state_get_put_delete(conn):
    assert value(call(conn, "request_state")) == [1, "gone"]


# -- Context: identity and the current context -----------------------------------------------


@pytest.mark.parametrize("tool", ["whoami", "whoami_async"])
def test_context_identity_and_current(conn, tool: str):
    send_request(conn, "who-1", "tools/call", {"name": tool, "arguments": {}})
    result = wait_answer(conn, "who-1")["result"]
    assert result["structuredContent"] == {
        "session_id": conn.session_id,
        "request_id": "who-1",
        "transport": "memory",
        "client_id": "fastestmcp-memory",
        "current_is_ctx": True,
        "helper_is_ctx": True,
    }
    assert Context.current() is None


# -- Context: logging and progress -----------------------------------------------------------


def test_logging_sends_messages_and_set_level_filters_them(conn):
    assert value(call(conn, "log_both")) == [True, True]
    sent = notifications(conn, "notifications/message")
    assert sent == [
        {"level": "info", "data": "an info line"},
        {"level": "error", "data": "an error line"},
    ]
    assert conn.request("logging/setLevel", {"level": "warning"}) == {}
    assert value(call(conn, "log_both")) == [False, True]
    sent = notifications(conn, "notifications/message")
    assert [m["level"] for m in sent] == ["info", "error", "error"]


def test_logging_level_is_per_session(connect: Connect):
    quiet, chatty = connect(), connect()
    quiet.request("logging/setLevel", {"level": "error"})
    assert value(call(quiet, "log_both")) == [False, True]
    assert value(call(chatty, "log_both")) == [True, True]


@pytest.mark.parametrize("token", ["tok-1", 7])
@pytest.mark.parametrize("tool", ["progress", "progress_sync"])
def test_progress_is_sent_with_the_requests_token(conn, tool: str, token: str | int):
    result = conn.request(
        "tools/call", {"name": tool, "arguments": {}, "_meta": {"progressToken": token}}
    )
    assert value(result) is True
    sent = notifications(conn, "notifications/progress")
    assert len(sent) == 1
    assert sent[0]["progressToken"] == token
    expected = (1, 2, "half way") if tool == "progress" else (3, 4, None)
    assert (sent[0]["progress"], sent[0]["total"], sent[0].get("message")) == expected


@pytest.mark.parametrize("tool", ["progress", "progress_sync"])
def test_progress_without_a_token_resolves_false_and_sends_nothing(conn, tool: str):
    assert value(call(conn, tool)) is False
    conn.request("ping")
    assert notifications(conn, "notifications/progress") == []


def test_progress_and_logs_are_tied_to_their_request_and_sent_before_its_response(conn):
    send_request(
        conn,
        "prog-1",
        "tools/call",
        {"name": "progress", "arguments": {}, "_meta": {"progressToken": "t"}},
    )
    wait_answer(conn, "prog-1")
    send_request(conn, "log-1", "tools/call", {"name": "log_both", "arguments": {}})
    wait_answer(conn, "log-1")
    decoded = [(msgspec.json.decode(frame), related) for frame, related in list(conn.frames)]
    progress = [
        i for i, (m, _) in enumerate(decoded) if m.get("method") == "notifications/progress"
    ]
    logs = [i for i, (m, _) in enumerate(decoded) if m.get("method") == "notifications/message"]
    answer_p = next(i for i, (m, _) in enumerate(decoded) if m.get("id") == "prog-1")
    answer_l = next(i for i, (m, _) in enumerate(decoded) if m.get("id") == "log-1")
    assert len(progress) == 1
    assert len(logs) == 2
    assert progress[0] < answer_p
    assert max(logs) < answer_l
    assert decoded[progress[0]][1] == decoded[answer_p][1] == "prog-1"
    assert [decoded[i][1] for i in logs] == ["log-1", "log-1"]


# -- requests to the client ------------------------------------------------------------------


def _roots_client(connect: Connect) -> tuple[MemoryConnection, list[str]]:
    asked: list[str] = []
    conn = connect(capabilities={"roots": {"listChanged": True}})

    def on_request(method: str, params: Any) -> Any:
        asked.append(method)
        return {
            "roots": [{"uri": "file:///projects/app", "name": "app"}, {"uri": "file:///srv/data"}]
        }

    conn.on_request = on_request
    return conn, asked


@pytest.mark.parametrize("tool", ["roots", "roots_sync"])
def test_a_handler_asks_the_client_and_gets_its_answer(connect: Connect, tool: str):
    conn, asked = _roots_client(connect)
    assert value(call(conn, tool)) == ["file:///projects/app", "file:///srv/data"]
    assert asked == ["roots/list"]


def test_concurrent_requests_to_the_client_are_told_apart(connect: Connect):
    conn, asked = _roots_client(connect)
    assert value(call(conn, "two_roots")) == [2, 2]
    assert asked == ["roots/list", "roots/list"]
    server_requests = [
        m
        for m in (msgspec.json.decode(f) for f, _ in list(conn.frames))
        if m.get("method") == "roots/list"
    ]
    assert len({m["id"] for m in server_requests}) == 2


def test_asking_a_client_without_the_capability_fails_in_the_handler(conn):
    result = call(conn, "roots")
    assert result["isError"] is True
    assert "'roots' capability" in tool_text(result)
    assert not [m for m in conn.frames if b'"roots/list"' in m[0]]


def test_a_client_error_answer_is_the_handlers_failure_not_the_calls_error(connect: Connect):
    """The client's JSON-RPC error to roots/list is a ClientRequestError in the handler, so
    the tool reports it as isError; it never becomes the tools/call's own error code."""
    conn = connect(capabilities={"roots": {"listChanged": True}})

    def on_request(method: str, params: Any) -> Any:
        raise McpError(-32601, f"this client does not serve {method}")

    conn.on_request = on_request
    result = call(conn, "roots")
    assert result["isError"] is True
    text = tool_text(result)
    assert "roots/list" in text
    assert "-32601" in text


@pytest.mark.parametrize("tool", ["roots", "roots_sync"])
def test_a_cancelled_request_withdraws_its_unanswered_requests_to_the_client(
    connect: Connect, monkeypatch: pytest.MonkeyPatch, tool: str
):
    """The server's request to the client belongs to the request that made it: when that one
    ends unanswered by the client, the server stops waiting and tells the client (it kept the
    pending entry until an answer that a client which dropped the request never sends, and a
    session with one never expired idle)."""
    conn = connect(capabilities={"roots": {}})
    asked: list[jsonrpc.Request] = []
    monkeypatch.setattr(conn, "_answer", asked.append)  # a client that never answers
    send_request(conn, "r1", "tools/call", {"name": tool, "arguments": {}})
    wait_until(lambda: asked, "the server's roots/list request")
    conn.notify("notifications/cancelled", {"requestId": "r1"})
    wait_until(
        lambda: notifications(conn, "notifications/cancelled"), "the server withdrawing its request"
    )
    (withdrawn,) = notifications(conn, "notifications/cancelled")
    assert withdrawn["requestId"] == asked[0].id
    # A late answer to the withdrawn request is ignored; the session goes on.
    conn.send_frame(jsonrpc.encode(jsonrpc.Response(id=asked[0].id, result={"roots": []})))
    assert conn.request("ping") == {}
    assert not answers(conn, "r1")


@pytest.mark.parametrize(
    "answer",
    [
        b'"error":{"code":"bad","message":1}',
        b'"error":"no"',
        b'"result":{"roots":[]},"error":{"code":1,"message":"m"}',
    ],
)
@pytest.mark.parametrize("tool", ["roots", "roots_sync"])
def test_a_malformed_answer_from_the_client_fails_the_handlers_request(
    connect: Connect, monkeypatch: pytest.MonkeyPatch, tool: str, answer: bytes
):
    """The client's answer to the server's request is not a valid response: the handler's
    request fails (the tool reports it), instead of waiting for good for another answer; and
    the client gets no error response to its response (under an id of the server's own)."""
    conn = connect(capabilities={"roots": {}})
    asked: list[jsonrpc.RequestId] = []

    def malformed(request: jsonrpc.Request) -> None:
        asked.append(request.id)
        conn.send_frame(b'{"jsonrpc":"2.0","id":%s,%s}' % (msgspec.json.encode(request.id), answer))

    monkeypatch.setattr(conn, "_answer", malformed)
    result = call(conn, tool)
    assert result["isError"] is True
    assert "roots/list" in tool_text(result)
    assert "-32600" in tool_text(result)
    assert len(asked) == 1
    assert not answers(conn, asked[0])
    assert conn.request("ping") == {}
