"""`LoopActorRef.tell_now`, `ask_async` on the spot, `start_child(now=True)` and
`LoopActor.start_task_eagerly`: work done before the call returns when (and only when) that
keeps the ordering rules."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any, cast

import pykka
import pytest
from pykka import ActorDeadError

from supervisors import (
    DynamicSupervisor,
    LoopActor,
    LoopFuture,
    Runtime,
    StartChildError,
    Supervisor,
    start_child,
    which_children,
)
from tests.supervisors._lab import (
    TIMEOUT,
    Lab,
    StartFailedError,
    live_ref,
    start_supervisor,
    worker,
)
from tests.supervisors.test_runtime import WAIT, wait_until


class Log(LoopActor):
    """Records what it is told; "task:M" starts a task that tell_nows M to itself."""

    def __init__(self, seen: list[Any]) -> None:
        super().__init__()
        self.seen = seen

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, str) and message.startswith("task:"):
            inner = message[len("task:") :]

            async def tell_self() -> None:
                self.actor_ref.tell_now(inner)
                self.seen.append(("after tell_now", inner in self.seen))

            self.start_task(tell_self())
            return None
        if isinstance(message, str) and message.startswith("fan:"):
            self.seen.append(message)
            for part in message[len("fan:") :].split(","):
                self.actor_ref.tell(part)  # queued behind this one, handled next
            return None
        if message == "crash":
            raise RuntimeError("crashed on purpose")
        self.seen.append(message)
        return None


def test_tell_now_on_the_loop_to_an_idle_actor_is_handled_before_it_returns(
    runtime: Runtime,
) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))

    def send() -> list[Any]:
        ref.tell_now("hello")
        return list(seen)  # what the actor had handled when tell_now returned

    assert runtime.call(send) == ["hello"]
    ref.stop()


def test_what_a_tell_now_handler_tells_itself_is_handled_next_and_once(runtime: Runtime) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))

    def send() -> tuple[list[Any], bool]:
        ref.tell_now("fan:a,b")
        return list(seen), cast(Any, ref.actor_inbox)._q is None  # drained, no empty deque kept

    assert runtime.call(send) == (["fan:a,b", "a", "b"], True)
    runtime.call(lambda: None)  # a drain the tells scheduled has run: it found nothing
    assert seen == ["fan:a,b", "a", "b"]
    ref.stop()


class Relay(LoopActor):
    """Tells `target` (with `tell_now`) whatever it is told."""

    def __init__(self, target: Any) -> None:
        super().__init__()
        self.target = target

    def on_receive(self, message: Any) -> Any:
        self.target.tell_now(message)
        return None


def test_tell_now_to_an_actor_whose_context_is_entered_further_down_is_a_plain_tell(
    runtime: Runtime,
) -> None:
    # A's reply wakes a callback at once, still inside A's context; the callback tells B,
    # whose handler tells A: A cannot be entered again there, so its message is queued.
    seen: list[Any] = []
    a = runtime.call(lambda: Log.start(seen))
    b = runtime.call(lambda: Relay.start(a))

    def ask_then_relay() -> None:
        reply = a.ask_now("first")
        assert reply.done()  # answered within ask_now: its callbacks run in A's context
        a.ask("second", block=False).add_done_callback(lambda _: b.tell_now("third"))

    runtime.call(ask_then_relay)
    wait_until(lambda: seen == ["first", "second", "third"], "all three, in order")
    assert a.is_alive()  # neither crashed
    assert b.is_alive()
    a.stop()
    b.stop()


def test_tell_now_behind_queued_messages_waits_its_turn(runtime: Runtime) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))

    def send() -> list[Any]:
        ref.tell("first")
        ref.tell_now("second")  # "first" is queued: no overtaking
        return list(seen)

    assert runtime.call(send) == []
    wait_until(lambda: seen == ["first", "second"], "both messages, in order")
    ref.stop()


def test_tell_now_from_another_thread_is_a_plain_tell(runtime: Runtime) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))
    ref.tell_now("from a thread")
    wait_until(lambda: seen == ["from a thread"], "the message")
    assert threading.current_thread() is threading.main_thread()
    ref.stop()


def test_tell_now_from_the_actors_own_task_is_queued(runtime: Runtime) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))
    ref.tell("task:inner")
    wait_until(lambda: "inner" in seen, "the inner message")
    assert ("after tell_now", False) in seen  # not handled inside its own task's step
    ref.stop()


def test_tell_now_to_a_dead_actor_raises_like_tell(runtime: Runtime) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))
    ref.stop()

    def send() -> None:
        ref.tell_now("too late")

    with pytest.raises(ActorDeadError):
        runtime.call(send)


def test_tell_now_that_crashes_the_actor_crashes_only_the_actor(runtime: Runtime) -> None:
    seen: list[Any] = []
    ref = runtime.call(lambda: Log.start(seen))

    def send() -> bool:
        ref.tell_now("crash")  # the crash is the actor's, not the sender's
        return True

    assert runtime.call(send) is True
    wait_until(lambda: not ref.is_alive(), "the actor's death")


class Eager(LoopActor):
    """Runs the coroutine it is asked to, eagerly; answers (task or None, log)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def on_receive(self, message: Any) -> Any:
        kind, arg = message
        if kind == "sync":

            async def quick() -> None:
                self.log.append("ran")

            task = self.start_task_eagerly(quick())
            self.log.append("returned")
            return task
        if kind in ("suspends", "cancelled at once"):

            async def slow() -> None:
                self.log.append("first step")
                try:
                    for _ in range(arg):
                        await asyncio.sleep(0.01)
                    self.log.append("finished")
                except asyncio.CancelledError:
                    self.log.append("cancelled")
                    raise
                finally:
                    self.log.append("cleanup")

            task = self.start_task_eagerly(slow())
            self.log.append("returned")
            if kind == "cancelled at once" and task is not None:
                task.cancel()  # before the task's first step
            return task
        if kind in ("fails", "fails, then cancelled"):

            async def boom() -> None:
                raise RuntimeError("failed in its first step")

            task = self.start_task_eagerly(boom())
            if kind == "fails, then cancelled" and task is not None:
                task.cancel()  # before the task's first step
            return task
        raise ValueError(kind)


def test_a_coroutine_that_does_not_suspend_needs_no_task(runtime: Runtime) -> None:
    ref = runtime.call(Eager.start)
    assert ref.ask(("sync", None), timeout=WAIT) is None
    assert ref.proxy().log.get(timeout=WAIT) == ["ran", "returned"]
    ref.stop()


def test_a_coroutine_that_suspends_goes_on_as_an_owned_task(runtime: Runtime) -> None:
    ref = runtime.call(Eager.start)
    task = ref.ask(("suspends", 3), timeout=WAIT)
    assert isinstance(task, asyncio.Task)
    wait_until(lambda: task.done(), "the task")
    assert not task.cancelled()
    assert ref.proxy().log.get(timeout=WAIT) == ["first step", "returned", "finished", "cleanup"]
    ref.stop()


def test_cancelling_the_task_reaches_the_coroutine_where_it_waits(runtime: Runtime) -> None:
    ref = runtime.call(Eager.start)
    task = ref.ask(("suspends", 1000), timeout=WAIT)
    runtime.call(task.cancel)
    wait_until(lambda: task.done(), "the cancelled task")
    assert task.cancelled()
    assert ref.proxy().log.get(timeout=WAIT) == ["first step", "returned", "cancelled", "cleanup"]
    assert ref.is_alive()  # a cancelled task is not a crash
    ref.stop()


def test_a_task_cancelled_before_its_first_step_still_cancels_the_coroutine(
    runtime: Runtime,
) -> None:
    """The coroutine suspended in its eager first step; its task is cancelled before the loop
    ran it: the cancellation must reach the coroutine where it waits (its `except` and
    `finally` run then), not leave it suspended for the garbage collector to close."""
    ref = runtime.call(Eager.start)
    task = ref.ask(("cancelled at once", 1000), timeout=WAIT)
    wait_until(lambda: task.done(), "the cancelled task")
    assert task.cancelled()
    assert ref.proxy().log.get(timeout=WAIT) == ["first step", "returned", "cancelled", "cleanup"]
    assert ref.is_alive()
    ref.stop()


def test_stopping_the_actor_cancels_a_task_that_went_on(runtime: Runtime) -> None:
    ref = runtime.call(Eager.start)
    proxy_log = ref.proxy().log
    task = ref.ask(("suspends", 1000), timeout=WAIT)
    log = proxy_log.get(timeout=WAIT)  # the same list object the actor appends to
    ref.stop()
    wait_until(lambda: task.done(), "the task, cancelled with its actor")
    assert log[-2:] == ["cancelled", "cleanup"]


@pytest.mark.parametrize("kind", ["fails", "fails, then cancelled"])
def test_an_exception_in_the_first_step_crashes_the_actor(runtime: Runtime, kind: str) -> None:
    """Also when the task that carries it is cancelled before its first step: the
    exception came first."""
    ref = runtime.call(Eager.start)
    ref.ask((kind, None), timeout=WAIT)
    wait_until(lambda: not ref.is_alive(), "the actor's crash")


# -- ask_async on the spot -------------------------------------------------------------------

_CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="unset")


class Where(LoopActor):
    """Answers where its handler ran: the asyncio task (None in a loop callback) and what
    the asker's context variable reads there; "fail" raises, "slow" answers from a task."""

    def on_receive(self, message: Any) -> Any:
        if message == "fail":
            raise ValueError("failed on purpose")
        if message == "slow":

            async def later() -> str:
                await asyncio.sleep(0.01)
                return "later"

            return later()
        if message == "self":

            async def ask_self() -> Any:
                try:
                    return await self.actor_ref.ask_async("inner", timeout=0.2)
                except pykka.Timeout:
                    return "timed out"

            return ask_self()
        return asyncio.current_task(), _CALLER.get()


def test_ask_async_to_an_idle_actor_is_answered_in_the_askers_step(runtime: Runtime) -> None:
    ref = runtime.call(Where.start)

    async def ask() -> tuple[Any, Any]:
        _CALLER.set("asker")
        task, seen = await ref.ask_async("where", timeout=WAIT)
        return task is asyncio.current_task(), seen

    # Handled inside the asker's task (not in a drain callback, where there is no task), and
    # in the actor's own context: the asker's context variables do not leak into it.
    assert runtime.call(ask) == (True, "unset")
    ref.stop()


def test_a_loop_of_on_the_spot_asks_still_lets_other_tasks_run(runtime: Runtime) -> None:
    ref = runtime.call(Where.start)

    async def asks_and_a_ticker() -> tuple[int, int]:
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        start = ticks
        for _ in range(100):
            await ref.ask_async("where", timeout=WAIT)
        done = True
        await other
        return start, ticks

    start, ticks = runtime.call(asks_and_a_ticker)
    assert ticks - start >= 99  # one loop iteration per ask: the ticker ran between them
    ref.stop()


def test_on_the_spot_asks_keep_failures_async_handlers_and_self_asks_right(
    runtime: Runtime,
) -> None:
    ref = runtime.call(Where.start)

    async def ask() -> list[Any]:
        out: list[Any] = []
        try:
            await ref.ask_async("fail", timeout=WAIT)
        except ValueError as exc:
            out.append(str(exc))
        out.append(await ref.ask_async("slow", timeout=WAIT))  # answered by the actor's task
        task, _ = await ref.ask_async("where", timeout=WAIT)
        out.append(task is asyncio.current_task())  # idle again: on the spot
        return out

    assert runtime.call(ask) == ["failed on purpose", "later", True]
    # From the actor's own task the ask is queued (the task holds the actor busy, so an
    # on-the-spot answer would overtake it): it waits its turn, as any ask to itself does.
    assert ref.ask("self", timeout=WAIT) == "timed out"
    assert ref.is_alive()
    ref.stop()


# -- start_child(now=True) -------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Supervisor, DynamicSupervisor])
def test_start_child_now_starts_a_sync_child_before_it_returns(
    runtime: Runtime, cls: type[Supervisor]
) -> None:
    lab = Lab()
    sup = start_supervisor(runtime, [], cls=cls)

    def start() -> tuple[bool, list[str]]:
        future = start_child(sup, worker("L", "a", lab), now=True)
        return future.done(), lab.labels("start")

    # Started (its sync on_start ran) and answered within the call: no task, no callback.
    assert runtime.call(start) == (True, ["a"])
    assert [row.id for row in which_children(sup).get(timeout=TIMEOUT)] == ["a"]
    assert live_ref(sup, "a").ask("incr", timeout=TIMEOUT) == 1


def test_start_child_now_waits_for_an_async_on_start_as_before(runtime: Runtime) -> None:
    lab = Lab()
    lab.delay["a"] = 0.05
    sup = start_supervisor(runtime, [])

    def start() -> tuple[LoopFuture[Any], bool]:
        future = start_child(sup, worker("A", "a", lab), now=True)
        return future, future.done()

    future, done_at_once = runtime.call(start)
    assert not done_at_once
    ref = future.get(timeout=TIMEOUT)
    assert ref.ask("incr", timeout=TIMEOUT) == 1
    assert lab.labels("start") == ["a"]


def test_start_child_now_whose_sync_on_start_fails_keeps_nothing(runtime: Runtime) -> None:
    lab = Lab()
    lab.fail_from["a"] = 1
    sup = start_supervisor(runtime, [], cls=DynamicSupervisor)

    def start() -> tuple[LoopFuture[Any], bool]:
        future = start_child(sup, worker("L", "a", lab), now=True)
        return future, future.done()  # (a tuple: `runtime.call` would await a future)

    future, done_at_once = runtime.call(start)
    assert done_at_once
    with pytest.raises(StartChildError) as info:
        future.get(timeout=TIMEOUT)
    assert isinstance(info.value.reason, StartFailedError)
    assert sup.is_alive()  # a failed start is the caller's error, never the supervisor's
    assert which_children(sup).get(timeout=TIMEOUT) == []
    lab.fail_from.clear()
    assert start_child(sup, worker("L", "a", lab), now=True).get(timeout=TIMEOUT).is_alive()


def test_start_child_now_from_another_thread_is_a_plain_start(runtime: Runtime) -> None:
    lab = Lab()
    sup = start_supervisor(runtime, [])
    ref = start_child(sup, worker("L", "a", lab), now=True).get(timeout=TIMEOUT)
    assert ref.ask("incr", timeout=TIMEOUT) == 1
