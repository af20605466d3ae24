"""Model-based tests: random operation sequences against a real `Supervisor`, compared step by
step with a pure-Python model of OTP's supervisor semantics.

Rows covered: S4 one_for_one, S5 one_for_all, S6 rest_for_one, S8-S10 restart types (also for
siblings terminated because of a failure), S11 intensity and escalation with reason `shutdown`,
S13 one event per failure, S18 duplicate ids, S19 terminate/restart/delete of a static
supervisor's children, S25 fresh state after a restart.

After every step the machine checks that `which_children` (ids, order, running-ness, restart
type) equals the model's; that children the model says were untouched keep their ref and
state, while restarted ones have a new ref and a counter back at 0; and that the start/stop
log the children wrote is exactly the model's: terminations in reverse start order, then
starts in order.

Synchronisation: before acting on a child the test monitors it and waits for its `Down`. The
supervisor is linked to the child before the test's monitor exists, and an exit notifies links
before monitors, so the supervisor's `Exit` is queued before the test sees the `Down`; a
`which_children` asked afterwards is answered only once the supervisor has reacted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, ClassVar

import pykka
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from supervisors import (
    NORMAL,
    SHUTDOWN,
    AlreadyPresentError,
    AlreadyStartedError,
    ChildNotFoundError,
    ChildRunningError,
    ChildSpec,
    LoopActor,
    Runtime,
    Supervisor,
    delete_child,
    restart_child,
    start_child,
    terminate_child,
    which_children,
)

WAIT = 5.0
GENEROUS = 10_000  # restarts allowed: never reached in a run
PERIOD = 3600.0  # the intensity window: longer than any run, so restarts never expire

Event = tuple[str, str]  # ("start" | "stop" | "fail", child id)

RESTARTS = st.sampled_from(["permanent", "transient", "temporary"])
PICK = st.integers(min_value=0, max_value=63)


class Worker(LoopActor):
    """A child that logs its lifecycle and counts `incr` messages.

    `crash` raises in a tell handler (an abnormal exit); `exit` makes it stop by itself with
    reason `normal`.
    """

    def __init__(self, cid: str, log: list[Event]) -> None:
        super().__init__()
        self.cid = cid
        self.log = log
        self.count = 0

    def on_start(self) -> None:
        self.log.append(("start", self.cid))

    def on_stop(self) -> None:
        self.log.append(("stop", self.cid))

    def on_failure(self, *exc_info: object) -> None:
        self.log.append(("fail", self.cid))

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError(f"{self.cid} crashed on purpose")
        if message == "exit":
            self.exit(NORMAL)
            return None
        if message == "incr":
            self.count += 1
            return self.count
        if message == "count":
            return self.count
        raise ValueError(f"unexpected message {message!r}")


@dataclass
class Child:
    """The model of one child spec."""

    id: str
    restart: str
    running: bool
    incarnation: int
    count: int = 0


class SupervisorModel(RuleBasedStateMachine):
    """One Runtime per example; a temporary `Supervisor` under its root is the system under test.

    Subclassed per configuration by `machine()`.
    """

    strategy: ClassVar[str] = "one_for_one"
    #: Allow 0-3 restarts (drawn per example) instead of a number never reached.
    small_intensity: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.max_restarts = GENEROUS
        self.rt = Runtime("model", watchdog=None, shutdown_timeout=10.0).start()
        self.log: list[Event] = []
        self.mark = 0  # log entries before this index have been checked
        self.children: list[Child] = []
        self.known_ids: list[str] = []
        self.incarnations = itertools.count(1)
        self.ids = itertools.count()
        self.restart_events = 0
        self.sup: pykka.ActorRef[Any] | None = None
        self.sup_alive = False
        # child id -> (incarnation, ref) as last observed through which_children
        self.observed: dict[str, tuple[int, pykka.ActorRef[Any]]] = {}
        self.urns_seen: set[str] = set()

    def teardown(self) -> None:
        self.rt.stop()

    # -- helpers -------------------------------------------------------------------------------

    def _spec(self, cid: str, restart: str) -> ChildSpec:
        return ChildSpec(cid, Worker, args=(cid, self.log), restart=restart)  # type: ignore[arg-type]

    def _new_id(self) -> str:
        cid = f"c{next(self.ids)}"
        self.known_ids.append(cid)
        return cid

    def _find(self, cid: str) -> Child | None:
        return next((c for c in self.children if c.id == cid), None)

    def _running(self) -> list[Child]:
        return [c for c in self.children if c.running]

    def _ref(self, child: Child) -> pykka.ActorRef[Any]:
        incarnation, ref = self.observed[child.id]
        assert incarnation == child.incarnation
        return ref

    def _expect(self, events: list[Event]) -> None:
        got = self.log[self.mark :]
        assert got == events, f"log {got} != model {events}"
        self.mark = len(self.log)

    def _started(self, child: Child) -> None:
        child.running = True
        child.incarnation = next(self.incarnations)
        child.count = 0

    def _group(self, failed: Child) -> list[Child]:
        if self.strategy == "one_for_all":
            return list(self.children)
        if self.strategy == "rest_for_one":
            return self.children[self.children.index(failed) :]
        return [failed]

    def _model_exit(self, failed: Child, *, normal: bool) -> list[Event]:
        """The supervisor's reaction to `failed` exiting by itself: the events it logs."""
        failed.running = False
        if failed.restart == "temporary":  # S10: never restarted, spec dropped
            self.children.remove(failed)
            return []
        if failed.restart == "transient" and normal:  # S9: spec kept, not restarted
            return []
        self.restart_events += 1  # S13: one event, whatever the strategy restarts
        if self.restart_events > self.max_restarts:  # S11: escalate
            events = [("stop", c.id) for c in reversed(self.children) if c.running]
            for c in self.children:
                c.running = False
            self.sup_alive = False
            return events
        group = self._group(failed)
        events = [("stop", c.id) for c in reversed(group) if c is not failed and c.running]
        for c in group:
            c.running = False
            if c is not failed and c.restart == "temporary":  # S10, even for siblings
                self.children.remove(c)
        for c in group:
            if c in self.children:
                self._started(c)
                events.append(("start", c.id))
        return events

    def _after_exit(self, events: list[Event]) -> None:
        """Wait until the supervisor has reacted, then check the log."""
        assert self.sup is not None
        if self.sup_alive:
            which_children(self.sup).get(timeout=WAIT)
        else:
            down = self.sup_down.get(timeout=WAIT)
            assert down.reason == SHUTDOWN
        self._expect(events)

    # -- start ---------------------------------------------------------------------------------

    @initialize(
        restarts=st.lists(RESTARTS, max_size=4),
        max_restarts=st.integers(min_value=0, max_value=3),
    )
    def start_supervisor(self, restarts: list[str], max_restarts: int) -> None:
        if self.small_intensity:
            self.max_restarts = max_restarts
        specs = []
        for restart in restarts:
            cid = self._new_id()
            specs.append(self._spec(cid, restart))
            self.children.append(Child(cid, restart, True, next(self.incarnations)))
        self.sup = start_child(
            self.rt.root,
            ChildSpec(
                "sup",
                Supervisor,
                args=(specs,),
                kwargs={
                    "strategy": self.strategy,
                    "max_restarts": self.max_restarts,
                    "max_seconds": PERIOD,
                },
                restart="temporary",
            ),
        ).get(timeout=WAIT)
        self.sup_alive = True
        self.sup_down = self.rt.monitor(self.sup).down
        self._expect([("start", c.id) for c in self.children])  # S1: in spec order

    # -- rules ---------------------------------------------------------------------------------

    @precondition(lambda self: self.sup_alive and bool(self._running()))
    @rule(pick=PICK)
    def crash_child(self, pick: int) -> None:
        running = self._running()
        child = running[pick % len(running)]
        ref = self._ref(child)
        monitor = self.rt.monitor(ref)
        events = [("fail", child.id), *self._model_exit(child, normal=False)]
        ref.tell("crash")
        down = monitor.down.get(timeout=WAIT)
        assert isinstance(down.reason, RuntimeError)
        self._after_exit(events)

    @precondition(lambda self: self.sup_alive and bool(self._running()))
    @rule(pick=PICK)
    def child_stops_normally(self, pick: int) -> None:
        running = self._running()
        child = running[pick % len(running)]
        ref = self._ref(child)
        monitor = self.rt.monitor(ref)
        events = [("stop", child.id), *self._model_exit(child, normal=True)]
        ref.tell("exit")
        assert monitor.down.get(timeout=WAIT).reason == NORMAL
        self._after_exit(events)

    @precondition(lambda self: self.sup_alive and bool(self.known_ids))
    @rule(pick=PICK)
    def terminate(self, pick: int) -> None:
        assert self.sup is not None
        cid = self.known_ids[pick % len(self.known_ids)]
        child = self._find(cid)
        if child is None:
            with pytest.raises(ChildNotFoundError):
                terminate_child(self.sup, cid).get(timeout=WAIT)
            self._expect([])
            return
        monitor = self.rt.monitor(self._ref(child)) if child.running else None
        events: list[Event] = [("stop", cid)] if child.running else []
        assert terminate_child(self.sup, cid).get(timeout=WAIT) is None
        child.running = False
        if child.restart == "temporary":
            self.children.remove(child)
        if monitor is not None:
            assert monitor.down.get(timeout=WAIT).reason == SHUTDOWN
        self._expect(events)

    @precondition(lambda self: self.sup_alive and bool(self.known_ids))
    @rule(pick=PICK)
    def restart(self, pick: int) -> None:
        assert self.sup is not None
        cid = self.known_ids[pick % len(self.known_ids)]
        child = self._find(cid)
        if child is None:
            with pytest.raises(ChildNotFoundError):
                restart_child(self.sup, cid).get(timeout=WAIT)
            self._expect([])
        elif child.running:
            with pytest.raises(ChildRunningError):
                restart_child(self.sup, cid).get(timeout=WAIT)
            self._expect([])
        else:
            ref = restart_child(self.sup, cid).get(timeout=WAIT)
            assert ref.is_alive()
            self._started(child)
            self._expect([("start", cid)])

    @precondition(lambda self: self.sup_alive and bool(self.known_ids))
    @rule(pick=PICK)
    def delete(self, pick: int) -> None:
        assert self.sup is not None
        cid = self.known_ids[pick % len(self.known_ids)]
        child = self._find(cid)
        if child is None:
            with pytest.raises(ChildNotFoundError):
                delete_child(self.sup, cid).get(timeout=WAIT)
        elif child.running:
            with pytest.raises(ChildRunningError):
                delete_child(self.sup, cid).get(timeout=WAIT)
        else:
            assert delete_child(self.sup, cid).get(timeout=WAIT) is None
            self.children.remove(child)
        self._expect([])

    @precondition(lambda self: self.sup_alive)
    @rule(restart=RESTARTS, reuse=st.booleans(), pick=PICK)
    def start_new_child(self, restart: str, reuse: bool, pick: int) -> None:
        """A new spec goes last (S19); a spec with a present id is refused (S18)."""
        assert self.sup is not None
        cid = self.known_ids[pick % len(self.known_ids)] if reuse and self.known_ids else None
        existing = self._find(cid) if cid is not None else None
        if existing is not None:
            error = AlreadyStartedError if existing.running else AlreadyPresentError
            with pytest.raises(error):
                start_child(self.sup, self._spec(existing.id, restart)).get(timeout=WAIT)
            self._expect([])
            return
        if cid is None:
            cid = self._new_id()
        ref = start_child(self.sup, self._spec(cid, restart)).get(timeout=WAIT)
        assert ref.is_alive()
        child = Child(cid, restart, False, 0)
        self._started(child)
        self.children.append(child)
        self._expect([("start", cid)])

    @precondition(lambda self: self.sup_alive and bool(self._running()))
    @rule(pick=PICK, n=st.integers(min_value=1, max_value=3))
    def bump(self, pick: int, n: int) -> None:
        """Give a child some state, which a restart must reset (S25)."""
        running = self._running()
        child = running[pick % len(running)]
        ref = self._ref(child)
        for _ in range(n):
            child.count += 1
            assert ref.ask("incr", timeout=WAIT) == child.count

    @precondition(lambda self: not self.sup_alive)
    @rule()
    def escalated_supervisor_answers_no_more(self) -> None:
        assert self.sup is not None
        with pytest.raises(pykka.ActorDeadError):
            which_children(self.sup).get(timeout=WAIT)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def real_supervisor_matches_the_model(self) -> None:
        assert self.sup is not None
        live = {c.id: c for c in self.children if c.running}
        # Every incarnation the model no longer runs is dead (the old one after a restart too).
        for cid, (incarnation, ref) in list(self.observed.items()):
            child = live.get(cid)
            if child is None or child.incarnation != incarnation:
                assert not ref.is_alive(), f"{cid} {ref} should have stopped"
                del self.observed[cid]
        if not self.sup_alive:
            assert not self.sup.is_alive()
            assert not self.observed
            return
        rows = which_children(self.sup).get(timeout=WAIT)
        assert [(r.id, r.ref is not None, r.restart) for r in rows] == [
            (c.id, c.running, c.restart) for c in self.children
        ]
        for row, child in zip(rows, self.children, strict=True):
            if row.ref is None:
                continue
            seen = self.observed.get(child.id)
            if seen is not None:  # untouched: same incarnation, same ref
                assert row.ref.actor_urn == seen[1].actor_urn, f"{child.id} was restarted"
            else:  # (re)started: a ref never seen before
                assert row.ref.actor_urn not in self.urns_seen, f"{child.id} reused a ref"
                self.urns_seen.add(row.ref.actor_urn)
                self.observed[child.id] = (child.incarnation, row.ref)
            assert row.ref.ask("count", timeout=WAIT) == child.count


STRATEGIES = ["one_for_one", "one_for_all", "rest_for_one"]


def machine(strategy: str, *, small_intensity: bool) -> type[SupervisorModel]:
    name = f"SupervisorModel_{strategy}{'_escalating' if small_intensity else ''}"
    attrs = {"strategy": strategy, "small_intensity": small_intensity}
    return type(name, (SupervisorModel,), attrs)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_supervisor_follows_the_otp_model_without_escalation(strategy: str) -> None:
    """S4-S10, S13, S18, S19, S25 with an intensity that is never reached."""
    run_state_machine_as_test(
        machine(strategy, small_intensity=False),
        settings=settings(
            max_examples=60,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_supervisor_follows_the_otp_model_up_to_escalation(strategy: str) -> None:
    """The same with 0-3 restarts allowed: S11 escalation (all children stopped in reverse
    order, the supervisor exits with reason `shutdown`) exactly when the model says so."""
    run_state_machine_as_test(
        machine(strategy, small_intensity=True),
        settings=settings(
            max_examples=50,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
