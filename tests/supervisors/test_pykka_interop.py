"""pykka interop: loop actors speak pykka's API, pykka actors live in the supervision tree,
and pykka's own failure semantics (reference §2.2) are replayed so an upgrade that changes
them fails here, loudly.

Every wait is bounded; plain pykka actors started here are stopped by the `host` fixture.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pykka
import pytest

import supervisors
from supervisors import (
    ActorCrashedError,
    BlockingOnLoopError,
    ChildSpec,
    LoopActor,
    Runtime,
    RuntimeActor,
    StartChildError,
    Supervisor,
    start_child,
    which_children,
)

TIMEOUT = 5.0


class CrashError(RuntimeError):
    """What an actor raises when asked to crash."""


class HostActors:
    """Starts plain pykka actors and stops whatever is still alive at the end of the test."""

    def __init__(self) -> None:
        self.refs: list[pykka.ActorRef[Any]] = []

    def start(self, cls: type[pykka.ThreadingActor], *args: Any, **kwargs: Any) -> Any:
        ref = cls.start(*args, **kwargs)
        self.refs.append(ref)
        return ref

    def stop_all(self) -> None:
        for ref in reversed(self.refs):
            if ref.is_alive():
                ref.stop(block=True, timeout=TIMEOUT)


@pytest.fixture
def host() -> Iterator[HostActors]:
    actors = HostActors()
    try:
        yield actors
    finally:
        actors.stop_all()


# -- actors -----------------------------------------------------------------------------------


class Calculator(LoopActor):
    """Methods for proxies, sync and async; plain messages echo."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.log: list[str] = []

    def add(self, a: int, b: int) -> int:
        self.total += a + b
        return a + b

    async def slow_add(self, a: int, b: int) -> int:
        await asyncio.sleep(0.01)
        return self.add(a, b)

    def fail(self) -> None:
        raise CrashError("asked to fail")

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError("told to crash")
        return message

    def on_stop(self) -> None:
        self.log.append(f"stopped at total={self.total}")


class Plain(pykka.ThreadingActor):
    """A plain pykka actor: echoes, counts, records its hooks in `events`."""

    def __init__(self, events: list[str] | None = None) -> None:
        super().__init__()
        self.events = events if events is not None else []
        self.count = 0

    def add(self, a: int, b: int) -> int:
        return a + b

    def on_receive(self, message: Any) -> Any:
        if message == "incr":
            self.count += 1
            return self.count
        return message

    def on_stop(self) -> None:
        self.events.append("on_stop")

    def on_failure(self, *exc_info: Any) -> None:
        self.events.append("on_failure")


class Gate(pykka.ThreadingActor):
    """A plain pykka actor whose "hold" handler waits until `release` is set (30 s max)."""

    def __init__(self, entered: threading.Event, release: threading.Event) -> None:
        super().__init__()
        self.entered = entered
        self.release = release

    def on_receive(self, message: Any) -> Any:
        if message == "hold":
            self.entered.set()
            self.release.wait(30)
            return "held"
        return message


def bystanders_alive(runtime: Runtime, plain: pykka.ActorRef[Any], loop_refs: list[Any]) -> None:
    """Assert that a plain pykka actor and loop actors are alive and answering."""
    assert plain.is_alive()
    assert plain.ask("ping", timeout=TIMEOUT) == "ping"
    assert plain in pykka.ActorRegistry.get_all()
    for ref in loop_refs:
        assert ref.is_alive()
        assert ref.ask("ping", timeout=TIMEOUT) == "ping"
    assert runtime.running


# -- refs, futures, proxies, stop -------------------------------------------------------------


def test_refs_are_pykka_actor_refs_and_futures_are_pykka_futures(runtime: Runtime) -> None:
    """Loop refs, supervised pykka refs, the root: real pykka.ActorRef; answers: pykka.Future."""
    loop_ref = runtime.spawn(Calculator)
    sup = start_child(runtime.root, ChildSpec("sup", Supervisor)).get(timeout=TIMEOUT)
    thread_ref = start_child(sup, ChildSpec("plain", Plain)).get(timeout=TIMEOUT)
    for ref in (loop_ref, thread_ref, sup, runtime.root):
        assert isinstance(ref, pykka.ActorRef)
    for ref in (loop_ref, thread_ref):
        future = ref.ask("ping", block=False)
        assert isinstance(future, pykka.Future)
        assert future.get(timeout=TIMEOUT) == "ping"
        proxied = ref.proxy().add(1, 2)
        assert isinstance(proxied, pykka.Future)
        assert proxied.get(timeout=TIMEOUT) == 3
    assert isinstance(start_child(sup, ChildSpec("x", Calculator)), pykka.Future)
    assert isinstance(loop_ref.stop(block=False), pykka.Future)


def test_proxy_calls_attributes_and_get_all(runtime: Runtime) -> None:
    """ref.proxy().method().get(), attribute reads, async methods, defer and pykka.get_all."""
    ref = runtime.spawn(Calculator)
    proxy = ref.proxy()

    assert proxy.add(2, 3).get(timeout=TIMEOUT) == 5
    assert proxy.slow_add(1, 1).get(timeout=TIMEOUT) == 2
    assert proxy.total.get(timeout=TIMEOUT) == 7
    with pytest.raises(CrashError):
        proxy.fail().get(timeout=TIMEOUT)  # an ask handler's error is the caller's answer
    proxy.add.defer(10, 0)
    assert pykka.get_all([proxy.add(i, 0) for i in range(5)], timeout=TIMEOUT) == list(range(5))
    assert pykka.get_all(
        [ref.ask(i, block=False) for i in range(5)] + [proxy.slow_add(0, 0)], timeout=TIMEOUT
    ) == [0, 1, 2, 3, 4, 0]
    assert proxy.total.get(timeout=TIMEOUT) == 7 + 10 + sum(range(5))
    assert ref.is_alive()


def test_stop_returns_true_then_false_and_dead_refs_refuse(runtime: Runtime) -> None:
    """pykka's stop: queued messages first, True, then False; then tell raises ActorDeadError
    and ask fails with it."""
    ref = runtime.spawn(Calculator)
    proxy = ref.proxy()
    for _ in range(3):
        proxy.add.defer(1, 1)
    actor = ref._actor_weakref()
    assert isinstance(actor, Calculator)

    assert ref.stop(timeout=TIMEOUT) is True
    assert ref.stop(timeout=TIMEOUT) is False
    assert ref.stop(block=False).get(timeout=TIMEOUT) is False

    assert actor.log == ["stopped at total=6"]
    assert not ref.is_alive()
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("hello")
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("hello", timeout=TIMEOUT)
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("hello", block=False).get(timeout=TIMEOUT)
    with pytest.raises(pykka.ActorDeadError):
        proxy.add(1, 1).get(timeout=TIMEOUT)


def test_supervised_pykka_child_stop_and_dead_refs_behave_like_pykka(runtime: Runtime) -> None:
    """The same pykka semantics for a pykka actor supervised by the runtime."""
    events: list[str] = []
    ref = start_child(
        runtime.root, ChildSpec("plain", Plain, args=(events,), restart="temporary")
    ).get(timeout=TIMEOUT)
    ref.tell("incr")
    ref.tell("incr")
    monitor = runtime.monitor(ref)

    assert ref.stop(timeout=TIMEOUT) is True
    assert ref.stop(timeout=TIMEOUT) is False

    assert monitor.down.get(timeout=TIMEOUT).reason == "normal"
    assert events == ["on_stop"]
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("incr")
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("incr", timeout=TIMEOUT)


# -- blocking on the loop ---------------------------------------------------------------------


class Blocker(LoopActor):
    """Handlers that (wrongly) block on the loop, and the right way next to it."""

    async def on_receive(self, message: Any) -> Any:
        kind, other = message
        outcomes: list[str] = []
        if kind == "async":
            for attempt in (
                lambda: other.ask("ping"),
                lambda: other.ask("ping", timeout=1),
                lambda: other.ask("ping", block=False).get(timeout=1),
                lambda: other.proxy().add(1, 2).get(),
            ):
                try:
                    attempt()
                except BlockingOnLoopError:
                    outcomes.append("refused")
            outcomes.append(await other.ask("ping", block=False))
            outcomes.append(await other.ask_async("ping", timeout=TIMEOUT))
        return outcomes


class SyncBlocker(LoopActor):
    def on_receive(self, message: Any) -> Any:
        try:
            message.ask("ping", timeout=1)
        except BlockingOnLoopError as exc:
            return str(exc)
        return "did not raise"


def test_blocking_get_on_the_loop_raises_instead_of_stalling(runtime: Runtime) -> None:
    """A blocking ask / get inside an async handler raises BlockingOnLoopError; awaiting the
    same future works."""
    other = runtime.spawn(Calculator)
    blocker = runtime.spawn(Blocker)

    outcomes = blocker.ask(("async", other), timeout=TIMEOUT)

    assert outcomes == ["refused"] * 4 + ["ping", "ping"]
    assert other.ask("ping", timeout=TIMEOUT) == "ping"


def test_blocking_get_in_a_sync_handler_or_rt_call_raises(runtime: Runtime) -> None:
    """The same from a sync handler and from code run on the loop with rt.call."""
    other = runtime.spawn(Calculator)
    message = runtime.spawn(SyncBlocker).ask(other, timeout=TIMEOUT)
    assert "await" in message

    with pytest.raises(BlockingOnLoopError):
        runtime.call(lambda: other.ask("ping"), timeout=TIMEOUT)
    with pytest.raises(BlockingOnLoopError):
        runtime.call(lambda: runtime.root.ask("anything", timeout=1), timeout=TIMEOUT)


def test_blocking_get_on_a_supervised_pykka_child_from_the_loop_raises(
    runtime: Runtime,
) -> None:
    """A supervised pykka child answers with loop futures too: blocking on one from the loop
    raises, awaiting it works."""
    entered, release = threading.Event(), threading.Event()
    gate = start_child(runtime.root, ChildSpec("gate", Gate, args=(entered, release))).get(
        timeout=TIMEOUT
    )
    pending = gate.ask("hold", block=False)
    assert entered.wait(TIMEOUT)
    try:
        with pytest.raises(BlockingOnLoopError):
            runtime.call(lambda: pending.get(timeout=1), timeout=TIMEOUT)
    finally:
        release.set()

    async def awaited() -> Any:
        return await gate.ask("ping", block=False)

    assert runtime.call(awaited, timeout=TIMEOUT) == "ping"
    assert pending.get(timeout=TIMEOUT) == "held"


# -- host pykka actors and loop actors talking ------------------------------------------------


class Relay(pykka.ThreadingActor):
    """A host program's pykka actor that uses a loop actor through the plain pykka API."""

    def on_receive(self, message: Any) -> Any:
        target, payload = message
        return (
            target.ask(payload, timeout=TIMEOUT),
            target.proxy().add(2, 2).get(timeout=TIMEOUT),
            pykka.get_all([target.ask(i, block=False) for i in range(3)], timeout=TIMEOUT),
        )


def test_plain_pykka_actor_asks_a_loop_actor_with_the_pykka_api(
    runtime: Runtime, host: HostActors
) -> None:
    """A ThreadingActor in the host program asks a loop actor like any pykka actor."""
    target = runtime.spawn(Calculator)
    relay = host.start(Relay)

    assert relay.ask((target, "hello"), timeout=TIMEOUT) == ("hello", 4, [0, 1, 2])


class Asker(LoopActor):
    """Asks any pykka actor without blocking the loop."""

    async def on_receive(self, message: Any) -> Any:
        ref, payload, timeout = message
        try:
            return await supervisors.ask(ref, payload, timeout=timeout)
        except (pykka.ActorDeadError, pykka.Timeout) as exc:
            return type(exc).__name__


def test_loop_actor_awaits_a_plain_pykka_actor_without_blocking_the_loop(
    runtime: Runtime, host: HostActors
) -> None:
    """`await supervisors.ask(ref, msg, timeout=...)` from a loop actor to a ThreadingActor;
    while it waits, the loop keeps serving other actors."""
    entered, release = threading.Event(), threading.Event()
    gate = host.start(Gate, entered, release)
    asker = runtime.spawn(Asker)
    other = runtime.spawn(Calculator)

    answer = asker.ask((gate, "hold", TIMEOUT), block=False)
    assert isinstance(answer, supervisors.LoopFuture)
    try:
        assert entered.wait(TIMEOUT)
        assert other.ask("still serving", timeout=TIMEOUT) == "still serving"
        assert not answer.done()
    finally:
        release.set()

    assert answer.get(timeout=TIMEOUT) == "held"
    assert asker.ask((gate, "ping", TIMEOUT), timeout=TIMEOUT) == "ping"


def test_supervisors_ask_times_out_and_reports_dead_actors(
    runtime: Runtime, host: HostActors
) -> None:
    """supervisors.ask raises pykka.Timeout after its timeout, ActorDeadError for a dead ref."""
    entered, release = threading.Event(), threading.Event()
    gate = host.start(Gate, entered, release)
    asker = runtime.spawn(Asker)
    try:
        gate.tell("hold")
        assert entered.wait(TIMEOUT)
        assert asker.ask((gate, "ping", 0.2), timeout=TIMEOUT) == "Timeout"
    finally:
        release.set()
    assert gate.stop(timeout=TIMEOUT) is True

    assert asker.ask((gate, "ping", TIMEOUT), timeout=TIMEOUT) == "ActorDeadError"


def test_monitor_can_deliver_downs_to_a_plain_pykka_actor(
    runtime: Runtime, host: HostActors
) -> None:
    """A host pykka actor can be a monitor's watcher: the Down arrives in its on_receive."""

    class Inbox(pykka.ThreadingActor):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[Any] = []

        def on_receive(self, message: Any) -> Any:
            if message == "got":
                return list(self.got)
            self.got.append(message)
            return None

    watcher = host.start(Inbox)
    target = runtime.spawn(Calculator)
    monitor = runtime.monitor(target, watcher)

    target.tell("crash")

    down = monitor.down.get(timeout=TIMEOUT)
    assert isinstance(down.reason, CrashError)
    assert watcher.ask("got", timeout=TIMEOUT) == [down]


# -- RuntimeActor in a host pykka system ------------------------------------------------------


def is_running(rt: Runtime) -> bool:
    return rt.running


class Logged(LoopActor):
    def __init__(self, label: str, log: list[str]) -> None:
        super().__init__()
        self.label = label
        self.log = log

    def on_receive(self, message: Any) -> Any:
        return message

    def on_stop(self) -> None:
        self.log.append(self.label)


class Registered(Logged):
    register_in_pykka_registry = True


def test_runtime_actor_is_stopped_by_pykka_stop_all_in_tree_order(host: HostActors) -> None:
    """RuntimeActor in a host pykka system: ActorRegistry.stop_all() stops the runtime, whose
    tree stops in reverse start order; loop actors are not in pykka's registry by default."""
    log: list[str] = []
    runtime_ref = host.start(RuntimeActor, "host", watchdog=None, shutdown_timeout=10.0)
    rt = runtime_ref.proxy().runtime.get(timeout=TIMEOUT)
    assert isinstance(rt, Runtime)
    assert rt.running
    specs = [ChildSpec(label, Logged, args=(label, log)) for label in ("a", "b", "c")]
    sup = start_child(rt.root, ChildSpec("sup", Supervisor, args=(specs,))).get(timeout=TIMEOUT)
    start_child(rt.root, ChildSpec("d", Logged, args=("d", log))).get(timeout=TIMEOUT)
    children = [row.ref for row in which_children(sup).get(timeout=TIMEOUT)]
    loose = rt.spawn(Logged, "loose", log)
    opted_in = rt.spawn(Registered, "opted-in", log)
    assert opted_in.ask("ping", timeout=TIMEOUT) == "ping"
    plain = host.start(Plain)

    registered = pykka.ActorRegistry.get_all()
    assert runtime_ref in registered
    assert plain in registered
    assert opted_in in registered
    for ref in [rt.root, sup, loose, *children]:
        assert ref not in registered

    pykka.ActorRegistry.stop_all(block=True, timeout=20)

    assert not runtime_ref.is_alive()
    assert not plain.is_alive()
    assert not is_running(rt)
    # The registry stopped the opted-in loop actor itself (LIFO); the runtime stopped the
    # tree (reverse start order, depth first), then the loose actor.
    assert log == ["opted-in", "d", "c", "b", "a", "loose"]
    for ref in [rt.root, sup, loose, opted_in, *children]:
        assert ref is not None
        assert not ref.is_alive()
    assert opted_in not in pykka.ActorRegistry.get_all()


# -- supervised pykka children: failures stay local -------------------------------------------


class BadStart(pykka.ThreadingActor):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def on_start(self) -> None:
        raise self.error


class BadLoopStart(LoopActor):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def on_start(self) -> None:
        raise self.error


class Fragile(pykka.ThreadingActor):
    """Told ("raise", exc) raises exc; asked the same, too; records on_failure/on_stop."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, tuple) and message[0] == "raise":
            raise message[1]
        return message

    def on_failure(self, *exc_info: Any) -> None:
        self.events.append("on_failure")

    def on_stop(self) -> None:
        self.events.append("on_stop")


@pytest.fixture
def bystanders(runtime: Runtime, host: HostActors) -> Any:
    """A plain host pykka actor, a loose loop actor and a supervised loop actor."""
    plain = host.start(Plain)
    loose = runtime.spawn(Calculator)
    supervised = start_child(runtime.root, ChildSpec("calc", Calculator)).get(timeout=TIMEOUT)
    return plain, [loose, supervised]


@pytest.mark.parametrize(
    "error",
    [CrashError("on_start failed"), SystemExit(3), asyncio.CancelledError("stray cancel")],
    ids=["exception", "system-exit", "cancelled"],
)
@pytest.mark.parametrize("start", [BadStart, BadLoopStart], ids=["pykka", "loop"])
def test_supervised_child_crashing_in_on_start_fails_only_its_start(
    runtime: Runtime, bystanders: Any, error: BaseException, start: type
) -> None:
    """An on_start crash (even SystemExit) is start_child's error with that reason; the
    supervisor (here the root) and everything else in the process keep running."""
    plain, loop_refs = bystanders
    root_monitor = runtime.monitor(runtime.root)

    with pytest.raises(StartChildError) as info:
        start_child(runtime.root, ChildSpec("bad", start, args=(error,))).get(timeout=TIMEOUT)

    assert info.value.reason is error
    assert info.value.child_id == "bad"
    assert [row.id for row in which_children(runtime.root).get(timeout=TIMEOUT)] == ["calc"]
    assert not root_monitor.down.done()
    bystanders_alive(runtime, plain, loop_refs)


def test_supervised_pykka_child_crashing_in_a_tell_handler_is_restarted(
    runtime: Runtime, bystanders: Any
) -> None:
    """A tell-handler crash: on_failure runs (not on_stop), the Down carries the exception,
    the child is restarted; nothing else stops."""
    plain, loop_refs = bystanders
    events: list[str] = []
    ref = start_child(runtime.root, ChildSpec("fragile", Fragile, args=(events,))).get(
        timeout=TIMEOUT
    )
    monitor = runtime.monitor(ref)
    error = CrashError("tell handler failed")

    ref.tell(("raise", error))

    assert monitor.down.get(timeout=TIMEOUT).reason is error
    assert events == ["on_failure"]
    rows = which_children(runtime.root).get(timeout=TIMEOUT)
    new = next(row.ref for row in rows if row.id == "fragile")
    assert new is not None
    assert new is not ref
    assert new.ask("ping", timeout=TIMEOUT) == "ping"
    bystanders_alive(runtime, plain, loop_refs)


@pytest.mark.parametrize(
    "error",
    [SystemExit(3), asyncio.CancelledError("stray cancel")],
    ids=["system-exit", "cancelled"],
)
@pytest.mark.parametrize("how", ["tell", "ask"])
def test_base_exception_in_a_supervised_pykka_handler_crashes_only_that_actor(
    runtime: Runtime, bystanders: Any, error: BaseException, how: str
) -> None:
    """pykka stops every actor in the process on a BaseException; supervised, only this
    actor crashes (reason: the BaseException), an asker gets ActorCrashedError, and it is
    restarted."""
    plain, loop_refs = bystanders
    events: list[str] = []
    ref = start_child(runtime.root, ChildSpec("fragile", Fragile, args=(events,))).get(
        timeout=TIMEOUT
    )
    monitor = runtime.monitor(ref)

    if how == "tell":
        ref.tell(("raise", error))
    else:
        with pytest.raises(ActorCrashedError) as info:
            ref.ask(("raise", error), timeout=TIMEOUT)
        assert info.value.reason is error

    assert monitor.down.get(timeout=TIMEOUT).reason is error
    assert "on_stop" not in events
    rows = which_children(runtime.root).get(timeout=TIMEOUT)
    new = next(row.ref for row in rows if row.id == "fragile")
    assert new is not None
    assert new is not ref
    assert new.ask("ping", timeout=TIMEOUT) == "ping"
    bystanders_alive(runtime, plain, loop_refs)


# -- pykka's own failure table (reference §2.2), replayed on plain ThreadingActors ---------------


class Probe(pykka.ThreadingActor):
    """A plain pykka actor for the failure table; records its hooks in `events`."""

    def __init__(
        self,
        events: list[str],
        *,
        gate: threading.Event | None = None,
        fail_start: bool = False,
        fail_stop: bool = False,
        fail_failure: bool = False,
        hooks_done: threading.Event | None = None,
    ) -> None:
        super().__init__()
        self.events = events
        self.gate = gate
        self.fail_start = fail_start
        self.fail_stop = fail_stop
        self.fail_failure = fail_failure
        self.hooks_done = hooks_done or threading.Event()

    def on_start(self) -> None:
        if self.gate is not None:
            self.gate.wait(TIMEOUT)
        if self.fail_start:
            raise CrashError("on_start failed")

    def on_receive(self, message: Any) -> Any:
        if message == "wait":
            assert self.gate is not None
            self.gate.wait(TIMEOUT)
            return None
        if isinstance(message, tuple) and message[0] == "raise":
            raise message[1]
        if message == "ask-myself":
            return self.actor_ref.ask("ping", timeout=0.2)
        return message

    def on_stop(self) -> None:
        self.events.append("on_stop")
        self.hooks_done.set()
        if self.fail_stop:
            raise CrashError("on_stop failed")

    def on_failure(self, *exc_info: Any) -> None:
        self.events.append("on_failure")
        self.hooks_done.set()
        if self.fail_failure:
            raise CrashError("on_failure failed")


def stopped_within(ref: pykka.ActorRef[Any]) -> bool:
    """Wait (bounded) until a plain pykka actor's stopped flag is set."""
    return ref.actor_stopped.wait(TIMEOUT)


def test_pykka_table_ask_handler_error_is_the_answer(host: HostActors) -> None:
    """§2.2: an ask handler's Exception is re-raised to the caller; the actor keeps running;
    no hook runs."""
    events: list[str] = []
    ref = host.start(Probe, events)
    with pytest.raises(CrashError):
        ref.ask(("raise", CrashError("ask failed")), timeout=TIMEOUT)
    with pytest.raises(CrashError):
        ref.proxy().on_receive(("raise", CrashError("proxy call failed"))).get(timeout=TIMEOUT)
    assert ref.ask("next", timeout=TIMEOUT) == "next"
    assert ref.is_alive()
    assert events == []


def test_pykka_table_tell_handler_error_stops_the_actor(host: HostActors) -> None:
    """§2.2: a tell handler's Exception stops the actor: unregistered, queued asks get
    ActorDeadError, on_failure runs and on_stop does not."""
    events: list[str] = []
    gate, hooks_done = threading.Event(), threading.Event()
    ref = host.start(Probe, events, gate=gate, hooks_done=hooks_done)
    gate.set()
    assert ref.ask("ready", timeout=TIMEOUT) == "ready"
    gate.clear()
    ref.tell("wait")
    ref.tell(("raise", CrashError("tell failed")))
    queued = ref.ask("queued", block=False)
    gate.set()

    with pytest.raises(pykka.ActorDeadError):
        queued.get(timeout=TIMEOUT)
    assert hooks_done.wait(TIMEOUT)
    assert stopped_within(ref)
    assert not ref.is_alive()
    assert ref not in pykka.ActorRegistry.get_all()
    assert events == ["on_failure"]


def test_pykka_table_on_start_error_stops_without_hooks(host: HostActors) -> None:
    """§2.2: on_start raising stops the actor; a pending ask gets ActorDeadError; neither
    on_failure nor on_stop runs."""
    events: list[str] = []
    gate = threading.Event()
    ref = host.start(Probe, events, gate=gate, fail_start=True)
    pending = ref.ask("hello", block=False)
    gate.set()

    with pytest.raises(pykka.ActorDeadError):
        pending.get(timeout=TIMEOUT)
    assert not ref.is_alive()
    assert events == []


def test_pykka_table_failing_cleanup_hooks_still_stop(host: HostActors) -> None:
    """§2.2: an on_stop or on_failure that raises is logged; the actor is stopped."""
    events: list[str] = []
    ref = host.start(Probe, events, fail_stop=True)
    assert ref.stop(timeout=TIMEOUT) is True
    assert not ref.is_alive()

    hooks_done = threading.Event()
    other = host.start(Probe, events, fail_failure=True, hooks_done=hooks_done)
    other.tell(("raise", CrashError("tell failed")))
    assert hooks_done.wait(TIMEOUT)
    assert stopped_within(other)
    assert not other.is_alive()
    assert events == ["on_stop", "on_failure"]


def test_pykka_table_base_exception_stops_every_actor(host: HostActors) -> None:
    """§2.2: a BaseException in a handler: the caller never gets an answer, and pykka stops
    every registered actor in the process, calling on_stop on each. (The supervised guard
    exists because of this row.)"""
    crasher_events: list[str] = []
    bystander_events: list[str] = []
    crasher_done, bystander_done = threading.Event(), threading.Event()
    bystander = host.start(Probe, bystander_events, hooks_done=bystander_done)
    crasher = host.start(Probe, crasher_events, hooks_done=crasher_done)

    with pytest.raises(pykka.Timeout):
        crasher.ask(("raise", SystemExit(7)), timeout=0.5)

    assert crasher_done.wait(TIMEOUT)
    assert bystander_done.wait(TIMEOUT)
    assert stopped_within(bystander)
    assert stopped_within(crasher)
    registered = pykka.ActorRegistry.get_all()
    assert bystander not in registered
    assert crasher not in registered
    assert crasher_events == ["on_stop"]
    assert bystander_events == ["on_stop"]


def test_pykka_table_stop_is_a_poison_pill(host: HostActors) -> None:
    """§2.2: stop() answers True after the queued messages; asks after it get ActorDeadError;
    a second stop() is False; a new start() is a new actor with a new URN."""
    events: list[str] = []
    gate = threading.Event()
    ref = host.start(Probe, events, gate=gate)
    gate.set()
    assert ref.ask("ready", timeout=TIMEOUT) == "ready"
    gate.clear()
    ref.tell("wait")
    before = ref.ask("before", block=False)
    stopping = ref.stop(block=False)
    after = ref.ask("after", block=False)
    gate.set()

    assert before.get(timeout=TIMEOUT) == "before"
    assert stopping.get(timeout=TIMEOUT) is True
    with pytest.raises(pykka.ActorDeadError):
        after.get(timeout=TIMEOUT)
    assert ref.stop(timeout=TIMEOUT) is False
    assert events == ["on_stop"]
    again = host.start(Probe, events)
    assert again.actor_urn != ref.actor_urn


def test_pykka_table_dead_refs(host: HostActors) -> None:
    """§2.2: tell to a dead actor raises ActorDeadError at once; ask returns a future that
    holds it."""
    ref = host.start(Probe, [])
    assert ref.stop(timeout=TIMEOUT) is True
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("hello")
    future = ref.ask("hello", block=False)
    with pytest.raises(pykka.ActorDeadError):
        future.get(timeout=TIMEOUT)


def test_pykka_table_asking_yourself_deadlocks_until_the_timeout(host: HostActors) -> None:
    """§2.2: an actor that asks itself inside a handler waits for itself: Timeout."""
    ref = host.start(Probe, [])
    with pytest.raises(pykka.Timeout):
        ref.ask("ask-myself", timeout=TIMEOUT)
    assert ref.ask("still alive", timeout=TIMEOUT) == "still alive"
