"""Restart strategies and restart types: checklist rows S4 (one_for_one), S5 (one_for_all),
S6 (rest_for_one), S7 (DynamicSupervisor), S8 (permanent), S9 (transient) and S10 (temporary).

Layouts name the kind of each child in order ("L" sync loop actor, "A" async loop actor, "T"
plain pykka ThreadingActor): every strategy runs with loop actors only and with pykka
ThreadingActors mixed in, both as the crashing child and as its siblings.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, cast

import pykka
import pytest

from supervisors import (
    ChildNotFoundError,
    ChildSpec,
    DynamicSupervisor,
    LoopActor,
    MaxChildrenError,
    NotSupportedError,
    Runtime,
    count_children,
    delete_child,
    restart_child,
    start_child,
    terminate_child,
    which_children,
)
from tests.supervisors._lab import (
    TIMEOUT,
    Lab,
    LoopWorker,
    ThreadWorker,
    crash,
    down_of,
    live_ref,
    refs,
    running,
    start_supervisor,
    worker,
    workers,
)

LAYOUTS = ["LLLL", "LALA", "LTLT", "TLTA", "TTTT"]


def _bump(children: dict[Any, pykka.ActorRef[Any]], times: dict[str, int]) -> None:
    """Give each child some state: child `x` counts to `times[x]`."""
    for label, n in times.items():
        ref = children[label]
        for _ in range(n):
            ref.ask("incr", timeout=TIMEOUT)


def _state(ref: pykka.ActorRef[Any] | None) -> int:
    assert ref is not None
    return cast(int, ref.ask("get", timeout=TIMEOUT))


# -- S4: one_for_one ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_for_one_restarts_only_the_crashed_child(runtime: Runtime, layout: str) -> None:
    """S4: crash B -> B has a new URN and its initial state; A, C, D keep URN and state."""
    lab = Lab()
    sup = start_supervisor(runtime, workers(layout, lab), strategy="one_for_one")
    before = running(sup)
    _bump(before, {"a": 1, "b": 2, "c": 3, "d": 4})
    lab.clear()

    crash(runtime, before["b"])

    after = refs(sup)
    assert lab.labels("stop") == []
    assert lab.labels("start") == ["b"]
    new_b = after["b"]
    assert new_b is not None
    assert new_b is not before["b"]
    assert new_b.actor_urn != before["b"].actor_urn
    assert _state(new_b) == 0
    for label, count in (("a", 1), ("c", 3), ("d", 4)):
        assert after[label] is before[label]
        assert _state(after[label]) == count


# -- S5: one_for_all ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_for_all_stops_the_others_in_reverse_then_restarts_all_in_order(
    runtime: Runtime, layout: str
) -> None:
    """S5: [A,B,C,D], crash B -> stop log [D,C,A]; start log [A,B,C,D]; every URN new and
    every state initial."""
    lab = Lab()
    sup = start_supervisor(runtime, workers(layout, lab), strategy="one_for_all")
    before = running(sup)
    _bump(before, {"a": 1, "b": 1, "c": 1, "d": 1})
    lab.clear()

    crash(runtime, before["b"])

    after = refs(sup)
    assert lab.labels("stop") == ["d", "c", "a"]
    assert lab.labels("start") == ["a", "b", "c", "d"]
    # All stops happen before any start.
    assert [event for event, _ in lab.log if event in ("stop", "start")] == ["stop"] * 3 + [
        "start"
    ] * 4
    for label in "abcd":
        old, new = before[label], after[label]
        assert old is not None
        assert new is not None
        assert new.actor_urn != old.actor_urn
        assert not old.is_alive()
        assert _state(new) == 0


@pytest.mark.parametrize("layout", ["LLL", "TLT"])
def test_one_for_all_siblings_exit_with_shutdown(runtime: Runtime, layout: str) -> None:
    """S5: the siblings are terminated by the supervisor (reason shutdown), not crashed."""
    lab = Lab()
    sup = start_supervisor(runtime, workers(layout, lab), strategy="one_for_all")
    before = running(sup)
    monitors = {label: runtime.monitor(ref) for label, ref in before.items() if label != "b"}
    crash(runtime, before["b"])
    for monitor in monitors.values():
        assert monitor.down.get(timeout=TIMEOUT).reason == "shutdown"


# -- S6: rest_for_one --------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rest_for_one_restarts_the_crashed_child_and_those_after_it(
    runtime: Runtime, layout: str
) -> None:
    """S6: [A,B,C,D], crash B -> stop log [D,C]; start log [B,C,D]; A's URN and state kept."""
    lab = Lab()
    sup = start_supervisor(runtime, workers(layout, lab), strategy="rest_for_one")
    before = running(sup)
    _bump(before, {"a": 5, "b": 1, "c": 1, "d": 1})
    lab.clear()

    crash(runtime, before["b"])

    after = refs(sup)
    assert lab.labels("stop") == ["d", "c"]
    assert lab.labels("start") == ["b", "c", "d"]
    assert [event for event, _ in lab.log if event in ("stop", "start")] == ["stop"] * 2 + [
        "start"
    ] * 3
    assert after["a"] is before["a"]
    assert _state(after["a"]) == 5
    for label in "bcd":
        old, new = before[label], after[label]
        assert old is not None
        assert new is not None
        assert new.actor_urn != old.actor_urn
        assert _state(new) == 0


@pytest.mark.parametrize("layout", ["LLLL", "TLTL"])
def test_rest_for_one_crash_of_the_last_child_touches_no_sibling(
    runtime: Runtime, layout: str
) -> None:
    """S6: crashing the last child restarts only it."""
    lab = Lab()
    sup = start_supervisor(runtime, workers(layout, lab), strategy="rest_for_one")
    before = running(sup)
    lab.clear()
    crash(runtime, before["d"])
    after = refs(sup)
    assert lab.labels("stop") == []
    assert lab.labels("start") == ["d"]
    assert [after[x] for x in "abc"] == [before[x] for x in "abc"]
    assert after["d"] is not before["d"]


# -- S7: DynamicSupervisor ---------------------------------------------------------------------


def _dynamic(runtime: Runtime, **options: Any) -> pykka.ActorRef[Any]:
    return start_child(runtime.root, DynamicSupervisor.child_spec("dyn", **options)).get(
        timeout=TIMEOUT
    )


def test_dynamic_supervisor_starts_empty_and_honours_max_children(runtime: Runtime) -> None:
    """S7: empty after start; max_children=2 -> the 3rd start_child fails with
    MaxChildrenError; room is made again by terminating a child."""
    lab = Lab()
    dyn = _dynamic(runtime, max_children=2)
    assert which_children(dyn).get(timeout=TIMEOUT) == []
    assert tuple(count_children(dyn).get(timeout=TIMEOUT)) == (0, 0, 0, 0)

    first = start_child(dyn, worker("L", "w1", lab)).get(timeout=TIMEOUT)
    start_child(dyn, worker("T", "w2", lab)).get(timeout=TIMEOUT)
    with pytest.raises(MaxChildrenError) as info:
        start_child(dyn, worker("L", "w3", lab)).get(timeout=TIMEOUT)
    assert info.value.max_children == 2
    assert lab.labels("new") == ["w1", "w2"]  # the third was never constructed
    assert len(which_children(dyn).get(timeout=TIMEOUT)) == 2

    terminate_child(dyn, first).get(timeout=TIMEOUT)
    third = start_child(dyn, worker("L", "w3", lab)).get(timeout=TIMEOUT)
    assert [row.ref for row in which_children(dyn).get(timeout=TIMEOUT)][-1] is third


@pytest.mark.parametrize("kind", [LoopWorker, ThreadWorker])
def test_dynamic_supervisor_template_appends_start_child_args(
    runtime: Runtime, kind: type[Any]
) -> None:
    """S7: with a template, start_child(sup, args) starts template.start(*template.args,
    *args) (simple_one_for_one); each call adds one more child of the template."""
    lab = Lab()
    template = ChildSpec("worker", kind, args=("w", lab))
    dyn = _dynamic(runtime, template=template)
    one = start_child(dyn, ("x", 1)).get(timeout=TIMEOUT)
    two = start_child(dyn, ("y",)).get(timeout=TIMEOUT)
    assert one.ask("extra", timeout=TIMEOUT) == ("x", 1)
    assert two.ask("extra", timeout=TIMEOUT) == ("y",)
    rows = which_children(dyn).get(timeout=TIMEOUT)
    assert [row.ref for row in rows] == [one, two]
    assert {row.id for row in rows} == {"worker"}


def test_dynamic_supervisor_prepends_extra_arguments_to_a_child_spec(runtime: Runtime) -> None:
    """S7: extra_arguments are prepended to the args of a full ChildSpec (Elixir)."""
    lab = Lab()
    dyn = _dynamic(runtime, extra_arguments=("pre", lab))
    ref = start_child(dyn, ChildSpec("w", LoopWorker, args=("x", "y"))).get(timeout=TIMEOUT)
    assert lab.labels("start") == ["pre"]  # label and lab came from extra_arguments
    assert ref.ask("extra", timeout=TIMEOUT) == ("x", "y")


def test_dynamic_supervisor_without_template_needs_a_spec(runtime: Runtime) -> None:
    """S7: start_child with bare args needs a template."""
    dyn = _dynamic(runtime)
    with pytest.raises(NotSupportedError):
        start_child(dyn, ("x",)).get(timeout=TIMEOUT)


@pytest.mark.parametrize("kind", ["L", "T"])
def test_dynamic_supervisor_terminates_children_by_ref(runtime: Runtime, kind: str) -> None:
    """S7: terminate_child(sup, ref) stops that child (on_stop runs, reason shutdown) and
    removes it; an unknown ref or an id is ChildNotFoundError."""
    lab = Lab()
    dyn = _dynamic(runtime)
    keep = start_child(dyn, worker(kind, "keep", lab)).get(timeout=TIMEOUT)
    gone = start_child(dyn, worker(kind, "gone", lab)).get(timeout=TIMEOUT)

    down = down_of(runtime, gone, lambda: terminate_child(dyn, gone).get(timeout=TIMEOUT))
    assert down.reason == "shutdown"
    assert lab.labels("stop") == ["gone"]
    assert [row.ref for row in which_children(dyn).get(timeout=TIMEOUT)] == [keep]

    with pytest.raises(ChildNotFoundError):
        terminate_child(dyn, gone).get(timeout=TIMEOUT)
    with pytest.raises(ChildNotFoundError):
        terminate_child(dyn, "keep").get(timeout=TIMEOUT)
    assert keep.is_alive()


def test_dynamic_supervisor_rejects_restart_child_and_delete_child(runtime: Runtime) -> None:
    """S7: restart_child and delete_child do not exist for a dynamic supervisor."""
    lab = Lab()
    dyn = _dynamic(runtime)
    ref = start_child(dyn, worker("L", "w", lab)).get(timeout=TIMEOUT)
    for call in (restart_child, delete_child):
        with pytest.raises(NotSupportedError):
            call(dyn, "w").get(timeout=TIMEOUT)
        with pytest.raises(NotSupportedError):
            call(dyn, ref).get(timeout=TIMEOUT)
    assert ref.is_alive()


@pytest.mark.parametrize("layout", ["LLL", "LTL"])
def test_dynamic_supervisor_restarts_only_the_crashed_child(runtime: Runtime, layout: str) -> None:
    """S7: the strategy is one_for_one: a crashed permanent child is replaced, others kept."""
    lab = Lab()
    dyn = _dynamic(runtime)
    started = [
        start_child(dyn, worker(kind, label, lab)).get(timeout=TIMEOUT)
        for kind, label in zip(layout, "abc", strict=True)
    ]
    lab.clear()
    crash(runtime, started[1])
    rows = which_children(dyn).get(timeout=TIMEOUT)
    assert [row.id for row in rows] == ["a", "b", "c"]
    assert rows[0].ref is started[0]
    assert rows[2].ref is started[2]
    assert rows[1].ref is not None
    assert rows[1].ref is not started[1]
    assert lab.labels("start") == ["b"]
    assert lab.labels("stop") == []


class GatedStarter(LoopActor):
    """An async on_start that waits for the test to open `gate` (an asyncio.Event)."""

    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate

    async def on_start(self) -> None:  # type: ignore[override]
        await asyncio.wait_for(self.gate.wait(), TIMEOUT)


def test_dynamic_supervisor_start_child_blocks_the_supervisor(runtime: Runtime) -> None:
    """S7: start_child runs inside the supervisor: a which_children asked while a child is
    still starting is answered only after that start completed (and lists the child)."""
    gate = asyncio.Event()
    dyn = _dynamic(runtime)
    starting = start_child(dyn, ChildSpec("slow", GatedStarter, args=(gate,)))
    listing = which_children(dyn)
    time.sleep(0.1)  # only to show that nothing is answered while the gate is shut
    assert not starting.done()
    assert not listing.done()
    runtime.call_on_loop(gate.set)
    ref = starting.get(timeout=TIMEOUT)
    assert [row.ref for row in listing.get(timeout=TIMEOUT)] == [ref]


@pytest.mark.parametrize("kind", ["L", "T"])
@pytest.mark.parametrize(
    ("restart", "how", "kept"),
    [
        ("transient", "stop", False),
        ("transient", "crash", True),
        ("temporary", "crash", False),
        ("temporary", "stop", False),
    ],
)
def test_dynamic_supervisor_forgets_children_that_are_not_restarted(
    runtime: Runtime, kind: str, restart: Any, how: str, kept: bool
) -> None:
    """S7 with S9/S10: a dynamic supervisor keeps no stopped children: a transient child that
    exits normally and a temporary child that exits at all are gone from which_children;
    a crashed transient child is restarted."""
    lab = Lab()
    dyn = _dynamic(runtime)
    other = start_child(dyn, worker("L", "other", lab)).get(timeout=TIMEOUT)
    ref = start_child(dyn, worker(kind, "x", lab, restart=restart)).get(timeout=TIMEOUT)
    if how == "crash":
        crash(runtime, ref)
    else:
        down_of(runtime, ref, lambda: ref.stop(timeout=TIMEOUT))
    rows = which_children(dyn).get(timeout=TIMEOUT)
    if kept:
        assert [row.id for row in rows] == ["other", "x"]
        assert rows[1].ref is not None
        assert rows[1].ref is not ref
    else:
        assert [(row.id, row.ref) for row in rows] == [("other", other)]


class SlowStopper(LoopActor):
    """An async on_stop that only finishes once every sibling's on_stop has begun.

    A supervisor stopping its children one after another would never get past the first
    one before killing it at the end of its shutdown time.
    """

    def __init__(self, label: str, log: list[str], began: list[str], total: int) -> None:
        super().__init__()
        self.label = label
        self.log = log
        self.began = began
        self.total = total

    async def on_stop(self) -> None:  # type: ignore[override]
        self.log.append(f"begin {self.label}")
        self.began.append(self.label)
        for _ in range(500):  # bounded: 500 x 10 ms
            if len(self.began) == self.total:
                break
            await asyncio.sleep(0.01)
        self.log.append(f"end {self.label}")


class GatedThreadStopper(pykka.ThreadingActor):
    """The same for a pykka ThreadingActor: on_stop waits (bounded) for the others."""

    def __init__(self, label: str, log: list[str], began: list[str], total: int) -> None:
        super().__init__()
        self.label = label
        self.log = log
        self.began = began
        self.total = total
        self.gate = threading.Event()

    def on_stop(self) -> None:
        self.log.append(f"begin {self.label}")
        self.began.append(self.label)
        for _ in range(500):
            if len(self.began) == self.total:
                break
            self.gate.wait(0.01)
        self.log.append(f"end {self.label}")


@pytest.mark.parametrize("layout", ["LLL", "LTL"])
def test_dynamic_supervisor_shuts_children_down_concurrently(runtime: Runtime, layout: str) -> None:
    """S7: on shutdown every child's on_stop has *started* before any of them finished; each
    exits with reason shutdown (none was killed), then the supervisor exits."""
    log: list[str] = []
    began: list[str] = []
    dyn = _dynamic(runtime)
    kinds = {"L": SlowStopper, "T": GatedThreadStopper}
    children = []
    for kind, label in zip(layout, "abc", strict=True):
        spec = ChildSpec(label, kinds[kind], args=(label, log, began, 3), shutdown=30.0)
        children.append(start_child(dyn, spec).get(timeout=TIMEOUT))
    monitors = [runtime.monitor(ref) for ref in children]
    dyn_monitor = runtime.monitor(dyn)

    terminate_child(runtime.root, "dyn").get(timeout=TIMEOUT * 3)

    assert dyn_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert [m.down.get(timeout=TIMEOUT).reason for m in monitors] == ["shutdown"] * 3
    assert sorted(log[:3]) == ["begin a", "begin b", "begin c"]
    assert sorted(log[3:]) == ["end a", "end b", "end c"]


# -- S8: permanent -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["L", "A", "T"])
@pytest.mark.parametrize("how", ["stop", "crash", "exit-shutdown"])
def test_permanent_child_is_restarted_after_any_exit(runtime: Runtime, kind: str, how: str) -> None:
    """S8: a permanent child (the default) is restarted after a normal stop, a shutdown exit
    and a crash."""
    lab = Lab()
    spec = worker(kind, "p", lab)
    assert spec.restart == "permanent"
    sup = start_supervisor(runtime, [spec, worker("L", "other", lab)])
    old = live_ref(sup, "p")
    if how == "crash":
        crash(runtime, old)
    elif how == "stop":
        down = down_of(runtime, old, lambda: old.stop(timeout=TIMEOUT))
        assert down.reason == "normal"
    else:
        down = down_of(runtime, old, lambda: runtime.exit(old, "shutdown"))
        assert down.reason == "shutdown"
    new = live_ref(sup, "p")
    assert new is not old
    assert new.is_alive()
    assert lab.labels("start") == ["p", "other", "p"]


# -- S9: transient -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["L", "A", "T"])
@pytest.mark.parametrize(
    "how", ["stop", "exit-shutdown", "exit-shutdown-tuple", "crash", "exit-abnormal"]
)
def test_transient_child_is_restarted_only_after_an_abnormal_exit(
    runtime: Runtime, kind: str, how: str
) -> None:
    """S9: normal, shutdown and ("shutdown", x) exits -> not restarted, spec kept; a crash or
    another exit reason -> restarted."""
    lab = Lab()
    sup = start_supervisor(runtime, [worker(kind, "t", lab, restart="transient")])
    old = live_ref(sup, "t")
    if how == "crash":
        crash(runtime, old)
        expect_restart = True
    elif how == "stop":
        assert down_of(runtime, old, lambda: old.stop(timeout=TIMEOUT)).reason == "normal"
        expect_restart = False
    elif how == "exit-shutdown":
        down = down_of(runtime, old, lambda: runtime.exit(old, "shutdown"))
        assert down.reason == "shutdown"
        expect_restart = False
    elif how == "exit-shutdown-tuple":
        down = down_of(runtime, old, lambda: runtime.exit(old, ("shutdown", "bye")))
        assert down.reason == ("shutdown", "bye")
        expect_restart = False
    else:
        down = down_of(runtime, old, lambda: runtime.exit(old, "boom"))
        assert down.reason == "boom"
        expect_restart = True

    rows = which_children(sup).get(timeout=TIMEOUT)
    assert [(row.id, row.restart) for row in rows] == [("t", "transient")]  # spec kept
    if expect_restart:
        assert rows[0].ref is not None
        assert rows[0].ref is not old
        assert rows[0].ref.is_alive()
        assert lab.labels("start") == ["t", "t"]
    else:
        assert rows[0].ref is None
        assert lab.labels("start") == ["t"]
        # The kept spec can be restarted by hand.
        again = restart_child(sup, "t").get(timeout=TIMEOUT)
        assert again.ask("get", timeout=TIMEOUT) == 0


@pytest.mark.parametrize("layout", ["LL", "TL", "LT"])
@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_transient_sibling_terminated_by_strategy_is_restarted(
    runtime: Runtime, layout: str, strategy: str
) -> None:
    """S9 with S5/S6: a transient sibling terminated because of B's crash (reason shutdown)
    is restarted with the group: only temporary children are left out (S10)."""
    lab = Lab()
    children = [worker(layout[0], "b", lab), worker(layout[1], "t", lab, restart="transient")]
    sup = start_supervisor(runtime, children, strategy=strategy)
    before = running(sup)
    t_monitor = runtime.monitor(before["t"])
    lab.clear()

    crash(runtime, before["b"])

    after = running(sup)
    assert t_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.labels("stop") == ["t"]
    assert lab.labels("start") == ["b", "t"]
    assert after["t"] is not before["t"]


# -- S10: temporary ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["L", "T"])
@pytest.mark.parametrize("how", ["crash", "stop"])
def test_temporary_child_is_never_restarted_and_its_spec_dropped(
    runtime: Runtime, kind: str, how: str
) -> None:
    """S10: a temporary child that exits (crash or normal) is not restarted; which_children
    no longer lists it."""
    lab = Lab()
    sup = start_supervisor(
        runtime, [worker("L", "a", lab), worker(kind, "tmp", lab, restart="temporary")]
    )
    old = live_ref(sup, "tmp")
    if how == "crash":
        crash(runtime, old)
    else:
        down_of(runtime, old, lambda: old.stop(timeout=TIMEOUT))
    assert list(refs(sup)) == ["a"]
    assert lab.labels("start") == ["a", "tmp"]


@pytest.mark.parametrize("layout", ["LL", "TL", "LT"])
@pytest.mark.parametrize("strategy", ["one_for_all", "rest_for_one"])
def test_temporary_sibling_terminated_by_strategy_is_not_restarted(
    runtime: Runtime, layout: str, strategy: str
) -> None:
    """S10: [B, A(temporary)] under one_for_all / rest_for_one, crash B -> A is terminated
    (on_stop runs, reason shutdown) and not restarted; which_children no longer lists A."""
    lab = Lab()
    children = [
        worker(layout[0], "b", lab),
        worker(layout[1], "a", lab, restart="temporary"),
    ]
    sup = start_supervisor(runtime, children, strategy=strategy)
    before = running(sup)
    a_monitor = runtime.monitor(before["a"])
    lab.clear()

    crash(runtime, before["b"])

    after = refs(sup)  # answered once the supervisor has handled the crash
    assert a_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.labels("stop") == ["a"]
    assert lab.labels("start") == ["b"]
    assert list(after) == ["b"]
    assert after["b"] is not before["b"]


def test_temporary_child_before_the_crashed_one_is_untouched_by_rest_for_one(
    runtime: Runtime,
) -> None:
    """S10 with S6: rest_for_one leaves a temporary child *before* the failed one alone."""
    lab = Lab()
    children = [worker("L", "a", lab, restart="temporary"), worker("T", "b", lab)]
    sup = start_supervisor(runtime, children, strategy="rest_for_one")
    before = running(sup)
    crash(runtime, before["b"])
    after = refs(sup)
    assert list(after) == ["a", "b"]
    assert after["a"] is before["a"]
