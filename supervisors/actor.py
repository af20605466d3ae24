# Loop-hosted pykka actors.
#
# A `LoopActor` is a `pykka.Actor` whose messages are handled on a runtime's asyncio loop instead
# of a thread of its own. An idle actor owns no task and no thread: it is an object with a deque.
# When a message arrives the actor schedules one drain callback on the loop; the drain handles up
# to `BATCH` messages in order, then yields the loop to others.
#
# The ordering rule (documented in docs/supervisors.md):
# - Messages are handled one at a time, in arrival order (per sender FIFO, as in pykka).
# - A sync handler runs to completion inside the drain; keep it short, it runs on the loop.
# - An `async def` handler runs as a task; the actor handles its *next* message only when that
#   task is done. Other actors on the loop keep running meanwhile. Work that should overlap with
#   later messages goes into `self.start_task(...)`, whose tasks belong to the actor.
#
# Failure rules (pykka's, plus OTP exits):
# - An exception in an `ask` handler is the caller's answer; the actor lives on
#   (`crash_on_ask_error = True` makes it crash instead).
# - An exception in a `tell` handler, in `on_start`, or any BaseException (SystemExit, a stray
#   CancelledError...) crashes *this* actor only: `on_failure` runs, queued asks fail with
#   `ActorDeadError`, links and monitors learn the exception as the exit reason.
# - Whatever ends the actor while an async handler is still running (a crash of one of its
#   tasks, a kill, a linked exit) cancels that handler; its ask fails with `ActorCrashedError`
#   carrying the exit reason.
# - The inbox closes atomically with the actor's death: a message put after that is answered
#   with `ActorDeadError` at once, so no caller ever waits for a reply that cannot come.

from __future__ import annotations

import asyncio
import contextvars
import inspect
import itertools
import threading
import types
import uuid
import weakref
from collections import deque
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, Self, TypeVar, overload

import pykka
import structlog
from pykka import ActorDeadError
from pykka._envelope import Envelope
from pykka.messages import ProxyCall, ProxyGetAttr, ProxySetAttr, _ActorStop

from supervisors._future import TIMED_OUT, AsyncioReply, LoopFuture, fail, timeouts_of
from supervisors._process import Monitor, Process, process_of
from supervisors.eager import raise_in_task, resume_in_task
from supervisors.exits import KILLED, NORMAL, ActorCrashedError, Down, ExitReason

if TYPE_CHECKING:
    from collections.abc import Callable

    from supervisors.runtime import Runtime

__all__ = ["LoopActor", "LoopActorRef", "SupervisableRef"]

log = structlog.get_logger("supervisors")

A = TypeVar("A", bound=pykka.Actor)
T = TypeVar("T")

BATCH = 64
# A weak reference: an actor's context refers to the actor, and a strong one would make every
# actor cyclic garbage, freed only when the garbage collector next runs.
_current_actor: contextvars.ContextVar[weakref.ref[LoopActor] | None] = contextvars.ContextVar(
    "supervisors_current_actor", default=None
)
_CoroutineType = types.CoroutineType
_get_ident = threading.get_ident


@types.coroutine
def _yield_once() -> Generator[None, None, None]:
    """Let everything else that is ready on the loop run once (`asyncio.sleep(0)`'s step)."""
    yield


def _dead_error(actor: object) -> ActorDeadError:
    return ActorDeadError(f"{actor} stopped before handling the message")


# Actor URNs: one random UUID prefix per process and a counter (unique like uuid4's, without
# an os.urandom call per actor: short-lived actors are started per request).
_URN_PREFIX: Final = uuid.uuid4().urn[:-12]
_urn_counter = itertools.count(1)


def _entered(context: contextvars.Context) -> bool:
    """Whether `context` is entered on this thread (`Context.run` refuses to enter it twice)."""
    try:
        context.run(bool)
    except RuntimeError:
        return True
    return False


def _next_urn() -> str:
    return f"{_URN_PREFIX}{next(_urn_counter) & 0xFFFFFFFFFFFF:012x}"


#: The messages of pykka's proxies (`ActorProxy`), handled by `pykka.Actor._handle_receive`.
_PROXY_MESSAGES: Final = frozenset((ProxyCall, ProxyGetAttr, ProxySetAttr))


class _Flag:
    """The part of `threading.Event` that pykka's refs read (`is_set`), without a Condition."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True

    def wait(self, timeout: float | None = None) -> bool:  # pragma: no cover - pykka never calls
        raise NotImplementedError("loop actors have no blocking stopped-event; monitor them")


class _Inbox:
    """A deque that closes atomically with its actor's death (see module comment).

    The deque exists only while messages wait (an empty deque costs 760 bytes, and most
    actors are idle most of the time): `_q` is None when nothing is queued.
    """

    __slots__ = ("_actor", "_closed", "_lock", "_name", "_q")

    def __init__(self) -> None:
        self._q: deque[Envelope[Any]] | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._actor: LoopActor | None = None
        self._name = "actor"  # what errors call it once closed (it no longer refers to it)

    def put(self, envelope: Envelope[Any], /) -> None:
        actor = self._actor
        if actor is not None and _get_ident() == actor._thread_id:
            if self._closed:
                self._refuse(envelope)
                return
            q = self._q
            if q is None:
                q = self._q = deque()
            q.append(envelope)
            if not actor._scheduled:
                actor._scheduled = True
                actor._loop.call_soon(actor._drain, context=actor._context)
            return
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                q = self._q
                if q is None:
                    q = self._q = deque()
                q.append(envelope)
                wake = actor is not None and not actor._scheduled
                if wake:
                    assert actor is not None
                    actor._scheduled = True
        if closed:
            self._refuse(envelope)
        elif wake:
            assert actor is not None
            try:
                actor._loop.call_soon_threadsafe(actor._drain, context=actor._context)
            except RuntimeError:  # loop closed under us: the actor can never run again
                actor._scheduled = False

    def _refuse(self, envelope: Envelope[Any]) -> None:
        if envelope.reply_to is not None:
            if isinstance(envelope.message, _ActorStop):
                envelope.reply_to.set(False)
            else:
                fail(envelope.reply_to, _dead_error(self._actor or self._name))
            return
        raise ActorDeadError(f"{self._actor or self._name} not found")

    def get(self) -> Envelope[Any]:
        if self._q is None:
            raise IndexError("the inbox is empty")
        return self._q.popleft()

    def empty(self) -> bool:
        return not self._q

    def __len__(self) -> int:
        return len(self._q) if self._q is not None else 0

    def release(self) -> None:
        """Drop the deque if it is empty (on the loop thread; a put from another thread holds
        the lock while it appends, so it is taken here too)."""
        with self._lock:
            if not self._q:
                self._q = None

    def close(self) -> list[Envelope[Any]]:
        """Close and return what was still queued (called on the loop thread)."""
        with self._lock:
            self._closed = True
            rest = list(self._q) if self._q is not None else []
            self._q = None
            # The actor's end: drop the inbox -> actor edge (actor -> inbox -> actor is a
            # cycle, which only the garbage collector would free).
            if self._actor is not None:
                self._name = str(self._actor)
                self._actor = None
        return rest


class SupervisableRef(pykka.ActorRef[A]):
    """A real `pykka.ActorRef` with loop-friendly extras: `ask_async` and `monitor`."""

    async def ask_async(self, message: Any, *, timeout: float | None = None) -> Any:
        """Ask from a coroutine; raises `pykka.Timeout` after `timeout` seconds."""
        future = self.ask(message, block=False)
        if not isinstance(future, LoopFuture):  # pragma: no cover - all our actors make them
            raise TypeError(f"{self} does not answer with awaitable futures")
        if timeout is None:
            return await future
        return await future._timed(timeout)

    def monitor(
        self, watcher: pykka.ActorRef[Any] | Callable[[Down], object] | None = None
    ) -> Monitor:
        """Watch this actor: see `Runtime.monitor`."""
        process = process_of(self)
        if process is None:
            monitor = Monitor(self, watcher)
            monitor._fire("noproc")
            return monitor
        return process._sv_runtime.monitor(self, watcher)


class LoopActorRef(SupervisableRef[A]):
    """The ref of a loop actor: a real `pykka.ActorRef`.

    From any thread: `tell`, `ask(msg, timeout=...)`, `proxy()`, `stop()`, as with pykka.
    On an event loop: `await ref.ask_async(msg, timeout=...)`, or `await ref.ask(msg,
    block=False)`; a blocking `ask` there raises `BlockingOnLoopError`.
    """

    def tell(self, message: Any) -> None:
        self.actor_inbox.put(Envelope(message))

    def tell_now(self, message: Any) -> None:
        """`tell`, handled before this returns when that keeps every ordering rule.

        On the actor's loop thread, with the actor idle (nothing queued, no drain scheduled,
        no handler running, not inside one of its own tasks), the message is handled at once
        by the same drain a `tell` would schedule: one loop callback less. Otherwise it is
        exactly `tell`. For a sender that has nothing left to do before the message is handled
        (an HTTP handler passing a request on, then waiting for the answer).
        """
        envelope = Envelope(message)
        if not self._handle_now(envelope):
            self.actor_inbox.put(envelope)

    def ask_now(self, message: Any) -> LoopFuture[Any]:
        """`ask(message, block=False)`, handled before this returns as `tell_now` would.

        A sync handler's answer is then in the returned future already, so a caller that
        awaits it next goes on without waiting for a loop callback. Otherwise as `ask`.
        """
        future: LoopFuture[Any] = LoopFuture()
        envelope = Envelope(message, reply_to=future)
        if not self._handle_now(envelope):
            self.actor_inbox.put(envelope)
        return future

    def _handle_now(self, envelope: Envelope[Any]) -> bool:
        """Handle `envelope` before returning if the actor is idle here (see `tell_now`);
        False, with nothing done, when it must be queued instead."""
        inbox = self.actor_inbox
        if not isinstance(inbox, _Inbox):  # pragma: no cover - every loop actor has one
            return False
        actor = inbox._actor
        if actor is None or not actor._idle_here():
            return False
        ref = _current_actor.get()
        if ref is not None and ref() is actor:  # from the actor's own task: keep the order
            return False
        try:
            actor._context.run(actor._handle_alone, envelope)
        except RuntimeError:
            # Its context may be entered further down this stack (a callback of its own reply,
            # or its task, reached another actor whose handler tells it): then it is not idle
            # here after all, nothing ran, and the message is queued.
            if not _entered(actor._context):
                raise
            return False
        return True

    @overload
    def ask(
        self, message: Any, *, block: Literal[False], timeout: float | None = None
    ) -> LoopFuture[Any]: ...

    @overload
    def ask(self, message: Any, *, block: Literal[True], timeout: float | None = None) -> Any: ...

    @overload
    def ask(self, message: Any, *, block: bool = True, timeout: float | None = None) -> Any: ...

    def ask(self, message: Any, *, block: bool = True, timeout: float | None = None) -> Any:
        future: LoopFuture[Any] = LoopFuture()
        self.actor_inbox.put(Envelope(message, reply_to=future))
        if block:
            return future.get(timeout=timeout)
        return future

    async def ask_async(self, message: Any, *, timeout: float | None = None) -> Any:
        # The hot path of loop-to-loop asks: the reply sets this coroutine's own asyncio future.
        # An idle actor on this loop handles the ask on the spot (as `tell_now` does a tell);
        # a sync handler has then answered, and the asker still yields once before it goes on,
        # so a loop of asks lets everything else on the loop run between them: one loop
        # iteration per round trip instead of two (the drain's, then the asker's wake-up).
        loop = asyncio.get_running_loop()
        af: asyncio.Future[Any] = loop.create_future()
        envelope = Envelope(message, reply_to=AsyncioReply(loop, af))
        if not self._handle_now(envelope):
            self.actor_inbox.put(envelope)
        elif af.done():
            await _yield_once()
            return af.result()
        if timeout is None:
            return await af
        slot = timeouts_of(loop).add(af, timeout)
        try:
            result = await af
        finally:
            if slot is not None:
                slot.discard(af)
        if result is TIMED_OUT:
            raise pykka.Timeout(f"{timeout} seconds")
        return result

    @overload
    def stop(self, *, block: Literal[True], timeout: float | None = None) -> bool: ...

    @overload
    def stop(self, *, block: Literal[False], timeout: float | None = None) -> LoopFuture[bool]: ...

    @overload
    def stop(self, *, block: bool = True, timeout: float | None = None) -> Any: ...

    def stop(self, *, block: bool = True, timeout: float | None = None) -> Any:
        """pykka's stop: a poison pill queued behind earlier messages.

        Returns (or resolves to) True once the actor has stopped, False if it was already dead.
        """
        future: LoopFuture[bool] = LoopFuture()
        self.actor_inbox.put(Envelope(_ActorStop(), reply_to=future))
        if block:
            return future.get(timeout=timeout)
        return future


class LoopActor(pykka.Actor, Process):
    """A pykka actor hosted on a runtime's event loop (see the module comment for the rules).

    Subclass it like `pykka.ThreadingActor`: `on_start`, `on_receive`, `on_stop`,
    `on_failure`, and plain methods for proxies. Any of them may be `async def`.
    """

    #: Register refs in pykka's global `ActorRegistry` too (off: see docs/supervisors.md).
    register_in_pykka_registry: ClassVar[bool] = False
    #: Crash (instead of answering the exception) when an `ask` handler raises.
    crash_on_ask_error: ClassVar[bool] = False

    actor_inbox: _Inbox
    _loop: asyncio.AbstractEventLoop
    _thread_id: int = -1
    _context: contextvars.Context
    _scheduled: bool = False
    _busy: bool = True  # until on_start has run
    _dead: bool = False
    _task: asyncio.Task[Any] | None = None
    _tasks: set[asyncio.Task[Any]] | None = None
    _stop_request: Any = None
    _stop_replies: list[pykka.Future[Any]] | None = None
    _ready: LoopFuture[None] | None = None
    _task_inner: Coroutine[Any, Any, Any] | None = None
    _inflight: Envelope[Any] | None = None  # the message an async handler is working on

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        # pykka.Actor.__init__ made lighter: no threading.Event (a _Flag), a shared-lock inbox.
        self.actor_urn = _next_urn()
        inbox = _Inbox()
        self.actor_inbox = inbox
        self.actor_stopped = _Flag()  # type: ignore[assignment]
        self._actor_ref = LoopActorRef(self)
        inbox._actor = self

    @property
    def actor_ref(self) -> LoopActorRef[Self]:
        return self._actor_ref  # type: ignore[return-value]

    # -- pykka runtime hooks -----------------------------------------------------------------

    @staticmethod
    def _create_actor_inbox() -> _Inbox:
        return _Inbox()

    @staticmethod
    def _create_future() -> LoopFuture[Any]:
        return LoopFuture()

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> LoopActorRef[Self]:
        """Start an unsupervised actor on the current runtime (pykka's `start`).

        "Current" is the runtime whose loop runs this thread, else the default runtime
        (the first started). Like pykka, this returns before `on_start` has run.
        """
        from supervisors.runtime import Runtime

        runtime = Runtime.current()
        actor = cls(*args, **kwargs)
        runtime._launch(actor)
        return actor.actor_ref

    def _start_actor_loop(self) -> None:  # pragma: no cover - start() goes through the runtime
        raise RuntimeError("loop actors are started by a Runtime")

    def _bind(self, runtime: Runtime) -> None:
        self._sv_runtime = runtime
        self._loop = runtime.loop
        self._thread_id = runtime._thread_id
        self._context = contextvars.Context()
        self._context.run(_current_actor.set, weakref.ref(self))
        if self.register_in_pykka_registry:
            pykka.ActorRegistry.register(self._actor_ref)

    def _ready_future(self) -> LoopFuture[None]:
        fut = self._ready
        if fut is None:
            fut = self._ready = LoopFuture()
        return fut

    # -- lifecycle ---------------------------------------------------------------------------

    def _idle_here(self) -> bool:
        """Called on this actor's loop thread, with nothing queued, no drain scheduled and no
        handler running: a message handled now is handled in the order a `tell` would give
        it (`LoopActorRef.tell_now`; fastestmcp's sessions answer their own tasks' sync
        operations this way)."""
        return (
            not (self._busy or self._scheduled or self._dead or self.actor_inbox._q)
            and _get_ident() == self._thread_id
        )

    def _run_hook(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call a hook inside this actor's context (entering it unless already inside)."""
        ref = _current_actor.get()
        if ref is not None and ref() is self:
            return fn(*args)
        return self._context.run(fn, *args)

    @staticmethod
    def current() -> LoopActor | None:
        """The loop actor whose handler (or task) is running, or None."""
        ref = _current_actor.get()
        return None if ref is None else ref()

    def _boot(self) -> None:
        """Run on_start (on the loop); a sync on_start completes before this returns."""
        try:
            result = self._run_hook(self.on_start)
        except BaseException as exc:
            self._boot_failed(exc)
            return
        if type(result) is _CoroutineType:
            self._spawn(self._boot_async(result), result)
            return
        self._booted()

    async def _boot_async(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            await coro
        except BaseException as exc:
            if self._superseded():
                return
            self._task = self._task_inner = None
            self._boot_failed(exc)
            return
        if self._superseded():
            return
        self._task = self._task_inner = None
        self._booted()

    def _spawn(self, wrapper: Coroutine[Any, Any, None], inner: Coroutine[Any, Any, Any]) -> None:
        """Run a hook or handler coroutine (`inner`, awaited by `wrapper`) as the actor's task."""
        self._task_inner = inner
        self._task = self._loop.create_task(wrapper, context=self._context)

    def _cancel_task(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        inner, self._task_inner = self._task_inner, None
        if inner is not None and inspect.getcoroutinestate(inner) == inspect.CORO_CREATED:
            inner.close()  # cancelled before its first step: it will never be awaited

    def _superseded(self) -> bool:
        """True in a hook task that the exit path (`_finish`, `_crash`) took over and cancelled."""
        return self._task is not asyncio.current_task()

    def _booted(self) -> None:
        self._busy = False
        if self._ready is not None:
            self._ready.set(None)
        if self._stop_request is not None:
            self._begin_stop(self._stop_request)
        elif self.actor_inbox._q and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._drain, context=self._context)

    def _boot_failed(self, exc: BaseException) -> None:
        log.error("actor failed to start", actor=str(self), error=repr(exc), exc_info=exc)
        if self._ready is not None:
            self._ready.set_exception(exc)
        self._finish(exc)

    def _drain(self) -> None:
        self._scheduled = False
        if self._busy or self._dead:
            return
        inbox = self.actor_inbox
        q = inbox._q
        if q is None:
            return
        n = 0
        while q:
            if n == BATCH:
                self._scheduled = True
                self._loop.call_soon(self._drain, context=self._context)
                return
            n += 1
            if not self._handle(q.popleft()):
                return
        if inbox._q is q:
            inbox.release()

    def _handle_alone(self, envelope: Envelope[Any]) -> None:
        """Handle `envelope` as `_drain` handles an inbox holding only it (`tell_now`, the
        actor idle), then drain what its handler queued meanwhile."""
        if self._handle(envelope) and self.actor_inbox._q:
            self._drain()

    def _handle(self, envelope: Envelope[Any]) -> bool:
        """Handle one message (in the actor's context, not busy); False when draining must
        stop after it: the actor stops or crashed, or its handler goes on as a task."""
        message = envelope.message
        if type(message) is _ActorStop:
            if envelope.reply_to is not None:
                if self._stop_replies is None:
                    self._stop_replies = []
                self._stop_replies.append(envelope.reply_to)
            self._begin_stop(NORMAL)
            return False
        self._busy = True
        try:
            # pykka's `_handle_receive` tells its proxy messages apart from the actor's own
            # with four isinstance checks; most messages are the actor's own.
            if type(message) in _PROXY_MESSAGES:
                result = self._handle_receive(message)
            else:
                result = self.on_receive(message)
        except Exception as exc:
            self._busy = False
            if not self._handler_failed(envelope, exc):
                return False
            if self._stop_request is not None:
                self._begin_stop(self._stop_request)
                return False
            return True
        except BaseException as exc:
            self._busy = False
            self._crash(exc, envelope)
            return False
        if type(result) is _CoroutineType:
            self._inflight = envelope
            self._spawn(self._run_async(result, envelope), result)
            return False
        self._busy = False
        if envelope.reply_to is not None:
            envelope.reply_to.set(result)
        if self._stop_request is not None:
            self._begin_stop(self._stop_request)
            return False
        return True

    async def _run_async(self, coro: Coroutine[Any, Any, Any], envelope: Envelope[Any]) -> None:
        try:
            result = await coro
        except Exception as exc:
            if self._superseded():
                return
            self._task = self._inflight = self._task_inner = None
            self._busy = False
            if self._handler_failed(envelope, exc):
                self._continue()
            return
        except BaseException as exc:
            if self._superseded():
                return
            self._task = self._inflight = self._task_inner = None
            self._busy = False
            self._crash(exc, envelope)
            return
        if self._superseded():
            return
        self._task = self._inflight = self._task_inner = None
        self._busy = False
        if envelope.reply_to is not None:
            envelope.reply_to.set(result)
        self._continue()

    def _continue(self) -> None:
        if self._stop_request is not None:
            self._begin_stop(self._stop_request)
        elif self.actor_inbox._q and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._drain, context=self._context)

    def _handler_failed(self, envelope: Envelope[Any], exc: Exception) -> bool:
        """Answer or crash; returns True if the actor lives on."""
        if envelope.reply_to is not None and not self.crash_on_ask_error:
            fail(envelope.reply_to, exc)
            return True
        self._crash(exc, envelope)
        return False

    def _crash(self, exc: BaseException, envelope: Envelope[Any] | None = None) -> None:
        if self._dead:
            return
        log.error("actor crashed", actor=str(self), error=repr(exc), exc_info=exc)
        if envelope is not None and envelope.reply_to is not None:
            fail(
                envelope.reply_to,
                ActorCrashedError(f"{self} crashed handling this message: {exc!r}", exc),
            )
        # The crash came from one of the actor's tasks while a hook or handler was still
        # running: that one ends here (its caller is answered by `_finish`).
        self._cancel_task()
        try:
            result = self._run_hook(self.on_failure, type(exc), exc, exc.__traceback__)
            if type(result) is _CoroutineType:
                self._busy = True
                self._spawn(self._after_async(result, exc), result)
                return
        except Exception as hook_exc:
            log.error("on_failure raised", actor=str(self), error=repr(hook_exc))
        self._finish(exc)

    def _begin_stop(self, reason: ExitReason) -> None:
        """Graceful stop: on_stop, then the exit with `reason`."""
        if self._dead:
            return
        self._busy = True
        self._stop_request = None
        if type(self).on_stop is LoopActor.on_stop:
            self._finish(reason)
            return
        try:
            result = self._run_hook(self.on_stop)
            if type(result) is _CoroutineType:
                self._spawn(self._after_async(result, reason), result)
                return
        except Exception as exc:
            log.error("on_stop raised", actor=str(self), error=repr(exc), exc_info=exc)
        self._finish(reason)

    async def _after_async(self, coro: Coroutine[Any, Any, Any], reason: ExitReason) -> None:
        try:
            await coro
        except BaseException as exc:
            if self._superseded():
                return
            log.error("actor cleanup hook raised", actor=str(self), error=repr(exc))
        if self._superseded():
            return
        self._task = self._task_inner = None
        self._finish(reason)

    def _finish(self, reason: ExitReason) -> None:
        """The one way out: close the inbox, fail what was queued, notify everyone."""
        if self._dead:
            return
        self._dead = True
        self._busy = True
        self.actor_stopped.set()
        self._cancel_task()  # a hook or handler still running ends with the actor
        inflight, self._inflight = self._inflight, None
        if inflight is not None and inflight.reply_to is not None:
            fail(
                inflight.reply_to,
                ActorCrashedError(f"{self} exited while handling this message: {reason!r}", reason),
            )
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ActorCrashedError(f"{self} exited before it started", reason))
        if self.register_in_pykka_registry:
            pykka.ActorRegistry.unregister(self._actor_ref)
        tasks = self._tasks
        if tasks:
            self._tasks = None
            for task in tasks:
                task.cancel()
        stop_replies = self._stop_replies or []
        for envelope in self.actor_inbox.close():
            if envelope.reply_to is None:
                continue
            if isinstance(envelope.message, _ActorStop):
                stop_replies.append(envelope.reply_to)
            else:
                fail(envelope.reply_to, _dead_error(self))
        self._sv_exit(reason)
        for reply in stop_replies:
            reply.set(True)

    # -- Process hooks -----------------------------------------------------------------------

    def _sv_request_stop(self, reason: ExitReason) -> None:
        if self._dead:
            return
        if self._busy:
            # on_start or an async handler is running: stop as soon as it is done.
            if self._stop_request is None:
                self._stop_request = reason
            return
        self._begin_stop(reason)

    def _sv_kill(self) -> None:
        self._terminate_now(KILLED)

    def _sv_terminate(self, reason: ExitReason) -> None:
        self._terminate_now(reason)

    def _terminate_now(self, reason: ExitReason) -> None:
        if self._dead:
            return
        self._finish(reason)

    # -- hooks (sync or async) ---------------------------------------------------------------

    def on_start(self) -> Any:
        """Set-up before the first message; may be `async def`. Raising crashes the actor."""

    def on_stop(self) -> Any:
        """Clean-up on a graceful stop; may be `async def`. Not run after a kill or crash."""

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: Any,
    ) -> Any:
        """Called when the actor crashes, before it exits; may be `async def`."""

    # -- for subclasses ----------------------------------------------------------------------

    @property
    def runtime(self) -> Runtime:
        """The runtime hosting this actor."""
        return self._sv_runtime

    def start_task(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> asyncio.Task[T]:
        """Run `coro` as a task owned by this actor: cancelled when the actor exits.

        An exception escaping the task crashes the actor (catch what you expect).
        """
        if self._dead:
            coro.close()
            raise ActorDeadError(f"{self} is not alive")
        task = self._loop.create_task(coro, name=name, context=self._context)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def start_task_eagerly(
        self, coro: Coroutine[Any, Any, None], *, name: str | None = None
    ) -> asyncio.Task[None] | None:
        """`start_task`, but the coroutine's first step runs now, in the caller's stack.

        Call it from this actor's handler (or task). A coroutine that finishes without
        suspending costs no task at all: returns None. One that suspends continues as a task
        owned by the actor (as `start_task` would have made it), returned. An exception
        escaping the first step crashes the actor as one escaping a task does.
        """
        if self._dead:
            coro.close()
            raise ActorDeadError(f"{self} is not alive")
        try:
            waiting = self._run_hook(coro.send, None)
        except StopIteration:
            return None
        except BaseException as exc:  # the task would have died with it: so does the actor
            return self.start_task(raise_in_task(exc), name=name)
        return self.start_task(resume_in_task(coro, waiting), name=name)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        tasks = self._tasks
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                self._tasks = None  # an empty set is 216 bytes per idle actor
        if task.cancelled() or self._dead:
            return
        exc = task.exception()
        if exc is not None:
            self._crash(exc)

    def stop(self) -> None:
        """Stop after the messages already queued (pykka's semantics)."""
        self._actor_ref.tell(_ActorStop())

    def exit(self, reason: ExitReason = NORMAL) -> None:
        """Stop with `reason` once the current handler returns (on_stop runs)."""
        if self._stop_request is None:
            self._stop_request = reason
        if not self._busy:
            self._begin_stop(reason)

    def monitor(self, ref: pykka.ActorRef[Any]) -> Monitor:
        """Monitor `ref`; its `Down` arrives in this actor's `on_receive`."""
        return self._sv_runtime.monitor(ref, self._actor_ref)

    def demonitor(self, monitor: Monitor) -> None:
        self._sv_runtime.demonitor(monitor)

    def link(self, ref: pykka.ActorRef[Any]) -> None:
        """Link this actor and `ref` both ways (see `Runtime.link`)."""
        self._sv_runtime.link(self._actor_ref, ref)

    def unlink(self, ref: pykka.ActorRef[Any]) -> None:
        self._sv_runtime.unlink(self._actor_ref, ref)
