"""Shutdown specs, child specs, dynamic children and auto_shutdown (checklist S15-S20).

Every wait is bounded. Exits are observed through monitors created by the test; the reasons
are the OTP ones ("shutdown", "killed", "normal" or the exception).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pykka
import pytest

from supervisors import (
    ActorCrashedError,
    AlreadyPresentError,
    AlreadyStartedError,
    ChildNotFoundError,
    ChildRunningError,
    ChildSpec,
    Down,
    DynamicSupervisor,
    LoopActor,
    Runtime,
    StartChildError,
    Supervisor,
    delete_child,
    restart_child,
    start_child,
    terminate_child,
    which_children,
)

TIMEOUT = 5.0


class CrashError(RuntimeError):
    """What a worker raises when told "crash"."""


class Worker(LoopActor):
    """Logs ("start"|"stop", label); "crash" (told) crashes it; "quit" makes it exit normally."""

    def __init__(self, label: str, log: list[tuple[str, str]]) -> None:
        super().__init__()
        self.label = label
        self.log = log
        self.count = 0

    def on_start(self) -> None:
        self.log.append(("start", self.label))

    def on_stop(self) -> None:
        self.log.append(("stop", self.label))

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError(f"{self.label} crashed on purpose")
        if message == "quit":
            self.exit()
            return None
        if message == "incr":
            self.count += 1
        return self.count


class Sleeper(LoopActor):
    """Asked "sleep", awaits 30 s; its on_stop logs."""

    def __init__(self, log: list[tuple[str, str]]) -> None:
        super().__init__()
        self.log = log

    async def on_receive(self, message: Any) -> Any:
        if message == "sleep":
            await asyncio.sleep(30)
        return message

    def on_stop(self) -> None:
        self.log.append(("stop", "sleeper"))


class SlowStop(LoopActor):
    """An async on_stop that takes `seconds`, logging when it begins and when it ends."""

    def __init__(self, label: str, log: list[tuple[str, str]], seconds: float) -> None:
        super().__init__()
        self.label = label
        self.log = log
        self.seconds = seconds

    async def on_stop(self) -> None:  # type: ignore[override]
        self.log.append(("stopping", self.label))
        await asyncio.sleep(self.seconds)
        self.log.append(("stop", self.label))


class Holdout(LoopActor):
    """An async on_stop that waits until the test sets `release` (at most 10 s)."""

    def __init__(
        self, log: list[tuple[str, str]], stopping: threading.Event, release: threading.Event
    ) -> None:
        super().__init__()
        self.log = log
        self.stopping = stopping
        self.release = release

    async def on_stop(self) -> None:  # type: ignore[override]
        self.stopping.set()
        for _ in range(1000):
            if self.release.is_set():
                break
            await asyncio.sleep(0.01)
        self.log.append(("stop", "holdout"))


class Blocker(pykka.ThreadingActor):
    """A plain pykka actor: "block" (told) waits for `release` (30 s at most)."""

    def __init__(
        self,
        log: list[str],
        threads: list[threading.Thread],
        entered: threading.Event,
        release: threading.Event,
    ) -> None:
        super().__init__()
        self.log = log
        self.threads = threads
        self.entered = entered
        self.release = release

    def on_start(self) -> None:
        self.threads.append(threading.current_thread())

    def on_receive(self, message: Any) -> Any:
        if message == "block":
            self.entered.set()
            self.release.wait(30)
            self.log.append("block done")
            return None
        self.log.append(f"got {message}")
        return message

    def on_stop(self) -> None:
        self.log.append("on_stop")


def sup_spec(child_id: str, children: list[ChildSpec], **options: Any) -> ChildSpec:
    restart = options.pop("restart", "permanent")
    return ChildSpec(
        child_id,
        Supervisor,
        args=(children,),
        kwargs=options,
        restart=restart,
    )


def start_sup(runtime: Runtime, child_id: str, children: list[ChildSpec], **options: Any) -> Any:
    """Start a static supervisor of `children` under the root; returns its ref."""
    return start_child(runtime.root, sup_spec(child_id, children, **options)).get(timeout=TIMEOUT)


def child_ref(sup: pykka.ActorRef[Any], child_id: str) -> pykka.ActorRef[Any]:
    for row in which_children(sup).get(timeout=TIMEOUT):
        if row.id == child_id:
            assert row.ref is not None, f"{child_id} is not running"
            return row.ref
    raise AssertionError(f"no child {child_id!r}")


def child_ids(sup: pykka.ActorRef[Any]) -> list[Any]:
    return [row.id for row in which_children(sup).get(timeout=TIMEOUT)]


def collector(into: list[tuple[str, Any]], label: str) -> Any:
    """A monitor callback recording (label, reason) in exit order (it runs on the loop)."""

    def on_down(down: Down) -> None:
        into.append((label, down.reason))

    return on_down


# -- S15: brutal_kill -------------------------------------------------------------------------


def test_brutal_kill_of_a_loop_actor_runs_no_on_stop_and_reports_killed(runtime: Runtime) -> None:
    """S15: terminating a brutal_kill child skips on_stop; its exit reason is "killed"."""
    log: list[tuple[str, str]] = []
    spec = ChildSpec("w", Worker, args=("w", log), shutdown="brutal_kill")
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "w")
    monitor = runtime.monitor(ref)

    terminate_child(sup, "w").get(timeout=TIMEOUT)

    assert monitor.down.get(timeout=TIMEOUT).reason == "killed"
    assert log == [("start", "w")]
    assert not ref.is_alive()
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("incr")
    assert which_children(sup).get(timeout=TIMEOUT)[0].ref is None


def test_brutal_kill_interrupts_a_busy_loop_actor_and_fails_its_pending_asks(
    runtime: Runtime,
) -> None:
    """S15 + S25: a child busy in a 30 s async handler is killed at once; the ask it was
    handling and the ones queued behind it fail instead of hanging."""
    log: list[tuple[str, str]] = []
    spec = ChildSpec("s", Sleeper, args=(log,), shutdown="brutal_kill")
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "s")
    monitor = runtime.monitor(ref)
    in_flight = ref.ask("sleep", block=False)
    queued = ref.ask("after", block=False)

    # The handler sleeps 30 s: getting the answer within TIMEOUT proves nobody waited for it.
    terminate_child(sup, "s").get(timeout=TIMEOUT)

    assert monitor.down.get(timeout=TIMEOUT).reason == "killed"
    with pytest.raises((pykka.ActorDeadError, ActorCrashedError)):
        in_flight.get(timeout=TIMEOUT)
    with pytest.raises(pykka.ActorDeadError):
        queued.get(timeout=TIMEOUT)
    assert ("stop", "sleeper") not in log


def test_supervisor_shutdown_kills_brutal_children_and_stops_the_others_cleanly(
    runtime: Runtime,
) -> None:
    """S15 + S3: on supervisor shutdown a brutal_kill child gets no on_stop, its siblings do."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("a", Worker, args=("a", log)),
        ChildSpec("b", Worker, args=("b", log), shutdown="brutal_kill"),
        ChildSpec("c", Worker, args=("c", log)),
    ]
    sup = start_sup(runtime, "sup", specs)
    downs: list[tuple[str, Any]] = []
    for label in "abc":
        runtime.monitor(child_ref(sup, label), collector(downs, label))
    runtime.monitor(sup, collector(downs, "sup"))

    terminate_child(runtime.root, "sup").get(timeout=TIMEOUT)

    assert [e for e in log if e[0] == "stop"] == [("stop", "c"), ("stop", "a")]
    assert downs == [("c", "shutdown"), ("b", "killed"), ("a", "shutdown"), ("sup", "shutdown")]


def test_brutal_kill_of_a_pykka_thread_child_is_best_effort_as_documented(
    runtime: Runtime,
) -> None:
    """S15 for a plain pykka ThreadingActor (see supervisors/threaded.py): the supervisor moves
    on at once, the exit reason is "killed", the ref refuses messages, no on_stop ever runs;
    the blocked handler finishes its call, then the thread ends without handling the rest."""
    log: list[str] = []
    threads: list[threading.Thread] = []
    entered, release = threading.Event(), threading.Event()
    spec = ChildSpec("t", Blocker, args=(log, threads, entered, release), shutdown="brutal_kill")
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "t")
    assert isinstance(ref, pykka.ActorRef)
    monitor = runtime.monitor(ref)
    ref.tell("block")
    assert entered.wait(TIMEOUT)
    queued = ref.ask("queued", block=False)
    try:
        # The handler is blocked for up to 30 s: the supervisor does not wait for it.
        terminate_child(sup, "t").get(timeout=TIMEOUT)
        down = monitor.down.get(timeout=TIMEOUT)
        assert down.reason == "killed"
        assert down.actor_ref is ref
        assert not ref.is_alive()
        with pytest.raises(pykka.ActorDeadError):
            ref.tell("late")
        with pytest.raises(pykka.ActorDeadError):
            ref.ask("late", timeout=TIMEOUT)
        assert which_children(sup).get(timeout=TIMEOUT)[0].ref is None
    finally:
        release.set()
    threads[0].join(TIMEOUT)
    assert not threads[0].is_alive()
    with pytest.raises(pykka.ActorDeadError):
        queued.get(timeout=TIMEOUT)
    assert log == ["block done"]  # nothing after the kill: no queued message, no on_stop


def test_brutal_kill_of_an_idle_pykka_thread_child_ends_its_thread_without_on_stop(
    runtime: Runtime,
) -> None:
    """S15: an idle thread child wakes up on the kill and ends; on_stop does not run."""
    log: list[str] = []
    threads: list[threading.Thread] = []
    spec = ChildSpec(
        "t",
        Blocker,
        args=(log, threads, threading.Event(), threading.Event()),
        shutdown="brutal_kill",
    )
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "t")
    assert ref.ask("ping", timeout=TIMEOUT) == "ping"
    monitor = runtime.monitor(ref)

    terminate_child(sup, "t").get(timeout=TIMEOUT)

    assert monitor.down.get(timeout=TIMEOUT).reason == "killed"
    threads[0].join(TIMEOUT)
    assert not threads[0].is_alive()
    assert log == ["got ping"]


# -- S16: shutdown after T seconds ------------------------------------------------------------


def test_cooperative_child_stops_cleanly_within_its_shutdown_time(runtime: Runtime) -> None:
    """S16: a child whose on_stop completes within T exits with "shutdown", cleanup done."""
    log: list[tuple[str, str]] = []
    spec = ChildSpec("c", SlowStop, args=("c", log, 0.05), shutdown=5.0)
    sup = start_sup(runtime, "sup", [spec])
    monitor = runtime.monitor(child_ref(sup, "c"))

    terminate_child(sup, "c").get(timeout=TIMEOUT)

    assert monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert log == [("stopping", "c"), ("stop", "c")]


def test_child_ignoring_shutdown_is_killed_after_its_shutdown_time(runtime: Runtime) -> None:
    """S16: an on_stop that takes 30 s with T=0.2 is cut short: reason "killed", and
    terminate_child returns long before the 30 s are over."""
    log: list[tuple[str, str]] = []
    spec = ChildSpec("s", SlowStop, args=("s", log, 30.0), shutdown=0.2)
    sup = start_sup(runtime, "sup", [spec])
    monitor = runtime.monitor(child_ref(sup, "s"))

    began = time.monotonic()
    terminate_child(sup, "s").get(timeout=15)
    assert time.monotonic() - began < 10

    assert monitor.down.get(timeout=TIMEOUT).reason == "killed"
    assert log == [("stopping", "s")]


def test_supervisor_terminate_kills_a_stubborn_child_and_stops_the_rest(
    runtime: Runtime,
) -> None:
    """S16 + S3: stopping a supervisor whose child ignores shutdown (T=0.2, 30 s on_stop)
    returns long before 30 s; the stubborn child is killed, its sibling stops cleanly."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("coop", SlowStop, args=("coop", log, 0.01), shutdown=5.0),
        ChildSpec("stubborn", SlowStop, args=("stubborn", log, 30.0), shutdown=0.2),
    ]
    sup = start_sup(runtime, "sup", specs)
    downs: list[tuple[str, Any]] = []
    for label in ("coop", "stubborn"):
        runtime.monitor(child_ref(sup, label), collector(downs, label))
    sup_monitor = runtime.monitor(sup, collector(downs, "sup"))

    began = time.monotonic()
    terminate_child(runtime.root, "sup").get(timeout=15)
    assert time.monotonic() - began < 10

    sup_monitor.down.get(timeout=TIMEOUT)
    assert downs == [("stubborn", "killed"), ("coop", "shutdown"), ("sup", "shutdown")]
    assert log == [("stopping", "stubborn"), ("stopping", "coop"), ("stop", "coop")]


def test_pykka_thread_child_gets_the_shutdown_before_its_queued_messages(
    runtime: Runtime,
) -> None:
    """S16 for a pykka thread child: the supervisor's stop request jumps the queue; the
    handler in hand completes, then on_stop runs and the queued messages are dropped."""
    log: list[str] = []
    threads: list[threading.Thread] = []
    entered, release = threading.Event(), threading.Event()
    spec = ChildSpec("t", Blocker, args=(log, threads, entered, release), shutdown=10.0)
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "t")
    monitor = runtime.monitor(ref)
    ref.tell("block")
    assert entered.wait(TIMEOUT)
    for i in range(3):
        ref.tell(i)
    try:
        terminating = terminate_child(sup, "t")
        time.sleep(0.1)
        assert not terminating.done()  # waiting for the handler in hand, within T
    finally:
        release.set()
    terminating.get(timeout=TIMEOUT)

    assert monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert log == ["block done", "on_stop"]
    threads[0].join(TIMEOUT)
    assert not threads[0].is_alive()


def test_pykka_thread_child_blocked_past_its_shutdown_time_is_killed(runtime: Runtime) -> None:
    """S16 for a pykka thread child blocked for 30 s with T=0.2: killed, terminate returns
    long before; on_stop never runs."""
    log: list[str] = []
    threads: list[threading.Thread] = []
    entered, release = threading.Event(), threading.Event()
    spec = ChildSpec("t", Blocker, args=(log, threads, entered, release), shutdown=0.2)
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "t")
    monitor = runtime.monitor(ref)
    ref.tell("block")
    assert entered.wait(TIMEOUT)
    try:
        began = time.monotonic()
        terminate_child(sup, "t").get(timeout=15)
        assert time.monotonic() - began < 10
        assert monitor.down.get(timeout=TIMEOUT).reason == "killed"
    finally:
        release.set()
    threads[0].join(TIMEOUT)
    assert not threads[0].is_alive()
    assert log == ["block done"]


# -- S17: infinity ----------------------------------------------------------------------------


def nested_tree(
    runtime: Runtime,
    log: list[tuple[str, str]],
    stopping: threading.Event,
    release: threading.Event,
    inner_shutdown: float | str | None,
) -> tuple[pykka.ActorRef[Any], pykka.ActorRef[Any], pykka.ActorRef[Any]]:
    """root -> outer -> inner (shutdown `inner_shutdown`) -> holdout (shutdown infinity)."""
    holdout = ChildSpec("holdout", Holdout, args=(log, stopping, release), shutdown="infinity")
    inner = ChildSpec(
        "inner",
        Supervisor,
        args=([holdout],),
        shutdown=inner_shutdown,  # type: ignore[arg-type]
    )
    outer = start_sup(runtime, "outer", [inner])
    inner_ref = child_ref(outer, "inner")
    return outer, inner_ref, child_ref(inner_ref, "holdout")


def test_parent_waits_for_a_slow_subtree_with_shutdown_infinity(runtime: Runtime) -> None:
    """S17: a supervisor child (shutdown infinity by default) is waited for until its whole
    subtree has stopped, however long that takes."""
    log: list[tuple[str, str]] = []
    stopping, release = threading.Event(), threading.Event()
    outer, inner, holdout = nested_tree(runtime, log, stopping, release, None)
    downs: list[tuple[str, Any]] = []
    runtime.monitor(holdout, collector(downs, "holdout"))
    runtime.monitor(inner, collector(downs, "inner"))

    terminating = terminate_child(outer, "inner")
    try:
        assert stopping.wait(TIMEOUT)
        time.sleep(0.5)
        assert not terminating.done()
        assert downs == []
    finally:
        release.set()
    terminating.get(timeout=15)

    assert log == [("stop", "holdout")]
    assert downs == [("holdout", "shutdown"), ("inner", "shutdown")]


def test_supervisor_child_with_a_finite_shutdown_is_not_waited_for(runtime: Runtime) -> None:
    """S17 contrast: the same subtree under shutdown=0.2 is killed after 0.2 s, while its
    worker is still stopping."""
    log: list[tuple[str, str]] = []
    stopping, release = threading.Event(), threading.Event()
    outer, inner, holdout = nested_tree(runtime, log, stopping, release, 0.2)
    inner_monitor = runtime.monitor(inner)
    holdout_monitor = runtime.monitor(holdout)
    try:
        terminate_child(outer, "inner").get(timeout=TIMEOUT)
        assert inner_monitor.down.get(timeout=TIMEOUT).reason == "killed"
        assert stopping.is_set()
        assert log == []
    finally:
        release.set()
    holdout_monitor.down.get(timeout=15)


# -- S18: child specs -------------------------------------------------------------------------


class MySupervisor(Supervisor):
    pass


def make_worker_ref() -> pykka.ActorRef[Any]:  # pragma: no cover - never called
    raise AssertionError


def test_child_spec_defaults_for_a_worker() -> None:
    """S18: restart permanent, shutdown 5 s, type worker, not significant, no name."""
    spec = ChildSpec("w", Worker)
    assert spec.restart == "permanent"
    assert spec.shutdown == 5.0
    assert spec.type == "worker"
    assert spec.significant is False
    assert spec.name is None
    assert spec.args == ()
    assert dict(spec.kwargs) == {}


@pytest.mark.parametrize("start", [Supervisor, MySupervisor, DynamicSupervisor])
def test_child_spec_infers_supervisor_type_and_infinity_shutdown(start: type) -> None:
    """S18: supervisor classes (and subclasses) default to type supervisor, shutdown
    infinity."""
    spec = ChildSpec("s", start)
    assert spec.type == "supervisor"
    assert spec.shutdown == "infinity"
    assert spec.restart == "permanent"


def test_child_spec_explicit_values_win_over_defaults() -> None:
    """S18: an explicit type or shutdown is kept; a callable start is a worker by default."""
    assert Supervisor.child_spec("s", []).type == "supervisor"
    assert Supervisor.child_spec("s", []).shutdown == "infinity"
    assert ChildSpec("s", make_worker_ref, type="supervisor").shutdown == "infinity"
    assert ChildSpec("w", make_worker_ref).type == "worker"
    assert ChildSpec("s", Supervisor, shutdown=2).shutdown == 2
    assert ChildSpec("w", Worker, shutdown=0).shutdown == 0
    assert ChildSpec("w", Worker, shutdown="brutal_kill").shutdown == "brutal_kill"
    assert ChildSpec("w", Worker, shutdown="infinity").shutdown == "infinity"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"id": None, "start": Worker}, ValueError, "id"),
        ({"id": "x", "start": "Worker"}, TypeError, "start"),
        ({"id": "x", "start": Worker, "restart": "sometimes"}, ValueError, "restart"),
        ({"id": "x", "start": Worker, "type": "manager"}, ValueError, "type"),
        ({"id": "x", "start": Worker, "shutdown": "never"}, ValueError, "shutdown"),
        ({"id": "x", "start": Worker, "shutdown": -1}, ValueError, "shutdown"),
        ({"id": "x", "start": Worker, "shutdown": float("inf")}, ValueError, "shutdown"),
        ({"id": "x", "start": Worker, "shutdown": float("nan")}, ValueError, "shutdown"),
        ({"id": "x", "start": Worker, "shutdown": True}, TypeError, "shutdown"),
        ({"id": "x", "start": Worker, "shutdown": "5"}, ValueError, "shutdown"),
        ({"id": "x", "start": Worker, "significant": True}, ValueError, "significant"),
    ],
)
def test_child_spec_rejects_invalid_values_with_a_clear_message(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    """S18: invalid values fail at construction, naming the child and the field."""
    with pytest.raises(error) as info:
        ChildSpec(**kwargs)
    message = str(info.value)
    assert words in message
    if kwargs["id"] is not None:
        assert repr(kwargs["id"]) in message


def test_duplicate_child_id_is_already_started_while_running(runtime: Runtime) -> None:
    """S18: start_child with the id of a running child -> AlreadyStartedError with its ref."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [ChildSpec("a", Worker, args=("a", log))])
    ref = child_ref(sup, "a")

    with pytest.raises(AlreadyStartedError) as info:
        start_child(sup, ChildSpec("a", Worker, args=("a2", log))).get(timeout=TIMEOUT)

    assert info.value.child_id == "a"
    assert info.value.ref is ref
    assert log == [("start", "a")]  # the second spec never started
    assert child_ids(sup) == ["a"]


def test_duplicate_child_id_is_already_present_when_stopped(runtime: Runtime) -> None:
    """S18: start_child with the id of a terminated (kept) spec -> AlreadyPresentError."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [ChildSpec("a", Worker, args=("a", log))])
    terminate_child(sup, "a").get(timeout=TIMEOUT)

    with pytest.raises(AlreadyPresentError) as info:
        start_child(sup, ChildSpec("a", Worker, args=("a2", log))).get(timeout=TIMEOUT)

    assert info.value.child_id == "a"
    assert "restart_child" in str(info.value)
    assert log == [("start", "a"), ("stop", "a")]


def test_transient_child_that_exited_normally_keeps_its_id_taken(runtime: Runtime) -> None:
    """S18 + S9: a transient child's spec stays after a normal exit -> AlreadyPresentError."""
    log: list[tuple[str, str]] = []
    spec = ChildSpec("t", Worker, args=("t", log), restart="transient")
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "t")
    monitor = runtime.monitor(ref)
    ref.tell("quit")
    assert monitor.down.get(timeout=TIMEOUT).reason == "normal"

    with pytest.raises(AlreadyPresentError):
        start_child(sup, spec).get(timeout=TIMEOUT)


def test_duplicate_ids_in_a_supervisors_initial_children_fail_its_start(
    runtime: Runtime,
) -> None:
    """S18: ids are unique per supervisor; a duplicate fails the start before any child runs."""
    log: list[tuple[str, str]] = []
    specs = [ChildSpec("a", Worker, args=("a1", log)), ChildSpec("a", Worker, args=("a2", log))]

    with pytest.raises(StartChildError) as info:
        start_sup(runtime, "sup", specs)

    assert isinstance(info.value.reason, ValueError)
    assert "duplicate child id 'a'" in str(info.value.reason)
    assert log == []


def test_default_worker_shutdown_is_applied_when_stopping(runtime: Runtime) -> None:
    """S18 + S16: with no shutdown given, a worker gets a graceful stop (on_stop runs)."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [ChildSpec("a", SlowStop, args=("a", log, 0.05))])
    monitor = runtime.monitor(child_ref(sup, "a"))

    terminate_child(sup, "a").get(timeout=TIMEOUT)

    assert monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert log == [("stopping", "a"), ("stop", "a")]


# -- S19: dynamic children of a static supervisor ---------------------------------------------


def test_dynamic_children_are_lost_when_the_supervisor_restarts(runtime: Runtime) -> None:
    """S19: children added with start_child are not part of the supervisor's own spec."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [ChildSpec("a", Worker, args=("a", log))])
    d = start_child(sup, ChildSpec("d", Worker, args=("d", log))).get(timeout=TIMEOUT)
    assert child_ids(sup) == ["a", "d"]
    sup_monitor = runtime.monitor(sup)
    d_monitor = runtime.monitor(d)

    runtime.exit(sup, CrashError("the supervisor itself fails"))

    assert isinstance(sup_monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    assert d_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    new_sup = child_ref(runtime.root, "sup")
    assert new_sup is not sup
    assert child_ids(new_sup) == ["a"]
    assert log[-1] == ("start", "a")


def test_terminate_child_keeps_the_spec_and_restart_child_starts_it_again(
    runtime: Runtime,
) -> None:
    """S19: terminate_child -> spec kept (ref None); restart_child -> a new, supervised ref."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [])
    d = start_child(sup, ChildSpec("d", Worker, args=("d", log))).get(timeout=TIMEOUT)
    assert d.ask("incr", timeout=TIMEOUT) == 1

    terminate_child(sup, "d").get(timeout=TIMEOUT)
    assert not d.is_alive()
    rows = which_children(sup).get(timeout=TIMEOUT)
    assert [(r.id, r.ref) for r in rows] == [("d", None)]

    d2 = restart_child(sup, "d").get(timeout=TIMEOUT)
    assert d2 is not d
    assert d2.is_alive()
    assert d2.ask("get", timeout=TIMEOUT) == 0
    assert child_ref(sup, "d") is d2
    assert log == [("start", "d"), ("stop", "d"), ("start", "d")]

    # Still supervised: a crash restarts it (permanent).
    monitor = runtime.monitor(d2)
    d2.tell("crash")
    assert isinstance(monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    d3 = child_ref(sup, "d")
    assert d3 is not d2
    assert d3.is_alive()


def test_delete_child_removes_the_spec(runtime: Runtime) -> None:
    """S19: after delete_child, restart_child / terminate_child / delete_child -> not found,
    and the id can be used again."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [])
    start_child(sup, ChildSpec("d", Worker, args=("d", log))).get(timeout=TIMEOUT)
    terminate_child(sup, "d").get(timeout=TIMEOUT)

    delete_child(sup, "d").get(timeout=TIMEOUT)

    assert child_ids(sup) == []
    with pytest.raises(ChildNotFoundError):
        restart_child(sup, "d").get(timeout=TIMEOUT)
    with pytest.raises(ChildNotFoundError):
        terminate_child(sup, "d").get(timeout=TIMEOUT)
    with pytest.raises(ChildNotFoundError):
        delete_child(sup, "d").get(timeout=TIMEOUT)
    d = start_child(sup, ChildSpec("d", Worker, args=("d", log))).get(timeout=TIMEOUT)
    assert d.is_alive()


def test_running_children_cannot_be_restarted_or_deleted(runtime: Runtime) -> None:
    """S19: restart_child / delete_child of a running child -> ChildRunningError; it runs on."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [ChildSpec("a", Worker, args=("a", log))])
    ref = child_ref(sup, "a")

    with pytest.raises(ChildRunningError) as info:
        restart_child(sup, "a").get(timeout=TIMEOUT)
    assert info.value.child_id == "a"
    with pytest.raises(ChildRunningError):
        delete_child(sup, "a").get(timeout=TIMEOUT)

    assert child_ref(sup, "a") is ref
    assert ref.ask("get", timeout=TIMEOUT) == 0


def test_unknown_child_ids_are_not_found(runtime: Runtime) -> None:
    """S19: every by-id operation on an unknown id -> ChildNotFoundError (a LookupError)."""
    sup = start_sup(runtime, "sup", [])
    for call in (terminate_child, restart_child, delete_child):
        with pytest.raises(ChildNotFoundError) as info:
            call(sup, "ghost").get(timeout=TIMEOUT)
        assert isinstance(info.value, LookupError)
        assert "'ghost'" in str(info.value)


def test_terminating_a_temporary_child_drops_its_spec(runtime: Runtime) -> None:
    """S19 + S10: a temporary child is never kept once it stopped, terminate_child included."""
    log: list[tuple[str, str]] = []
    sup = start_sup(runtime, "sup", [])
    spec = ChildSpec("tmp", Worker, args=("tmp", log), restart="temporary")
    start_child(sup, spec).get(timeout=TIMEOUT)

    terminate_child(sup, "tmp").get(timeout=TIMEOUT)

    assert child_ids(sup) == []
    with pytest.raises(ChildNotFoundError):
        restart_child(sup, "tmp").get(timeout=TIMEOUT)


# -- S20: auto_shutdown -----------------------------------------------------------------------


def auto_sup(
    runtime: Runtime, specs: list[ChildSpec], auto_shutdown: str, **options: Any
) -> pykka.ActorRef[Any]:
    # transient, so that the root does not restart it after its auto shutdown.
    spec = sup_spec("auto", specs, restart="transient", auto_shutdown=auto_shutdown, **options)
    return start_child(runtime.root, spec).get(timeout=TIMEOUT)


def test_any_significant_shuts_the_supervisor_down_when_one_exits(runtime: Runtime) -> None:
    """S20: any_significant + a significant transient child exiting normally -> the
    supervisor stops its other children and exits with "shutdown" (not restarted)."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("worker", Worker, args=("worker", log)),
        ChildSpec("sig", Worker, args=("sig", log), restart="transient", significant=True),
    ]
    sup = auto_sup(runtime, specs, "any_significant")
    sup_monitor = runtime.monitor(sup)

    child_ref(sup, "sig").tell("quit")

    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert ("stop", "worker") in log
    rows = which_children(runtime.root).get(timeout=TIMEOUT)
    assert [(r.id, r.ref) for r in rows] == [("auto", None)]


def test_any_significant_ignores_a_crash_that_gets_restarted(runtime: Runtime) -> None:
    """S20: a crashed transient significant child is restarted, so no auto shutdown."""
    log: list[tuple[str, str]] = []
    specs = [ChildSpec("sig", Worker, args=("sig", log), restart="transient", significant=True)]
    sup = auto_sup(runtime, specs, "any_significant")
    ref = child_ref(sup, "sig")
    monitor = runtime.monitor(ref)

    ref.tell("crash")

    assert isinstance(monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    new = child_ref(sup, "sig")
    assert new is not ref
    assert sup.is_alive()


def test_any_significant_triggers_on_a_temporary_child_crash(runtime: Runtime) -> None:
    """S20: a temporary significant child is never restarted: its crash shuts down too."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("worker", Worker, args=("worker", log)),
        ChildSpec("sig", Worker, args=("sig", log), restart="temporary", significant=True),
    ]
    sup = auto_sup(runtime, specs, "any_significant")
    sup_monitor = runtime.monitor(sup)

    child_ref(sup, "sig").tell("crash")

    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"


def test_all_significant_waits_for_the_last_significant_child(runtime: Runtime) -> None:
    """S20: all_significant shuts down only when every significant child has exited."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("s1", Worker, args=("s1", log), restart="transient", significant=True),
        ChildSpec("s2", Worker, args=("s2", log), restart="temporary", significant=True),
        ChildSpec("worker", Worker, args=("worker", log)),
    ]
    sup = auto_sup(runtime, specs, "all_significant")
    sup_monitor = runtime.monitor(sup)
    s1, s2 = child_ref(sup, "s1"), child_ref(sup, "s2")
    s1_monitor = runtime.monitor(s1)

    s1.tell("quit")
    assert s1_monitor.down.get(timeout=TIMEOUT).reason == "normal"
    # The supervisor handled s1's exit before this call (one message at a time).
    assert [(r.id, r.ref is not None) for r in which_children(sup).get(timeout=TIMEOUT)] == [
        ("s1", False),
        ("s2", True),
        ("worker", True),
    ]
    assert not sup_monitor.down.done()

    s2.tell("quit")
    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert ("stop", "worker") in log


def test_terminate_child_of_a_significant_child_does_not_shut_down(runtime: Runtime) -> None:
    """S20: an exit caused by terminate_child never triggers auto_shutdown."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("s1", Worker, args=("s1", log), restart="transient", significant=True),
        ChildSpec("s2", Worker, args=("s2", log), restart="transient", significant=True),
    ]
    sup = auto_sup(runtime, specs, "any_significant")
    sup_monitor = runtime.monitor(sup)

    terminate_child(sup, "s1").get(timeout=TIMEOUT)
    terminate_child(sup, "s2").get(timeout=TIMEOUT)

    assert child_ids(sup) == ["s1", "s2"]
    time.sleep(0.1)
    assert not sup_monitor.down.done()
    assert sup.is_alive()


def test_sibling_caused_termination_of_a_significant_child_does_not_shut_down(
    runtime: Runtime,
) -> None:
    """S20: one_for_all terminates a temporary significant child because a sibling crashed;
    that exit is not the child's own, so no auto shutdown (and, S10, no restart of it)."""
    log: list[tuple[str, str]] = []
    specs = [
        ChildSpec("sig", Worker, args=("sig", log), restart="temporary", significant=True),
        ChildSpec("b", Worker, args=("b", log)),
    ]
    sup = auto_sup(runtime, specs, "any_significant", strategy="one_for_all")
    sup_monitor = runtime.monitor(sup)
    b = child_ref(sup, "b")
    b_monitor = runtime.monitor(b)

    b.tell("crash")

    assert isinstance(b_monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    assert child_ids(sup) == ["b"]
    assert child_ref(sup, "b") is not b
    assert not sup_monitor.down.done()
    assert log.count(("stop", "sig")) == 1


def test_auto_shutdown_never_is_the_default(runtime: Runtime) -> None:
    """S20: without auto_shutdown, a significant child exiting leaves the supervisor up."""
    log: list[tuple[str, str]] = []
    spec = ChildSpec("sig", Worker, args=("sig", log), restart="transient", significant=True)
    sup = start_sup(runtime, "sup", [spec])
    ref = child_ref(sup, "sig")
    monitor = runtime.monitor(ref)

    ref.tell("quit")

    assert monitor.down.get(timeout=TIMEOUT).reason == "normal"
    assert [(r.id, r.ref) for r in which_children(sup).get(timeout=TIMEOUT)] == [("sig", None)]
    assert sup.is_alive()


def test_permanent_significant_child_and_bad_auto_shutdown_are_rejected() -> None:
    """S20: only transient or temporary children can be significant; unknown modes fail."""
    with pytest.raises(ValueError, match="transient or temporary"):
        ChildSpec("p", Worker, significant=True)
    assert ChildSpec("t", Worker, restart="transient", significant=True).significant
    assert ChildSpec("t", Worker, restart="temporary", significant=True).significant
    with pytest.raises(ValueError, match="auto_shutdown"):
        Supervisor([], auto_shutdown="sometimes")  # type: ignore[arg-type]
