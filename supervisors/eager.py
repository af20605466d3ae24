# Running a coroutine's first step now, outside any task, and the rest in a task.
#
# A coroutine that finishes without suspending (most MCP handlers: a sync tool's answer, a
# JSON response written at once) then costs no task at all: no allocation, no loop turn, no
# wake-up. One that suspends hands what it awaits to a task made from `resume_in_task`, which
# goes on exactly where the first step stopped. `LoopActor.start_task_eagerly` runs an actor's
# handler this way; the HTTP fast lane its requests (`fastestmcp.transports._fast_lane`).
#
# Python 3.12's eager tasks do the same for a task; this also serves 3.11, and the caller
# decides which context the first step runs in (`contextvars.Context.run`).
#
# Both wrappers are started up to a bare `yield` before the task gets them (`_started`): a task
# cancelled before its first step then still throws the cancellation into the coroutine (its
# `finally` runs now, not when the garbage collector closes it), and an exception of the first
# step is still raised in the task.

"""A coroutine's first step now, the rest in a task (see the module comment)."""

from __future__ import annotations

import types
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["raise_in_task", "resume_in_task"]

T = TypeVar("T")


def resume_in_task(coro: Coroutine[Any, Any, T], waiting: Any) -> Coroutine[Any, Any, T]:
    """What a task runs to continue `coro`, whose first step (`coro.send(None)`) ran outside
    any task and yielded `waiting`: `loop.create_task(resume_in_task(coro, waiting))`."""
    return _started(_resume(coro, waiting))  # type: ignore[no-any-return]


def raise_in_task(exc: BaseException) -> Coroutine[Any, Any, Any]:
    """What a task runs to raise `exc`, which a coroutine's first step raised outside any
    task, inside that task (its done callbacks see it, as if the task had run the step)."""
    return _started(_raise(exc))  # type: ignore[no-any-return]


@types.coroutine
def _raise(exc: BaseException) -> Any:
    """Raise `exc`, what a coroutine raised in its eager first step, inside the task this
    wraps (see `raise_in_task`; started by `_started`), so that the task fails (and an actor
    owning it crashes) as it would have had the task run the step: also when the task is
    cancelled before its first step (the exception came first)."""
    try:
        yield  # `_started` starts it to here; the task's first step goes on from it
    except GeneratorExit:  # closed without ever running (its loop closed): nothing to crash
        raise
    except BaseException:  # cancelled before that step
        pass
    raise exc


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], waiting: Any) -> Any:
    """Continue a coroutine whose first step ran outside any task, inside the task this
    wraps (see `resume_in_task`; started by `_started`).

    `waiting` is what the first step yielded (the future the coroutine awaits): yielded on
    to the task, which resumes here once it is done. An exception the task throws meanwhile
    (a cancellation) goes into the coroutine, as the task would have thrown it; after that
    the coroutine is driven by `yield from`, like any awaited coroutine.
    """
    try:
        yield  # `_started` starts it to here; the task's first step goes on from it
    except BaseException as exc:  # cancelled before that step
        try:
            waiting = coro.throw(exc)
        except StopIteration as stop:
            return stop.value
    while True:
        try:
            yield waiting
        except BaseException as exc:
            try:
                waiting = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        return (yield from coro)


def _started(wrapper: Any) -> Any:
    """`wrapper` (`_resume`, `_raise`), started up to its first bare `yield`: a generator that
    has not started cannot catch what is thrown into it, so a task cancelled before its first
    step would end without the wrapper running at all (a suspended coroutine left for the
    garbage collector to close; an exception of the first step lost)."""
    wrapper.send(None)
    return wrapper
