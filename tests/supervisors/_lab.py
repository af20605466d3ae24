"""Test actors and helpers for the supervision checklist tests (S1-S14).

Every worker writes its life to a shared `Lab` log as `(event, label)` pairs: "new" when
constructed, "start" once its `on_start` has completed, "start-failed" when `on_start` raised,
"stop" from `on_stop`. Three kinds share one protocol, chosen by a letter so a test can be
parametrized over a layout such as "LTA":

- "L": a `LoopActor` with a sync `on_start`;
- "A": a `LoopActor` with an `async def on_start` that awaits `lab.delay[label]` seconds;
- "T": a plain `pykka.ThreadingActor` subclass (supervised on its own thread), whose `on_start`
  sleeps `lab.delay[label]` seconds.

Messages: "get" answers the counter, "incr" increments and answers it, "crash" (told) crashes
the actor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pykka

from supervisors import (
    ChildSpec,
    Down,
    LoopActor,
    Runtime,
    Supervisor,
    start_child,
    which_children,
)
from supervisors.supervisor import Restart

TIMEOUT = 5.0


class CrashError(RuntimeError):
    """What a worker raises when told "crash"."""


class StartFailedError(RuntimeError):
    """What a worker's on_start raises when the lab says so."""


class Lab:
    """Shared, thread-safe-enough (append-only) record of what the workers did."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.starts: Counter[str] = Counter()
        #: label -> the first start attempt (1-based) whose on_start raises
        self.fail_from: dict[str, int] = {}
        #: label -> seconds on_start waits before completing
        self.delay: dict[str, float] = {}
        #: label -> called (with the attempt number) inside a failing on_start, before raising
        self.on_fail: dict[str, Callable[[int], None]] = {}

    def labels(self, event: str) -> list[str]:
        """The labels logged with `event`, in order."""
        return [label for ev, label in self.log if ev == event]

    def clear(self) -> None:
        del self.log[:]

    # -- the shared behaviour of all worker kinds ------------------------------------------------

    def begin_start(self, label: str) -> int:
        self.starts[label] += 1
        return self.starts[label]

    def end_start(self, label: str, attempt: int) -> None:
        first_failing = self.fail_from.get(label)
        if first_failing is not None and attempt >= first_failing:
            self.log.append(("start-failed", label))
            hook = self.on_fail.get(label)
            if hook is not None:
                hook(attempt)
            raise StartFailedError(f"{label} failed to start (attempt {attempt})")
        self.log.append(("start", label))


def _handle(actor: Any, message: Any) -> Any:
    if message == "get":
        return actor.count
    if message == "incr":
        actor.count += 1
        return actor.count
    if message == "crash":
        raise CrashError(f"{actor.label} was told to crash")
    raise ValueError(f"unexpected message {message!r}")


class LoopWorker(LoopActor):
    def __init__(self, label: str, lab: Lab, *extra: Any) -> None:
        super().__init__()
        self.label = label
        self.lab = lab
        self.extra = extra
        self.count = 0
        lab.log.append(("new", label))

    def on_start(self) -> None:
        self.lab.end_start(self.label, self.lab.begin_start(self.label))

    def on_stop(self) -> None:
        self.lab.log.append(("stop", self.label))

    def on_receive(self, message: Any) -> Any:
        if message == "extra":
            return self.extra
        return _handle(self, message)


class AsyncLoopWorker(LoopWorker):
    async def on_start(self) -> None:  # type: ignore[override]
        attempt = self.lab.begin_start(self.label)
        await asyncio.sleep(self.lab.delay.get(self.label, 0.0))
        self.lab.end_start(self.label, attempt)


class ThreadWorker(pykka.ThreadingActor):
    def __init__(self, label: str, lab: Lab, *extra: Any) -> None:
        super().__init__()
        self.label = label
        self.lab = lab
        self.extra = extra
        self.count = 0
        lab.log.append(("new", label))

    def on_start(self) -> None:
        attempt = self.lab.begin_start(self.label)
        delay = self.lab.delay.get(self.label, 0.0)
        if delay:
            time.sleep(delay)  # a slow init on the actor's own thread
        self.lab.end_start(self.label, attempt)

    def on_stop(self) -> None:
        self.lab.log.append(("stop", self.label))

    def on_receive(self, message: Any) -> Any:
        if message == "extra":
            return self.extra
        return _handle(self, message)


KINDS: dict[str, type[Any]] = {"L": LoopWorker, "A": AsyncLoopWorker, "T": ThreadWorker}


def worker(kind: str, label: str, lab: Lab, **options: Any) -> ChildSpec:
    """A child spec for a worker of `kind` ("L", "A" or "T") named `label`."""
    return ChildSpec(label, KINDS[kind], args=(label, lab), **options)


def workers(layout: str, lab: Lab, labels: str = "abcdefgh") -> list[ChildSpec]:
    """One worker spec per letter of `layout`, labelled a, b, c..."""
    return [worker(kind, label, lab) for kind, label in zip(layout, labels, strict=False)]


def start_supervisor(
    rt: Runtime,
    children: list[ChildSpec],
    *,
    sup_id: str = "sup",
    restart: Restart = "permanent",
    parent: pykka.ActorRef[Any] | None = None,
    cls: type[Supervisor] = Supervisor,
    **options: Any,
) -> pykka.ActorRef[Any]:
    """Start a supervisor of `children` under `parent` (the root by default); its ref."""
    spec = dataclasses.replace(cls.child_spec(sup_id, children, **options), restart=restart)
    return start_child(parent if parent is not None else rt.root, spec).get(timeout=TIMEOUT)


def refs(sup: pykka.ActorRef[Any]) -> dict[Any, pykka.ActorRef[Any] | None]:
    """Child id -> current ref (None when not running), in start order."""
    return {row.id: row.ref for row in which_children(sup).get(timeout=TIMEOUT)}


def running(sup: pykka.ActorRef[Any]) -> dict[Any, pykka.ActorRef[Any]]:
    """Child id -> current ref, asserting that every child is running."""
    children = refs(sup)
    alive = {child_id: ref for child_id, ref in children.items() if ref is not None}
    assert alive.keys() == children.keys(), f"not running: {children.keys() - alive.keys()}"
    return alive


def live_ref(sup: pykka.ActorRef[Any], child_id: Any) -> pykka.ActorRef[Any]:
    ref = refs(sup)[child_id]
    assert ref is not None, f"child {child_id!r} is not running"
    return ref


def crash(rt: Runtime, ref: pykka.ActorRef[Any]) -> Down:
    """Crash `ref` and wait until it is down; its supervisor has reacted when this returns.

    The monitor is set up after the supervisor linked the child, so the supervisor's `Exit` is
    queued before this `Down` fires and any later call to the supervisor sees its reaction.
    """
    monitor = rt.monitor(ref)
    ref.tell("crash")
    down = monitor.down.get(timeout=TIMEOUT)
    assert isinstance(down.reason, CrashError), down.reason
    return down


def down_of(rt: Runtime, ref: pykka.ActorRef[Any], action: Callable[[], object]) -> Down:
    """Monitor `ref`, run `action`, and return the `Down` that follows."""
    monitor = rt.monitor(ref)
    action()
    return monitor.down.get(timeout=TIMEOUT)
