# Supervising plain pykka `ThreadingActor`s.
#
# A supervisor starts a pykka actor class through a guarded subclass made once per class. The
# guard hooks pykka's private loop methods (pinned pykka 4.5.x; tests replay pykka's failure
# table on every upgrade) so that:
# - every kind of exit is seen and reported once, with its reason: a normal stop, a crash in a
#   `tell` handler, a crash in `on_start`, and a BaseException in any handler, which pykka would
#   answer by stopping *every* actor in the process: here it crashes this actor only;
# - `ask` futures are `LoopFuture`s, so a loop actor can await a pykka actor's answer;
# - a supervisor's shutdown request jumps the queue (pykka's own stop waits behind the inbox);
# - `brutal_kill` is best effort: the actor is marked dead at once (its inbox refuses messages,
#   its supervisor moves on) and its thread is woken with a kill message; a handler that is
#   blocked in C code or a `sleep` finishes that call before the thread notices. No `on_stop`
#   runs after a kill;
# - the inbox closes atomically when the thread ends, as a loop actor's does: a message put
#   after that (an `ask` that passed its `is_alive()` check just before the actor died) is
#   answered with `ActorDeadError` at once instead of never (pykka's ask/stop race).

from __future__ import annotations

import queue
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pykka
import structlog
from pykka._envelope import Envelope
from pykka.messages import _ActorStop

from supervisors._future import LoopFuture, fail
from supervisors._process import Process
from supervisors.actor import SupervisableRef
from supervisors.exits import KILLED, NORMAL, ActorCrashedError, ExitReason

if TYPE_CHECKING:
    from supervisors.runtime import Runtime

__all__ = ["SupervisedThreadingActor", "start_threaded", "supervised_class"]

log = structlog.get_logger("supervisors")


class _Kill:
    """Wakes a killed thread actor; handled before anything else in its inbox."""


class _Inbox(queue.Queue[Envelope[Any]]):
    """pykka's unbounded inbox, plus `close()`: once closed, a put is refused."""

    _closed = False
    _owner = "the actor"

    def put(self, item: Envelope[Any], block: bool = True, timeout: float | None = None) -> None:
        with self.mutex:
            if not self._closed:
                self._put(item)
                self.unfinished_tasks += 1
                self.not_empty.notify()
                return
        error = pykka.ActorDeadError(f"{self._owner} stopped before handling the message")
        if item.reply_to is None:
            raise error
        fail(item.reply_to, error)

    def close(self) -> list[Envelope[Any]]:
        """Refuse every later put; return what was still queued."""
        with self.mutex:
            self._closed = True
            rest = list(self.queue)
            self.queue.clear()
        return rest


class SupervisedThreadingActor(pykka.ThreadingActor, Process):
    """The guard mixed into a pykka actor class by `supervised_class` (see module comment)."""

    _sv_crash: BaseException | None = None
    _sv_stop_reason: ExitReason | None = None
    _sv_killed = False
    _sv_ready: LoopFuture[None]
    _sv_runtime: Runtime

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._actor_ref = SupervisableRef(self)

    @staticmethod
    def _create_future() -> LoopFuture[Any]:
        return LoopFuture()

    @staticmethod
    def _create_actor_inbox() -> _Inbox:
        return _Inbox()

    def _sv_close_inbox(self) -> None:
        """Close the inbox and answer what was left in it (pykka's teardown, made atomic)."""
        inbox = self.actor_inbox
        if not isinstance(inbox, _Inbox):  # pragma: no cover - a subclass made its own inbox
            return
        inbox._owner = str(self)
        for envelope in inbox.close():
            if envelope.reply_to is None:
                continue
            if isinstance(envelope.message, _ActorStop):
                envelope.reply_to.set(None)  # pykka: a stop() queued before the end is True
            else:
                fail(
                    envelope.reply_to,
                    pykka.ActorDeadError(f"{self} stopped before handling the message"),
                )

    # -- pykka loop hooks (run in the actor's thread) ------------------------------------------

    def _actor_loop(self) -> None:
        try:
            super()._actor_loop()
        except BaseException as exc:
            if self._sv_crash is None:
                self._sv_crash = exc
            self.actor_stopped.set()
        finally:
            self._sv_close_inbox()
            self._sv_report_exit()

    def _actor_loop_teardown(self) -> None:
        self._sv_close_inbox()

    def _actor_loop_setup(self) -> None:
        try:
            self.on_start()
        except BaseException as exc:
            self._sv_crash = exc
            log.error("pykka actor failed to start", actor=str(self), error=repr(exc))
            self.actor_stopped.set()
            self._sv_ready.set_exception(exc)
            return
        self._sv_ready.set(None)

    def _handle_receive(self, message: Any) -> Any:
        if isinstance(message, _Kill):
            self.actor_stopped.set()
            return None
        if isinstance(message, _ActorStop) and self._sv_killed:
            self.actor_stopped.set()
            return None
        try:
            return super()._handle_receive(message)
        except Exception:
            raise
        except BaseException as exc:
            # pykka would stop every actor in the process; crash only this one.
            self._sv_crash = exc
            log.error("pykka actor crashed", actor=str(self), error=repr(exc))
            self.actor_stopped.set()
            raise ActorCrashedError(f"{self} crashed: {exc!r}", exc) from exc

    def _handle_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._sv_crash is None and exception_value is not None:
            self._sv_crash = exception_value
        self.actor_stopped.set()
        log.error("pykka actor crashed", actor=str(self), error=repr(exception_value))

    def _stop(self) -> None:
        self.actor_stopped.set()
        try:
            self.on_stop()
        except Exception as exc:
            log.error("on_stop raised", actor=str(self), error=repr(exc))

    def _sv_report_exit(self) -> None:
        if self._sv_killed:
            return  # reported when the kill was decided
        reason: ExitReason
        if self._sv_crash is not None:
            reason = self._sv_crash
        elif self._sv_stop_reason is not None:
            reason = self._sv_stop_reason
        else:
            reason = NORMAL
        try:
            self._sv_runtime.call_on_loop(self._sv_exit, reason)
        except RuntimeError:  # the loop is gone: nobody is left to tell
            pass

    # -- Process hooks (run on the loop) -------------------------------------------------------

    def _jump_queue(self, message: Any) -> None:
        inbox = self.actor_inbox
        queue_ = getattr(inbox, "queue", None)
        if queue_ is None:  # pragma: no cover - pykka changed its inbox type
            inbox.put(Envelope(message))
            return
        with inbox.mutex:  # type: ignore[attr-defined]
            queue_.appendleft(Envelope(message))
            inbox.unfinished_tasks += 1  # type: ignore[attr-defined]
            inbox.not_empty.notify()  # type: ignore[attr-defined]

    def _sv_request_stop(self, reason: ExitReason) -> None:
        if not self.sv_alive or self.actor_stopped.is_set():
            return
        self._sv_stop_reason = reason
        self._jump_queue(_ActorStop())

    def _sv_kill(self) -> None:
        self._sv_terminate(KILLED)

    def _sv_terminate(self, reason: ExitReason) -> None:
        if not self.sv_alive:
            return
        self._sv_killed = True
        self.actor_stopped.set()
        if not self._sv_ready.done():
            self._sv_ready.set_exception(ActorCrashedError(f"{self} was terminated", reason))
        self._jump_queue(_Kill())
        self._sv_exit(reason)


_guarded: dict[type[pykka.ThreadingActor], type[SupervisedThreadingActor]] = {}


def supervised_class(cls: type[pykka.ThreadingActor]) -> type[SupervisedThreadingActor]:
    """The guarded subclass of a pykka actor class (made once per class)."""
    if issubclass(cls, SupervisedThreadingActor):
        return cls
    guarded = _guarded.get(cls)
    if guarded is None:
        guarded = type(
            cls.__name__, (SupervisedThreadingActor, cls), {"__module__": cls.__module__}
        )
        guarded.__qualname__ = cls.__qualname__
        _guarded[cls] = guarded
    return guarded


def start_threaded(
    runtime: Runtime,
    cls: type[pykka.ThreadingActor],
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    parent: Process | None = None,
) -> tuple[SupervisedThreadingActor, LoopFuture[None]]:
    """Start `cls` guarded, on its own thread (call on the runtime's loop thread).

    Returns the actor and a future set once its `on_start` has run (or failed). The actor is
    linked to `parent` before its thread starts, and not put in pykka's `ActorRegistry`.
    """
    guarded = supervised_class(cls)
    actor = guarded(*args, **(kwargs or {}))
    actor._sv_runtime = runtime
    actor._sv_ready = LoopFuture()
    actor._sv_parent = parent
    runtime._adopt(actor)
    if parent is not None:
        parent._sv_link(actor)
    try:
        actor._start_actor_loop()
    except BaseException as exc:
        actor._sv_crash = exc
        actor.actor_stopped.set()
        actor._sv_close_inbox()
        actor._sv_ready.set_exception(exc)
        actor._sv_exit(exc)
    if sys.flags.dev_mode:  # pragma: no cover
        log.debug("started pykka actor", actor=str(actor))
    return actor, actor._sv_ready
