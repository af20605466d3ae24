"""The Runtime and the loop actor: how they run, stop, find each other and order work.

Rules under test: the module comments of `supervisors/runtime.py` (two ways to run, bounded
ordered stop, watchdog), `supervisors/actor.py` (ordering and failure rules, tasks, hooks),
`supervisors/registry.py` and `_process.py` (names released before links and monitors hear of
an exit, S23), and S3/S16/S25 of the OTP checklist.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pykka
import pytest

from supervisors import (
    KILLED,
    NORMAL,
    SHUTDOWN,
    ActorCrashedError,
    AlreadyRegisteredError,
    ChildSpec,
    Down,
    LoopActor,
    LoopFuture,
    Runtime,
    RuntimeActor,
    RuntimeNotRunningError,
    Supervisor,
    ask,
    start_child,
    which_children,
    wrap_future,
)

WAIT = 5.0


# -- actors -------------------------------------------------------------------------------------


class Recorder(LoopActor):
    """Logs its start and graceful stop; echoes what it is asked."""

    def __init__(self, label: str, log: list[str]) -> None:
        super().__init__()
        self.label = label
        self.log = log

    def on_start(self) -> None:
        self.log.append(f"start {self.label}")

    def on_stop(self) -> None:
        self.log.append(f"stop {self.label}")

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError(f"{self.label} crashed on purpose")
        return message


class Stubborn(LoopActor):
    """Ignores a shutdown request: its on_stop would take 30 s."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    async def on_stop(self) -> None:  # type: ignore[override]
        self.log.append("on_stop began")
        await asyncio.sleep(30)
        self.log.append("on_stop finished")  # never reached: the actor is killed


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll with a bound; only for state that no future or monitor reports."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def stopped_at_end() -> Iterator[list[Runtime]]:
    """Runtimes a test starts by itself; stopped (bounded) even when the test fails."""
    runtimes: list[Runtime] = []
    try:
        yield runtimes
    finally:
        for rt in reversed(runtimes):
            rt.stop()


# -- two ways to run ----------------------------------------------------------------------------


def test_runtime_in_its_own_thread_hosts_actors_until_stopped() -> None:
    rt = Runtime("own-thread", watchdog=None).start()
    try:
        assert Runtime.current() is rt
        loop_ident = rt.call(threading.get_ident)
        assert loop_ident != threading.get_ident()
        assert not rt.on_loop_thread()
        assert rt.call(rt.on_loop_thread) is True
        log: list[str] = []
        ref = rt.spawn(Recorder, "a", log)
        assert ref.ask("hello", timeout=WAIT) == "hello"
        assert ref in rt.actors()
    finally:
        rt.stop()
    assert not rt.running
    assert not ref.is_alive()
    assert log == ["start a", "stop a"]
    assert not any(t.ident == loop_ident for t in threading.enumerate())
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("anyone?", timeout=WAIT)


def test_runtime_as_a_context_manager_starts_and_stops() -> None:
    log: list[str] = []
    with Runtime("ctx", watchdog=None) as rt:
        ref = rt.spawn(Recorder, "a", log)
        assert ref.ask(1, timeout=WAIT) == 1
    assert not rt.running
    assert log == ["start a", "stop a"]


def test_runtime_attached_to_a_running_asyncio_program() -> None:
    log: list[str] = []

    async def main() -> pykka.ActorRef[Any]:
        async with Runtime("attached", watchdog=None) as rt:
            assert Runtime.current() is rt
            assert rt.on_loop_thread()
            assert LoopActor.current() is None
            loose = Recorder.start("loose", log)  # the current runtime: this one
            assert await loose.ask_async("ping", timeout=WAIT) == "ping"
            child = await rt.start_child(ChildSpec("c", Recorder, args=("c", log)))
            assert log == ["start loose", "start c"]  # start_child waited for on_start
            assert await ask(child, "pong", timeout=WAIT) == "pong"
            rows = await which_children(rt.root)
            assert [(row.id, row.ref) for row in rows] == [("c", child)]
        assert not rt.running
        assert not loose.is_alive()
        return child

    child = asyncio.run(main())
    assert not child.is_alive()
    assert log == ["start loose", "start c", "stop c", "stop loose"]  # tree first, then loose
    with pytest.raises(RuntimeNotRunningError):
        Runtime.current()


def test_runtime_attached_inside_an_anyio_program() -> None:
    log: list[str] = []
    answers: list[int] = []

    async def main() -> None:
        async with Runtime("anyio", watchdog=None) as rt:
            assert Runtime.current() is rt
            refs = [rt.spawn(Recorder, f"r{i}", log) for i in range(3)]

            async def ask_one(i: int) -> None:
                answers.append(await ask(refs[i], i, timeout=WAIT))

            async with anyio.create_task_group() as tg:
                for i in range(3):
                    tg.start_soon(ask_one, i)
            sup = await start_child(
                rt.root, Supervisor.child_spec("sup", [ChildSpec("w", Recorder, args=("w", log))])
            )
            assert [row.id for row in await which_children(sup)] == ["w"]
        assert not any(ref.is_alive() for ref in refs)

    anyio.run(main)
    assert sorted(answers) == [0, 1, 2]
    stops = [entry for entry in log if entry.startswith("stop")]
    assert stops[0] == "stop w"  # the tree first, then the loose actors
    assert sorted(stops[1:]) == ["stop r0", "stop r1", "stop r2"]


def test_runtime_can_only_be_started_once(stopped_at_end: list[Runtime]) -> None:
    rt = Runtime("once", watchdog=None)
    stopped_at_end.append(rt)
    rt.start()
    with pytest.raises(RuntimeError, match="only be started once"):
        rt.start()

    async def attach() -> None:
        async with rt:
            pass  # pragma: no cover

    with pytest.raises(RuntimeError, match="only be started once"):
        asyncio.run(attach())
    rt.stop()
    with pytest.raises(RuntimeError, match="only be started once"):
        rt.start()
    rt.stop()  # a second stop is a no-op


def test_runtime_actor_lets_a_pykka_host_start_and_stop_a_runtime() -> None:
    ref = RuntimeActor.start("hosted", watchdog=None)
    try:
        rt = ref.proxy().runtime.get(timeout=WAIT)
        assert rt.running
        log: list[str] = []
        child = rt.start_child(ChildSpec("a", Recorder, args=("a", log))).get(timeout=WAIT)
        assert child.ask("x", timeout=WAIT) == "x"
    finally:
        ref.stop(timeout=WAIT)
    assert not rt.running
    assert log == ["start a", "stop a"]


# -- Runtime.current() --------------------------------------------------------------------------


def test_no_running_runtime_gives_a_clear_error() -> None:
    with pytest.raises(RuntimeNotRunningError, match=r"Runtime\(\)\.start\(\)"):
        Runtime.current()
    with pytest.raises(RuntimeNotRunningError, match="async with Runtime"):
        Recorder.start("orphan", [])
    rt = Runtime("never-started")
    with pytest.raises(RuntimeNotRunningError, match="start it first"):
        _ = rt.loop
    with pytest.raises(RuntimeNotRunningError, match="not running"):
        _ = rt.root


def test_current_is_the_loops_own_runtime_else_the_first_running_one(
    stopped_at_end: list[Runtime],
) -> None:
    first = Runtime("first", watchdog=None).start()
    stopped_at_end.append(first)
    second = Runtime("second", watchdog=None).start()
    stopped_at_end.append(second)
    assert Runtime.current() is first  # a plain thread: the first started
    assert first.call(Runtime.current) is first
    assert second.call(Runtime.current) is second  # on a loop thread: that loop's runtime

    log: list[str] = []
    on_second = second.call(lambda: Recorder.start("s", log))
    assert on_second.ask("x", timeout=WAIT) == "x"
    assert on_second in second.actors()
    assert on_second not in first.actors()

    first.stop()
    # The first one is gone; a runtime still runs, so a plain thread finds that one.
    assert Runtime.current() is second
    from_thread = Recorder.start("t", log)
    assert from_thread in second.actors()
    second.stop()
    with pytest.raises(RuntimeNotRunningError):
        Runtime.current()


# -- stopping -----------------------------------------------------------------------------------


def test_stop_stops_the_tree_in_reverse_start_order_then_unsupervised_actors() -> None:
    """S3 for the whole runtime: the tree in reverse start order (depth first), then loose ones."""
    log: list[str] = []
    rt = Runtime("ordered-stop", watchdog=None).start()
    try:
        loose = rt.spawn(Recorder, "loose", log)
        assert loose.ask("ready?", timeout=WAIT) == "ready?"
        a = rt.start_child(ChildSpec("a", Recorder, args=("a", log))).get(timeout=WAIT)
        sup = rt.start_child(
            Supervisor.child_spec(
                "s",
                [
                    ChildSpec("s1", Recorder, args=("s1", log)),
                    ChildSpec("s2", Recorder, args=("s2", log)),
                ],
            )
        ).get(timeout=WAIT)
        c = rt.start_child(ChildSpec("c", Recorder, args=("c", log))).get(timeout=WAIT)
        assert log == ["start loose", "start a", "start s1", "start s2", "start c"]
        monitors = {name: rt.monitor(ref) for name, ref in [("a", a), ("s", sup), ("c", c)]}
        del log[:]
    finally:
        rt.stop()
    assert log == ["stop c", "stop s2", "stop s1", "stop a", "stop loose"]
    for monitor in monitors.values():
        assert monitor.down.get(timeout=WAIT).reason == SHUTDOWN
    assert not loose.is_alive()
    assert rt.actors() == []


def test_stop_is_bounded_when_a_child_ignores_shutdown() -> None:
    """S16: a child ignoring shutdown is killed after its spec's shutdown time."""
    log: list[str] = []
    rt = Runtime("stubborn-child", watchdog=None).start()
    try:
        ref = rt.start_child(ChildSpec("stubborn", Stubborn, args=(log,), shutdown=0.2)).get(
            timeout=WAIT
        )
        monitor = rt.monitor(ref)
    finally:
        started = time.monotonic()
        rt.stop()
        elapsed = time.monotonic() - started
    assert elapsed < 10.0  # not the 30 s the on_stop wanted
    assert monitor.down.get(timeout=WAIT).reason == KILLED
    assert log == ["on_stop began"]


def test_stop_kills_whatever_outlives_the_runtime_shutdown_timeout() -> None:
    """A child with shutdown="infinity" and a loose actor, both ignoring shutdown: the runtime
    gives up after its shutdown_timeout and kills them."""
    tree_log: list[str] = []
    loose_log: list[str] = []
    rt = Runtime("stubborn-all", watchdog=None, shutdown_timeout=0.5).start()
    try:
        child = rt.start_child(
            ChildSpec("forever", Stubborn, args=(tree_log,), shutdown="infinity")
        ).get(timeout=WAIT)
        loose = rt.spawn(Stubborn, loose_log)
        monitors = [rt.monitor(child), rt.monitor(loose)]
        root = rt.monitor(rt.root)
    finally:
        started = time.monotonic()
        rt.stop()
        elapsed = time.monotonic() - started
    assert elapsed < 10.0
    assert [m.down.get(timeout=WAIT).reason for m in monitors] == [KILLED, KILLED]
    assert root.down.get(timeout=WAIT).reason == KILLED
    assert tree_log == ["on_stop began"]
    assert loose_log == ["on_stop began"]
    assert rt.actors() == []


# -- running code on the loop -------------------------------------------------------------------


def test_call_and_run_coroutine_run_on_the_loop(runtime: Runtime) -> None:
    loop_ident = runtime.call(threading.get_ident)
    assert loop_ident != threading.get_ident()
    assert runtime.call(lambda: 6 * 7) == 42

    async def on_loop() -> tuple[int, bool]:
        await asyncio.sleep(0)
        return threading.get_ident(), runtime.on_loop_thread()

    assert runtime.call(on_loop) == (loop_ident, True)
    assert runtime.run_coroutine(on_loop()).result(WAIT) == (loop_ident, True)

    def boom() -> None:
        raise KeyError("raised on the loop")

    with pytest.raises(KeyError, match="raised on the loop"):
        runtime.call(boom)
    gate: LoopFuture[None] = LoopFuture()
    with pytest.raises(concurrent.futures.TimeoutError):
        runtime.call(lambda: gate, timeout=0.05)
    gate.set(None)


def test_stop_cancels_coroutines_still_running_on_the_loop() -> None:
    """Code scheduled with run_coroutine gets its `finally` run when the runtime stops."""
    started = threading.Event()
    cleaned_up = threading.Event()

    async def server() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        finally:
            cleaned_up.set()

    rt = Runtime("pending-work", watchdog=None).start()
    try:
        future = rt.run_coroutine(server())
        assert started.wait(WAIT)
    finally:
        rt.stop()
    assert cleaned_up.is_set()
    assert future.cancelled()


def test_watchdog_reports_a_deliberate_block_of_the_loop(stopped_at_end: list[Runtime]) -> None:
    rt = Runtime("watched", watchdog=0.1).start()
    stopped_at_end.append(rt)
    watchdog = rt.watchdog
    assert watchdog is not None
    rt.call(lambda: time.sleep(0.3))  # blocks the loop thread for 0.3 s
    wait_until(lambda: watchdog.reports >= 1, "the watchdog to report the block")
    assert watchdog.max_lag >= 0.2


def test_no_watchdog_when_disabled(runtime: Runtime) -> None:
    assert runtime.watchdog is None


# -- registry -----------------------------------------------------------------------------------


def test_registry_register_whereis_unregister(runtime: Runtime) -> None:
    log: list[str] = []
    a = runtime.spawn(Recorder, "a", log)
    b = runtime.spawn(Recorder, "b", log)
    registry = runtime.registry
    assert runtime.whereis("svc") is None
    registry.register("svc", a)
    assert runtime.whereis("svc") is a
    registry.register("svc", a)  # the same actor again: fine
    with pytest.raises(AlreadyRegisteredError, match="svc"):
        registry.register("svc", b)
    assert runtime.whereis("svc") is a
    registry.register("other", a)
    assert registry.names() == {"svc": a, "other": a}
    registry.unregister("svc")
    registry.unregister("svc")  # not registered: no error
    assert runtime.whereis("svc") is None
    registry.register("svc", b)
    assert runtime.whereis("svc") is b

    assert a.stop(timeout=WAIT) is True
    with pytest.raises(pykka.ActorDeadError):
        registry.register("late", a)
    assert registry.names() == {"svc": b}  # a's remaining name went with it


def test_names_are_released_before_monitors_hear_of_the_exit(runtime: Runtime) -> None:
    """S23: at Down time the dead actor's name is free, so the name can be taken at once."""
    log: list[str] = []
    old = runtime.spawn(Recorder, "old", log)
    assert old.ask("up?", timeout=WAIT) == "up?"
    runtime.registry.register("worker", old)
    seen_at_down: list[object] = []
    monitor = runtime.monitor(old, lambda down: seen_at_down.append(runtime.whereis("worker")))
    old.tell("crash")
    down = monitor.down.get(timeout=WAIT)
    assert isinstance(down.reason, RuntimeError)
    assert seen_at_down == [None]
    new = runtime.spawn(Recorder, "new", log)
    runtime.registry.register("worker", new)
    assert runtime.whereis("worker") is new


class DiesWhileRegistering(Recorder):
    """Exits right after the registry has checked that it is alive: the interleaving of an
    exit on the loop with a `register()` from another thread, made deterministic."""

    armed = False

    @property
    def sv_alive(self) -> bool:
        alive = super().sv_alive
        if alive and self.armed:
            self.armed = False
            self._sv_kill()  # the exit runs now, before register() records the name
        return alive

    def on_receive(self, message: Any) -> Any:
        return self if message == "self" else super().on_receive(message)


def test_register_racing_the_actors_exit_leaves_no_stale_name(runtime: Runtime) -> None:
    ref = runtime.spawn(DiesWhileRegistering, "racer", [])
    actor = ref.ask("self", block=True, timeout=WAIT)
    assert isinstance(actor, DiesWhileRegistering)
    monitor = runtime.monitor(ref)
    actor.armed = True
    with pytest.raises(pykka.ActorDeadError):
        runtime.call(lambda: runtime.registry.register("racer", ref))
    assert monitor.down.get(timeout=WAIT).reason == KILLED
    assert runtime.whereis("racer") is None
    assert runtime.registry.names() == {}


def test_a_restarted_child_takes_its_name_back(runtime: Runtime) -> None:
    """S23 with a supervisor: the name follows the current incarnation."""
    log: list[str] = []
    sup = runtime.start_child(
        Supervisor.child_spec("sup", [ChildSpec("w", Recorder, args=("w", log), name="w")])
    ).get(timeout=WAIT)
    first = runtime.whereis("w")
    assert first is not None
    seen_at_down: list[object] = []
    monitor = runtime.monitor(first, lambda down: seen_at_down.append(runtime.whereis("w")))
    first.tell("crash")
    monitor.down.get(timeout=WAIT)
    rows = which_children(sup).get(timeout=WAIT)  # queued after the supervisor's restart
    second = runtime.whereis("w")
    assert second is not None
    assert second is not first
    assert rows[0].ref is second
    assert seen_at_down == [None]


# -- the ordering rule --------------------------------------------------------------------------


class Ordered(LoopActor):
    """'slow' runs an async handler that waits for `gate`; anything else is handled inline."""

    def __init__(
        self, label: str, log: list[str], gate: LoopFuture[None], slow_started: threading.Event
    ) -> None:
        super().__init__()
        self.label = label
        self.log = log
        self.gate = gate
        self.slow_started = slow_started

    def on_receive(self, message: Any) -> Any:
        if message == "slow":
            return self._slow()
        self.log.append(f"{self.label} {message}")
        return message

    async def _slow(self) -> str:
        self.log.append(f"{self.label} slow begin")
        self.slow_started.set()
        await self.gate
        self.log.append(f"{self.label} slow end")
        return "slow"


def test_an_async_handler_holds_back_its_actors_next_message_but_not_other_actors(
    runtime: Runtime,
) -> None:
    log: list[str] = []
    gate: LoopFuture[None] = LoopFuture()
    slow_started = threading.Event()
    a = runtime.spawn(Ordered, "a", log, gate, slow_started)
    b = runtime.spawn(Ordered, "b", log, gate, threading.Event())
    slow = wrap_future(a.ask("slow", block=False))
    after = wrap_future(a.ask("next", block=False))
    assert slow_started.wait(WAIT)
    assert b.ask("other", timeout=WAIT) == "other"  # another actor runs meanwhile
    assert log == ["a slow begin", "b other"]
    time.sleep(0.05)  # nothing should happen to `a` while its handler waits
    assert not after.done()
    assert log == ["a slow begin", "b other"]
    gate.set(None)
    assert after.get(timeout=WAIT) == "next"
    assert slow.get(timeout=WAIT) == "slow"
    assert log == ["a slow begin", "b other", "a slow end", "a next"]


def test_messages_are_handled_in_arrival_order_across_batches(runtime: Runtime) -> None:
    """Per-sender FIFO (S24), also past one drain batch."""
    log: list[str] = []
    ref = runtime.spawn(Recorder, "fifo", log)
    futures = [ref.ask(i, block=False) for i in range(300)]
    assert list(pykka.get_all(futures, timeout=WAIT)) == list(range(300))


# -- tasks --------------------------------------------------------------------------------------


class Tasker(LoopActor):
    """Starts tasks on request; records their cancellation."""

    def __init__(self, log: list[str], cancelled: threading.Event) -> None:
        super().__init__()
        self.log = log
        self.cancelled = cancelled
        self.failures: list[BaseException | None] = []

    async def _sleeper(self) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.log.append("sleeper cancelled")
            self.cancelled.set()
            raise

    async def _failing(self) -> None:
        await asyncio.sleep(0)
        raise ValueError("task failed")

    def on_receive(self, message: Any) -> Any:
        if message == "sleeper":
            self.start_task(self._sleeper(), name="sleeper")
            return "started"
        if message == "failing":
            self.start_task(self._failing())
            return "started"
        if message == "self":
            return self
        if message == "whoami":
            return self.start_task(self._whoami())
        return message

    async def _whoami(self) -> LoopActor | None:
        return LoopActor.current()

    def on_failure(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.log.append(f"on_failure {exc!r}")


def test_start_task_tasks_are_cancelled_when_the_actor_stops(runtime: Runtime) -> None:
    log: list[str] = []
    cancelled = threading.Event()
    ref = runtime.spawn(Tasker, log, cancelled)
    assert ref.ask("sleeper", timeout=WAIT) == "started"
    monitor = runtime.monitor(ref)
    assert ref.stop(timeout=WAIT) is True
    assert monitor.down.get(timeout=WAIT).reason == NORMAL
    assert cancelled.wait(WAIT)
    assert log == ["sleeper cancelled"]


def test_an_exception_in_a_task_crashes_the_actor_and_cancels_its_other_tasks(
    runtime: Runtime,
) -> None:
    log: list[str] = []
    cancelled = threading.Event()
    ref = runtime.spawn(Tasker, log, cancelled)
    monitor = runtime.monitor(ref)
    assert ref.ask("sleeper", timeout=WAIT) == "started"
    assert ref.ask("failing", timeout=WAIT) == "started"
    down = monitor.down.get(timeout=WAIT)
    assert isinstance(down.reason, ValueError)
    assert str(down.reason) == "task failed"
    assert cancelled.wait(WAIT)
    assert log[0] == "on_failure ValueError('task failed')"
    assert "sleeper cancelled" in log
    assert not ref.is_alive()
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("still there?", timeout=WAIT)


def test_start_task_on_a_dead_actor_raises_and_closes_the_coroutine(runtime: Runtime) -> None:
    ref = runtime.spawn(Tasker, [], threading.Event())
    actor = ref.ask("self", block=True, timeout=WAIT)
    assert ref.stop(timeout=WAIT) is True

    async def never() -> None:  # pragma: no cover - closed, not run
        raise AssertionError("ran")

    coro = never()

    def start() -> None:
        actor.start_task(coro)

    with pytest.raises(pykka.ActorDeadError):
        runtime.call(start)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED  # no "never awaited" warning


# -- ask errors ---------------------------------------------------------------------------------


class Strict(Recorder):
    crash_on_ask_error = True


def test_an_ask_error_is_the_callers_answer_by_default(runtime: Runtime) -> None:
    log: list[str] = []
    ref = runtime.spawn(Recorder, "lenient", log)
    with pytest.raises(RuntimeError, match="crashed on purpose"):
        ref.ask("crash", timeout=WAIT)
    assert ref.ask("still alive", timeout=WAIT) == "still alive"


def test_crash_on_ask_error_crashes_the_actor_and_fails_the_caller(runtime: Runtime) -> None:
    log: list[str] = []
    ref = runtime.spawn(Strict, "strict", log)
    monitor = runtime.monitor(ref)
    queued = [ref.ask("crash", block=False), ref.ask("after", block=False)]
    with pytest.raises(ActorCrashedError) as crashed:
        queued[0].get(timeout=WAIT)
    assert isinstance(crashed.value.reason, RuntimeError)
    down = monitor.down.get(timeout=WAIT)
    assert down.reason is crashed.value.reason
    with pytest.raises(pykka.ActorDeadError):  # S25: queued callers get an error, not a hang
        queued[1].get(timeout=WAIT)
    assert log == ["start strict"]  # no on_stop after a crash


# -- async hooks --------------------------------------------------------------------------------


class AsyncHooks(LoopActor):
    def __init__(self, log: list[str], gate: LoopFuture[None]) -> None:
        super().__init__()
        self.log = log
        self.gate = gate

    async def on_start(self) -> None:  # type: ignore[override]
        self.log.append("on_start begin")
        await self.gate
        self.log.append(f"on_start end, current={LoopActor.current() is self}")

    async def on_stop(self) -> None:  # type: ignore[override]
        self.log.append("on_stop begin")
        await asyncio.sleep(0)
        self.log.append(f"on_stop end, current={LoopActor.current() is self}")

    async def on_failure(self, exc_type: Any, exc: Any, tb: Any) -> None:  # type: ignore[override]
        self.log.append("on_failure begin")
        await asyncio.sleep(0)
        self.log.append(f"on_failure end {exc_type.__name__} {exc}")

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise OSError("async crash")
        self.log.append(f"got {message}")
        return LoopActor.current() is self


def test_async_on_start_holds_back_messages_until_done(runtime: Runtime) -> None:
    log: list[str] = []
    gate: LoopFuture[None] = LoopFuture()
    ref = runtime.spawn(AsyncHooks, log, gate)
    answer = wrap_future(ref.ask("ping", block=False))
    wait_until(lambda: log == ["on_start begin"], "on_start to begin")
    time.sleep(0.05)  # the message must not be handled while on_start is suspended
    assert not answer.done()
    assert log == ["on_start begin"]
    gate.set(None)
    assert answer.get(timeout=WAIT) is True
    assert log == ["on_start begin", "on_start end, current=True", "got ping"]


def test_async_on_start_completes_before_start_child_returns(runtime: Runtime) -> None:
    """S1 with an async on_start."""
    log: list[str] = []
    gate: LoopFuture[None] = LoopFuture()
    started = runtime.start_child(ChildSpec("a", AsyncHooks, args=(log, gate)))
    wait_until(lambda: log == ["on_start begin"], "on_start to begin")
    time.sleep(0.05)
    assert not started.done()
    gate.set(None)
    ref = started.get(timeout=WAIT)
    assert log == ["on_start begin", "on_start end, current=True"]
    assert ref.is_alive()


def test_async_on_stop_runs_to_completion_before_the_exit(runtime: Runtime) -> None:
    log: list[str] = []
    gate: LoopFuture[None] = LoopFuture()
    gate.set(None)
    ref = runtime.spawn(AsyncHooks, log, gate)
    assert ref.ask("x", timeout=WAIT) is True
    seen_at_down: list[list[str]] = []
    monitor = runtime.monitor(ref, lambda down: seen_at_down.append(list(log)))
    assert ref.stop(timeout=WAIT) is True
    assert monitor.down.get(timeout=WAIT).reason == NORMAL
    assert seen_at_down == [[*log]]
    assert log[-2:] == ["on_stop begin", "on_stop end, current=True"]


def test_async_on_failure_runs_before_the_exit_with_the_crash_reason(runtime: Runtime) -> None:
    log: list[str] = []
    gate: LoopFuture[None] = LoopFuture()
    gate.set(None)
    ref = runtime.spawn(AsyncHooks, log, gate)
    seen_at_down: list[list[str]] = []
    monitor = runtime.monitor(ref, lambda down: seen_at_down.append(list(log)))
    ref.tell("crash")
    down = monitor.down.get(timeout=WAIT)
    assert isinstance(down.reason, OSError)
    expected = [
        "on_start begin",
        "on_start end, current=True",
        "on_failure begin",
        "on_failure end OSError async crash",
    ]
    assert log == expected  # no on_stop after a crash
    assert seen_at_down == [expected]


# -- LoopActor.current() ------------------------------------------------------------------------


def test_loop_actor_current_is_the_running_actor_in_handlers_and_tasks(runtime: Runtime) -> None:
    assert LoopActor.current() is None
    assert runtime.call(LoopActor.current) is None  # on the loop, outside any actor
    ref = runtime.spawn(Tasker, [], threading.Event())
    actor = ref.ask("self", block=True, timeout=WAIT)
    assert isinstance(actor, Tasker)
    assert actor.actor_ref is ref
    task = ref.ask("whoami", timeout=WAIT)
    assert runtime.call(lambda: task) is actor  # awaited on the loop: the task's result
    assert LoopActor.current() is None


def test_down_carries_the_monitor_and_the_ref(runtime: Runtime) -> None:
    ref = runtime.spawn(Recorder, "m", [])
    monitor = runtime.monitor(ref)
    ref.stop(timeout=WAIT)
    down = monitor.down.get(timeout=WAIT)
    assert down == Down(monitor, ref, NORMAL)


def test_own_loop_handles_bursts_of_cross_thread_wake_ups(runtime: Runtime) -> None:
    """The runtime's own loop reads its wake-up socket once per wake (supervisors/_loop.py):
    bursts from many threads, far more wake-up bytes than one read takes, all get handled."""

    class Count(LoopActor):
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        def on_receive(self, message: object) -> object:
            if message == "n":
                return self.n
            self.n += 1
            return None

    refs = [Count.start() for _ in range(64)]
    per_thread = 3_000

    def blast(seed: int) -> None:
        for i in range(per_thread):
            refs[(seed * 7 + i) % len(refs)].tell("+")

    threads = [threading.Thread(target=blast, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(ref.ask("n", timeout=10) for ref in refs) == 8 * per_thread
