"""Links, monitors, signal timing, ordering and let-it-crash (checklist S21-S25).

Every wait is bounded; sleeps are only used to show that something does *not* happen.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import pykka
import pytest
from pykka._envelope import Envelope

from supervisors import (
    ActorCrashedError,
    ChildSpec,
    Down,
    Exit,
    LoopActor,
    LoopFuture,
    Monitor,
    Runtime,
    Supervisor,
    start_child,
    which_children,
)

TIMEOUT = 5.0


class CrashError(RuntimeError):
    """What an actor raises when told "crash"."""


class Peer(LoopActor):
    """Records what it receives; "crash" (told) crashes it; "quit" exits normally.

    With `trap=True` it traps exits, so `Exit` messages land in `received`.
    """

    def __init__(self, label: str = "peer", log: list[Any] | None = None, trap: bool = False):
        super().__init__()
        self.label = label
        self.log = log if log is not None else []
        self.received: list[Any] = []
        self.got = threading.Event()
        self.trap_exits = trap

    def on_stop(self) -> None:
        self.log.append(("stop", self.label))

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError(f"{self.label} crashed on purpose")
        if message == "quit":
            self.exit()
            return None
        if message == "received":
            return list(self.received)
        if message == "ping":
            return "pong"
        self.received.append(message)
        self.got.set()
        return None


def peer(runtime: Runtime, label: str = "peer", **kwargs: Any) -> Any:
    """Spawn a Peer and wait until it handles messages; returns (ref, actor)."""
    ref = runtime.spawn(Peer, label, **kwargs)
    assert ref.ask("ping", timeout=TIMEOUT) == "pong"
    actor = ref._actor_weakref()
    assert isinstance(actor, Peer)
    return ref, actor


def sync(runtime: Runtime) -> None:
    """Wait until the loop has run everything scheduled before this call."""
    runtime.call(lambda: None, timeout=TIMEOUT)


# -- S21: links -------------------------------------------------------------------------------


def test_crash_propagates_over_a_link_with_the_same_reason(runtime: Runtime) -> None:
    """S21: A-B linked, B crashes -> A (not trapping) exits with B's reason, without on_stop."""
    log: list[Any] = []
    a, _ = peer(runtime, "a", log=log)
    b, _ = peer(runtime, "b", log=log)
    runtime.link(a, b)
    a_monitor, b_monitor = runtime.monitor(a), runtime.monitor(b)

    b.tell("crash")

    b_reason = b_monitor.down.get(timeout=TIMEOUT).reason
    assert isinstance(b_reason, CrashError)
    assert a_monitor.down.get(timeout=TIMEOUT).reason is b_reason
    assert not a.is_alive()
    assert log == []


def test_crash_propagates_along_a_chain_of_links(runtime: Runtime) -> None:
    """S21: A-B-C linked, C crashes -> B and A exit with C's reason."""
    refs = [peer(runtime, label)[0] for label in "abc"]
    runtime.link(refs[0], refs[1])
    runtime.link(refs[1], refs[2])
    monitors = [runtime.monitor(ref) for ref in refs]

    refs[2].tell("crash")

    reason = monitors[2].down.get(timeout=TIMEOUT).reason
    assert isinstance(reason, CrashError)
    # Signals from different actors have no defined order (S24): only the reasons count.
    assert monitors[1].down.get(timeout=TIMEOUT).reason is reason
    assert monitors[0].down.get(timeout=TIMEOUT).reason is reason


def test_trapping_actor_gets_an_exit_message_and_lives_on(runtime: Runtime) -> None:
    """S21: a trapping actor receives Exit(ref, reason) instead of dying, for a crash and for
    a normal exit alike."""
    a, actor = peer(runtime, "a", trap=True)
    b, _ = peer(runtime, "b")
    c, _ = peer(runtime, "c")
    runtime.link(a, b)
    runtime.link(a, c)
    b_monitor, c_monitor = runtime.monitor(b), runtime.monitor(c)

    b.tell("crash")
    crash = b_monitor.down.get(timeout=TIMEOUT).reason
    c.tell("quit")
    assert c_monitor.down.get(timeout=TIMEOUT).reason == "normal"

    received = a.ask("received", timeout=TIMEOUT)
    assert received == [Exit(b, crash), Exit(c, "normal")]
    assert received[0].actor_ref is b
    assert a.is_alive()
    assert actor.trap_exits


def test_normal_exit_is_ignored_by_a_non_trapping_linked_actor(runtime: Runtime) -> None:
    """S21: B stops normally (by itself or by pykka's stop) -> linked A is unaffected."""
    log: list[Any] = []
    a, _ = peer(runtime, "a", log=log)
    b, _ = peer(runtime, "b", log=log)
    c, _ = peer(runtime, "c", log=log)
    runtime.link(a, b)
    runtime.link(a, c)
    a_monitor = runtime.monitor(a)
    b_monitor, c_monitor = runtime.monitor(b), runtime.monitor(c)

    b.tell("quit")
    assert c.stop(timeout=TIMEOUT) is True

    assert b_monitor.down.get(timeout=TIMEOUT).reason == "normal"
    assert c_monitor.down.get(timeout=TIMEOUT).reason == "normal"
    # Links are signalled before monitors fire: A would already be dead.
    assert a.is_alive()
    assert a.ask("ping", timeout=TIMEOUT) == "pong"
    assert not a_monitor.down.done()
    assert log == [("stop", "b"), ("stop", "c")]


def test_shutdown_reason_propagates_over_a_link(runtime: Runtime) -> None:
    """S21: only "normal" is ignored; a "shutdown" exit takes a non-trapping link down."""
    a, _ = peer(runtime, "a")
    b, _ = peer(runtime, "b")
    runtime.link(a, b)
    a_monitor = runtime.monitor(a)

    runtime.exit(b, "shutdown")

    assert a_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"


def test_link_to_a_dead_actor_gives_noproc(runtime: Runtime) -> None:
    """S21: linking to a dead actor -> a non-trapping caller exits with "noproc"; a trapping
    one receives Exit(dead_ref, "noproc")."""
    dead, _ = peer(runtime, "dead")
    assert dead.stop(timeout=TIMEOUT) is True
    plain, _ = peer(runtime, "plain")
    trapper, _ = peer(runtime, "trapper", trap=True)
    plain_monitor = runtime.monitor(plain)

    runtime.link(plain, dead)
    runtime.link(trapper, dead)

    assert plain_monitor.down.get(timeout=TIMEOUT).reason == "noproc"
    sync(runtime)
    assert trapper.ask("received", timeout=TIMEOUT) == [Exit(dead, "noproc")]
    assert trapper.is_alive()


def test_kill_cannot_be_trapped_and_reaches_links_as_killed(runtime: Runtime) -> None:
    """S21: a kill ends even a trapping actor, with reason "killed"; a trapping link gets
    Exit(ref, "killed")."""
    a, _ = peer(runtime, "a", trap=True)
    watcher, _ = peer(runtime, "watcher", trap=True)
    runtime.link(a, watcher)
    a_monitor = runtime.monitor(a)

    runtime.exit(a, "killed")

    assert a_monitor.down.get(timeout=TIMEOUT).reason == "killed"
    assert watcher.ask("received", timeout=TIMEOUT) == [Exit(a, "killed")]


def test_unlink_stops_propagation(runtime: Runtime) -> None:
    """S21: after unlink, B's crash does not reach A."""
    a, _ = peer(runtime, "a")
    b, _ = peer(runtime, "b")
    runtime.link(a, b)
    runtime.unlink(a, b)
    b_monitor = runtime.monitor(b)

    b.tell("crash")

    assert isinstance(b_monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    assert a.ask("ping", timeout=TIMEOUT) == "pong"


def test_actor_links_from_inside_a_handler(runtime: Runtime) -> None:
    """S21: LoopActor.link() from a handler links both ways, like Runtime.link()."""

    class Linker(Peer):
        def on_receive(self, message: Any) -> Any:
            if isinstance(message, tuple) and message[0] == "link":
                self.link(message[1])
                return "linked"
            return super().on_receive(message)

    a = runtime.spawn(Linker, "a", trap=True)
    b, _ = peer(runtime, "b")
    assert a.ask(("link", b), timeout=TIMEOUT) == "linked"
    b_monitor = runtime.monitor(b)

    b.tell("crash")

    crash = b_monitor.down.get(timeout=TIMEOUT).reason
    assert a.ask("received", timeout=TIMEOUT) == [Exit(b, crash)]


# -- S22: monitors ----------------------------------------------------------------------------


def test_two_monitors_give_two_downs_with_the_crash_reason(runtime: Runtime) -> None:
    """S22: each monitor gets exactly one Down, carrying its own monitor object."""
    x, _ = peer(runtime, "x")
    downs: list[Down] = []
    m1 = runtime.monitor(x, downs.append)
    m2 = runtime.monitor(x, downs.append)
    assert m1 is not m2

    x.tell("crash")

    d1, d2 = m1.down.get(timeout=TIMEOUT), m2.down.get(timeout=TIMEOUT)
    assert d1.monitor is m1
    assert d2.monitor is m2
    assert d1.actor_ref is x
    assert d2.actor_ref is x
    assert isinstance(d1.reason, CrashError)
    assert d2.reason is d1.reason
    time.sleep(0.05)
    sync(runtime)
    assert downs == [d1, d2]  # exactly one each, in the order the monitors were made


def test_monitoring_a_dead_actor_gives_noproc_at_once(runtime: Runtime) -> None:
    """S22: a monitor on a dead actor fires "noproc" at once (synchronously on the loop)."""
    x, _ = peer(runtime, "x")
    assert x.stop(timeout=TIMEOUT) is True

    monitor = runtime.call(lambda: runtime.monitor(x), timeout=TIMEOUT)
    assert monitor.down.done()
    assert monitor.down.get(timeout=0).reason == "noproc"

    from_thread = runtime.monitor(x)
    down = from_thread.down.get(timeout=TIMEOUT)
    assert down.reason == "noproc"
    assert down.monitor is from_thread
    assert down.actor_ref is x
    assert x.monitor().down.get(timeout=TIMEOUT).reason == "noproc"  # type: ignore[attr-defined]


def test_demonitor_cancels_one_monitor_only(runtime: Runtime) -> None:
    """S22: after demonitor(m1) only m2's Down is delivered."""
    x, _ = peer(runtime, "x")
    downs: list[Down] = []
    m1 = runtime.monitor(x, downs.append)
    m2 = runtime.monitor(x, downs.append)
    runtime.demonitor(m1)

    x.tell("crash")

    d2 = m2.down.get(timeout=TIMEOUT)
    time.sleep(0.05)
    sync(runtime)
    assert downs == [d2]
    assert not m1.down.done()


def test_monitor_watcher_actor_gets_down_in_on_receive(runtime: Runtime) -> None:
    """S22: a watcher ref gets the Down as a message, whether the monitor was made by the
    runtime or by the watcher itself from a handler."""

    class Watcher(Peer):
        def on_receive(self, message: Any) -> Any:
            if isinstance(message, tuple) and message[0] == "watch":
                return self.monitor(message[1])
            return super().on_receive(message)

    watcher = runtime.spawn(Watcher, "watcher")
    x, _ = peer(runtime, "x")
    by_runtime = runtime.monitor(x, watcher)
    by_actor = watcher.ask(("watch", x), timeout=TIMEOUT)
    assert isinstance(by_actor, Monitor)

    x.tell("crash")

    d1 = by_runtime.down.get(timeout=TIMEOUT)
    d2 = by_actor.down.get(timeout=TIMEOUT)
    received = watcher.ask("received", timeout=TIMEOUT)
    assert received == [d1, d2]
    assert all(isinstance(d, Down) and isinstance(d.reason, CrashError) for d in received)


def test_monitor_watcher_callable_runs_on_the_loop(runtime: Runtime) -> None:
    """S22: a callable watcher is called once, on the runtime's loop thread."""
    x, _ = peer(runtime, "x")
    calls: list[tuple[Down, bool]] = []
    monitor = runtime.monitor(x, lambda down: calls.append((down, runtime.on_loop_thread())))

    assert x.stop(timeout=TIMEOUT) is True

    down = monitor.down.get(timeout=TIMEOUT)
    assert down.reason == "normal"
    sync(runtime)
    assert calls == [(down, True)]


def test_monitor_is_one_way(runtime: Runtime) -> None:
    """S22: the watcher's death does not affect the watched actor."""
    watcher, _ = peer(runtime, "watcher")
    x, _ = peer(runtime, "x")
    monitor = runtime.monitor(x, watcher)
    watcher_monitor = runtime.monitor(watcher)

    watcher.tell("crash")

    assert isinstance(watcher_monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    assert x.ask("ping", timeout=TIMEOUT) == "pong"
    assert x.stop(timeout=TIMEOUT) is True
    assert monitor.down.get(timeout=TIMEOUT).reason == "normal"  # a dead watcher is skipped


# -- S23: names are released before Down -------------------------------------------------------


class Named(LoopActor):
    """A counter; "crash" (told) crashes it."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError("named child crashed on purpose")
        if message == "incr":
            self.count += 1
        return self.count


class NamedThread(pykka.ThreadingActor):
    """The same counter as a plain pykka actor."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError("named thread child crashed on purpose")
        if message == "incr":
            self.count += 1
        return self.count


@pytest.mark.parametrize("start", [Named, NamedThread])
def test_on_down_the_name_is_free_or_already_the_new_ref(runtime: Runtime, start: type) -> None:
    """S23: at Down time `whereis(name)` is None or the new incarnation, never the dead ref;
    the restarted child registers the same name (three restarts in a row)."""
    spec = ChildSpec("svc", start, name="svc")
    sup = start_child(
        runtime.root, ChildSpec("sup", Supervisor, args=([spec],), kwargs={"max_restarts": 10})
    ).get(timeout=TIMEOUT)
    for _ in range(3):
        old = runtime.whereis("svc")
        assert old is not None
        assert old.ask("incr", timeout=TIMEOUT) == 1
        seen: list[Any] = []

        def look_up(_down: Down, seen: list[Any] = seen) -> None:
            seen.append(runtime.whereis("svc"))

        monitor = runtime.monitor(old, look_up)

        old.tell("crash")

        assert isinstance(monitor.down.get(timeout=TIMEOUT).reason, CrashError)
        assert len(seen) == 1
        assert seen[0] is None or (seen[0] is not old and seen[0].is_alive())
        # The supervisor handled the exit before answering (one message at a time).
        rows = which_children(sup).get(timeout=TIMEOUT)
        new = runtime.whereis("svc")
        assert new is not None
        assert new is not old
        assert rows[0].ref is new
        assert new.ask("get", timeout=TIMEOUT) == 0


def test_watcher_actor_never_sees_the_dead_ref_under_the_name(runtime: Runtime) -> None:
    """S23: a watcher actor that looks the name up when its Down arrives finds the new ref."""

    class Lookup(LoopActor):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[Any] = []
            self.done = threading.Event()

        def on_receive(self, message: Any) -> Any:
            if isinstance(message, Down):
                self.seen.append((message.actor_ref, self.runtime.whereis("svc")))
                self.done.set()
            return None

    sup = start_child(
        runtime.root, ChildSpec("sup", Supervisor, args=([ChildSpec("svc", Named, name="svc")],))
    ).get(timeout=TIMEOUT)
    old = runtime.whereis("svc")
    assert old is not None
    lookup = runtime.spawn(Lookup)
    runtime.monitor(old, lookup)
    actor = lookup._actor_weakref()
    assert isinstance(actor, Lookup)

    old.tell("crash")

    assert actor.done.wait(TIMEOUT)
    [(dead, current)] = actor.seen
    assert dead is old
    assert current is not old
    assert current is None or current is which_children(sup).get(timeout=TIMEOUT)[0].ref


# -- S24: ordering ----------------------------------------------------------------------------


class Recorder(LoopActor):
    """Appends every message; "sync" (asked) answers once everything before it is handled."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []
        self.down = threading.Event()

    def on_receive(self, message: Any) -> Any:
        if message == "sync":
            return len(self.messages)
        if message == "messages":
            return list(self.messages)
        self.messages.append(message)
        if isinstance(message, Down):
            self.down.set()
        return None


def test_messages_from_each_sender_arrive_in_order(runtime: Runtime) -> None:
    """S24: 3 sender threads x N messages -> each sender's messages in its own order."""
    n = 3000
    recorder = runtime.spawn(Recorder)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def send(sender: int) -> None:
        try:
            start.wait(TIMEOUT)
            for i in range(n):
                recorder.tell((sender, i))
                if i % 500 == 0:
                    recorder.ask("sync", timeout=TIMEOUT)  # mix asks in, as real callers do
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    assert recorder.ask("sync", timeout=TIMEOUT) == 3 * n
    messages: list[Any] = recorder.ask("messages", block=True, timeout=TIMEOUT)
    for sender in range(3):
        assert [i for s, i in messages if s == sender] == list(range(n))


class Chatter(LoopActor):
    """On ("chat", target, n, how) sends target n messages, then exits as `how` says."""

    async def on_receive(self, message: Any) -> Any:
        _, target, n, how = message
        for i in range(n):
            target.tell(("chat", i))
            if i % 10 == 0:
                await asyncio.sleep(0)
        if how == "crash":
            raise CrashError("chatter crashed after its last message")
        self.exit()
        return None


class ThreadChatter(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        _, target, n, how = message
        for i in range(n):
            target.tell(("chat", i))
        if how == "crash":
            raise CrashError("thread chatter crashed after its last message")
        self.stop()
        return None


@pytest.mark.parametrize("how", ["crash", "normal"])
@pytest.mark.parametrize("kind", ["loop", "thread"])
def test_down_arrives_after_the_senders_last_message(runtime: Runtime, how: str, kind: str) -> None:
    """S24: the Down from A reaches the watcher after every message A sent it."""
    n = 500
    recorder = runtime.spawn(Recorder)
    if kind == "loop":
        chatter = runtime.spawn(Chatter)
    else:
        chatter = start_child(
            runtime.root, ChildSpec("chatter", ThreadChatter, restart="temporary")
        ).get(timeout=TIMEOUT)
    monitor = runtime.monitor(chatter, recorder)

    chatter.tell(("chat", recorder, n, how))

    actor = recorder._actor_weakref()
    assert isinstance(actor, Recorder)
    assert actor.down.wait(TIMEOUT)
    messages: list[Any] = recorder.ask("messages", block=True, timeout=TIMEOUT)
    assert messages[:-1] == [("chat", i) for i in range(n)]
    down = messages[-1]
    assert isinstance(down, Down)
    assert down.monitor is monitor
    if how == "crash":
        assert isinstance(down.reason, CrashError)
    else:
        assert down.reason == "normal"


# -- S25: let it crash --------------------------------------------------------------------------


class Fragile(LoopActor):
    """State starts at `initial`; "incr" adds one; "hold" (async) waits for `release`;
    "crash" (told) crashes; "die-later" starts a task that crashes the actor."""

    crash_on_ask_error = False

    def __init__(self, initial: int = 0, release: threading.Event | None = None) -> None:
        super().__init__()
        self.initial = initial
        self.value = initial
        self.release = release or threading.Event()

    async def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError("fragile crashed on purpose")
        if message == "incr":
            self.value += 1
        elif message == "hold":
            for _ in range(3000):  # at most 30 s
                if self.release.is_set():
                    break
                await asyncio.sleep(0.01)
        elif message == "die-later":

            async def fail_soon() -> None:
                await asyncio.sleep(0.05)
                raise CrashError("a task of the actor failed")

            self.start_task(fail_soon())
            await asyncio.sleep(30)
        return self.value


def test_asks_in_flight_and_queued_fail_when_the_actor_crashes(runtime: Runtime) -> None:
    """S25: a crash fails the ask being handled and every queued one, none hangs."""
    release = threading.Event()
    x = runtime.spawn(Fragile, 0, release)
    monitor = runtime.monitor(x)
    in_flight = x.ask("hold", block=False)
    x.tell("crash")
    queued = [x.ask("incr", block=False) for _ in range(5)]
    release.set()

    assert in_flight.get(timeout=TIMEOUT) == 0  # answered before the crash was handled
    assert isinstance(monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    for future in queued:
        with pytest.raises(pykka.ActorDeadError):
            future.get(timeout=TIMEOUT)


def test_ask_in_flight_fails_when_a_task_of_the_actor_crashes_it(runtime: Runtime) -> None:
    """S25: the actor crashes (from one of its tasks) while an async ask handler awaits: that
    ask fails with ActorCrashedError carrying the reason, the queued ones with ActorDeadError."""
    x = runtime.spawn(Fragile)
    monitor = runtime.monitor(x)
    in_flight = x.ask("die-later", block=False)
    queued = [x.ask("incr", block=False) for _ in range(5)]

    reason = monitor.down.get(timeout=TIMEOUT).reason
    assert isinstance(reason, CrashError)
    with pytest.raises(ActorCrashedError) as info:
        in_flight.get(timeout=TIMEOUT)
    assert info.value.reason is reason
    for future in queued:
        with pytest.raises(pykka.ActorDeadError):
            future.get(timeout=TIMEOUT)


def test_ask_in_flight_fails_when_the_actor_is_killed(runtime: Runtime) -> None:
    """S25: killed (or taken down by a link) during an async ask handler -> the caller gets
    ActorCrashedError with the exit reason at once, not a timeout."""
    x = runtime.spawn(Fragile)
    y = runtime.spawn(Fragile)
    partner, _ = peer(runtime, "partner")
    runtime.link(y, partner)
    x_in_flight = x.ask("hold", block=False)
    y_in_flight = y.ask("hold", block=False)
    sync(runtime)

    runtime.kill(x)
    partner.tell("crash")

    with pytest.raises(ActorCrashedError) as info:
        x_in_flight.get(timeout=TIMEOUT)
    assert info.value.reason == "killed"
    with pytest.raises(ActorCrashedError) as info:
        y_in_flight.get(timeout=TIMEOUT)
    assert isinstance(info.value.reason, CrashError)


def test_restarted_child_starts_from_its_initial_state(runtime: Runtime) -> None:
    """S25: after a crash and restart the child's state equals its initial state."""
    spec = ChildSpec("f", Fragile, args=(10,), name="fragile")
    start_child(runtime.root, spec).get(timeout=TIMEOUT)
    first = runtime.whereis("fragile")
    assert first is not None
    for expected in (11, 12, 13):
        assert first.ask("incr", timeout=TIMEOUT) == expected
    monitor = runtime.monitor(first)

    first.tell("crash")

    assert isinstance(monitor.down.get(timeout=TIMEOUT).reason, CrashError)
    which_children(runtime.root).get(timeout=TIMEOUT)
    second = runtime.whereis("fragile")
    assert second is not None
    assert second is not first
    assert second.ask("get", timeout=TIMEOUT) == 10


class Echo(LoopActor):
    """Answers the message; ("async", x) is answered by an async handler after a yield."""

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError("echo crashed on purpose")
        if isinstance(message, tuple):
            return self.later(message)
        return message

    async def later(self, message: tuple[str, int]) -> tuple[str, int]:
        await asyncio.sleep(0)
        return message


class ThreadEcho(pykka.ThreadingActor):
    """The same for a supervised plain pykka actor (no async handlers there)."""

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise CrashError("thread echo crashed on purpose")
        return message


@pytest.mark.parametrize("start", [Echo, ThreadEcho])
def test_message_arriving_after_the_end_is_refused_not_lost(runtime: Runtime, start: type) -> None:
    """S25: pykka's ask/tell check `is_alive()` and then put; an envelope that lands after the
    actor's end (the race of reference §2.2) is answered with ActorDeadError at once, and a
    late tell raises it, for loop actors and supervised pykka actors alike."""
    ref = start_child(runtime.root, ChildSpec("echo", start, restart="temporary")).get(
        timeout=TIMEOUT
    )
    monitor = runtime.monitor(ref)
    assert ref.stop(timeout=TIMEOUT) is True
    assert monitor.down.get(timeout=TIMEOUT).reason == "normal"

    late: LoopFuture[Any] = LoopFuture()
    ref.actor_inbox.put(Envelope("late ask", reply_to=late))  # what ask() does after the check
    with pytest.raises(pykka.ActorDeadError):
        late.get(timeout=TIMEOUT)
    with pytest.raises(pykka.ActorDeadError):
        ref.actor_inbox.put(Envelope("late tell"))
    assert ref.stop(timeout=TIMEOUT) is False


@pytest.mark.parametrize("start", [Echo, ThreadEcho])
def test_asks_racing_crashes_and_stops_all_resolve(runtime: Runtime, start: type) -> None:
    """S25 race: 4 threads keep asking a supervised child that is crashed, stopped and killed
    over and over; every single ask resolves (a value or a dead/crashed error), none times
    out."""
    sup = start_child(
        runtime.root,
        ChildSpec(
            "sup",
            Supervisor,
            args=([ChildSpec("echo", start, name="echo")],),
            kwargs={"max_restarts": 100_000, "max_seconds": 60.0},
        ),
    ).get(timeout=TIMEOUT)
    stop = threading.Event()
    results: list[tuple[int, int, int, int]] = []
    unexpected: list[BaseException] = []
    asks_per_thread = 1500

    def asker(seed: int) -> None:
        rng = random.Random(seed)
        values = dead = crashed = timeouts = 0
        try:
            for i in range(asks_per_thread):
                ref = runtime.whereis("echo")
                if ref is None:
                    ref = which_children(sup).get(timeout=TIMEOUT)[0].ref
                if ref is None:
                    time.sleep(0.001)
                    continue
                message: Any = ("async", i) if start is Echo and rng.random() < 0.5 else i
                try:
                    if rng.random() < 0.5:
                        assert ref.ask(message, timeout=TIMEOUT) == message
                    else:
                        assert ref.ask(message, block=False).get(timeout=TIMEOUT) == message
                    values += 1
                except pykka.ActorDeadError:
                    dead += 1
                except ActorCrashedError:
                    crashed += 1
                except pykka.Timeout:
                    timeouts += 1
        except BaseException as exc:
            unexpected.append(exc)
        results.append((values, dead, crashed, timeouts))

    def chaos() -> None:
        rng = random.Random(0)
        for _ in range(300):
            if stop.is_set():
                return
            ref = runtime.whereis("echo")
            if ref is not None:
                action = rng.choice(["crash", "stop", "kill", "exit"])
                try:
                    if action == "crash":
                        ref.tell("crash")
                    elif action == "stop":
                        ref.stop(block=False)
                    elif action == "kill":
                        runtime.kill(ref)
                    else:
                        runtime.exit(ref, CrashError("exit signal"))
                except pykka.ActorDeadError:
                    pass
            time.sleep(rng.random() * 0.004)

    askers = [threading.Thread(target=asker, args=(seed,)) for seed in range(4)]
    disturber = threading.Thread(target=chaos)
    for t in [*askers, disturber]:
        t.start()
    for t in askers:
        t.join(120)
    stop.set()
    disturber.join(30)
    assert not any(t.is_alive() for t in [*askers, disturber])

    assert unexpected == []
    assert len(results) == 4
    assert sum(r[3] for r in results) == 0, f"asks timed out: {results}"
    total = sum(r[0] + r[1] + r[2] for r in results)
    assert total > 0
    assert sum(r[0] for r in results) > 0
    assert sum(r[1] + r[2] for r in results) > 0, "the race never hit a dead actor"
