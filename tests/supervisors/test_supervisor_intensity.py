"""Restart intensity: checklist rows S11 (sliding window, escalation with reason shutdown),
S12 (escalation to the parent), S13 (one event per triggering exit) and S14 (failed restarts
retried asynchronously, each attempt counted)."""

from __future__ import annotations

import time

import pytest

from supervisors import (
    ChildRestartingError,
    DynamicSupervisor,
    LoopFuture,
    Runtime,
    Supervisor,
    delete_child,
    restart_child,
    start_child,
    terminate_child,
    which_children,
)
from supervisors.supervisor import ChildInfo
from tests.supervisors._lab import (
    TIMEOUT,
    Lab,
    crash,
    live_ref,
    refs,
    running,
    start_supervisor,
    worker,
    workers,
)

# -- S11: more than MaxR restarts within MaxT -> terminate the children, exit shutdown --------


def test_intensity_defaults_are_three_in_five_seconds() -> None:
    """S11: Elixir's defaults, for Supervisor and DynamicSupervisor alike."""
    for sup in (Supervisor(), DynamicSupervisor()):
        assert (sup.max_restarts, sup.max_seconds) == (3, 5.0)


@pytest.mark.parametrize("layout", ["LLLL", "LTLT", "TATL"])
def test_max_restarts_allowed_and_one_more_escalates(runtime: Runtime, layout: str) -> None:
    """S11: MaxR=3, MaxT=5: three crashes of B are restarted and the supervisor lives; the
    fourth stops the other children in reverse order [D,C,A] and the supervisor exits with
    reason shutdown, as a monitor on it sees."""
    lab = Lab()
    sup = start_supervisor(
        runtime, workers(layout, lab), restart="temporary", max_restarts=3, max_seconds=5.0
    )
    sup_monitor = runtime.monitor(sup)
    siblings = {label: live_ref(sup, label) for label in "acd"}

    for round_ in range(1, 4):
        crash(runtime, live_ref(sup, "b"))
        children = refs(sup)  # the supervisor answers: it is alive, B was restarted
        assert children["b"] is not None
        assert lab.starts["b"] == round_ + 1
        assert {label: children[label] for label in "acd"} == siblings
    assert not sup_monitor.down.done()
    sibling_monitors = {label: runtime.monitor(ref) for label, ref in siblings.items()}
    lab.clear()

    crash(runtime, live_ref(sup, "b"))

    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.labels("stop") == ["d", "c", "a"]
    assert lab.labels("start") == []  # no fourth restart
    for monitor in sibling_monitors.values():
        assert monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert not sup.is_alive()
    assert which_children(runtime.root).get(timeout=TIMEOUT) == []  # temporary: not restarted


@pytest.mark.parametrize("kind", ["L", "T"])
def test_intensity_zero_escalates_on_the_first_failure(runtime: Runtime, kind: str) -> None:
    """S11: max_restarts=0 -> the first crash terminates the siblings and the supervisor."""
    lab = Lab()
    children = [worker("L", "a", lab), worker(kind, "b", lab), worker("A", "c", lab)]
    sup = start_supervisor(runtime, children, restart="temporary", max_restarts=0)
    sup_monitor = runtime.monitor(sup)
    lab.clear()

    crash(runtime, live_ref(sup, "b"))

    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.labels("stop") == ["c", "a"]
    assert lab.labels("start") == []


def test_intensity_zero_ignores_exits_that_need_no_restart(runtime: Runtime) -> None:
    """S11: only restarts count: a transient child's normal exit is not a restart event."""
    lab = Lab()
    children = [worker("L", "a", lab), worker("L", "t", lab, restart="transient")]
    sup = start_supervisor(runtime, children, restart="temporary", max_restarts=0)
    sup_monitor = runtime.monitor(sup)
    t = live_ref(sup, "t")
    done = runtime.monitor(t)
    t.stop(timeout=TIMEOUT)
    assert done.down.get(timeout=TIMEOUT).reason == "normal"
    assert refs(sup) == {"a": live_ref(sup, "a"), "t": None}
    assert not sup_monitor.down.done()


def test_crashes_spaced_beyond_the_window_never_escalate(runtime: Runtime) -> None:
    """S11: a sliding window: MaxR=1, MaxT=0.3 s -> crashes more than 0.3 s apart are each
    restarted; two crashes within the window escalate."""
    lab = Lab()
    sup = start_supervisor(
        runtime, workers("LLL", lab), restart="temporary", max_restarts=1, max_seconds=0.3
    )
    sup_monitor = runtime.monitor(sup)
    for _ in range(4):
        time.sleep(0.4)  # let the previous restart leave the window
        crash(runtime, live_ref(sup, "b"))
        assert refs(sup)["b"] is not None
    assert not sup_monitor.down.done()
    assert lab.starts["b"] == 5

    # Two crashes told back to back: their exits are handled one right after the other.
    time.sleep(0.4)
    b, c = live_ref(sup, "b"), live_ref(sup, "c")
    b.tell("crash")
    c.tell("crash")
    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.starts["b"] + lab.starts["c"] == 5 + 1 + 1  # one restart, then escalation


def test_dynamic_supervisor_escalates_the_same_way(runtime: Runtime) -> None:
    """S11 for a DynamicSupervisor: max_restarts=1 -> the second crash stops every child
    (reason shutdown) and the supervisor exits with shutdown."""
    lab = Lab()
    dyn = start_supervisor(
        runtime, [], sup_id="dyn", cls=DynamicSupervisor, restart="temporary", max_restarts=1
    )
    dyn_monitor = runtime.monitor(dyn)
    started = [
        start_child(dyn, worker(kind, label, lab)).get(timeout=TIMEOUT)
        for kind, label in zip("LTA", "abc", strict=True)
    ]
    crash(runtime, started[1])
    rows = which_children(dyn).get(timeout=TIMEOUT)
    assert [row.ref is not None for row in rows] == [True, True, True]
    assert not dyn_monitor.down.done()
    others = [runtime.monitor(started[0]), runtime.monitor(started[2])]
    lab.clear()

    restarted = rows[1].ref
    assert restarted is not None
    crash(runtime, restarted)

    assert dyn_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert [m.down.get(timeout=TIMEOUT).reason for m in others] == ["shutdown", "shutdown"]
    assert sorted(lab.labels("stop")) == ["a", "c"]
    assert lab.labels("start") == []


# -- S12: a supervisor that gives up is just a child exiting with shutdown to its parent -------


@pytest.mark.parametrize("kind", ["L", "T"])
def test_permanent_child_supervisor_that_gives_up_is_restarted_by_its_parent(
    runtime: Runtime, kind: str
) -> None:
    """S12: child supervisor S (permanent, max_restarts=0) exceeds its intensity -> it exits
    with shutdown and its parent restarts it, with fresh children."""
    lab = Lab()
    parent = start_supervisor(
        runtime, [worker("L", "p-worker", lab)], sup_id="parent", restart="temporary"
    )
    inner = start_supervisor(
        runtime,
        [worker("L", "a", lab), worker(kind, "w", lab)],
        sup_id="inner",
        parent=parent,
        max_restarts=0,
    )
    inner_monitor = runtime.monitor(inner)
    old_w = live_ref(inner, "w")
    lab.clear()

    crash(runtime, old_w)

    assert inner_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    new_inner = live_ref(parent, "inner")
    assert new_inner is not inner
    assert lab.labels("stop") == ["a"]
    assert lab.labels("start") == ["a", "w"]
    assert live_ref(new_inner, "w") is not old_w
    assert parent.is_alive()


@pytest.mark.parametrize("kind", ["L", "T"])
def test_transient_child_supervisor_that_gives_up_is_not_restarted(
    runtime: Runtime, kind: str
) -> None:
    """S12: the same with S transient: its exit reason is shutdown, so it is not restarted;
    its spec stays, and the parent and its other children are untouched."""
    lab = Lab()
    parent = start_supervisor(
        runtime, [worker("L", "p-worker", lab)], sup_id="parent", restart="temporary"
    )
    p_worker = live_ref(parent, "p-worker")
    inner = start_supervisor(
        runtime,
        [worker(kind, "w", lab)],
        sup_id="inner",
        parent=parent,
        restart="transient",
        max_restarts=0,
    )
    inner_monitor = runtime.monitor(inner)
    lab.clear()

    crash(runtime, live_ref(inner, "w"))

    assert inner_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert refs(parent) == {"p-worker": p_worker, "inner": None}
    assert lab.labels("start") == []
    assert parent.is_alive()


def test_parent_counts_one_restart_per_child_supervisor_escalation(runtime: Runtime) -> None:
    """S12: nested intensities multiply: S (1 restart allowed) needs two worker crashes to
    give up; its parent P (1 restart allowed) counts each give-up as one event, so P survives
    the first (after two worker restarts) and gives up on the second."""
    lab = Lab()
    parent = start_supervisor(
        runtime, [], sup_id="parent", restart="temporary", max_restarts=1, max_seconds=30.0
    )
    parent_monitor = runtime.monitor(parent)
    start_supervisor(
        runtime,
        [worker("L", "w", lab)],
        sup_id="inner",
        parent=parent,
        max_restarts=1,
        max_seconds=30.0,
    )

    for round_ in range(2):
        inner = live_ref(parent, "inner")
        inner_monitor = runtime.monitor(inner)
        crash(runtime, live_ref(inner, "w"))  # inner restarts w (1 event of 1 allowed)
        assert not inner_monitor.down.done()
        crash(runtime, live_ref(inner, "w"))  # the second is one too many for inner
        assert inner_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
        if round_ == 0:
            assert live_ref(parent, "inner") is not inner  # parent: 1 event, still alive
            assert not parent_monitor.down.done()

    assert parent_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    # w was started once, then restarted once in each round, then once with the new inner.
    assert lab.starts["w"] == 4


# -- S13: one triggering exit = one restart event, however many children restart --------------


@pytest.mark.parametrize("layout", ["LLLLL", "LTATL"])
def test_one_for_all_restart_of_five_children_counts_as_one_event(
    runtime: Runtime, layout: str
) -> None:
    """S13: one_for_all with 5 children and max_restarts=1: one crash restarts all five and
    the supervisor survives (one event, not five); a second crash is the one too many."""
    lab = Lab()
    sup = start_supervisor(
        runtime,
        workers(layout, lab),
        restart="temporary",
        strategy="one_for_all",
        max_restarts=1,
        max_seconds=30.0,
    )
    sup_monitor = runtime.monitor(sup)
    before = running(sup)
    lab.clear()

    crash(runtime, before["c"])

    after = running(sup)
    assert lab.labels("start") == ["a", "b", "c", "d", "e"]
    assert all(after[label] is not before[label] for label in "abcde")
    assert not sup_monitor.down.done()
    lab.clear()

    crash(runtime, after["a"])
    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.labels("stop") == ["e", "d", "c", "b"]
    assert lab.labels("start") == []


# -- S14: a failing restart is retried asynchronously; every attempt counts -----------------


@pytest.mark.parametrize("kind", ["L", "A", "T"])
def test_failing_restart_is_retried_between_calls_until_intensity_escalates(
    runtime: Runtime, kind: str
) -> None:
    """S14: B's init fails from its first restart on. MaxR=3: the crash and each retry count
    one restart event, so after the crash there are MaxR start attempts (3 failures), and
    the (MaxR+1)th event escalates with shutdown. Between two attempts the supervisor answers
    which_children (asked from inside each failing init, answered before the next attempt),
    showing B not running and A untouched."""
    lab = Lab()
    lab.fail_from["b"] = 2
    sup = start_supervisor(
        runtime,
        [worker("L", "a", lab), worker(kind, "b", lab)],
        restart="temporary",
        max_restarts=3,
        max_seconds=30.0,
    )
    sup_monitor = runtime.monitor(sup)
    a = live_ref(sup, "a")
    answers: list[list[ChildInfo]] = []

    def ask_between_attempts(attempt: int) -> None:
        # Runs inside the failing init: the ask is queued before the supervisor schedules
        # its retry, so its answer comes between this attempt and the next one.
        future: LoopFuture[list[ChildInfo]] = which_children(sup)

        def answered(f: LoopFuture[list[ChildInfo]]) -> None:
            lab.log.append(("answered", str(attempt)))
            answers.append(f.result())

        future.add_done_callback(answered)

    lab.on_fail["b"] = ask_between_attempts
    lab.clear()

    crash(runtime, live_ref(sup, "b"))

    assert sup_monitor.down.get(timeout=TIMEOUT).reason == "shutdown"
    assert lab.starts["b"] == 1 + 3  # the initial start, then MaxR failed restart attempts
    assert lab.labels("new") == ["b"] * 3
    assert [event for event in lab.log if event[0] != "new"] == [
        ("start-failed", "b"),
        ("answered", "2"),
        ("start-failed", "b"),
        ("answered", "3"),
        ("start-failed", "b"),
        ("answered", "4"),
        ("stop", "a"),
    ]
    for rows in answers:
        assert [(row.id, row.ref) for row in rows] == [("a", a), ("b", None)]


@pytest.mark.parametrize("kind", ["L", "A", "T"])
def test_restart_that_fails_once_is_retried_and_recovers(runtime: Runtime, kind: str) -> None:
    """S14: a restart that fails once is retried by the supervisor on its own (no caller
    involved); the child comes back with fresh state and the supervisor lives (2 events of 3
    allowed)."""
    lab = Lab()
    lab.fail_from["b"] = 2
    sup = start_supervisor(
        runtime, [worker(kind, "b", lab)], restart="temporary", max_restarts=3, max_seconds=30.0
    )
    sup_monitor = runtime.monitor(sup)
    between: list[list[ChildInfo]] = []
    after_retry: LoopFuture[list[ChildInfo]] = LoopFuture()

    def heal(attempt: int) -> None:
        lab.fail_from.pop("b")

        def then(first: LoopFuture[list[ChildInfo]]) -> None:
            # Answered before the retry ran; an ask sent now is queued behind the retry.
            between.append(first.result())
            which_children(sup).add_done_callback(lambda f: after_retry.set(f.result()))

        which_children(sup).add_done_callback(then)

    lab.on_fail["b"] = heal
    old = live_ref(sup, "b")
    crash(runtime, old)

    rows = after_retry.get(timeout=TIMEOUT)
    assert [(row.id, row.ref) for row in between[0]] == [("b", None)]
    [row] = rows
    assert row.ref is not None
    assert row.ref is not old
    assert row.ref.ask("get", timeout=TIMEOUT) == 0
    assert lab.labels("start-failed") == ["b"]
    assert lab.labels("start") == ["b", "b"]
    assert lab.starts["b"] == 3
    assert refs(sup) == {"b": row.ref}
    assert not sup_monitor.down.done()


@pytest.mark.parametrize("kind", ["L", "T"])
def test_terminate_child_while_its_restart_is_retried_stops_the_retries(
    runtime: Runtime, kind: str
) -> None:
    """S14 with terminate_child interleaved between two attempts (OTP: a terminated child is
    no longer "restarting", so the pending retry does nothing): the supervisor lives, the spec
    is kept, no further attempt runs, and restart_child brings the child back later."""
    lab = Lab()
    lab.fail_from["b"] = 2
    sup = start_supervisor(
        runtime,
        [worker("L", "a", lab), worker(kind, "b", lab)],
        restart="temporary",
        max_restarts=10,
        max_seconds=30.0,
    )
    sup_monitor = runtime.monitor(sup)
    a = live_ref(sup, "a")
    after_retry: LoopFuture[list[ChildInfo]] = LoopFuture()

    def terminate_between_attempts(attempt: int) -> None:
        if attempt != 2:
            return

        def then(terminated: LoopFuture[None]) -> None:
            terminated.result()  # ok
            # Queued behind the pending retry: answered once the retry was handled.
            which_children(sup).add_done_callback(lambda f: after_retry.set(f.result()))

        terminate_child(sup, "b").add_done_callback(then)

    lab.on_fail["b"] = terminate_between_attempts
    crash(runtime, live_ref(sup, "b"))

    rows = after_retry.get(timeout=TIMEOUT)
    assert [(row.id, row.ref) for row in rows] == [("a", a), ("b", None)]
    assert lab.starts["b"] == 2  # the first start, one failed restart, no retry after that
    assert not sup_monitor.down.done()

    lab.fail_from.clear()
    again = restart_child(sup, "b").get(timeout=TIMEOUT)
    assert refs(sup) == {"a": a, "b": again}
    assert not sup_monitor.down.done()


@pytest.mark.parametrize("kind", ["L", "T"])
def test_restart_and_delete_are_refused_while_a_restart_is_retried(
    runtime: Runtime, kind: str
) -> None:
    """S14 (OTP's `{error, restarting}`): while a failed restart waits for its retry,
    restart_child and delete_child are refused with ChildRestartingError and change nothing;
    the retry then brings the child back."""
    lab = Lab()
    lab.fail_from["b"] = 2
    sup = start_supervisor(
        runtime,
        [worker("L", "a", lab), worker(kind, "b", lab)],
        restart="temporary",
        max_restarts=10,
        max_seconds=30.0,
    )
    refused: LoopFuture[list[BaseException | None]] = LoopFuture()

    def try_while_restarting(attempt: int) -> None:
        if attempt != 2:
            return
        lab.fail_from.clear()  # the retry will succeed
        restart = restart_child(sup, "b")
        delete = delete_child(sup, "b")
        delete.add_done_callback(lambda _: refused.set([restart.exception(), delete.exception()]))

    lab.on_fail["b"] = try_while_restarting
    crash(runtime, live_ref(sup, "b"))

    restart_error, delete_error = refused.get(timeout=TIMEOUT)
    assert isinstance(restart_error, ChildRestartingError)
    assert isinstance(delete_error, ChildRestartingError)
    rows = which_children(sup).get(timeout=TIMEOUT)
    assert [row.id for row in rows] == ["a", "b"]
    assert rows[1].ref is not None
    assert lab.starts["b"] == 3  # first start, the failed restart, the retry
