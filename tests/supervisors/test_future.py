"""LoopFuture: a thread-safe pykka future that an event loop can await without blocking.

The rules under test are the ones at the top of `supervisors/_future.py` (and DESIGN.md, "The
actor runtime"): set once from any thread, `.get()` from threads, `await` on a loop, a blocking
`.get()` on a loop thread is an error, derived futures (`map`/`filter`/`reduce`/`join`) are set
eagerly so they can be awaited too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, TypeVar

import pykka
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervisors import BlockingOnLoopError, LoopFuture, wrap_future
from supervisors._future import fail

T = TypeVar("T")

WAIT = 5.0  # bound on every wait that should succeed


# -- helpers ------------------------------------------------------------------------------------


class LoopThread:
    """An asyncio loop running in a daemon thread, for tests that need a loop elsewhere."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread("test-loop")
    try:
        yield lt
    finally:
        lt.close()


def in_thread(fn: Callable[[], object]) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll a condition with a bound (used only for 'a waiter has registered')."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


def n_thread_waiters(f: LoopFuture[Any]) -> int:
    return len(f._waiters or ())


def n_loop_waiters(f: LoopFuture[Any]) -> int:
    return len(f._loops or ())


def _raise_here(message: str) -> None:
    raise ValueError(message)


# -- set / get across threads -------------------------------------------------------------------


def test_set_in_one_thread_wakes_getters_blocked_in_others() -> None:
    f: LoopFuture[str] = LoopFuture()
    results: list[str] = []
    getters = [in_thread(lambda: results.append(f.get(timeout=WAIT))) for _ in range(3)]
    wait_until(lambda: n_thread_waiters(f) == 3, "three blocked getters")
    assert not f.done()
    setter = in_thread(lambda: f.set("v"))
    for t in [*getters, setter]:
        t.join(WAIT)
    assert results == ["v", "v", "v"]
    assert f.done()
    assert f.result() == "v"
    assert f.exception() is None
    # The value can be read again, without blocking.
    assert f.get(timeout=0) == "v"


def test_set_before_get_returns_at_once_and_set_none_is_a_value() -> None:
    f: LoopFuture[None] = LoopFuture()
    f.set()
    assert f.done()
    assert f.get(timeout=0) is None


def test_get_timeout_raises_pykka_timeout_and_future_stays_usable() -> None:
    f: LoopFuture[int] = LoopFuture()
    with pytest.raises(pykka.Timeout):
        f.get(timeout=0.05)
    with pytest.raises(pykka.Timeout):
        f.get(timeout=0)
    assert not f.done()
    assert n_thread_waiters(f) == 0  # timed-out getters leave no waiter behind
    with pytest.raises(asyncio.InvalidStateError):
        f.result()
    f.set(7)
    assert f.get(timeout=0) == 7


def test_second_set_raises_queue_full_and_keeps_the_first_value() -> None:
    f: LoopFuture[int] = LoopFuture()
    f.set(1)
    with pytest.raises(queue.Full):
        f.set(2)
    with pytest.raises(queue.Full):
        f.set_exception(ValueError("late"))
    assert f.get(timeout=0) == 1

    g: LoopFuture[int] = LoopFuture()
    g.set_exception(ValueError("first"))
    with pytest.raises(queue.Full):
        g.set(3)
    with pytest.raises(ValueError, match="first"):
        g.get(timeout=0)


def test_exception_is_reraised_in_the_getting_thread_with_its_traceback() -> None:
    f: LoopFuture[None] = LoopFuture()

    def produce() -> None:
        try:
            _raise_here("boom")
        except ValueError:
            f.set_exception()  # the exception being handled (sys.exc_info())

    in_thread(produce).join(WAIT)
    caught: list[BaseException] = []

    def consume() -> None:
        try:
            f.get(timeout=WAIT)
        except ValueError as exc:
            caught.append(exc)

    in_thread(consume).join(WAIT)
    assert len(caught) == 1
    assert str(caught[0]) == "boom"
    assert f.exception() is caught[0]
    frames = [frame.name for frame in traceback.extract_tb(caught[0].__traceback__)]
    assert "_raise_here" in frames, frames
    assert "produce" in frames, frames
    # Raised again on every get, still the same object.
    with pytest.raises(ValueError, match="boom") as again:
        f.get(timeout=0)
    assert again.value is caught[0]


@pytest.mark.parametrize("form", ["instance", "exc_info", "fail"])
def test_set_exception_accepts_an_instance_a_triple_or_fail(form: str) -> None:
    try:
        _raise_here(form)
    except ValueError as exc:
        error = exc
        info = sys.exc_info()
    f: LoopFuture[None] = LoopFuture()
    if form == "instance":
        f.set_exception(error)
    elif form == "exc_info":
        f.set_exception(info)
    else:
        fail(f, error)
    with pytest.raises(ValueError, match=form) as raised:
        f.get(timeout=0)
    assert raised.value is error
    assert "_raise_here" in [fr.name for fr in traceback.extract_tb(raised.value.__traceback__)]


def test_exception_type_only_triple_is_instantiated() -> None:
    f: LoopFuture[None] = LoopFuture()
    f.set_exception((KeyError, None, None))
    with pytest.raises(KeyError):
        f.get(timeout=0)


def test_done_callback_runs_in_the_setting_thread_or_at_once_when_done() -> None:
    f: LoopFuture[int] = LoopFuture()
    seen: list[tuple[int, int]] = []
    f.add_done_callback(lambda fut: seen.append((fut.result(), threading.get_ident())))
    setter_ident: list[int] = []

    def setter() -> None:
        setter_ident.append(threading.get_ident())
        f.set(5)

    in_thread(setter).join(WAIT)
    assert seen == [(5, setter_ident[0])]
    f.add_done_callback(lambda fut: seen.append((fut.result() + 1, threading.get_ident())))
    assert seen[1] == (6, threading.get_ident())


# -- awaiting on a loop -------------------------------------------------------------------------


def test_await_on_a_loop_while_another_thread_sets_does_not_block_the_loop() -> None:
    f: LoopFuture[str] = LoopFuture()
    heartbeats_seen = threading.Event()

    async def heartbeat() -> None:
        for _ in range(3):
            await asyncio.sleep(0.001)
        heartbeats_seen.set()

    beats_before_set: list[bool] = []

    def setter() -> None:
        # Set once the loop has run other tasks while `await f` was pending: proof that the
        # await suspends the coroutine instead of blocking the loop thread.
        beats_before_set.append(heartbeats_seen.wait(WAIT))
        f.set("from a thread")

    async def main() -> tuple[str, int]:
        beat = asyncio.create_task(heartbeat())
        asyncio.get_running_loop().call_soon(in_thread, setter)
        value = await asyncio.wait_for(f, WAIT)
        await beat
        return value, threading.get_ident()

    value, ident = asyncio.run(main())
    assert value == "from a thread"
    assert ident == threading.get_ident()
    assert beats_before_set == [True]


def test_await_reraises_the_exception_set_from_another_thread() -> None:
    f: LoopFuture[None] = LoopFuture()

    def setter() -> None:
        try:
            _raise_here("awaited boom")
        except ValueError:
            f.set_exception()

    async def main() -> None:
        asyncio.get_running_loop().call_soon(in_thread, setter)
        await asyncio.wait_for(f, WAIT)

    with pytest.raises(ValueError, match="awaited boom") as raised:
        asyncio.run(main())
    assert "_raise_here" in [fr.name for fr in traceback.extract_tb(raised.value.__traceback__)]


def test_await_and_set_on_the_same_loop_wakes_directly() -> None:
    async def main() -> list[int]:
        f: LoopFuture[int] = LoopFuture()
        g = f.map(lambda v: v * 2)
        asyncio.get_running_loop().call_soon(f.set, 21)
        return [await f, await g, await f]  # a done future awaits to its value again

    assert asyncio.run(main()) == [21, 42, 21]


def test_cancelled_await_does_not_break_later_setters_or_other_awaiters(
    loop_thread: LoopThread,
) -> None:
    f: LoopFuture[str] = LoopFuture()

    async def start_two_awaiters() -> tuple[asyncio.Task[str], asyncio.Task[str]]:
        doomed = asyncio.ensure_future(f.wait())
        survivor = asyncio.ensure_future(f.wait())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return doomed, survivor

    doomed, survivor = loop_thread.run(start_two_awaiters())
    assert n_loop_waiters(f) == 2

    async def cancel() -> bool:
        doomed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await doomed
        return doomed.cancelled()

    assert loop_thread.run(cancel()) is True
    assert n_loop_waiters(f) == 1  # the cancelled awaiter unregistered itself

    in_thread(lambda: f.set("later")).join(WAIT)  # a setter in another thread does not raise

    async def collect() -> str:
        return await asyncio.wait_for(survivor, WAIT)

    assert loop_thread.run(collect()) == "later"
    assert f.get(timeout=0) == "later"


def test_cancel_racing_a_set_from_another_thread_never_raises_in_the_setter() -> None:
    errors: list[BaseException] = []

    async def main() -> None:
        for _ in range(200):
            f: LoopFuture[int] = LoopFuture()
            task = asyncio.ensure_future(f.wait())
            await asyncio.sleep(0)

            def setter(fut: LoopFuture[int] = f) -> None:
                try:
                    fut.set(1)
                except BaseException as exc:
                    errors.append(exc)

            t = in_thread(setter)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            t.join(WAIT)
            assert f.get(timeout=0) == 1

    asyncio.run(main())
    assert errors == []


def test_blocking_get_on_a_loop_thread_raises_while_pending_but_done_is_fine() -> None:
    async def main() -> tuple[int, int]:
        f: LoopFuture[int] = LoopFuture()
        with pytest.raises(BlockingOnLoopError, match="await"):
            f.get(timeout=1)
        with pytest.raises(BlockingOnLoopError):
            f.get()
        f.set(3)
        done: LoopFuture[int] = LoopFuture()
        done.set(4)
        return f.get(), done.get(timeout=0)

    assert asyncio.run(main()) == (3, 4)


def test_blocking_get_of_a_pending_wrapped_future_on_a_loop_raises() -> None:
    """A get-hook future (a wrapped ThreadingFuture) must not stall the loop either."""

    async def main() -> str:
        tf: pykka.ThreadingFuture[str] = pykka.ThreadingFuture()
        wrapped = wrap_future(tf)
        joined = LoopFuture[str]().join(tf)
        with pytest.raises(BlockingOnLoopError):  # not a pykka.Timeout after stalling 2 s
            wrapped.get(timeout=2)
        with pytest.raises(BlockingOnLoopError):
            joined.get(timeout=2)
        tf.set("ready")
        return wrapped.get()  # ready: fine on the loop

    assert asyncio.run(main()) == "ready"


def test_wait_with_timeout_raises_pykka_timeout_then_returns_once_set(
    loop_thread: LoopThread,
) -> None:
    f: LoopFuture[int] = LoopFuture()

    async def timed_out() -> bool:
        try:
            await f.wait(0.05)
        except pykka.Timeout:
            return True
        return False

    assert loop_thread.run(timed_out()) is True
    assert not f.done()
    assert n_loop_waiters(f) == 0
    pending = loop_thread.submit(f.wait(WAIT))
    in_thread(lambda: f.set(9)).join(WAIT)
    assert pending.result(WAIT) == 9
    assert loop_thread.run(f.wait(0)) == 9  # done: no timeout applies
    assert loop_thread.run(f.wait()) == 9


# -- derived futures ----------------------------------------------------------------------------


def test_map_filter_reduce_join_are_set_eagerly_and_can_be_got_from_a_thread() -> None:
    src: LoopFuture[Iterable[int]] = LoopFuture()
    other: LoopFuture[str] = LoopFuture()
    mapped = src.map(lambda v: len(list(v)))
    filtered = src.filter(lambda v: v % 2 == 0)
    reduced = src.reduce(lambda acc, v: acc + v, 100)
    joined = src.join(other)
    derived: list[LoopFuture[Any]] = [mapped, filtered, reduced, joined]
    assert not any(d.done() for d in derived)
    in_thread(lambda: src.set([1, 2, 3, 4])).join(WAIT)
    # Set by the source's setter, before anyone asked: no get-hook, nothing lazy.
    assert mapped.done()
    assert filtered.done()
    assert reduced.done()
    assert not joined.done()
    in_thread(lambda: other.set("x")).join(WAIT)
    assert joined.done()
    assert mapped.get(timeout=WAIT) == 4
    assert list(filtered.get(timeout=WAIT)) == [2, 4]
    assert reduced.get(timeout=WAIT) == 110
    assert list(joined.get(timeout=WAIT)) == [[1, 2, 3, 4], "x"]


def test_derived_futures_can_be_awaited_on_a_loop_while_set_from_threads(
    loop_thread: LoopThread,
) -> None:
    src: LoopFuture[Iterable[int]] = LoopFuture()
    other: LoopFuture[int] = LoopFuture()

    async def await_all() -> list[Any]:
        return [
            await src.map(sum),
            list(await src.filter(lambda v: v > 1)),
            await src.reduce(lambda a, b: a * b),
            list(await src.join(other)),
        ]

    pending = loop_thread.submit(await_all())
    wait_until(lambda: src._callbacks is not None, "the awaiting coroutine to derive")
    in_thread(lambda: src.set([1, 2, 3])).join(WAIT)
    in_thread(lambda: other.set(7)).join(WAIT)
    assert pending.result(WAIT) == [6, [2, 3], 6, [[1, 2, 3], 7]]


def test_errors_flow_through_derived_futures() -> None:
    src: LoopFuture[int] = LoopFuture()
    mapped = src.map(lambda v: 1 // v)
    not_iterable = src.filter(lambda v: True)  # type: ignore[misc,var-annotated]
    src.set(0)
    with pytest.raises(ZeroDivisionError):
        mapped.get(timeout=WAIT)
    with pytest.raises(TypeError):
        not_iterable.get(timeout=WAIT)

    bad: LoopFuture[int] = LoopFuture()
    good: LoopFuture[int] = LoopFuture()
    joined = good.join(bad)
    good.set(1)
    bad.set_exception(KeyError("missing"))

    async def main() -> None:
        await joined

    with pytest.raises(KeyError, match="missing"):
        asyncio.run(main())


def test_join_with_a_threading_future_can_be_got_and_awaited(loop_thread: LoopThread) -> None:
    lf: LoopFuture[int] = LoopFuture()
    tf: pykka.ThreadingFuture[int] = pykka.ThreadingFuture()
    joined = lf.join(tf)

    async def await_joined() -> list[int]:
        return list(await joined)

    pending = loop_thread.submit(await_joined())
    lf.set(1)
    in_thread(lambda: tf.set(2)).join(WAIT)
    assert pending.result(WAIT) == [1, 2]
    assert list(joined.get(timeout=WAIT)) == [1, 2]


def test_pykka_get_all_collects_loop_futures_in_order_and_times_out() -> None:
    futures: list[LoopFuture[int]] = [LoopFuture() for _ in range(3)]
    setters = [in_thread(functools.partial(f.set, i)) for i, f in enumerate(reversed(futures))]
    for t in setters:
        t.join(WAIT)
    assert list(pykka.get_all(futures, timeout=WAIT)) == [2, 1, 0]

    missing: list[LoopFuture[int]] = [LoopFuture(), LoopFuture()]
    missing[0].set(1)
    with pytest.raises(pykka.Timeout):
        pykka.get_all(missing, timeout=0.05)


def test_wrap_future_of_a_threading_future_can_be_awaited_and_got(
    loop_thread: LoopThread,
) -> None:
    tf: pykka.ThreadingFuture[str] = pykka.ThreadingFuture()
    wrapped = wrap_future(tf)
    beats: list[int] = []

    async def await_wrapped() -> str:
        async def heartbeat() -> None:
            for i in range(3):
                await asyncio.sleep(0.001)
                beats.append(i)

        value, _ = await asyncio.gather(wrapped, heartbeat())
        return value

    pending = loop_thread.submit(await_wrapped())
    wait_until(lambda: len(beats) == 3, "the loop to keep running while awaiting")
    in_thread(lambda: tf.set("threaded")).join(WAIT)
    assert pending.result(WAIT) == "threaded"
    assert wrapped.get(timeout=WAIT) == "threaded"

    lf: LoopFuture[int] = LoopFuture()
    assert wrap_future(lf) is lf

    failing: pykka.ThreadingFuture[str] = pykka.ThreadingFuture()
    failing.set_exception((ValueError, ValueError("threaded boom"), None))
    with pytest.raises(ValueError, match="threaded boom"):
        loop_thread.run(wrap_future(failing).wait(WAIT))


def test_wait_with_timeout_on_a_wrapped_future_raises_pykka_timeout(
    loop_thread: LoopThread,
) -> None:
    tf: pykka.ThreadingFuture[str] = pykka.ThreadingFuture()

    async def timed_out() -> bool:
        try:
            await wrap_future(tf).wait(0.05)
        except pykka.Timeout:
            return True
        return False

    assert loop_thread.run(timed_out()) is True
    tf.set("unblocks the executor thread")


# -- no lost wake-ups ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_loops() -> Iterator[list[LoopThread]]:
    loops = [LoopThread("loop-a"), LoopThread("loop-b")]
    try:
        yield loops
    finally:
        for lt in loops:
            lt.close()


WAITER_KINDS = st.sampled_from(["get", "poll", "await-a", "await-b", "callback"])
SETTER_PLACES = st.sampled_from(["thread", "loop-a", "loop-b"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    waiters=st.lists(st.tuples(WAITER_KINDS, st.integers(0, 3)), min_size=1, max_size=8),
    setter=st.tuples(SETTER_PLACES, st.integers(0, 3), st.booleans()),
)
def test_random_interleavings_of_setters_and_waiters_never_lose_a_wake_up(
    two_loops: list[LoopThread],
    waiters: list[tuple[str, int]],
    setter: tuple[str, int, bool],
) -> None:
    """Every waiter (blocking get, polling get with tiny timeouts, await on either loop, done
    callback) sees the value, whatever the order of registration and set."""
    f: LoopFuture[int] = LoopFuture()
    place, setter_yields, as_exception = setter
    loops = {"loop-a": two_loops[0], "loop-b": two_loops[1]}
    barrier = threading.Barrier(len(waiters) + 1)
    outcomes: list[queue.Queue[object]] = [queue.Queue() for _ in waiters]

    def outcome_of(get: Callable[[], int]) -> object:
        try:
            return get()
        except KeyError as exc:
            return exc
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            return ("unexpected", exc)

    def poll() -> int:
        for _ in range(int(WAIT / 0.001)):
            try:
                return f.get(timeout=0.001)
            except pykka.Timeout:
                continue
        raise AssertionError("poll never saw the value")

    def run_waiter(kind: str, yields: int, out: queue.Queue[object]) -> None:
        barrier.wait(WAIT)
        for _ in range(yields):
            time.sleep(0)
        if kind == "get":
            out.put(outcome_of(lambda: f.get(timeout=WAIT)))
        elif kind == "poll":
            out.put(outcome_of(poll))
        elif kind == "callback":
            f.add_done_callback(lambda fut: out.put(outcome_of(fut.result)))
        else:

            async def await_it() -> None:
                try:
                    out.put(await f.wait(WAIT))
                except KeyError as exc:
                    out.put(exc)
                except BaseException as exc:  # pragma: no cover
                    out.put(("unexpected", exc))

            asyncio.run_coroutine_threadsafe(await_it(), loops["loop-" + kind[-1]].loop)

    def do_set() -> None:
        if as_exception:
            f.set_exception(KeyError("k"))
        else:
            f.set(42)

    threads = [
        in_thread(functools.partial(run_waiter, kind, yields, out))
        for (kind, yields), out in zip(waiters, outcomes, strict=True)
    ]
    barrier.wait(WAIT)
    for _ in range(setter_yields):
        time.sleep(0)
    if place == "thread":
        do_set()
    else:
        loops[place].loop.call_soon_threadsafe(do_set)
    for t in threads:
        t.join(WAIT)
    for (kind, _), out in zip(waiters, outcomes, strict=True):
        got = out.get(timeout=WAIT)
        if as_exception:
            assert isinstance(got, KeyError), (kind, got)
        else:
            assert got == 42, (kind, got)
