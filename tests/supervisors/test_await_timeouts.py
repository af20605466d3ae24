"""Awaiting on a loop with a timeout (`future.wait(t)`, `ref.ask_async(..., timeout=t)`), and
the reply path of `ask_async`.

The rules under test are the ones at the top of `supervisors/_future.py`: the timeouts of the
awaits on one loop share timers in 10 ms slots; each fires at the first slot boundary at or after
its own deadline (never early), and an await that ends early (answered, cancelled) leaves
nothing behind. `ask_async`'s reply sets the asker's own asyncio future, from the same loop or
another thread, once; a reply for an asker that gave up is dropped without error. (S25: a caller
of an actor that does not answer, or is dead, gets an error, never a hang.)
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

import pykka
import pytest

from supervisors import LoopActor, LoopActorRef, LoopFuture, Runtime, _future

WAIT = 5.0
SLOT = 0.01


def pending_slots() -> int:
    """Awaits still registered for a timeout on this thread's loop."""
    timeouts = getattr(_future._local, "timeouts", None)
    return 0 if timeouts is None else sum(len(s.waiting) for s in timeouts._slots.values())


def test_an_answered_await_leaves_nothing_in_its_slot() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        answered: LoopFuture[str] = LoopFuture()
        loop.call_later(0.01, answered.set, "yes")
        assert await answered.wait(30) == "yes"
        timeouts = _future._local.timeouts
        # The slot stays until its time (reused by later awaits), holding no future.
        assert all(not slot.waiting for slot in timeouts._slots.values())

    asyncio.run(main())


def loop_waiters(f: LoopFuture[Any]) -> int:
    return len(f._loops or ())


def test_timeouts_sharing_slots_each_fire_at_their_own_deadline_never_early() -> None:
    timeouts = [0.05, 0.051, 0.12, 0.0, 0.2]

    async def main() -> list[tuple[float, float]]:
        futures: list[LoopFuture[int]] = [LoopFuture() for _ in timeouts]
        fired: list[tuple[float, float]] = []

        async def one(f: LoopFuture[int], timeout: float) -> None:
            started = time.monotonic()
            with pytest.raises(pykka.Timeout):
                await f.wait(timeout)
            fired.append((timeout, time.monotonic() - started))

        await asyncio.wait_for(
            asyncio.gather(*(one(f, t) for f, t in zip(futures, timeouts, strict=True))), WAIT
        )
        assert all(loop_waiters(f) == 0 for f in futures)
        assert pending_slots() == 0
        return fired

    fired = asyncio.run(main())
    assert sorted(t for t, _ in fired) == sorted(timeouts)
    for timeout, elapsed in fired:
        assert elapsed >= timeout - 1e-6, (timeout, elapsed)
    # they fire in deadline order (0.05 and 0.051 may share a slot: either order there)
    order = [t for t, _ in fired]
    assert order.index(0.0) < order.index(0.05) < order.index(0.12) < order.index(0.2)
    assert order.index(0.051) < order.index(0.12)


def test_answered_and_cancelled_awaits_leave_no_timeout_behind() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        answered: LoopFuture[str] = LoopFuture()
        loop.call_later(0.01, answered.set, "yes")
        assert await answered.wait(WAIT) == "yes"
        assert pending_slots() == 0

        # set from another thread while awaited with a timeout
        from_thread: LoopFuture[int] = LoopFuture()
        threading.Timer(0.02, from_thread.set, (7,)).start()
        assert await from_thread.wait(WAIT) == 7
        assert pending_slots() == 0

        never: LoopFuture[int] = LoopFuture()
        task = asyncio.ensure_future(never.wait(WAIT))
        await asyncio.sleep(0.02)
        assert pending_slots() == 1
        assert loop_waiters(never) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pending_slots() == 0
        assert loop_waiters(never) == 0
        never.set(1)  # a later set finds nobody to wake and does not fail
        assert await never.wait(0) == 1

    asyncio.run(main())


def test_infinite_timeout_waits_and_non_positive_timeouts_time_out_at_once() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        f: LoopFuture[str] = LoopFuture()
        loop.call_later(0.05, f.set, "late")
        assert await f.wait(math.inf) == "late"
        for timeout in (0.0, -1.0, -math.inf):
            g: LoopFuture[str] = LoopFuture()
            started = time.monotonic()
            with pytest.raises(pykka.Timeout):
                await g.wait(timeout)
            assert time.monotonic() - started < WAIT  # answered, not hung
            assert loop_waiters(g) == 0
        assert pending_slots() == 0

    asyncio.run(main())


class Slow(LoopActor):
    async def on_receive(self, message: Any) -> Any:
        await asyncio.sleep(message)
        return message


def test_ask_async_with_timeout_raises_pykka_timeout_and_the_actor_lives_on() -> None:
    async def main() -> None:
        async with Runtime("timeouts", watchdog=None):
            ref = Slow.start()
            started = time.monotonic()
            with pytest.raises(pykka.Timeout):
                await ref.ask_async(0.3, timeout=0.05)
            assert time.monotonic() - started >= 0.05 - 1e-6
            assert pending_slots() == 0
            # the late answer goes nowhere; the next ask is answered in time
            assert await ref.ask_async(0.0, timeout=WAIT) == 0.0
            assert pending_slots() == 0

    asyncio.run(main())


class Echo(LoopActor):
    async def on_receive(self, message: Any) -> Any:
        if message == "slow":
            await asyncio.sleep(0.1)
            return "late"
        if message == "value-error":
            raise ValueError("bad message")
        if message == "stop-iteration":
            raise StopIteration("odd")
        return message


def record_loop_errors(errors: list[dict[str, Any]]) -> None:
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))


async def check_replies(ref: Any) -> None:
    """The reply contract of `ask_async`, wherever the actor runs."""
    assert await ref.ask_async("ping", timeout=WAIT) == "ping"
    assert await ref.ask_async(None) is None
    with pytest.raises(ValueError, match="bad message"):
        await ref.ask_async("value-error", timeout=WAIT)
    with pytest.raises(RuntimeError, match="StopIteration") as info:
        await ref.ask_async("stop-iteration", timeout=WAIT)
    assert isinstance(info.value.__cause__, StopIteration)
    assert await ref.ask_async("still alive", timeout=WAIT) == "still alive"

    # an asker that times out, and one that is cancelled: their late replies go nowhere
    with pytest.raises(pykka.Timeout):
        await ref.ask_async("slow", timeout=0.02)
    cancelled = asyncio.ensure_future(ref.ask_async("slow", timeout=WAIT))
    await asyncio.sleep(0.02)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await ref.ask_async("after", timeout=WAIT) == "after"  # answered after both "slow"s
    assert pending_slots() == 0


def test_ask_async_reply_contract_on_the_actors_own_loop() -> None:
    errors: list[dict[str, Any]] = []

    async def main() -> None:
        record_loop_errors(errors)
        async with Runtime("same-loop", watchdog=None):
            ref = Echo.start()
            await check_replies(ref)
            assert await ref.stop(block=False) is True
            with pytest.raises(pykka.ActorDeadError):
                await ref.ask_async("ping", timeout=WAIT)

    asyncio.run(main())
    assert errors == []


def test_ask_async_reply_contract_from_another_loop(runtime: Runtime) -> None:
    """The actor runs on the runtime's thread; the asker's loop is this test's own, so every
    reply crosses threads."""
    ref = runtime.spawn(Echo)
    assert isinstance(ref, LoopActorRef)
    errors: list[dict[str, Any]] = []

    async def main() -> None:
        record_loop_errors(errors)
        await check_replies(ref)

    asyncio.run(main())
    assert errors == []
    assert ref.stop(timeout=WAIT) is True

    async def after_stop() -> None:
        with pytest.raises(pykka.ActorDeadError):
            await ref.ask_async("ping", timeout=WAIT)

    asyncio.run(after_stop())
