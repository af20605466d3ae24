"""Sessions running tools: results and errors, timeouts, concurrency and cancellation."""

from __future__ import annotations

import time
from typing import Any

import pytest

import fastestmcp
from fastestmcp import ToolError
from fastestmcp.server.running import start
from fastestmcp.transports.memory import MemoryConnection

from .sessions import (
    WAIT,
    answers,
    new_probe,
    send_request,
    tool_text,
)
from .suite import Connect, call, value

# -- tools -----------------------------------------------------------------------------------


def test_typed_sync_and_async_tools(conn):
    result = call(conn, "add", a=2, b=3)
    assert result == {
        "content": [{"type": "text", "text": "5"}],
        "structuredContent": {"result": 5},
    }
    result = call(conn, "describe", name="x", tags=["a", "b"])
    assert result["structuredContent"] == {"name": "x", "count": 2}
    assert result.get("isError") is not True


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"a": "x", "b": 1}, "$.a"),
        ({"a": 1}, "b"),
        ({"a": None, "b": 1}, "$.a"),
    ],
)
def test_argument_errors_are_error_results(conn, arguments: dict[str, Any], fragment: str):
    result = conn.request("tools/call", {"name": "add", "arguments": arguments})
    assert result["isError"] is True
    text = tool_text(result)
    assert "Invalid arguments for tool 'add'" in text
    assert fragment in text


def test_exceptions_become_error_results(conn):
    result = call(conn, "fail", message="the disk is on fire")
    assert result["isError"] is True
    assert "the disk is on fire" in tool_text(result)
    result = call(conn, "refuse", message="not allowed")
    assert result["isError"] is True
    assert tool_text(result) == "not allowed"


def test_masked_exceptions_hide_details_but_tool_errors_pass():
    srv = fastestmcp.server("masked", mask_error_details=True)

    @srv.tool
    def fail() -> str:
        raise RuntimeError("password=hunter2")

    @srv.tool
    def refuse() -> str:
        raise ToolError("quota exceeded, retry tomorrow")

    with start(srv) as h:
        conn = MemoryConnection.open(h)
        result = call(conn, "fail")
        assert result["isError"] is True
        assert "hunter2" not in tool_text(result)
        assert "'fail'" in tool_text(result)
        result = call(conn, "refuse")
        assert result["isError"] is True
        assert tool_text(result) == "quota exceeded, retry tomorrow"
        conn.close()


def test_a_sync_tool_raising_stop_iteration_is_answered_with_an_error_result():
    # A sync tool runs in the pool; its StopIteration once escaped the pool's hand-off to the
    # loop, and the call was never answered.
    srv = fastestmcp.server("stop-iteration")

    @srv.tool
    def stop() -> str:
        raise StopIteration

    with start(srv) as h:
        conn = MemoryConnection.open(h)
        result = call(conn, "stop")
        assert result["isError"] is True
        assert "StopIteration" in tool_text(result)
        assert conn.request("ping") == {}
        conn.close()


def test_a_tool_timeout_is_an_error_result_long_before_the_tool_ends(conn):
    began = time.monotonic()
    result = call(conn, "sleepy")
    elapsed = time.monotonic() - began
    assert result["isError"] is True
    assert "timed out after 0.2 s" in tool_text(result)
    assert elapsed < 10


def test_a_sync_tool_timeout_sets_cancelled_for_the_handler(conn):
    key, probe = new_probe()
    began = time.monotonic()
    result = call(conn, "sleepy_sync", key=key)
    assert result["isError"] is True
    assert "timed out" in tool_text(result)
    assert probe.finished.wait(WAIT)
    assert probe.seen["cancelled"] is True
    assert time.monotonic() - began < 10


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("slow_tool", ["gate", "gate_sync"])
def test_a_slow_tool_delays_neither_ping_nor_another_call(conn, slow_tool: str):
    key, probe = new_probe()
    slow = conn.request_future("tools/call", {"name": slow_tool, "arguments": {"key": key}})
    assert probe.started.wait(WAIT)
    # The slow tool is parked until the test sets `release`, which it does only after these.
    assert conn.request("ping", timeout=5) == {}
    assert value(call(conn, "add", a=1, b=2)) == 3
    assert call(conn, "describe", name="n", tags=[])["structuredContent"] == {
        "name": "n",
        "count": 0,
    }
    assert not slow.done()
    probe.release.set()
    assert slow.get(timeout=WAIT)["structuredContent"] == {"result": "released"}


def test_two_sessions_run_side_by_side(connect: Connect):
    first, second = connect(), connect()
    key, probe = new_probe()
    slow = first.request_future("tools/call", {"name": "gate_sync", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)
    assert value(call(second, "add", a=5, b=5)) == 10
    assert not slow.done()
    probe.release.set()
    assert slow.get(timeout=WAIT)["structuredContent"] == {"result": "released"}


# -- cancellation ----------------------------------------------------------------------------


@pytest.mark.parametrize("request_id", [0, 12, "cancel-me"])
def test_cancelled_notification_cancels_an_async_tool_without_a_response(
    conn, request_id: str | int
):
    key, probe = new_probe()
    send_request(conn, request_id, "tools/call", {"name": "hang", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)
    conn.notify("notifications/cancelled", {"requestId": request_id, "reason": "changed my mind"})
    assert probe.finished.wait(WAIT), "the tool's finally did not run"
    assert conn.request("ping") == {}
    assert answers(conn, request_id) == []


def test_cancelled_is_visible_to_a_polling_sync_handler(conn):
    key, probe = new_probe()
    send_request(conn, "poll-1", "tools/call", {"name": "poll_cancel", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)
    conn.notify("notifications/cancelled", {"requestId": "poll-1"})
    assert probe.finished.wait(WAIT)
    assert probe.seen["cancelled"] is True
    assert conn.request("ping") == {}
    assert answers(conn, "poll-1") == []


def test_cancelling_an_unknown_or_finished_request_is_ignored(conn):
    conn.notify("notifications/cancelled", {"requestId": 999})
    conn.notify("notifications/cancelled", {"requestId": conn._next_id})  # answered already
    conn.notify("notifications/cancelled", {"bogus": True})
    assert conn.request("ping") == {}
    assert value(call(conn, "add", a=1, b=1)) == 2
