"""Quick sync handlers move from the thread pool to the event loop; slow ones never do, and
one that turns slow on the loop goes back to the pool for good."""

from __future__ import annotations

import threading
import time
from typing import Any

import fastestmcp
from fastestmcp import Context
from fastestmcp.server import components
from fastestmcp.transports.memory import MemoryConnection


def thread_of(conn: MemoryConnection, tool: str, **arguments: Any) -> int:
    result = conn.request("tools/call", {"name": tool, "arguments": arguments})
    assert result.get("isError") is not True, result
    return int(result["structuredContent"]["result"])


def loop_thread(handle: fastestmcp.ServerHandle) -> int:
    found: list[int] = []
    done = threading.Event()

    def record() -> None:
        found.append(threading.get_ident())
        done.set()

    handle.runtime.loop.call_soon_threadsafe(record)
    assert done.wait(10)
    return found[0]


def build(**options: Any) -> fastestmcp.Server:
    app = fastestmcp.server("inline", **options)
    slow_after: list[int] = [10**9]
    calls = [0]

    @app.tool
    def quick() -> int:
        return threading.get_ident()

    @app.tool
    def sleepy() -> int:
        time.sleep(0.001)  # over QUICK every time
        return threading.get_ident()

    @app.tool
    def with_context(ctx: Context) -> int:
        return threading.get_ident()

    @app.tool
    def turns_slow() -> int:
        calls[0] += 1
        if calls[0] > slow_after[0]:
            time.sleep(0.01)  # over SLOW
        return threading.get_ident()

    app.slow_after = slow_after  # type: ignore[attr-defined]
    return app


def test_a_quick_sync_tool_runs_on_the_loop_after_proving_quick() -> None:
    with fastestmcp.start(build()) as handle:
        loop = loop_thread(handle)
        conn = MemoryConnection.open(handle)
        first = [thread_of(conn, "quick") for _ in range(components.PROMOTE_AFTER)]
        assert loop not in first  # in the pool while it proves itself
        later = [thread_of(conn, "quick") for _ in range(5)]
        assert later == [loop] * 5
        conn.close()


def test_slow_and_context_taking_sync_tools_stay_in_the_pool() -> None:
    with fastestmcp.start(build()) as handle:
        loop = loop_thread(handle)
        conn = MemoryConnection.open(handle)
        for tool in ("sleepy", "with_context"):
            seen = {thread_of(conn, tool) for _ in range(components.PROMOTE_AFTER + 5)}
            assert loop not in seen, tool
        conn.close()


def test_the_thread_option_keeps_every_sync_tool_in_the_pool() -> None:
    with fastestmcp.start(build(sync_handlers="thread")) as handle:
        loop = loop_thread(handle)
        conn = MemoryConnection.open(handle)
        seen = {thread_of(conn, "quick") for _ in range(components.PROMOTE_AFTER + 5)}
        assert loop not in seen
        conn.close()


def promote(conn: MemoryConnection, loop: int, tool: str) -> None:
    for _ in range(components.PROMOTE_AFTER):
        thread_of(conn, tool)
    assert thread_of(conn, tool) == loop  # promoted


def test_a_tool_that_turns_slow_on_the_loop_goes_back_to_the_pool_for_good() -> None:
    app = build()
    with fastestmcp.start(app) as handle:
        loop = loop_thread(handle)
        conn = MemoryConnection.open(handle)
        promote(conn, loop, "turns_slow")
        app.slow_after[0] = 0  # type: ignore[attr-defined]
        strikes = [thread_of(conn, "turns_slow") for _ in range(components.STRIKES)]
        assert strikes == [loop] * components.STRIKES  # the slow runs were inline...
        after = {thread_of(conn, "turns_slow") for _ in range(5)}
        assert loop not in after  # ...and the last strike was the last of them
        app.slow_after[0] = 10**9  # type: ignore[attr-defined]
        again = {thread_of(conn, "turns_slow") for _ in range(components.PROMOTE_AFTER + 5)}
        assert loop not in again  # never promoted again
        conn.close()


def test_one_slow_run_now_and_then_is_forgiven() -> None:
    # A pause that is not the handler's doing (the OS preempting the loop thread, a full
    # collection) makes a quick handler look slow once in a while: that must not demote it.
    app = fastestmcp.server("inline")
    calls = [0]

    @app.tool
    def mostly_quick() -> int:
        calls[0] += 1
        if calls[0] > components.PROMOTE_AFTER and calls[0] % (components.STRIKE_WINDOW + 50) == 0:
            time.sleep(0.005)  # over SLOW, under HARD
        return threading.get_ident()

    with fastestmcp.start(app) as handle:
        loop = loop_thread(handle)
        conn = MemoryConnection.open(handle)
        promote(conn, loop, "mostly_quick")
        runs = (components.STRIKES + 2) * (components.STRIKE_WINDOW + 10)
        seen = {thread_of(conn, "mostly_quick") for _ in range(runs)}
        assert seen == {loop}  # one strike per window, never three
        conn.close()


def test_one_very_slow_run_is_enough() -> None:
    app = fastestmcp.server("inline")
    calls = [0]

    @app.tool
    def blocks_once() -> int:
        calls[0] += 1
        if calls[0] == components.PROMOTE_AFTER + 2:
            time.sleep(components.HARD * 1.5)
        return threading.get_ident()

    with fastestmcp.start(app) as handle:
        loop = loop_thread(handle)
        conn = MemoryConnection.open(handle)
        promote(conn, loop, "blocks_once")
        assert thread_of(conn, "blocks_once") == loop  # the blocking run itself
        after = {thread_of(conn, "blocks_once") for _ in range(5)}
        assert loop not in after
        conn.close()
