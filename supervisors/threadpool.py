# A bounded thread pool for blocking calls made from an event loop.
#
# `loop.run_in_executor(ThreadPoolExecutor)` costs, per call: a concurrent Future, a work item,
# the executor's thread-count bookkeeping under a lock, an asyncio Future chained to the
# concurrent one by two callbacks, and one cross-thread wake-up of the loop (a byte written to
# its self-pipe) per completion. Profiling a server whose handlers are short sync functions
# showed that hand-off, not the handlers, as the largest cost. This pool keeps what matters:
# bounded threads started on demand, each call in the caller's contextvars context, results and
# exceptions (BaseException included) delivered to an asyncio Future; and cuts the rest:
#
# - a job is `(fn, future)` on a `SimpleQueue`;
# - completions go to a deque, and the loop is woken once per batch: a worker that finds a
#   wake-up already pending only appends, so under load many results cost one wake-up.
#
# Rules: `run` is called on the loop thread; the pool serves one loop (the first it sees);
# `shutdown()` refuses new jobs, cancels queued ones and lets running ones finish on their own
# (their results are dropped).

"""A bounded thread pool for blocking calls made from an event loop (cheap hand-off)."""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["LoopThreadPool"]

T = TypeVar("T")

_Job = tuple[Callable[[], Any], "asyncio.Future[Any]"]


class LoopThreadPool:
    """At most `max_workers` threads running blocking calls for one event loop."""

    def __init__(self, max_workers: int, *, thread_name_prefix: str = "loop-pool") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.max_workers = max_workers
        self._prefix = thread_name_prefix
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._done: deque[tuple[asyncio.Future[Any], Any, BaseException | None]] = deque()
        self._wake_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def run(self, fn: Callable[[], T], *, copy_context: bool = True) -> asyncio.Future[T]:
        """Run `fn()` on a pool thread (in a copy of the caller's context); await the result.

        Raises:
            RuntimeError: The pool was shut down.
        """
        if self._closed:
            raise RuntimeError("this thread pool has been shut down")
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if copy_context:
            fn = _in_context(contextvars.copy_context(), fn)
        self._jobs.put((fn, future))
        if not self._idle.acquire(blocking=False) and len(self._threads) < self.max_workers:
            self._start_thread()
        return future

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self._prefix}-{len(self._threads)}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        jobs, idle = self._jobs, self._idle
        while True:
            job = jobs.get()
            if job is None:
                return
            fn, future = job
            try:
                result, error = fn(), None
            except BaseException as exc:  # delivered to the awaiting coroutine, not lost here
                result, error = None, exc
                if isinstance(error, StopIteration):
                    # An asyncio Future refuses StopIteration (PEP 479): make it what a
                    # coroutine makes of it, or delivering it would fail, and lose the batch.
                    error = RuntimeError("function raised StopIteration")
                    error.__cause__ = exc
            self._complete(future, result, error)
            del job, fn, future, result, error
            idle.release()

    def _complete(
        self, future: asyncio.Future[Any], result: Any, error: BaseException | None
    ) -> None:
        with self._lock:
            self._done.append((future, result, error))
            if self._wake_pending:
                return
            self._wake_pending = True
        loop = self._loop
        try:
            if loop is not None:
                loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def _deliver(self) -> None:
        with self._lock:
            done = list(self._done)
            self._done.clear()
            self._wake_pending = False
        for future, result, error in done:
            if future.done():  # cancelled while it ran
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def shutdown(self) -> None:
        """Refuse new jobs, cancel the queued ones; running ones finish (results dropped)."""
        self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                _cancel_soon(job[1])
        for _ in self._threads:
            self._jobs.put(None)

    @property
    def threads(self) -> int:
        """How many threads the pool has started."""
        return len(self._threads)


def _in_context(context: contextvars.Context, fn: Callable[[], T]) -> Callable[[], T]:
    return lambda: context.run(fn)


def _cancel_soon(future: asyncio.Future[Any]) -> None:
    loop = future.get_loop()
    try:
        if loop.is_closed():
            return
        loop.call_soon_threadsafe(future.cancel)
    except RuntimeError:  # pragma: no cover - the loop closed meanwhile
        pass
