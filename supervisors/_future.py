# LoopFuture: a pykka.Future that an event loop can await without blocking.
#
# Rules of this module:
# - A LoopFuture is set once, from any thread (an actor on the loop, a pykka thread actor, a test).
# - `.get()` blocks the calling thread; calling it on a thread that runs an asyncio loop while the
#   future is still pending raises `BlockingOnLoopError` instead of stalling that loop.
# - `await future` suspends only the awaiting coroutine; the wake-up is delivered on the awaiting
#   loop (directly when the setter runs on that loop, through `call_soon_threadsafe` otherwise).
# - `map`/`filter`/`join`/`reduce` build derived futures that are *set* when their sources are,
#   so they can be awaited too (pykka's own versions are lazy get-hooks that block).
# - Awaiting with a timeout (`wait`, `ask_async`) fires at the first 10 ms slot boundary at or
#   after the deadline: never early, at most a slot late (timeouts on a loop share timers).
# - `ask_async` on a loop needs no LoopFuture: its reply slot (`AsyncioReply`) sets the asker's
#   own asyncio future, on that loop directly or through `call_soon_threadsafe`, once; a reply
#   for an asker that timed out or was cancelled is dropped.
# One process-wide lock guards the state transitions; it is held for a few bytecodes only.

from __future__ import annotations

import asyncio
import contextvars
import functools
import math
import queue
import sys
import threading
import types
from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import Any, TypeVar, cast

import pykka

__all__ = ["BlockingOnLoopError", "LoopFuture", "fail", "wrap_future"]

T = TypeVar("T")
J = TypeVar("J")
M = TypeVar("M")
R = TypeVar("R")

_get_running_loop = asyncio._get_running_loop
_LOCK = threading.Lock()
_allocate_lock = threading.Lock

OptExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


class BlockingOnLoopError(RuntimeError):
    """A blocking `.get()` was called on a thread that runs an event loop.

    Blocking there would stall every actor and connection hosted by that loop (and deadlock if
    the reply has to be produced on the same loop). Await the future instead, or call `.get()`
    from another thread.
    """


_BLOCKING_MESSAGE = (
    "blocking .get() on an event loop thread would stall the loop; "
    "use `await future` there, or call .get() from another thread"
)
_Unset = pykka._future._Unset


def _wake(af: asyncio.Future[None]) -> None:
    if not af.done():
        af.set_result(None)


TIMED_OUT: Any = object()  # the result of an asyncio future whose await timed out
_SLOT = 0.01  # seconds: the granularity of await timeouts
_local = threading.local()  # the _Timeouts of the loop this thread runs


_SLOT_CONTEXT = contextvars.Context()


class _Slot:
    """The awaits that time out at one slot boundary, and the timer that fires it."""

    __slots__ = ("handle", "key", "owner", "waiting")

    def __init__(self, owner: _Timeouts, key: int) -> None:
        self.owner = owner
        self.key = key
        self.waiting: set[asyncio.Future[Any]] = set()
        self.handle: asyncio.TimerHandle | None = None

    def discard(self, af: asyncio.Future[Any]) -> None:
        """`af` is done: stop timing it. The slot itself stays until its time: the next
        awaits of the same 10 ms reuse it (dropping an emptied slot and cancelling its timer
        made every sequential `ask_async` with a timeout build and cancel a timer: twice the
        cost of a coroutine's ask round trip, measured). The awaited futures are not kept."""
        self.waiting.discard(af)


class _Timeouts:
    """The timeouts of the futures awaited on one loop, coalesced into 10 ms slots.

    One timer per slot instead of one per await (a timer handle costs as much as the rest of an
    `ask_async` round trip). A timeout fires at the first slot boundary at or after its
    deadline (never early, at most one slot late) by setting `TIMED_OUT` on the awaited
    asyncio future, unless that is done already.
    """

    __slots__ = ("_loop", "_slots")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._slots: dict[int, _Slot] = {}

    def add(self, af: asyncio.Future[Any], timeout: float) -> _Slot | None:
        """Time `af` out after `timeout` s (None: never, for an infinite timeout).

        Call `discard(af)` on the returned slot once `af` is done, to cancel that.
        """
        if not math.isfinite(timeout):
            if timeout > 0:
                return None
            timeout = 0.0  # -inf or nan: time out at once
        key = math.ceil((self._loop.time() + timeout) / _SLOT)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot(self, key)
            # A context of its own: a slot outlives the caller, and the caller's context
            # (an actor's refers to the actor) would be kept until the slot's time.
            slot.handle = self._loop.call_at(key * _SLOT, self._expire, key, context=_SLOT_CONTEXT)
        slot.waiting.add(af)
        return slot

    def _expire(self, key: int) -> None:
        slot = self._slots.pop(key, None)
        if slot is None:
            return
        slot.handle = None
        for af in slot.waiting:
            if not af.done():
                af.set_result(TIMED_OUT)


def timeouts_of(loop: asyncio.AbstractEventLoop) -> _Timeouts:
    """The timeout slots of `loop` (call it on that loop's thread)."""
    timeouts: _Timeouts | None = getattr(_local, "timeouts", None)
    if timeouts is None or timeouts._loop is not loop:
        timeouts = _local.timeouts = _Timeouts(loop)
    return timeouts


def _exception_of(exc_info: OptExcInfo | BaseException | None) -> BaseException:
    """The exception in an exc_info triple, an exception, or the one being handled."""
    if exc_info is None:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        return exc_info
    exc_type, exc, tb = exc_info
    if exc is None:
        assert exc_type is not None
        exc = exc_type()
    if tb is not None and exc.__traceback__ is not tb:
        exc = exc.with_traceback(tb)
    return exc


def _resolve(af: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if af.done():  # its awaiter timed out or was cancelled: nobody wants the answer
        return
    if exc is None:
        af.set_result(value)
        return
    if isinstance(exc, StopIteration):  # asyncio futures refuse it, as coroutines do
        error = RuntimeError(f"the reply was a StopIteration: {exc!r}")
        error.__cause__ = exc
        exc = error
    af.set_exception(exc)


class AsyncioReply(pykka.Future[T]):
    """The reply slot of one `ask_async` made on a loop: it sets the asker's asyncio future.

    Only the answering actor's inbox machinery sees it (as `envelope.reply_to`), and only to
    set it once, from any thread; the asker awaits its own asyncio future, so a round trip on
    one loop has no LoopFuture, lock or extra wake-up in between.
    """

    __slots__ = ("_af", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, af: asyncio.Future[T]) -> None:
        self._loop = loop
        self._af = af

    def __repr__(self) -> str:
        return f"<AsyncioReply {self._af!r}>"

    def set(self, value: T | None = None) -> None:
        if _get_running_loop() is self._loop:
            _resolve(self._af, value, None)
        else:
            self._resolve_soon(value, None)

    def set_exception(self, exc_info: OptExcInfo | BaseException | None = None) -> None:
        exc = _exception_of(exc_info)
        if _get_running_loop() is self._loop:
            _resolve(self._af, None, exc)
        else:
            self._resolve_soon(None, exc)

    def _resolve_soon(self, value: Any, exc: BaseException | None) -> None:
        try:
            self._loop.call_soon_threadsafe(_resolve, self._af, value, exc)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            pass

    def get(self, *, timeout: float | None = None) -> T:
        raise TypeError("the reply of an ask_async is awaited by its asker, not read")

    def set_get_hook(self, func: Callable[[float | None], T]) -> None:
        raise TypeError("the reply of an ask_async takes no get hook")


class LoopFuture(pykka.Future[T]):
    """A thread-safe, awaitable `pykka.Future`.

    Returned by `ask()` on loop-hosted actors (and supervised pykka actors). From a plain thread
    use it like any pykka future (`get(timeout=...)`, `pykka.get_all`); on an event loop
    `await` it.
    """

    __slots__ = ("_callbacks", "_done", "_exc", "_loops", "_value", "_waiters")

    def __init__(self) -> None:
        # pykka.Future.__init__ only sets these two; set them directly (hot path).
        self._get_hook = None
        self._get_hook_result = pykka._future._Unset()
        self._done = False
        self._value: Any = None
        self._exc: BaseException | None = None
        self._waiters: list[Any] | None = None
        self._loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] | None = None
        self._callbacks: list[Callable[[LoopFuture[T]], None]] | None = None

    def __repr__(self) -> str:
        if not self._done:
            return "<LoopFuture pending>"
        if self._exc is not None:
            return f"<LoopFuture exception={self._exc!r}>"
        return f"<LoopFuture value={self._value!r}>"

    # -- state -------------------------------------------------------------------------------

    def done(self) -> bool:
        """Whether a value or an exception has been set."""
        return self._done

    def exception(self) -> BaseException | None:
        """The exception set on a done future, or None (also while pending)."""
        return self._exc

    def result(self) -> T:
        """The value of a done future (re-raising its exception); never blocks."""
        if not self._done:
            raise asyncio.InvalidStateError("LoopFuture is still pending")
        return self._unwrap()

    def _unwrap(self) -> T:
        exc = self._exc
        if exc is not None:
            raise exc.with_traceback(exc.__traceback__)
        value: T = self._value  # (not `cast`: a call on every result)
        return value

    # -- pykka.Future API --------------------------------------------------------------------

    def set(self, value: T | None = None) -> None:
        """Set the value and wake every waiter. A second set raises `queue.Full`, as in pykka."""
        with _LOCK:
            if self._done or self._get_hook is not None:
                raise queue.Full
            self._done = True
            self._value = value
            waiters, loops, callbacks = self._waiters, self._loops, self._callbacks
            self._waiters = self._loops = self._callbacks = None
        if waiters is not None or loops is not None or callbacks is not None:
            self._notify(waiters, loops, callbacks)

    def set_exception(self, exc_info: OptExcInfo | BaseException | None = None) -> None:
        """Set an exception (an exc_info triple, an exception, or the one being handled)."""
        exc = _exception_of(exc_info)
        with _LOCK:
            if self._done or self._get_hook is not None:
                raise queue.Full
            self._done = True
            self._exc = exc
            waiters, loops, callbacks = self._waiters, self._loops, self._callbacks
            self._waiters = self._loops = self._callbacks = None
        if waiters is not None or loops is not None or callbacks is not None:
            self._notify(waiters, loops, callbacks)

    def _notify(
        self,
        waiters: list[Any] | None,
        loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] | None,
        callbacks: list[Callable[[LoopFuture[T]], None]] | None,
    ) -> None:
        if waiters is not None:
            for lock in waiters:
                lock.release()
        if loops is not None:
            running = _get_running_loop()
            for loop, af in loops:
                if loop is running:
                    _wake(af)
                else:
                    try:
                        loop.call_soon_threadsafe(_wake, af)
                    except RuntimeError:  # that loop is closed: nobody is waiting any more
                        pass
        if callbacks is not None:
            for callback in callbacks:
                callback(self)

    def get(self, *, timeout: float | None = None) -> T:
        """Block until the future is set and return its value (or raise its exception).

        Raises:
            pykka.Timeout: nothing was set within `timeout` seconds.
            BlockingOnLoopError: called on an event loop thread while still pending.
        """
        if self._get_hook is not None:
            if _get_running_loop() is not None and isinstance(self._get_hook_result, _Unset):
                # A get-hook future (a wrapped or joined pykka future) may only be read on a
                # loop thread if its sources are ready: never wait there.
                try:
                    return super().get(timeout=0)
                except pykka.Timeout:
                    raise BlockingOnLoopError(_BLOCKING_MESSAGE) from None
            return super().get(timeout=timeout)
        if not self._done:
            if _get_running_loop() is not None:
                raise BlockingOnLoopError(_BLOCKING_MESSAGE)
            lock = _allocate_lock()
            lock.acquire()
            with _LOCK:
                pending = not self._done
                if pending:
                    if self._waiters is None:
                        self._waiters = []
                    self._waiters.append(lock)
            if pending and not lock.acquire(True, -1 if timeout is None else max(timeout, 0.0)):
                with _LOCK:
                    if self._waiters is not None and lock in self._waiters:
                        self._waiters.remove(lock)
                    if not self._done:
                        raise pykka.Timeout(f"{timeout} seconds")
        return self._unwrap()

    def set_get_hook(self, func: Callable[[float | None], T]) -> None:
        with _LOCK:
            if self._done:
                raise queue.Full
            self._get_hook = func

    def add_done_callback(self, callback: Callable[[LoopFuture[T]], None]) -> None:
        """Call `callback(future)` once the future is done, in the thread that sets it.

        If the future is already done the callback runs at once, in the caller's thread.
        """
        with _LOCK:
            if not self._done:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return
        callback(self)

    # -- awaiting ----------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        return self._await(None)

    __iter__ = __await__

    def _await(self, timeout: float | None) -> Generator[Any, None, T]:
        if self._get_hook is not None:
            loop = asyncio.get_running_loop()
            get = self.get if timeout is None else functools.partial(self.get, timeout=timeout)
            return (yield from loop.run_in_executor(None, get).__await__())
        if not self._done:
            loop = asyncio.get_running_loop()
            af: asyncio.Future[None] = loop.create_future()
            with _LOCK:
                pending = not self._done
                if pending:
                    if self._loops is None:
                        self._loops = []
                    self._loops.append((loop, af))
            if pending:
                # A timeout wakes `af` as a `set` would, from a timer slot shared with other
                # awaits: no timer handle of its own, no task cancellation.
                timer = None if timeout is None else timeouts_of(loop).add(af, timeout)
                try:
                    yield from af.__await__()
                except BaseException:
                    if timer is not None:
                        timer.discard(af)
                    self._forget_loop(loop, af)
                    raise
                if timer is not None:
                    timer.discard(af)
                    if not self._done:
                        self._forget_loop(loop, af)
                        raise pykka.Timeout(f"{timeout} seconds")
        return self._unwrap()

    def _forget_loop(self, loop: asyncio.AbstractEventLoop, af: asyncio.Future[None]) -> None:
        with _LOCK:
            if self._loops is not None:
                try:
                    self._loops.remove((loop, af))
                except ValueError:
                    pass

    @types.coroutine
    def _timed(self, timeout: float) -> Generator[Any, None, T]:
        """`await future._timed(t)`: what `wait(t)` does, without a coroutine of its own."""
        return (yield from self._await(timeout))

    async def wait(self, timeout: float | None = None) -> T:
        """Await the value, raising `pykka.Timeout` after `timeout` seconds."""
        if timeout is None or self._done:
            return await self
        if self._get_hook is None:
            return await self._timed(timeout)
        try:
            async with asyncio.timeout(timeout):
                return await self
        except TimeoutError:
            if self.done():
                return self._unwrap()
            raise pykka.Timeout(f"{timeout} seconds") from None

    # -- combinators (eager, awaitable) ------------------------------------------------------

    def _derive(self, func: Callable[[LoopFuture[Any]], Any]) -> LoopFuture[Any]:
        out: LoopFuture[Any] = LoopFuture()

        def on_done(src: LoopFuture[Any]) -> None:
            try:
                value = func(src)
            except BaseException as exc:
                out.set_exception(exc)
            else:
                out.set(value)

        self.add_done_callback(on_done)
        return out

    def map(self, func: Callable[[T], M]) -> LoopFuture[M]:
        """A future of `func(value)`; `func` runs in the thread that sets this future."""
        return self._derive(lambda src: func(src._unwrap()))

    def filter(self: LoopFuture[Iterable[J]], func: Callable[[J], bool]) -> LoopFuture[Iterable[J]]:
        return self._derive(lambda src: list(filter(func, src._unwrap())))

    def reduce(self: LoopFuture[Iterable[J]], func: Callable[[R, J], R], *args: R) -> LoopFuture[R]:
        return self._derive(lambda src: functools.reduce(func, src._unwrap(), *args))

    def join(self, *futures: pykka.Future[Any]) -> LoopFuture[Iterable[Any]]:
        """A future of the list of this and the other futures' values, in order."""
        everything = [self, *futures]
        out: LoopFuture[Iterable[Any]] = LoopFuture()
        if not all(isinstance(f, LoopFuture) for f in everything):
            out.set_get_hook(lambda timeout: [f.get(timeout=timeout) for f in everything])
            return out
        remaining = [len(everything)]

        def on_done(_: LoopFuture[Any]) -> None:
            with _LOCK:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                try:
                    out.set([cast(LoopFuture[Any], f)._unwrap() for f in everything])
                except BaseException as exc:
                    out.set_exception(exc)

        for f in everything:
            cast(LoopFuture[Any], f).add_done_callback(on_done)
        return out


def fail(future: pykka.Future[Any], exc: BaseException) -> None:
    """Set `exc` on any pykka future (pykka's API takes an exc_info triple)."""
    future.set_exception((type(exc), exc, exc.__traceback__))


def wrap_future(future: pykka.Future[T]) -> LoopFuture[T]:
    """An awaitable view of any pykka future (a `ThreadingFuture` is waited for in a thread)."""
    if isinstance(future, LoopFuture):
        return future
    out: LoopFuture[T] = LoopFuture()
    out.set_get_hook(lambda timeout: future.get(timeout=timeout))
    return out
