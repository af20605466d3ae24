# The Runtime: one asyncio loop hosting loop actors, a root supervisor, a name registry and a
# loop-lag watchdog.
#
# Two ways to run it:
# - `Runtime().start()` runs the loop in a thread of its own (and `RuntimeActor` lets a host
#   pykka system start and stop that like any pykka actor);
# - `async with Runtime() as rt:` attaches to the asyncio loop already running.
# Stopping it stops the supervision tree in reverse start order, then any unsupervised actors,
# then the loop (in thread mode). Every wait is bounded.

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

import pykka
import structlog

from supervisors._future import LoopFuture
from supervisors._loop import new_event_loop
from supervisors._process import Monitor, Process, process_of
from supervisors.exits import KILLED, NOPROC, SHUTDOWN, Down, RuntimeNotRunningError
from supervisors.registry import Registry

if TYPE_CHECKING:
    from supervisors.actor import LoopActor
    from supervisors.supervisor import ChildSpec

__all__ = ["Runtime", "RuntimeActor"]

log = structlog.get_logger("supervisors")

T = TypeVar("T")

_local = threading.local()
# Running runtimes in start order: the first one is the default of threads that run no loop.
_running: list[Runtime] = []
_running_lock = threading.Lock()


class LoopLagWatchdog:
    """Reports when something blocks the loop: a timer that should fire every `interval` s."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, interval: float = 0.05, threshold: float = 0.1
    ) -> None:
        self.loop = loop
        self.interval = interval
        self.threshold = threshold
        self.max_lag = 0.0
        self.reports = 0
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        self._due = self.loop.time() + self.interval
        self._handle = self.loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        lag = now - self._due
        if lag > self.max_lag:
            self.max_lag = lag
        if lag > self.threshold:
            self.reports += 1
            log.warning("event loop was blocked", lag_ms=round(lag * 1000, 1))
        self._due = now + self.interval
        self._handle = self.loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class Runtime:
    """Hosts loop actors and their supervision tree on one asyncio event loop.

    Args:
        name: shown in logs.
        max_restarts, max_seconds: restart intensity of the root supervisor.
        watchdog: seconds of loop lag that get reported (None: no watchdog).
        shutdown_timeout: bound on `stop()` as a whole.
    """

    def __init__(
        self,
        name: str = "runtime",
        *,
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        watchdog: float | None = 0.1,
        shutdown_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.registry = Registry()
        self.max_restarts = max_restarts
        self.max_seconds = max_seconds
        self.shutdown_timeout = shutdown_timeout
        self._watchdog_threshold = watchdog
        self.watchdog: LoopLagWatchdog | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_id = -1
        self._live: dict[Process, None] = {}
        self._root: pykka.ActorRef[Any] | None = None
        self._state = "new"  # new -> running -> stopping -> stopped

    def __repr__(self) -> str:
        return f"<Runtime {self.name!r} {self._state}>"

    # -- lookup --------------------------------------------------------------------------------

    @staticmethod
    def current() -> Runtime:
        """The runtime whose loop runs this thread, else the default: the first started of
        those still running."""
        runtime: Runtime | None = getattr(_local, "runtime", None)
        if runtime is not None and runtime._state == "running":
            return runtime
        for runtime in tuple(_running):
            if runtime._state == "running":
                return runtime
        raise RuntimeNotRunningError(
            "no supervisors Runtime is running here: start one with `Runtime().start()` "
            "or `async with Runtime() as rt:`"
        )

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeNotRunningError(f"{self!r} has no loop yet; start it first")
        return self._loop

    @property
    def root(self) -> pykka.ActorRef[Any]:
        """The root supervisor (one_for_one) under which `start_child` puts children."""
        if self._root is None:
            raise RuntimeNotRunningError(f"{self!r} is not running")
        return self._root

    @property
    def running(self) -> bool:
        return self._state == "running"

    def on_loop_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    # -- starting and stopping -----------------------------------------------------------------

    def start(self) -> Self:
        """Run the loop in a new thread; returns once the root supervisor is up."""
        if self._state != "new":
            raise RuntimeError(f"{self!r} can only be started once")
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            loop = new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._boot(loop, ready))
                if ready.exception() is None:
                    loop.run_forever()
            finally:
                with contextlib.suppress(Exception):
                    self._cancel_leftovers(loop)
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
                self._state = "stopped"

        self._thread = threading.Thread(target=run, name=f"supervisors-{self.name}", daemon=True)
        self._thread.start()
        ready.result()
        return self

    def _cancel_leftovers(self, loop: asyncio.AbstractEventLoop) -> None:
        """Cancel what still runs on the loop (e.g. `run_coroutine` work) so that its cleanup
        runs before the loop closes, as `asyncio.run` does; bounded by shutdown_timeout."""
        pending = asyncio.all_tasks(loop)
        if not pending:
            return
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.wait(pending, timeout=self.shutdown_timeout))

    async def _boot(
        self, loop: asyncio.AbstractEventLoop, ready: concurrent.futures.Future[None] | None
    ) -> None:
        from supervisors.supervisor import Supervisor

        self._loop = loop
        self._thread_id = threading.get_ident()
        _local.runtime = self
        self._state = "running"
        try:
            root = Supervisor(
                (),
                strategy="one_for_one",
                max_restarts=self.max_restarts,
                max_seconds=self.max_seconds,
            )
            self._launch(root, inline=True)
            await root._ready_future()
            self._root = root.actor_ref
        except BaseException as exc:
            self._state = "stopped"
            if ready is not None:
                ready.set_exception(exc)
                return
            raise
        with _running_lock:
            _running.append(self)
        if self._watchdog_threshold is not None:
            self.watchdog = LoopLagWatchdog(loop, threshold=self._watchdog_threshold)
            self.watchdog.start()
        if ready is not None:
            ready.set_result(None)

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError(f"{self!r} can only be started once")
        await self._boot(asyncio.get_running_loop(), None)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the tree (reverse start order), then loose actors; bounded by shutdown_timeout."""
        if self._state != "running":
            return
        self._state = "stopping"
        deadline = time.monotonic() + self.shutdown_timeout
        root = process_of(self._root) if self._root is not None else None
        if root is not None:
            exited = root._sv_exited_future()
            root._sv_request_stop(SHUTDOWN)
            try:
                await exited.wait(max(deadline - time.monotonic(), 0.0))
            except pykka.Timeout:
                log.error("root supervisor did not stop in time; killing", runtime=self.name)
                root._sv_kill()
        loose = list(self._live)
        for process in loose:
            process._sv_request_stop(SHUTDOWN)
        for process in loose:
            try:
                await process._sv_exited_future().wait(max(deadline - time.monotonic(), 0.01))
            except pykka.Timeout:
                process._sv_kill()
        if self.watchdog is not None:
            self.watchdog.stop()
        self._state = "stopped"
        if getattr(_local, "runtime", None) is self:
            _local.runtime = None
        with _running_lock:
            if self in _running:
                _running.remove(self)

    def stop(self, timeout: float | None = None) -> None:
        """Stop everything and the loop thread (from any thread but the loop's own)."""
        if self._state not in ("running", "stopping"):
            return
        if self.on_loop_thread():
            raise RuntimeError("Runtime.stop() blocks: call `await runtime.aclose()` on the loop")
        loop = self.loop
        future = asyncio.run_coroutine_threadsafe(self.aclose(), loop)
        wait = (timeout if timeout is not None else self.shutdown_timeout) + 5.0
        try:
            future.result(wait)
        finally:
            if self._thread is not None:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(loop.stop)
                self._thread.join(wait)

    def __enter__(self) -> Self:
        return self.start() if self._state == "new" else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- running code on the loop --------------------------------------------------------------

    def call_on_loop(self, fn: Callable[..., object], *args: Any) -> None:
        """Call `fn(*args)` on the loop: now if this is the loop thread, else soon."""
        if threading.get_ident() == self._thread_id:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    def run_coroutine(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the loop from another thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    @overload
    def call(self, fn: Callable[[], Awaitable[T]], timeout: float | None = 10.0) -> T: ...

    @overload
    def call(self, fn: Callable[[], T], timeout: float | None = 10.0) -> T: ...

    def call(self, fn: Callable[[], Any], timeout: float | None = 10.0) -> Any:
        """Run `fn` on the loop and wait for its (awaited) result, from another thread."""

        async def run() -> Any:
            result = fn()
            if isinstance(result, Awaitable):
                return await result
            return result

        return self.run_coroutine(run()).result(timeout)

    # -- actors --------------------------------------------------------------------------------

    def _launch(self, actor: LoopActor, *, inline: bool = False) -> None:
        """Bind `actor` to this runtime and boot it (inline: on_start begins before return)."""
        if self._state not in ("running", "stopping") and not inline:
            raise RuntimeNotRunningError(f"{self!r} is not running")
        actor._bind(self)
        self._live[actor] = None
        if inline and self.on_loop_thread():
            actor._boot()
        elif self.on_loop_thread():
            self.loop.call_soon(actor._boot)
        else:
            self.loop.call_soon_threadsafe(actor._boot)

    def _adopt(self, process: Process) -> None:
        self._live[process] = None

    def _forget(self, process: Process) -> None:
        self._live.pop(process, None)

    def spawn(self, actor_class: type[LoopActor], *args: Any, **kwargs: Any) -> pykka.ActorRef[Any]:
        """Start an unsupervised loop actor here (like pykka's `start`)."""
        actor = actor_class(*args, **kwargs)
        self._launch(actor)
        return actor.actor_ref

    def actors(self) -> list[pykka.ActorRef[Any]]:
        """Refs of every live actor of this runtime (supervisors included)."""
        return [process.actor_ref for process in list(self._live)]

    def whereis(self, name: str) -> pykka.ActorRef[Any] | None:
        """The current ref registered under `name`, or None."""
        return self.registry.whereis(name)

    def start_child(self, spec: ChildSpec) -> LoopFuture[pykka.ActorRef[Any]]:
        """Start `spec` under the root supervisor; resolves to the child's ref."""
        from supervisors.supervisor import start_child

        return start_child(self.root, spec)

    # -- links and monitors (thread-safe) ------------------------------------------------------

    def monitor(
        self,
        ref: pykka.ActorRef[Any],
        watcher: pykka.ActorRef[Any] | Callable[[Down], object] | None = None,
    ) -> Monitor:
        """Monitor `ref`: one `Down(monitor, ref, reason)` when it exits (at once, `noproc`, if
        it is not alive). Deliver it to `watcher` (a ref or a callable) or await `monitor.down`.
        """
        monitor = Monitor(ref, watcher)

        def add() -> None:
            process = process_of(ref)
            if process is None:
                monitor._fire(NOPROC)
            else:
                process._sv_add_monitor(monitor)

        self.call_on_loop(add)
        return monitor

    def demonitor(self, monitor: Monitor) -> None:
        """Cancel `monitor`: no `Down` is delivered after this returns."""
        monitor.active = False

        def remove() -> None:
            process = process_of(monitor.actor_ref)
            if process is not None:
                process._sv_remove_monitor(monitor)

        self.call_on_loop(remove)

    def link(self, a: pykka.ActorRef[Any], b: pykka.ActorRef[Any]) -> None:
        """Link `a` and `b`: when one exits abnormally the other exits with the same reason,
        or, if it traps exits, receives `Exit(ref, reason)`. A dead side gives `noproc`."""

        def do() -> None:
            pa, pb = process_of(a), process_of(b)
            if pa is None:
                if pb is not None:
                    pb._sv_signal(None, NOPROC, a)
                return
            pa._sv_link(pb) if pb is not None else pa._sv_signal(None, NOPROC, b)

        self.call_on_loop(do)

    def unlink(self, a: pykka.ActorRef[Any], b: pykka.ActorRef[Any]) -> None:
        def do() -> None:
            pa, pb = process_of(a), process_of(b)
            if pa is not None and pb is not None:
                pa._sv_unlink(pb)

        self.call_on_loop(do)

    def kill(self, ref: pykka.ActorRef[Any]) -> None:
        """Terminate `ref` at once with reason `killed` (no on_stop)."""

        def do() -> None:
            process = process_of(ref)
            if process is not None:
                process._sv_kill()

        self.call_on_loop(do)

    def exit(self, ref: pykka.ActorRef[Any], reason: Any = SHUTDOWN) -> None:
        """Send `ref` an exit signal: `killed` kills; otherwise a graceful stop with `reason`."""
        if reason == KILLED:
            self.kill(ref)
            return

        def do() -> None:
            process = process_of(ref)
            if process is not None:
                process._sv_request_stop(reason)

        self.call_on_loop(do)


class RuntimeActor(pykka.ThreadingActor):
    """A pykka actor owning a `Runtime`: lets a host pykka system start and stop one.

    `RuntimeActor.start(name=...)` starts the runtime's loop thread in `on_start`; stopping the
    actor (also through `pykka.ActorRegistry.stop_all()`) stops the runtime's tree in order.
    Get the runtime with `ref.proxy().runtime.get()`.
    """

    def __init__(self, name: str = "runtime", **options: Any) -> None:
        super().__init__()
        self.runtime = Runtime(name, **options)

    def on_start(self) -> None:
        self.runtime.start()

    def on_stop(self) -> None:
        self.runtime.stop()

    def on_failure(self, *_exc_info: object) -> None:
        self.runtime.stop()
