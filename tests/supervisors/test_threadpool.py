"""LoopThreadPool: bounded threads, results and errors delivered to the loop, shutdown."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time

import pytest

from supervisors.threadpool import LoopThreadPool

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def run(coro_fn: object) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(10):
            await coro_fn()  # type: ignore[operator]

    asyncio.run(bounded())


def test_results_arrive_on_the_loop_from_pool_threads() -> None:
    async def main() -> None:
        pool = LoopThreadPool(4)
        loop_thread = threading.get_ident()

        def job(i: int) -> tuple[int, int]:
            return i, threading.get_ident()

        results = await asyncio.gather(*(pool.run(functools.partial(job, i)) for i in range(50)))
        assert [i for i, _ in results] == list(range(50))
        assert all(ident != loop_thread for _, ident in results)
        pool.shutdown()

    run(main)


def test_exceptions_base_exceptions_included_reach_the_awaiter() -> None:
    class Stop(BaseException):
        pass

    def fail() -> None:
        raise ValueError("boom")

    def stop() -> None:
        raise Stop

    async def main() -> None:
        pool = LoopThreadPool(2)
        with pytest.raises(ValueError, match="boom"):
            await pool.run(fail)
        with pytest.raises(Stop):
            await pool.run(stop)
        assert await pool.run(lambda: "still serving") == "still serving"
        pool.shutdown()

    run(main)


def test_a_stop_iteration_reaches_the_awaiter_and_loses_no_other_result() -> None:
    # An asyncio Future refuses StopIteration (PEP 479): delivered as it was, it raised in the
    # loop callback that hands out a batch of results, so that call and every other result of
    # the batch were never delivered (their awaiters hung).
    def stop() -> None:
        raise StopIteration("done early")

    def block_the_loop_until_both_are_done(pool: LoopThreadPool) -> None:
        # Both results then go out in one batch.
        deadline = time.monotonic() + 10
        while len(pool._done) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)

    async def main() -> None:
        pool = LoopThreadPool(2)
        stopped, fine = pool.run(stop), pool.run(lambda: "fine")
        block_the_loop_until_both_are_done(pool)
        with pytest.raises(RuntimeError, match="StopIteration") as info:
            await stopped
        assert isinstance(info.value.__cause__, StopIteration)
        assert await fine == "fine"
        pool.shutdown()

    run(main)


def test_the_callers_context_goes_with_the_call() -> None:
    async def main() -> None:
        pool = LoopThreadPool(1)
        VAR.set("from the caller")
        assert await pool.run(VAR.get) == "from the caller"
        assert await pool.run(VAR.get, copy_context=False) == "unset"
        pool.shutdown()

    run(main)


def test_never_more_threads_than_max_workers_and_they_are_reused() -> None:
    async def main() -> None:
        pool = LoopThreadPool(3)
        gate = threading.Event()
        running = threading.Semaphore(0)

        def blocked() -> int:
            running.release()
            gate.wait(5)
            return threading.get_ident()

        futures = [pool.run(blocked) for _ in range(10)]
        loop = asyncio.get_running_loop()
        for _ in range(3):  # three start; the rest wait in the queue
            assert await loop.run_in_executor(None, running.acquire, True, 5)
        assert pool.threads == 3
        gate.set()
        idents = set(await asyncio.gather(*futures))
        assert len(idents) == 3
        for _ in range(20):
            await pool.run(lambda: None)
        assert pool.threads == 3
        pool.shutdown()

    run(main)


async def started_and_held(
    pool: LoopThreadPool, gate: threading.Event, result: str
) -> asyncio.Future[str]:
    """A call that has started on a pool thread and returns `result` once `gate` is set."""
    started = threading.Event()

    def held() -> str:
        started.set()
        gate.wait(5)
        return result

    future = pool.run(held)
    assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    return future


def test_a_cancelled_call_runs_on_but_its_result_is_dropped() -> None:
    async def main() -> None:
        pool = LoopThreadPool(1)
        gate = threading.Event()
        future = await started_and_held(pool, gate, "late")
        future.cancel()
        gate.set()
        assert await pool.run(lambda: "next") == "next"  # the pool delivered past it
        assert future.cancelled()
        pool.shutdown()

    run(main)


def test_shutdown_cancels_queued_calls_and_refuses_new_ones() -> None:
    async def main() -> None:
        pool = LoopThreadPool(1)
        gate = threading.Event()
        first = await started_and_held(pool, gate, "done")
        queued = pool.run(lambda: "never")
        pool.shutdown()
        with pytest.raises(asyncio.CancelledError):
            await queued
        with pytest.raises(RuntimeError, match="shut down"):
            pool.run(lambda: None)
        gate.set()
        assert await first == "done"  # a running call finishes

    run(main)


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LoopThreadPool(0)
