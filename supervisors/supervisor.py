# Supervisors, as OTP defines them (checklist S1-S25 in the project's reference notes).
#
# A `Supervisor` is a loop actor that traps exits. It starts its children in spec order and only
# reports itself started once every child's `on_start` has succeeded (S1, S2); it restarts them
# by strategy and restart type (S4-S10), counts restarts in a sliding window and gives up with
# reason `shutdown` when there are more than `max_restarts` in `max_seconds` (S11-S13), retries a
# failed restart asynchronously (S14), and terminates children in reverse start order, each by
# its `shutdown` spec (S3, S15-S17). A `DynamicSupervisor` starts empty and holds children of one
# kind started on demand (S7).
#
# Every operation runs inside the supervisor, one at a time, as in OTP: `start_child` blocks the
# supervisor until the child is up. Call them through the module functions (`start_child(sup,
# spec)`...), which return a `LoopFuture`: `.get(timeout=...)` from a thread, `await` on a loop.

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, NoReturn, TypeAlias

import pykka
import structlog
from pykka.messages import ProxyCall

from supervisors._future import LoopFuture
from supervisors._process import Process, process_of
from supervisors.actor import LoopActor, LoopActorRef
from supervisors.exits import (
    NORMAL,
    SHUTDOWN,
    AlreadyPresentError,
    AlreadyStartedError,
    ChildNotFoundError,
    ChildRestartingError,
    ChildRunningError,
    Exit,
    ExitReason,
    MaxChildrenError,
    NotSupportedError,
    StartChildError,
    is_normal_exit,
)

__all__ = [
    "ChildCounts",
    "ChildInfo",
    "ChildSpec",
    "DynamicSupervisor",
    "Restart",
    "Shutdown",
    "Strategy",
    "Supervisor",
    "count_children",
    "delete_child",
    "restart_child",
    "start_child",
    "terminate_child",
    "which_children",
]

log = structlog.get_logger("supervisors")

Restart: TypeAlias = Literal["permanent", "transient", "temporary"]
Shutdown: TypeAlias = float | Literal["brutal_kill", "infinity"]
Strategy: TypeAlias = Literal["one_for_one", "one_for_all", "rest_for_one"]
AutoShutdown: TypeAlias = Literal["never", "any_significant", "all_significant"]
ChildType: TypeAlias = Literal["worker", "supervisor"]

DEFAULT_WORKER_SHUTDOWN = 5.0
#: How long a failed start waits for a pykka child's thread to report its exit.
THREAD_EXIT_WAIT = 5.0

_RESTARTS = ("permanent", "transient", "temporary")
_STRATEGIES = ("one_for_one", "one_for_all", "rest_for_one")
_AUTO_SHUTDOWNS = ("never", "any_significant", "all_significant")


@dataclass(frozen=True)
class ChildSpec:
    """How to start, restart and stop one child.

    Attributes:
        id: unique among the supervisor's children.
        start: a `LoopActor` subclass, a `pykka.ThreadingActor` subclass (run supervised on
            its own thread), or a callable returning (or awaiting to) the ref of an actor
            started on this runtime.
        args, kwargs: passed to `start`.
        restart: "permanent" (always restarted, the default), "transient" (only after an
            abnormal exit) or "temporary" (never; the spec is dropped when it exits).
        shutdown: seconds to wait for a graceful stop before killing, "brutal_kill" or
            "infinity". Default: 5.0 for workers, "infinity" for supervisors.
        type: "worker" or "supervisor" (default: "supervisor" for `Supervisor` subclasses).
        significant: with the supervisor's `auto_shutdown`; transient or temporary only.
        name: register the child under this name in the runtime's registry.
    """

    id: Hashable
    start: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    restart: Restart = "permanent"
    shutdown: Shutdown | None = None
    significant: bool = False
    name: str | None = None
    type: ChildType | None = None

    def __post_init__(self) -> None:
        if self.id is None:
            raise ValueError("a child spec needs an id")
        if not callable(self.start):
            raise TypeError(f"child {self.id!r}: start must be an actor class or a callable")
        if self.restart not in _RESTARTS:
            raise ValueError(f"child {self.id!r}: restart must be one of {_RESTARTS}")
        if self.significant and self.restart == "permanent":
            raise ValueError(
                f"child {self.id!r}: only transient or temporary children can be significant"
            )
        kind = self.type
        if kind is None:
            is_sup = isinstance(self.start, type) and issubclass(self.start, Supervisor)
            kind = "supervisor" if is_sup else "worker"
            object.__setattr__(self, "type", kind)
        elif kind not in ("worker", "supervisor"):
            raise ValueError(f"child {self.id!r}: type must be 'worker' or 'supervisor'")
        shutdown = self.shutdown
        if shutdown is None:
            shutdown = "infinity" if kind == "supervisor" else DEFAULT_WORKER_SHUTDOWN
            object.__setattr__(self, "shutdown", shutdown)
        elif isinstance(shutdown, str):
            if shutdown not in ("brutal_kill", "infinity"):
                raise ValueError(
                    f"child {self.id!r}: shutdown must be seconds, 'brutal_kill' or 'infinity'"
                )
        elif isinstance(shutdown, bool) or not isinstance(shutdown, int | float):
            raise TypeError(
                f"child {self.id!r}: shutdown must be seconds (a number), 'brutal_kill' or "
                f"'infinity', not {shutdown!r}"
            )
        elif not (shutdown >= 0 and math.isfinite(shutdown)):
            raise ValueError(f"child {self.id!r}: shutdown seconds must be a finite number >= 0")


class ChildInfo(NamedTuple):
    """One row of `which_children`: `ref` is None for a child that is not running."""

    id: Hashable
    ref: pykka.ActorRef[Any] | None
    type: ChildType
    restart: Restart


class ChildCounts(NamedTuple):
    specs: int
    active: int
    supervisors: int
    workers: int


#: What starting a child gives: its ref when it is ready at once, else a coroutine that
#: resolves to the ref (a handler returning it runs it as the actor's task).
_Started: TypeAlias = "pykka.ActorRef[Any] | Coroutine[Any, Any, pykka.ActorRef[Any]]"


class _TryAgainRestart(NamedTuple):
    key: Any


class _Child:
    __slots__ = ("key", "ref", "restarting", "spec")

    def __init__(self, spec: ChildSpec, key: Any) -> None:
        self.spec = spec
        self.key = key
        self.ref: pykka.ActorRef[Any] | None = None
        #: A restart failed and a `_TryAgainRestart` is pending (OTP's `{restarting, Pid}`).
        self.restarting = False


# -- starting one child ------------------------------------------------------------------------


def _start_process(sup: Supervisor, spec: ChildSpec) -> _Started:
    """Start and link the child; its ref once it is ready, or raise what made it fail.

    A loop actor whose `on_start` is sync is ready (or has failed) when its boot returns: its
    ref comes back at once, so the supervisor needs no task to start it. Otherwise (an async
    `on_start`, a pykka thread actor, a start function) this returns a coroutine that awaits
    the child's readiness.
    """
    start = spec.start
    # (`issubclass(start, LoopActor)` for a class, without ABCMeta's Python-level check: a
    # loop actor is a real subclass, never a registered one.)
    if isinstance(start, type) and LoopActor in start.__mro__:
        runtime = sup.runtime
        actor: LoopActor = start(*spec.args, **spec.kwargs)
        actor._bind(runtime)
        runtime._adopt(actor)
        actor._sv_parent = sup
        if spec.name is not None:
            try:
                runtime.registry.register(spec.name, actor.actor_ref)
            except BaseException as exc:
                actor._finish(exc)
                raise
        sup._sv_link(actor)
        ready = actor._ready_future()
        actor._boot()
        if ready.done():
            ready.result()  # raises what a sync on_start failed with
            return actor.actor_ref
        return _when_ready(ready, actor.actor_ref)
    return _start_other(sup, spec)


async def _when_ready(ready: LoopFuture[None], ref: pykka.ActorRef[Any]) -> pykka.ActorRef[Any]:
    await ready
    return ref


async def _start_other(sup: Supervisor, spec: ChildSpec) -> pykka.ActorRef[Any]:
    """`_start_process` of a pykka thread actor, or of a start function."""
    from supervisors.threaded import start_threaded

    runtime = sup.runtime
    start = spec.start
    if isinstance(start, type) and issubclass(start, pykka.ThreadingActor):
        threaded, ready = start_threaded(runtime, start, spec.args, spec.kwargs, parent=sup)
        if spec.name is not None:
            runtime.registry.register(spec.name, threaded.actor_ref)
        try:
            await ready
        except BaseException:
            # Its thread reports the exit a moment later: wait for it (bounded), so a failed
            # start leaves nothing behind when start_child returns, as with loop actors.
            with contextlib.suppress(pykka.Timeout):
                await threaded._sv_exited_future().wait(THREAD_EXIT_WAIT)
            raise
        return threaded.actor_ref
    result = start(*spec.args, **spec.kwargs)
    if hasattr(result, "__await__"):
        result = await result
    if not isinstance(result, pykka.ActorRef):
        raise TypeError(f"child {spec.id!r}: start returned {result!r}, not an ActorRef")
    process = process_of(result)
    if process is None:
        raise TypeError(
            f"child {spec.id!r}: start returned {result!r}, which is not a supervisable actor "
            "(use a LoopActor, or let the spec start a pykka ThreadingActor class)"
        )
    process._sv_parent = sup
    if spec.name is not None:
        runtime.registry.register(spec.name, result)
    sup._sv_link(process)
    if isinstance(process, LoopActor):
        await process._ready_future() if process._busy and not process._dead else None
    return result


# -- the supervisor ----------------------------------------------------------------------------


class Supervisor(LoopActor):
    """A static supervisor: a list of children started in order, restarted by `strategy`.

    Args:
        children: child specs, started left to right.
        strategy: "one_for_one" (default), "one_for_all" or "rest_for_one".
        max_restarts, max_seconds: more than `max_restarts` restarts within `max_seconds`
            and the supervisor terminates its children and exits with reason `shutdown`.
            Defaults 3 in 5 s (Elixir's; Erlang's are 1 in 5 s).
        auto_shutdown: "never" (default), "any_significant" or "all_significant".

    Subclasses may override `init()` to compute the children each time the supervisor
    (re)starts.
    """

    trap_exits = True
    #: A transient child that exits normally keeps its spec (static supervisors only).
    _keeps_stopped_children = True

    def __init__(
        self,
        children: Iterable[ChildSpec] = (),
        *,
        strategy: Strategy = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        auto_shutdown: AutoShutdown = "never",
    ) -> None:
        super().__init__()
        if strategy not in _STRATEGIES:
            raise ValueError(f"strategy must be one of {_STRATEGIES}, not {strategy!r}")
        if max_restarts < 0 or max_seconds <= 0:
            raise ValueError("max_restarts must be >= 0 and max_seconds > 0")
        if auto_shutdown not in _AUTO_SHUTDOWNS:
            raise ValueError(f"auto_shutdown must be one of {_AUTO_SHUTDOWNS}")
        self.strategy: Strategy = strategy
        self.max_restarts = max_restarts
        self.max_seconds = max_seconds
        self.auto_shutdown: AutoShutdown = auto_shutdown
        self._initial: list[ChildSpec] = list(children)
        self._children: dict[Any, _Child] = {}  # key -> child, in start order
        self._by_ref: dict[pykka.ActorRef[Any], _Child] = {}
        self._restarts: deque[float] = deque()

    @classmethod
    def child_spec(cls, id: Hashable, *args: Any, **kwargs: Any) -> ChildSpec:
        """A `ChildSpec` that starts this supervisor class with `args`/`kwargs`."""
        return ChildSpec(id=id, start=cls, args=args, kwargs=kwargs, type="supervisor")

    def init(self) -> Iterable[ChildSpec]:
        """The children to start (hook; by default the `children` given to the constructor)."""
        return self._initial

    # -- lifecycle ---------------------------------------------------------------------------

    async def on_start(self) -> None:  # type: ignore[override]
        specs = list(self.init())
        seen: set[Hashable] = set()
        for spec in specs:
            if spec.id in seen:
                raise ValueError(f"duplicate child id {spec.id!r}")
            seen.add(spec.id)
        for spec in specs:
            child = _Child(spec, spec.id)
            try:
                await self._start_child(child)
            except StartChildError:
                await self._terminate_all()
                raise
            self._children[child.key] = child

    async def on_stop(self) -> None:  # type: ignore[override]
        await self._terminate_all()

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Exit):
            return self._on_exit(message)
        if isinstance(message, _TryAgainRestart):
            return self._try_again(message.key)
        return super().on_receive(message)

    # -- the API (call through the module functions) -----------------------------------------

    def start_child(self, spec: ChildSpec) -> _Started:
        existing = self._children.get(spec.id)
        if existing is not None:
            if existing.ref is not None:
                raise AlreadyStartedError(spec.id, existing.ref)
            raise AlreadyPresentError(spec.id)
        return self._add_child(_Child(spec, spec.id))

    async def terminate_child(self, child_id: Hashable) -> None:
        child = self._children.get(child_id)
        if child is None:
            raise ChildNotFoundError(child_id)
        await self._shutdown(child)
        if child.spec.restart == "temporary":
            del self._children[child.key]

    async def restart_child(self, child_id: Hashable) -> pykka.ActorRef[Any]:
        child = self._children.get(child_id)
        if child is None:
            raise ChildNotFoundError(child_id)
        if child.ref is not None:
            raise ChildRunningError(child_id)
        if child.restarting:
            raise ChildRestartingError(child_id)
        return await self._start_child(child)

    async def delete_child(self, child_id: Hashable) -> None:
        child = self._children.get(child_id)
        if child is None:
            raise ChildNotFoundError(child_id)
        if child.ref is not None:
            raise ChildRunningError(child_id)
        if child.restarting:
            raise ChildRestartingError(child_id)
        del self._children[child.key]

    def which_children(self) -> list[ChildInfo]:
        return [
            ChildInfo(c.spec.id, c.ref, c.spec.type or "worker", c.spec.restart)
            for c in self._children.values()
        ]

    def count_children(self) -> ChildCounts:
        active = sups = workers = 0
        for c in self._children.values():
            if c.ref is not None:
                active += 1
            if c.spec.type == "supervisor":
                sups += 1
            else:
                workers += 1
        return ChildCounts(len(self._children), active, sups, workers)

    # -- internals ---------------------------------------------------------------------------

    def _add_child(self, child: _Child) -> _Started:
        """`start_child`'s end: start `child`, and keep it once it runs. A child that is ready
        at once (see `_start_process`) is started within this call: `start_child` then
        answers without a task of its own."""
        started = self._try_start(child)
        if isinstance(started, pykka.ActorRef):
            self._children[child.key] = child
            return started
        return self._add_when_started(child, started)

    async def _add_when_started(
        self, child: _Child, starting: Coroutine[Any, Any, pykka.ActorRef[Any]]
    ) -> pykka.ActorRef[Any]:
        ref = await starting
        self._children[child.key] = child
        return ref

    async def _start_child(self, child: _Child) -> pykka.ActorRef[Any]:
        """Start one child. Whatever the child fails with, even a BaseException (SystemExit,
        a stray CancelledError) from its on_start, is raised as `StartChildError`: it fails
        this start, never the supervisor."""
        started = self._try_start(child)
        if isinstance(started, pykka.ActorRef):
            return started
        return await started

    def _try_start(self, child: _Child) -> _Started:
        """`_start_child` without a coroutine when the child is ready at once: its ref, else
        a coroutine that finishes the start."""
        try:
            started = _start_process(self, child.spec)
        except BaseException as exc:
            self._raise_start_error(child, exc)
        if isinstance(started, pykka.ActorRef):
            return self._started(child, started)
        return self._finish_start(child, started)

    async def _finish_start(
        self, child: _Child, starting: Coroutine[Any, Any, pykka.ActorRef[Any]]
    ) -> pykka.ActorRef[Any]:
        try:
            ref = await starting
        except BaseException as exc:
            self._raise_start_error(child, exc)
        return self._started(child, ref)

    def _raise_start_error(self, child: _Child, exc: BaseException) -> NoReturn:
        """Raise `StartChildError` for a failed start, unless this supervisor's own task is
        being cancelled (the supervisor is being killed): that goes on."""
        if not isinstance(exc, Exception):
            task = asyncio.current_task()
            if task is not None and task is self._task and task.cancelling():
                raise exc
        raise StartChildError(child.spec.id, exc) from exc

    def _started(self, child: _Child, ref: pykka.ActorRef[Any]) -> pykka.ActorRef[Any]:
        child.ref = ref
        child.restarting = False
        self._by_ref[ref] = child
        return ref

    async def _shutdown(self, child: _Child) -> None:
        """Terminate one child by its shutdown spec; its exit is not treated as a failure."""
        child.restarting = False  # a pending retry no longer applies (S14)
        ref = child.ref
        if ref is None:
            return
        child.ref = None
        self._by_ref.pop(ref, None)
        process = process_of(ref)
        if process is None or not process.sv_alive:
            return
        self._sv_unlink(process)
        exited = process._sv_exited_future()
        shutdown = child.spec.shutdown
        if shutdown == "brutal_kill":
            process._sv_kill()
        else:
            process._sv_request_stop(SHUTDOWN)
            if shutdown != "infinity" and not exited.done():
                assert isinstance(shutdown, int | float)
                try:
                    await exited.wait(shutdown)
                except pykka.Timeout:
                    log.warning(
                        "child did not stop in time; killing",
                        supervisor=str(self),
                        child=repr(child.spec.id),
                        shutdown=shutdown,
                    )
                    process._sv_kill()
        await exited

    async def _terminate_all(self) -> None:
        for child in reversed(list(self._children.values())):
            await self._shutdown(child)

    def _on_exit(self, message: Exit) -> Any:
        child = self._by_ref.get(message.actor_ref)
        if child is None:
            parent = self._sv_parent
            from_parent = parent is not None and message.actor_ref is parent.actor_ref
            if from_parent and message.reason != NORMAL:
                self.exit(message.reason)
            return None  # a child we already terminated, or a stale link
        return self._child_exited(child, message.reason)

    async def _child_exited(self, child: _Child, reason: ExitReason) -> None:
        ref = child.ref
        child.ref = None
        if ref is not None:
            self._by_ref.pop(ref, None)
        spec = child.spec
        if not is_normal_exit(reason):
            log.error(
                "child exited",
                supervisor=str(self),
                child=repr(spec.id),
                reason=repr(reason),
                restart=spec.restart,
            )
        if spec.restart == "temporary" or (spec.restart == "transient" and is_normal_exit(reason)):
            if spec.restart == "temporary" or not self._keeps_stopped_children:
                self._forget_child(child)
            if spec.significant and self._should_auto_shutdown():
                self.exit(SHUTDOWN)
            return
        if not self._add_restart():
            self._escalate()
            return
        await self._restart(child)

    def _forget_child(self, child: _Child) -> None:
        self._children.pop(child.key, None)

    def _should_auto_shutdown(self) -> bool:
        if self.auto_shutdown == "any_significant":
            return True
        if self.auto_shutdown == "all_significant":
            return not any(
                c.spec.significant and c.ref is not None for c in self._children.values()
            )
        return False

    def _add_restart(self) -> bool:
        """Count one restart event; False once the intensity is exceeded (S11, S13)."""
        now = time.monotonic()
        restarts = self._restarts
        restarts.append(now)
        horizon = now - self.max_seconds
        while restarts and restarts[0] < horizon:
            restarts.popleft()
        return len(restarts) <= self.max_restarts

    def _escalate(self) -> None:
        log.error(
            "supervisor reached its restart intensity; shutting down",
            supervisor=str(self),
            max_restarts=self.max_restarts,
            max_seconds=self.max_seconds,
        )
        self.exit(SHUTDOWN)

    def _group(self, failed: _Child) -> list[_Child]:
        """The children to restart after `failed` exits, in start order."""
        children = list(self._children.values())
        if self.strategy == "one_for_all":
            return children
        if self.strategy == "rest_for_one":
            return children[children.index(failed) :]
        return [failed]

    async def _restart(self, failed: _Child) -> None:
        group = self._group(failed)
        for child in reversed(group):
            if child is not failed and child.ref is not None:
                await self._shutdown(child)
        restart = []
        for child in group:
            if child is not failed and child.spec.restart == "temporary":
                self._forget_child(child)
            else:
                restart.append(child)
        await self._start_in_order(restart)

    async def _start_in_order(self, children: Sequence[_Child]) -> None:
        for child in children:
            if child.ref is not None or child.key not in self._children:
                continue
            try:
                await self._start_child(child)
            except Exception as exc:
                log.error(
                    "child failed to restart; trying again",
                    supervisor=str(self),
                    child=repr(child.spec.id),
                    error=repr(exc),
                )
                child.restarting = True
                self.actor_ref.tell(_TryAgainRestart(child.key))
                return

    async def _try_again(self, key: Any) -> None:
        child = self._children.get(key)
        if child is None or child.ref is not None or not child.restarting:
            return  # started, terminated or deleted since the attempt failed
        if not self._add_restart():
            self._escalate()
            return
        await self._start_in_order(self._group(child))


class DynamicSupervisor(Supervisor):
    """A supervisor that starts empty and holds children started on demand (S7).

    Children are keyed by ref, not id: `terminate_child(sup, ref)`; `restart_child` and
    `delete_child` are not supported. The strategy is one_for_one. On shutdown all children
    are terminated concurrently, in no defined order.

    Args:
        template: with a template, `start_child(sup, args)` starts
            `template.start(*template.args, *args)` (OTP's simple_one_for_one).
        max_children: `start_child` beyond this raises `MaxChildrenError` (default: no limit).
        extra_arguments: prepended to the args of every child started from a full ChildSpec
            (Elixir's DynamicSupervisor).
    """

    _keeps_stopped_children = False

    def __init__(
        self,
        template: ChildSpec | None = None,
        *,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] = (),
        max_restarts: int = 3,
        max_seconds: float = 5.0,
    ) -> None:
        super().__init__((), max_restarts=max_restarts, max_seconds=max_seconds)
        if max_children is not None and max_children < 0:
            raise ValueError("max_children must be >= 0")
        self.template = template
        self.max_children = max_children
        self.extra_arguments = tuple(extra_arguments)
        self._next_key = 0

    def start_child(self, spec_or_args: ChildSpec | tuple[Any, ...] = ()) -> _Started:
        if self.max_children is not None and len(self._children) >= self.max_children:
            raise MaxChildrenError(self.max_children)
        if isinstance(spec_or_args, ChildSpec):
            spec = spec_or_args
            if self.extra_arguments:
                spec = ChildSpec(
                    id=spec.id,
                    start=spec.start,
                    args=self.extra_arguments + spec.args,
                    kwargs=spec.kwargs,
                    restart=spec.restart,
                    shutdown=spec.shutdown,
                    significant=spec.significant,
                    name=spec.name,
                    type=spec.type,
                )
        else:
            if self.template is None:
                raise NotSupportedError(
                    "this DynamicSupervisor has no template: pass a ChildSpec to start_child"
                )
            t = self.template
            spec = ChildSpec(
                id=t.id,
                start=t.start,
                args=t.args + tuple(spec_or_args),
                kwargs=t.kwargs,
                restart=t.restart,
                shutdown=t.shutdown,
                significant=t.significant,
                name=t.name,
                type=t.type,
            )
        self._next_key += 1
        return self._add_child(_Child(spec, self._next_key))

    async def terminate_child(self, ref: Any) -> None:
        child = self._by_ref.get(ref) if isinstance(ref, pykka.ActorRef) else None
        if child is None:
            raise ChildNotFoundError(ref)
        await self._shutdown(child)
        del self._children[child.key]

    async def restart_child(self, child_id: Hashable) -> pykka.ActorRef[Any]:
        raise NotSupportedError("a DynamicSupervisor cannot restart_child; start_child again")

    async def delete_child(self, child_id: Hashable) -> None:
        raise NotSupportedError("a DynamicSupervisor has no child specs to delete")

    def which_children(self) -> list[ChildInfo]:
        return [
            ChildInfo(c.spec.id, c.ref, c.spec.type or "worker", c.spec.restart)
            for c in self._children.values()
        ]

    async def _terminate_all(self) -> None:
        """Terminate every child at once; wait for each within its own shutdown spec."""
        waiting: list[tuple[_Child, Process, Any]] = []
        children = list(self._children.values())
        for child in children:
            ref = child.ref
            if ref is None:
                continue
            child.ref = None
            self._by_ref.pop(ref, None)
            process = process_of(ref)
            if process is None or not process.sv_alive:
                continue
            self._sv_unlink(process)
            shutdown = child.spec.shutdown
            if shutdown == "brutal_kill":
                process._sv_kill()
            else:
                process._sv_request_stop(SHUTDOWN)
            if process.sv_alive:
                waiting.append((child, process, shutdown))
        if not waiting:
            return
        deadline_for: dict[Process, float] = {}
        now = time.monotonic()
        for _, process, shutdown in waiting:
            if isinstance(shutdown, int | float):
                deadline_for[process] = now + shutdown
        for _, process, _ in waiting:
            exited = process._sv_exited_future()
            deadline = deadline_for.get(process)
            if deadline is None:
                await exited
                continue
            try:
                await exited.wait(max(deadline - time.monotonic(), 0.0))
            except pykka.Timeout:
                process._sv_kill()
                await exited

    async def _restart(self, failed: _Child) -> None:
        await self._start_in_order([failed])

    def _group(self, failed: _Child) -> list[_Child]:
        return [failed]


# -- the API -----------------------------------------------------------------------------------


def _call(sup: pykka.ActorRef[Any], method: str, *args: Any, now: bool = False) -> LoopFuture[Any]:
    call = ProxyCall(attr_path=(method,), args=args, kwargs={})
    future = sup.ask_now(call) if now and type(sup) is LoopActorRef else sup.ask(call, block=False)
    if not isinstance(future, LoopFuture):
        raise TypeError(f"{sup} is not a supervisor of this runtime")
    return future


def start_child(
    sup: pykka.ActorRef[Any], spec: ChildSpec | tuple[Any, ...] = (), *, now: bool = False
) -> LoopFuture[pykka.ActorRef[Any]]:
    """Start a child (a spec; or extra args for a DynamicSupervisor with a template).

    `now=True`: called on the supervisor's loop while it is idle, the start is handled before
    this returns (`LoopActorRef.ask_now`); a child that is ready at once (a loop actor with a
    sync `on_start`) is then running and the future done. Anywhere else, as without it.
    """
    return _call(sup, "start_child", spec, now=now)


def terminate_child(sup: pykka.ActorRef[Any], child: Any) -> LoopFuture[None]:
    """Terminate a child by id (by ref for a DynamicSupervisor); the spec is kept."""
    return _call(sup, "terminate_child", child)


def restart_child(sup: pykka.ActorRef[Any], child_id: Hashable) -> LoopFuture[pykka.ActorRef[Any]]:
    """Start again a terminated child whose spec is kept."""
    return _call(sup, "restart_child", child_id)


def delete_child(sup: pykka.ActorRef[Any], child_id: Hashable) -> LoopFuture[None]:
    """Remove the spec of a terminated child."""
    return _call(sup, "delete_child", child_id)


def which_children(sup: pykka.ActorRef[Any]) -> LoopFuture[list[ChildInfo]]:
    """The children in start order, with their current refs (None when not running)."""
    return _call(sup, "which_children")


def count_children(sup: pykka.ActorRef[Any]) -> LoopFuture[ChildCounts]:
    return _call(sup, "count_children")
