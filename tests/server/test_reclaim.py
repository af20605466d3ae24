"""Reclaimer: one collection and one trim after a mass end of sessions, never per session."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Iterator

import pytest

import fastestmcp
from fastestmcp.server import session as session_module
from fastestmcp.server.reclaim import GC_THRESHOLD, Reclaimer, settle_gc_for_serving
from fastestmcp.transports.memory import MemoryConnection


def scheduled(reclaimer: Reclaimer) -> bool:
    return reclaimer._handle is not None


def test_a_mass_end_schedules_one_reclaim_and_resets_the_peak() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        reclaimer = Reclaimer(min_ended=10, delay=0.01)
        for _ in range(30):
            reclaimer.started()
        for _ in range(9):  # fewer than min_ended ended: nothing
            reclaimer.ended(loop)
        assert not scheduled(reclaimer)
        for _ in range(6):  # 15 ended, 15 live: not below half the peak
            reclaimer.ended(loop)
        assert not scheduled(reclaimer)
        for _ in range(11):  # 4 live: below half of 30, 26 ended
            reclaimer.ended(loop)
        assert scheduled(reclaimer)
        await asyncio.sleep(0.05)
        assert (reclaimer.reclaims, reclaimer.peak, reclaimer.live) == (1, 4, 4)
        reclaimer.ended(loop)  # the peak restarted from 4: no new reclaim
        assert not scheduled(reclaimer)

    asyncio.run(main())


def test_hooks_run_at_each_reclaim_before_the_collection() -> None:
    # A cache that would pin the ended sessions' memory lets go of it first; a failing hook is
    # logged, and neither stops the reclaim nor the other hooks.
    calls: list[str] = []
    collections_at_call: list[int] = []
    reclaimer = Reclaimer(min_ended=1, delay=3600)

    def first() -> None:
        calls.append("first")
        collections_at_call.append(gc.get_stats()[2]["collections"])

    def failing() -> None:
        calls.append("failing")
        raise RuntimeError("boom")

    def last() -> None:
        calls.append("last")

    for hook in (first, failing, last):
        reclaimer.add_hook(hook)
    reclaimer.remove_hook(last)
    reclaimer.remove_hook(last)  # (removing twice is harmless)
    full = gc.get_stats()[2]["collections"]
    reclaimer.reclaim()
    assert calls == ["first", "failing"]
    assert collections_at_call == [full]  # before the full collection
    assert gc.get_stats()[2]["collections"] > full
    assert reclaimer.reclaims == 1


def test_the_reclaim_waits_for_the_end_of_the_burst() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        reclaimer = Reclaimer(min_ended=10, delay=3600)  # the test fires the timer itself
        for _ in range(30):
            reclaimer.started()
        for _ in range(20):  # below half of the peak: scheduled
            reclaimer.ended(loop)
        assert scheduled(reclaimer)
        reclaimer.ended(loop)  # the burst goes on ...
        reclaimer.reclaim()  # ... so when the time comes, the reclaim is put off
        assert reclaimer.reclaims == 0
        assert scheduled(reclaimer)
        reclaimer.reclaim()  # nothing ended since: now
        assert (reclaimer.reclaims, reclaimer.peak, reclaimer.live) == (1, 9, 9)
        assert not scheduled(reclaimer)

    asyncio.run(main())


def test_a_trickle_of_ends_puts_the_reclaim_off_a_few_times_only() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        reclaimer = Reclaimer(min_ended=10, delay=3600, max_put_off=3)
        for _ in range(30):
            reclaimer.started()
        for _ in range(20):
            reclaimer.ended(loop)
        for _ in range(3):
            reclaimer.ended(loop)
            reclaimer.reclaim()
            assert reclaimer.reclaims == 0
        reclaimer.ended(loop)
        reclaimer.reclaim()
        assert reclaimer.reclaims == 1

    asyncio.run(main())


def test_ending_many_sessions_of_a_running_server_reclaims_once() -> None:
    app = fastestmcp.server("reclaim")

    @app.tool
    def echo(message: str) -> str:
        return message

    with fastestmcp.start(app) as handle:
        handle.reclaimer.min_ended = 20
        handle.reclaimer.delay = 0.01
        connections = [MemoryConnection.open(handle) for _ in range(30)]
        for conn in connections:
            conn.request("tools/call", {"name": "echo", "arguments": {"message": "hi"}})
        assert handle.reclaimer.live == 30
        for conn in connections:
            conn.close()
        deadline = time.monotonic() + 10
        while handle.reclaimer.reclaims == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert handle.reclaimer.reclaims == 1
        assert handle.reclaimer.live == 0


def test_context_operations_are_dispatched_by_one_interned_name_each() -> None:
    # CPython's type attribute cache keeps a reference to the name of each lookup, in a slot
    # chosen by the name's address: a method name built per operation ("_op_" + name) stayed
    # there, hundreds of small strings scattered over the arenas sessions had filled, which
    # kept those arenas from being freed after the sessions ended.
    app = fastestmcp.server("ops")

    @app.tool
    async def touch(ctx: fastestmcp.Context) -> int:
        await ctx.set_state("n", 1)
        value: int = await ctx.get_state("n", 0)
        return value

    with fastestmcp.start(app) as handle:
        conn = MemoryConnection.open(handle)
        for _ in range(2):
            conn.request("tools/call", {"name": "touch", "arguments": {}})
        conn.close()
    attrs = session_module._OP_ATTRS
    assert {"get_state", "set_state"} <= attrs.keys()
    for name, attr in attrs.items():
        assert attr is sys.intern("_op_" + name)


# -- the collector of a process that is the server's -------------------------------------------


@pytest.fixture
def gc_state() -> Iterator[None]:
    """Whatever a test does to the collector's thresholds and frozen objects is undone."""
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


@pytest.mark.usefixtures("gc_state")
def test_settling_the_collector_freezes_start_up_and_raises_the_young_thresholds() -> None:
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    settle_gc_for_serving()
    assert gc.get_freeze_count() > 0  # what start-up made is out of every later collection
    assert gc.get_threshold() == (*GC_THRESHOLD, 10)


@pytest.mark.usefixtures("gc_state")
def test_settling_the_collector_keeps_higher_thresholds_and_a_disabled_one() -> None:
    gc.set_threshold(50_000, 5, 100)  # the application's own: generation 0 higher
    settle_gc_for_serving()
    assert gc.get_threshold() == (50_000, GC_THRESHOLD[1], 100)
    gc.set_threshold(0, 10, 10)  # automatic collection off: stays off
    settle_gc_for_serving()
    assert gc.get_threshold() == (0, 10, 10)
