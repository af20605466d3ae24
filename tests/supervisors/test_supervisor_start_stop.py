"""Supervisor start and stop: checklist rows S1 (synchronous ordered start), S2 (start
failure) and S3 (reverse stop order)."""

from __future__ import annotations

from typing import Any

import pytest

from supervisors import (
    ChildSpec,
    Down,
    Runtime,
    StartChildError,
    Supervisor,
    start_child,
    terminate_child,
    which_children,
)
from tests.supervisors._lab import (
    TIMEOUT,
    Lab,
    StartFailedError,
    refs,
    start_supervisor,
    worker,
    workers,
)

# -- S1: children start left to right; start returns once every init has succeeded -----------


@pytest.mark.parametrize(
    "layout",
    [
        "LAL",  # B's async on_start awaits 50 ms on the loop
        "LLL",  # all sync
        "LTL",  # B is a pykka ThreadingActor whose on_start sleeps 50 ms on its thread
        "TAT",
    ],
)
def test_start_returns_after_every_child_started_in_spec_order(
    runtime: Runtime, layout: str
) -> None:
    """S1: spec [A,B,C], B's init takes 50 ms -> when start returns, the log is [A,B,C] and
    every child is alive and answers."""
    lab = Lab()
    lab.delay["b"] = 0.05
    sup = start_supervisor(runtime, workers(layout, lab))

    assert lab.labels("start") == ["a", "b", "c"]
    assert lab.labels("new") == ["a", "b", "c"]
    children = refs(sup)
    assert list(children) == ["a", "b", "c"]
    for ref in children.values():
        assert ref is not None
        assert ref.is_alive()
        assert ref.ask("incr", timeout=TIMEOUT) == 1


def test_child_constructed_only_after_previous_one_is_ready(runtime: Runtime) -> None:
    """S1: C is not even constructed while B's async init is still running."""
    lab = Lab()
    lab.delay["b"] = 0.05
    start_supervisor(runtime, workers("LAL", lab))
    assert lab.log == [
        ("new", "a"),
        ("start", "a"),
        ("new", "b"),
        ("start", "b"),
        ("new", "c"),
        ("start", "c"),
    ]


def test_nested_supervisor_start_waits_for_its_whole_subtree(runtime: Runtime) -> None:
    """S1: a child supervisor counts as started only once its own children are: C starts
    after B1 (async, 50 ms) and B2 (a ThreadingActor) under the nested supervisor."""
    lab = Lab()
    lab.delay["b1"] = 0.05
    inner = Supervisor.child_spec("inner", [worker("A", "b1", lab), worker("T", "b2", lab)])
    sup = start_supervisor(runtime, [worker("L", "a", lab), inner, worker("L", "c", lab)])
    assert lab.labels("start") == ["a", "b1", "b2", "c"]
    inner_ref = refs(sup)["inner"]
    assert inner_ref is not None
    assert all(ref is not None and ref.is_alive() for ref in refs(inner_ref).values())


# -- S2: a failing child aborts the start; started children are stopped, nothing leaks --------


class RecordingSupervisor(Supervisor):
    """Remembers its own ref so a test can check it is dead after a failed start."""

    seen: list[Any] = []

    async def on_start(self) -> None:  # type: ignore[override]
        RecordingSupervisor.seen.append(self.actor_ref)
        await super().on_start()


@pytest.mark.parametrize("layout", ["LLL", "LAL", "TTT", "ATL"])
def test_start_failure_stops_started_children_and_reports_the_reason(
    runtime: Runtime, layout: str
) -> None:
    """S2: spec [A,B,C] under a supervisor started as a child of the root, B's init raises ->
    start_child raises StartChildError whose reason chain names B's error; A's on_stop ran;
    C was never constructed; the supervisor is dead and no actor leaked."""
    lab = Lab()
    lab.fail_from["b"] = 1
    lab.delay["b"] = 0.01
    RecordingSupervisor.seen = []
    before = set(runtime.actors())

    spec = RecordingSupervisor.child_spec("sup", workers(layout, lab))
    with pytest.raises(StartChildError) as info:
        start_child(runtime.root, spec).get(timeout=TIMEOUT)

    error = info.value
    assert error.child_id == "sup"
    inner = error.reason
    assert isinstance(inner, StartChildError)
    assert inner.child_id == "b"
    assert isinstance(inner.reason, StartFailedError)
    assert "b failed to start" in str(inner.reason)
    assert "b failed to start" in str(error)

    assert lab.log == [
        ("new", "a"),
        ("start", "a"),
        ("new", "b"),
        ("start-failed", "b"),
        ("stop", "a"),
    ]
    [sup_ref] = RecordingSupervisor.seen
    assert not sup_ref.is_alive()
    down = runtime.monitor(sup_ref).down.get(timeout=TIMEOUT)
    assert down.reason == "noproc"
    assert set(runtime.actors()) == before
    assert which_children(runtime.root).get(timeout=TIMEOUT) == []


def test_start_failure_deep_in_a_nested_supervisor_unwinds_every_level(
    runtime: Runtime,
) -> None:
    """S2 across levels: B2 fails under a nested supervisor -> B1 and then A are stopped, C
    never constructed, and the error chain leads from the top supervisor down to B2's error."""
    lab = Lab()
    lab.fail_from["b2"] = 1
    inner = Supervisor.child_spec("inner", [worker("L", "b1", lab), worker("T", "b2", lab)])
    children = [worker("A", "a", lab), inner, worker("L", "c", lab)]
    before = set(runtime.actors())
    with pytest.raises(StartChildError) as info:
        start_child(runtime.root, Supervisor.child_spec("sup", children)).get(timeout=TIMEOUT)
    chain = [info.value.child_id]
    reason: Any = info.value.reason
    while isinstance(reason, StartChildError):
        chain.append(reason.child_id)
        reason = reason.reason
    assert chain == ["sup", "inner", "b2"]
    assert isinstance(reason, StartFailedError)
    assert lab.labels("stop") == ["b1", "a"]
    assert "c" not in lab.labels("new")
    assert set(runtime.actors()) == before


def test_failed_start_leaves_no_spec_behind(runtime: Runtime) -> None:
    """S2: after a failed start the same id can be started again (nothing was kept)."""
    lab = Lab()
    lab.fail_from["b"] = 1
    spec = Supervisor.child_spec("sup", workers("LLL", lab))
    with pytest.raises(StartChildError):
        start_child(runtime.root, spec).get(timeout=TIMEOUT)
    lab.fail_from.clear()
    sup = start_child(runtime.root, spec).get(timeout=TIMEOUT)
    assert list(refs(sup)) == ["a", "b", "c"]
    assert all(ref is not None for ref in refs(sup).values())


# -- S3: stop children in reverse start order, then the supervisor --------------------------


def _watch(runtime: Runtime, lab: Lab, ref: Any, label: str) -> None:
    def on_down(down: Down) -> None:
        lab.log.append(("down", label))
        lab.log.append(("reason", f"{label}={down.reason}"))

    runtime.monitor(ref, on_down)


@pytest.mark.parametrize("layout", ["LLL", "AAA", "TLT", "LTA"])
@pytest.mark.parametrize("how", ["terminate_child", "runtime_stop"])
def test_stop_terminates_children_in_reverse_order_then_the_supervisor(
    runtime: Runtime, layout: str, how: str
) -> None:
    """S3: spec [A,B,C] -> stop the supervisor -> stop hooks [C,B,A], each child down before
    the next is stopped, and the supervisor's own exit observed after A's."""
    lab = Lab()
    sup = start_supervisor(runtime, workers(layout, lab))
    for label, ref in refs(sup).items():
        _watch(runtime, lab, ref, str(label))
    _watch(runtime, lab, sup, "sup")
    sup_down = runtime.monitor(sup)
    lab.clear()

    if how == "terminate_child":
        terminate_child(runtime.root, "sup").get(timeout=TIMEOUT)
    else:
        runtime.stop()
    assert sup_down.down.get(timeout=TIMEOUT).reason == "shutdown"

    assert [event for event in lab.log if event[0] != "reason"] == [
        ("stop", "c"),
        ("down", "c"),
        ("stop", "b"),
        ("down", "b"),
        ("stop", "a"),
        ("down", "a"),
        ("down", "sup"),
    ]
    assert lab.labels("reason") == ["c=shutdown", "b=shutdown", "a=shutdown", "sup=shutdown"]


def test_nested_supervisors_stop_depth_first_in_reverse_order(runtime: Runtime) -> None:
    """S3: a child supervisor is stopped (with its own children, reversed) in its turn."""
    lab = Lab()
    inner = Supervisor.child_spec("inner", [worker("L", "b1", lab), worker("T", "b2", lab)])
    children: list[ChildSpec] = [worker("L", "a", lab), inner, worker("A", "c", lab)]
    start_supervisor(runtime, children)
    lab.clear()
    terminate_child(runtime.root, "sup").get(timeout=TIMEOUT)
    assert lab.labels("stop") == ["c", "b2", "b1", "a"]
