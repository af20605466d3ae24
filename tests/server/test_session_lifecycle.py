"""Sessions under supervision: restarts keep state, ends delete it, stop unwinds lifespans.

Each test starts its own server (its own runtime), since these tests kill and crash actors.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import fastestmcp
from fastestmcp import Context
from fastestmcp.protocol.errors import McpError
from fastestmcp.server import Server
from fastestmcp.server.running import ServerHandle, SessionStateStore, start
from fastestmcp.server.session import SessionActor
from fastestmcp.transports.memory import MemoryConnection
from supervisors import MaxChildrenError, StartChildError

from .sessions import (
    PROBES,
    WAIT,
    answers,
    new_probe,
    send_request,
    wait_answer,
    wait_until,
)


class Escape(BaseException):
    """A BaseException that is not an Exception, raised by a handler."""


def build() -> Server:
    srv = fastestmcp.server("life")

    @srv.tool
    async def state_set(key: str, value: int, ctx: Context) -> str:
        await ctx.set_state(key, value)
        return "ok"

    @srv.tool
    async def state_get(key: str, ctx: Context) -> int | str:
        found: int | str = await ctx.get_state(key, "<missing>")
        return found

    @srv.tool
    async def state_set_none(key: str, ctx: Context) -> str:
        await ctx.set_state(key, None)
        return "ok"

    @srv.tool
    async def state_delete(key: str, ctx: Context) -> str:
        await ctx.delete_state(key)
        return "ok"

    @srv.tool
    async def hang(key: str) -> str:
        probe = PROBES[key]
        probe.started.set()
        try:
            await asyncio.sleep(30)
            return "finished"
        finally:
            probe.finished.set()

    @srv.tool
    def gate_sync(key: str) -> str:
        probe = PROBES[key]
        probe.started.set()
        return "released" if probe.release.wait(WAIT) else "never released"

    @srv.tool
    def poll_cancel(key: str, ctx: Context) -> bool:
        probe = PROBES[key]
        probe.started.set()
        deadline = time.monotonic() + WAIT
        while not ctx.cancelled and time.monotonic() < deadline:
            time.sleep(0.002)
        probe.seen["cancelled"] = ctx.cancelled
        probe.finished.set()
        return ctx.cancelled

    @srv.tool
    async def log_both(ctx: Context) -> list[bool]:
        return [await ctx.info("an info line"), await ctx.error("an error line")]

    @srv.tool
    def exit_now() -> str:
        sys.exit(3)

    @srv.tool
    async def raise_base() -> str:
        raise Escape("not an Exception")

    @srv.tool
    def whoami(ctx: Context) -> dict[str, Any]:
        return {"session_id": ctx.session_id, "client_id": ctx.client_id}

    return srv


@pytest.fixture
def handle() -> Iterator[ServerHandle]:
    h = start(build())
    try:
        yield h
    finally:
        h.stop()


def call(conn: MemoryConnection, tool: str, /, **arguments: Any) -> Any:
    result = conn.request("tools/call", {"name": tool, "arguments": arguments})
    assert result.get("isError") is not True, result
    return result["structuredContent"]["result"]


def structured(conn: MemoryConnection, tool: str, /, **arguments: Any) -> Any:
    result = conn.request("tools/call", {"name": tool, "arguments": arguments})
    assert result.get("isError") is not True, result
    return result["structuredContent"]


def session_name(handle: ServerHandle, conn: MemoryConnection) -> str:
    return f"{handle.server.name}:session:{conn.session_id}"


def wait_restarted(handle: ServerHandle, name: str, old: Any) -> Any:
    def restarted() -> bool:
        current = handle.runtime.whereis(name)
        return current is not None and current is not old

    wait_until(restarted, f"{name} to be restarted")
    return handle.runtime.whereis(name)


def stored(handle: ServerHandle, session_id: str | None) -> Any:
    return handle.store.ask(("load", session_id), timeout=5)


# -- restarts --------------------------------------------------------------------------------


def test_a_killed_session_restarts_under_its_id_with_state_and_negotiation_intact(handle):
    conn = MemoryConnection.open(handle, protocol_version="2025-03-26")
    call(conn, "state_set", key="n", value=41)
    conn.request("logging/setLevel", {"level": "warning"})
    conn.request("resources/subscribe", {"uri": "life://x"})
    name = session_name(handle, conn)
    old = handle.runtime.whereis(name)
    assert old is not None

    handle.runtime.kill(old)
    new = wait_restarted(handle, name, old)

    assert new is not old
    assert not old.is_alive()
    # State, negotiated version, log level and client info all came back from the store.
    assert call(conn, "state_get", key="n") == 41
    assert call(conn, "log_both") == [False, True]
    assert structured(conn, "whoami") == {
        "session_id": conn.session_id,
        "client_id": "fastestmcp-memory",
    }
    conn.send_frame(b'[{"jsonrpc": "2.0", "id": "batched", "method": "ping"}]')
    assert wait_answer(conn, "batched")["result"] == {}  # 2025-03-26 batching still applies
    meta, _ = stored(handle, conn.session_id)
    assert meta.subscriptions == ["life://x"]
    # No second initialize was needed, and one would still be refused.
    with pytest.raises(McpError) as info:
        conn.request(
            "initialize",
            {
                "protocolVersion": "2025-03-26",
                "capabilities": {},
                "clientInfo": {"name": "x", "version": "1"},
            },
        )
    assert info.value.code == -32600
    conn.close()


def test_a_fresh_session_starts_without_the_store_and_its_restart_loads_from_it(
    handle, monkeypatch
):
    loads: list[str] = []
    original = SessionActor._load

    async def load(self: SessionActor, state_id: str) -> bool:
        loads.append(state_id)
        return await original(self, state_id)

    monkeypatch.setattr(SessionActor, "_load", load)
    conn = MemoryConnection.open(handle, protocol_version="2025-03-26")
    call(conn, "state_set", key="n", value=7)
    assert loads == []  # a session id just minted has nothing stored under it
    name = session_name(handle, conn)
    old = handle.runtime.whereis(name)
    handle.runtime.kill(old)
    wait_restarted(handle, name, old)
    assert call(conn, "state_get", key="n") == 7
    assert loads == [conn.session_id]  # the restart found its start token used
    conn.close()


def _crash_on(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the session actor crash (a bug in its own state machine) on a notification."""
    original = SessionActor._on_notification

    def on_notification(self: SessionActor, notification: Any) -> None:
        if notification.method == method:
            raise RuntimeError("injected session bug")
        original(self, notification)

    monkeypatch.setattr(SessionActor, "_on_notification", on_notification)


def test_a_crashed_session_restarts_and_answers_in_flight_requests_with_an_error(
    handle, monkeypatch
):
    _crash_on("test/crash", monkeypatch)
    conn = MemoryConnection.open(handle)
    call(conn, "state_set", key="n", value=7)
    name = session_name(handle, conn)
    old = handle.runtime.whereis(name)
    key, probe = new_probe()
    send_request(conn, "in-flight", "tools/call", {"name": "hang", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)

    conn.notify("test/crash")

    error = wait_answer(conn, "in-flight")["error"]
    assert error["code"] == -32603
    assert "retry" in error["message"]
    assert probe.finished.wait(WAIT), "the in-flight task was not cancelled"
    wait_restarted(handle, name, old)
    assert call(conn, "state_get", key="n") == 7
    assert structured(conn, "whoami")["client_id"] == "fastestmcp-memory"
    assert len(answers(conn, "in-flight")) == 1
    conn.close()


def test_a_killed_session_answers_its_in_flight_request_with_an_error(handle):
    conn = MemoryConnection.open(handle)
    name = session_name(handle, conn)
    old = handle.runtime.whereis(name)
    assert old is not None
    key, probe = new_probe()
    send_request(conn, "in-flight", "tools/call", {"name": "hang", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)

    handle.runtime.kill(old)

    error = wait_answer(conn, "in-flight")["error"]
    assert error["code"] == -32603
    assert "retry" in error["message"]
    assert probe.finished.wait(WAIT)
    wait_restarted(handle, name, old)
    assert conn.request("ping") == {}
    assert len(answers(conn, "in-flight")) == 1
    conn.close()


def test_a_request_sent_right_after_a_kill_reaches_the_restarted_session(handle):
    conn = MemoryConnection.open(handle)
    call(conn, "state_set", key="n", value=3)
    name = session_name(handle, conn)
    old = handle.runtime.whereis(name)
    assert old is not None
    handle.runtime.kill(old)
    # No wait for the restart: the transport's sink finds the new incarnation by name.
    assert call(conn, "state_get", key="n") == 3
    assert handle.runtime.whereis(name) is not old
    conn.close()


def test_deleted_state_stays_deleted_after_a_restart(handle):
    conn = MemoryConnection.open(handle)
    call(conn, "state_set", key="gone", value=1)
    call(conn, "state_set", key="kept", value=2)
    call(conn, "state_set_none", key="none")
    call(conn, "state_delete", key="gone")
    call(conn, "state_delete", key="none")
    assert call(conn, "state_get", key="none") == "<missing>"
    _, state = stored(handle, conn.session_id)
    assert state == {"kept": 2}
    name = session_name(handle, conn)
    old = handle.runtime.whereis(name)
    assert old is not None
    handle.runtime.kill(old)
    wait_restarted(handle, name, old)
    assert call(conn, "state_get", key="gone") == "<missing>"
    assert call(conn, "state_get", key="kept") == 2
    conn.close()


@pytest.mark.parametrize("tool", ["exit_now", "raise_base"])
def test_a_handler_raising_a_base_exception_is_answered_and_crashes_nothing(handle, tool: str):
    conn = MemoryConnection.open(handle)
    name = session_name(handle, conn)
    ref = handle.runtime.whereis(name)
    with pytest.raises(McpError) as info:
        conn.request("tools/call", {"name": tool, "arguments": {}}, timeout=WAIT)
    assert info.value.code == -32603
    assert ("SystemExit" if tool == "exit_now" else "Escape") in info.value.message
    # Neither the session nor the runtime's loop went down.
    assert handle.runtime.loop.is_running()
    assert handle.runtime.whereis(name) is ref
    assert conn.request("ping") == {}
    conn.close()


@pytest.mark.parametrize("how", ["kill", "crash", "close", "end_session"])
def test_a_sync_handler_in_flight_sees_cancelled_when_its_session_goes(
    handle, monkeypatch, how: str
):
    _crash_on("test/crash", monkeypatch)
    conn = MemoryConnection.open(handle)
    assert conn.session_id is not None
    key, probe = new_probe()
    send_request(conn, "sync", "tools/call", {"name": "poll_cancel", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)
    if how == "kill":
        handle.runtime.kill(handle.runtime.whereis(session_name(handle, conn)))
    elif how == "crash":
        conn.notify("test/crash")
    elif how == "close":
        conn.close()
    else:
        handle.end_session(conn.session_id).get(timeout=WAIT)
    assert probe.finished.wait(WAIT)
    assert probe.seen["cancelled"] is True
    # Answered at most once, and never with a result.
    if how in ("kill", "crash"):
        assert wait_answer(conn, "sync")["error"]["code"] == -32603
        assert conn.request("ping") == {}
    assert [a for a in answers(conn, "sync") if "result" in a] == []
    assert len(answers(conn, "sync")) <= 1
    conn.close()


# -- ending a session ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["close", "end_session"])
def test_ending_a_session_deletes_its_state_and_cancels_its_requests(handle, how: str):
    conn = MemoryConnection.open(handle)
    other = MemoryConnection.open(handle)
    call(conn, "state_set", key="n", value=1)
    call(other, "state_set", key="n", value=2)
    assert handle.store.ask(("count",), timeout=5) == 2
    assert stored(handle, conn.session_id) is not None
    name = session_name(handle, conn)
    key, probe = new_probe()
    send_request(conn, "in-flight", "tools/call", {"name": "hang", "arguments": {"key": key}})
    assert probe.started.wait(WAIT)

    if how == "close":
        conn.close()
    else:
        assert conn.session_id is not None
        handle.end_session(conn.session_id).get(timeout=WAIT)

    assert probe.finished.wait(WAIT), "the in-flight request was not cancelled"
    wait_until(lambda: handle.runtime.whereis(name) is None, "the session to end")
    wait_until(lambda: stored(handle, conn.session_id) is None, "the state to be deleted")
    assert handle.store.ask(("count",), timeout=5) == 1
    assert conn._closed.is_set()  # the transport was told
    # Ended, not crashed: it is not restarted.
    assert handle.runtime.whereis(name) is None
    # The cancelled request got no result (at most an error saying the session ended).
    assert all("error" in a for a in answers(conn, "in-flight"))
    # A request to the ended session is refused, not left waiting.
    with pytest.raises(McpError) as info:
        conn.request("ping", timeout=WAIT)
    assert info.value.code == -32600
    assert "ended" in info.value.message
    # The other session is untouched.
    assert call(other, "state_get", key="n") == 2
    other.close()
    wait_until(lambda: handle.store.ask(("count",), timeout=5) == 0, "every state deleted")


def test_end_session_of_an_unknown_id_resolves(handle):
    assert handle.end_session("no-such-session").get(timeout=WAIT) is None


def test_max_sessions_refuses_one_more_session_until_one_ends():
    srv = fastestmcp.server("two-at-most", max_sessions=2)
    with start(srv) as h:
        first, second = MemoryConnection.open(h), MemoryConnection.open(h)
        with pytest.raises(MaxChildrenError):
            MemoryConnection.open(h, timeout=WAIT)
        first.close()
        wait_until(
            lambda: h.runtime.whereis(f"two-at-most:session:{first.session_id}") is None,
            "the first session to end",
        )
        third = MemoryConnection.open(h, timeout=WAIT)
        assert third.request("ping") == {}
        second.close()
        third.close()


def test_sync_handlers_share_a_bounded_pool_that_never_blocks_the_session():
    srv = build()

    @srv.tool
    async def add_async(a: int, b: int) -> int:
        return a + b

    h = start(srv, pool_size=2)
    try:
        conn = MemoryConnection.open(h)
        probes = [new_probe() for _ in range(3)]
        futures = [
            conn.request_future("tools/call", {"name": "gate_sync", "arguments": {"key": key}})
            for key, _ in probes
        ]
        assert probes[0][1].started.wait(WAIT)
        assert probes[1][1].started.wait(WAIT)
        # Both pool threads are taken: the third sync call waits for one...
        assert not probes[2][1].started.wait(0.2)
        # ...while the session and async handlers go on.
        assert conn.request("ping") == {}
        assert call(conn, "add_async", a=1, b=2) == 3
        for _, probe in probes:
            probe.release.set()
        assert [f.get(timeout=WAIT)["structuredContent"]["result"] for f in futures] == [
            "released"
        ] * 3
        conn.close()
    finally:
        h.stop()


# -- lifespans and stop ----------------------------------------------------------------------


def test_stop_exits_lifespans_last_in_reverse_order_after_sessions_are_gone():
    events: list[Any] = []
    holder: dict[str, Any] = {}

    async def first(server: Server) -> AsyncIterator[dict[str, Any]]:
        events.append("enter first")
        yield {"db": "db-1", "shared": "first"}
        h: ServerHandle = holder["handle"]
        events.append(
            (
                "exit first",
                h.runtime.whereis(holder["session"]) is None,
                h.runtime.whereis(f"{server.name}:sessions") is None,
            )
        )

    @contextlib.asynccontextmanager
    async def second_cm() -> AsyncIterator[dict[str, Any]]:
        events.append("enter second")
        try:
            yield {"cache": "cache-2", "shared": "second"}
        finally:
            events.append("exit second")

    def second(server: Server) -> contextlib.AbstractAsyncContextManager[dict[str, Any]]:
        return second_cm()

    srv = fastestmcp.server("lifespans", lifespan=[first, second])

    @srv.tool
    def resources(ctx: Context) -> dict[str, Any]:
        return dict(ctx.lifespan_context)

    @srv.tool
    async def hang(key: str) -> str:
        probe = PROBES[key]
        probe.started.set()
        try:
            await asyncio.sleep(30)
            return "finished"
        finally:
            events.append("tool finally")

    handle = start(srv)
    holder["handle"] = handle
    try:
        assert events == ["enter first", "enter second"]
        conn = MemoryConnection.open(handle)
        holder["session"] = f"lifespans:session:{conn.session_id}"
        assert structured(conn, "resources") == {
            "db": "db-1",
            "cache": "cache-2",
            "shared": "second",
        }
        key, probe = new_probe()
        send_request(conn, "in-flight", "tools/call", {"name": "hang", "arguments": {"key": key}})
        assert probe.started.wait(WAIT)
    finally:
        handle.stop()
    assert events == [
        "enter first",
        "enter second",
        "tool finally",
        "exit second",
        ("exit first", True, True),
    ]
    assert conn._closed.is_set()


def test_a_server_on_a_shared_runtime_stops_and_starts_again(runtime):
    events: list[str] = []

    async def lifespan(server: Server) -> AsyncIterator[None]:
        events.append("enter")
        yield
        events.append("exit")

    srv = fastestmcp.server("shared", lifespan=lifespan)

    @srv.tool
    def add(a: int, b: int) -> int:
        return a + b

    for round_ in range(2):
        h = start(srv, runtime=runtime)
        conn = MemoryConnection.open(h)
        assert call(conn, "add", a=round_, b=1) == round_ + 1
        h.stop()
        assert conn._closed.is_set()
        assert runtime.whereis("shared:tree") is None
        assert runtime.whereis("shared:sessions") is None
    assert events == ["enter", "exit", "enter", "exit"]
    assert runtime.running


def test_a_failing_lifespan_makes_start_raise_and_unwinds_the_entered_ones():
    events: list[str] = []

    async def opened(server: Server) -> AsyncIterator[None]:
        events.append("enter opened")
        try:
            yield
        finally:
            events.append("exit opened")

    async def broken(server: Server) -> AsyncIterator[None]:
        events.append("enter broken")
        if events:  # always: fail on entering
            raise ConnectionError("database unreachable")
        yield  # pragma: no cover

    async def never(server: Server) -> AsyncIterator[None]:
        events.append("enter never")
        yield

    srv = fastestmcp.server("broken-lifespan", lifespan=[opened, broken, never])
    threads_before = set(threading.enumerate())
    with pytest.raises(StartChildError) as info:
        start(srv)
    assert "ConnectionError('database unreachable')" in str(info.value)
    assert events == ["enter opened", "enter broken", "exit opened"]
    # start() stopped the runtime it had started.
    wait_until(
        lambda: (
            not [
                t
                for t in set(threading.enumerate()) - threads_before
                if t.is_alive() and "broken-lifespan" in t.name
            ]
        ),
        "the runtime thread to stop",
    )


def test_the_session_state_store_is_pluggable() -> None:
    """start(server, state_store=...) runs a SessionStateStore subclass in the tree; sessions
    keep their state through it, and an ended session's state is deleted through it."""
    calls: list[tuple[str, str]] = []

    class RecordingStore(SessionStateStore):
        def set(self, session_id: str, key: str, value: Any) -> None:
            calls.append(("set", key))
            super().set(session_id, key, value)

        def delete(self, session_id: str) -> None:
            calls.append(("delete", session_id))
            super().delete(session_id)

    app = fastestmcp.server("pluggable")

    @app.tool
    async def keep(value: str, ctx: Context) -> str:
        previous = await ctx.get_state("v", "")
        await ctx.set_state("v", value)
        return str(previous)

    with pytest.raises(TypeError, match="SessionStateStore subclass"):
        start(app, state_store=dict)  # type: ignore[arg-type]
    handle = start(app, state_store=RecordingStore)
    try:
        conn = MemoryConnection.open(handle)
        conn.request("tools/call", {"name": "keep", "arguments": {"value": "x"}})
        # The session tells the store before it answers, so this ask queues behind the write.
        meta_and_state = handle.store.ask(("load", conn.session_id), timeout=5)
        assert meta_and_state[1] == {"v": "x"}
        assert ("set", "v") in calls
        conn.close()
        assert handle.store.ask(("count",), timeout=5) == 0
        assert ("delete", conn.session_id) in calls
    finally:
        handle.stop()


def test_state_operations_from_the_sessions_own_task_complete_at_once() -> None:
    """An async handler's state operations are handled while it runs (the session is idle:
    nothing else is queued), so their futures are done when they are returned; from a sync
    handler in the tool pool they still travel as messages. Either way the values agree."""
    app = fastestmcp.server("direct-ops")

    @app.tool
    async def bump(ctx: Context) -> list[Any]:
        read = ctx.get_state("n", 0)
        at_once = read.done()
        n = await read
        written = ctx.set_state("n", n + 1)
        at_once = at_once and written.done()
        await written
        return [at_once, await ctx.get_state("n", 0)]

    @app.tool
    def bump_sync(ctx: Context) -> int:
        n = ctx.get_state("n", 0).get(timeout=5)
        ctx.set_state("n", n + 1).get(timeout=5)
        return int(ctx.get_state("n", 0).get(timeout=5))

    with fastestmcp.start(app) as handle:
        conn = MemoryConnection.open(handle)
        first = conn.request("tools/call", {"name": "bump", "arguments": {}})
        assert first["structuredContent"]["result"] == [True, 1]
        second = conn.request("tools/call", {"name": "bump_sync", "arguments": {}})
        assert second["structuredContent"]["result"] == 2
        third = conn.request("tools/call", {"name": "bump", "arguments": {}})
        assert third["structuredContent"]["result"] == [True, 3]
        conn.close()
