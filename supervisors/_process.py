# What every supervisable actor shares, whatever runs it (the event loop or a pykka thread):
# links, monitors, registered names, and the one exit path that notifies them.
#
# Rules:
# - All bookkeeping here is mutated on the runtime's loop thread only. Calls from other threads
#   hop onto the loop first (`Runtime.call_on_loop`).
# - An exit is processed exactly once, in `_sv_exit`, in this order: the actor's names are
#   released, linked actors get their exit signal, monitors get their `Down`, waiters of
#   `exited` are woken. So a `Down` never arrives while the dead actor still holds its name, and
#   a restarted child can register the same name at once (S23).

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pykka
import structlog

from supervisors._future import LoopFuture
from supervisors.exits import NOPROC, Down, ExitReason

if TYPE_CHECKING:
    from supervisors.runtime import Runtime

__all__ = ["Monitor", "Process", "process_of"]

log = structlog.get_logger("supervisors")

_ALIVE: Any = object()


class Monitor:
    """A one-way watch on an actor: exactly one `Down` is delivered, unless demonitored.

    `watcher` decides where the `Down` goes: an actor ref (it is told the `Down`), a callable
    (called on the runtime loop), or None (then await or `.get()` the `down` future).
    """

    __slots__ = ("_down", "active", "actor_ref", "watcher")

    def __init__(
        self,
        actor_ref: pykka.ActorRef[Any],
        watcher: pykka.ActorRef[Any] | Callable[[Down], object] | None,
    ) -> None:
        self.actor_ref = actor_ref
        self.watcher = watcher
        self.active = True
        self._down: LoopFuture[Down] = LoopFuture()

    @property
    def down(self) -> LoopFuture[Down]:
        """A future set with the `Down` when the monitored actor has exited."""
        return self._down

    def __repr__(self) -> str:
        return f"<Monitor of {self.actor_ref} {'active' if self.active else 'fired'}>"

    def _fire(self, reason: ExitReason) -> None:
        if not self.active:
            return
        self.active = False
        down = Down(self, self.actor_ref, reason)
        self._down.set(down)
        watcher = self.watcher
        if watcher is None:
            return
        if isinstance(watcher, pykka.ActorRef):
            try:
                watcher.tell(down)
            except pykka.ActorDeadError:
                pass
            return
        try:
            watcher(down)
        except Exception:
            log.exception("monitor callback failed", monitor=repr(self))


class Process:
    """Mixin: the supervision bookkeeping of one actor (see module comment)."""

    _sv_runtime: Runtime
    _sv_exit_reason: Any = _ALIVE
    _sv_monitors: dict[Monitor, None] | None = None
    _sv_links: dict[Process, None] | None = None
    _sv_names: list[str] | None = None
    _sv_exited: LoopFuture[ExitReason] | None = None
    _sv_parent: Process | None = None
    #: Exits of linked actors arrive as `Exit` messages instead of stopping this actor.
    trap_exits: bool = False

    # Implemented by the concrete actor kinds -------------------------------------------------

    @property
    def actor_ref(self) -> pykka.ActorRef[Any]:
        raise NotImplementedError

    def _sv_request_stop(self, reason: ExitReason) -> None:
        """Stop gracefully with `reason` after the message in hand (on_stop runs)."""
        raise NotImplementedError

    def _sv_kill(self) -> None:
        """Stop now with reason `killed`; no cleanup hook runs."""
        raise NotImplementedError

    def _sv_terminate(self, reason: ExitReason) -> None:
        """Stop now with `reason` because a linked actor died (no on_stop)."""
        raise NotImplementedError

    # Shared ----------------------------------------------------------------------------------

    @property
    def sv_alive(self) -> bool:
        return self._sv_exit_reason is _ALIVE

    def _sv_exited_future(self) -> LoopFuture[ExitReason]:
        fut = self._sv_exited
        if fut is None:
            fut = self._sv_exited = LoopFuture()
            if self._sv_exit_reason is not _ALIVE:
                fut.set(self._sv_exit_reason)
        return fut

    def _sv_add_monitor(self, monitor: Monitor) -> None:
        if self._sv_exit_reason is not _ALIVE:
            monitor._fire(NOPROC)
            return
        if self._sv_monitors is None:
            self._sv_monitors = {}
        self._sv_monitors[monitor] = None

    def _sv_remove_monitor(self, monitor: Monitor) -> None:
        if self._sv_monitors is not None:
            self._sv_monitors.pop(monitor, None)

    def _sv_link(self, other: Process | None) -> None:
        if other is None or other._sv_exit_reason is not _ALIVE:
            self._sv_signal(None, NOPROC, None if other is None else other.actor_ref)
            return
        if self._sv_exit_reason is not _ALIVE:
            other._sv_signal(self, NOPROC, self.actor_ref)
            return
        if self._sv_links is None:
            self._sv_links = {}
        if other._sv_links is None:
            other._sv_links = {}
        self._sv_links[other] = None
        other._sv_links[self] = None

    def _sv_unlink(self, other: Process) -> None:
        if self._sv_links is not None:
            self._sv_links.pop(other, None)
        if other._sv_links is not None:
            other._sv_links.pop(self, None)

    def _sv_signal(
        self,
        sender: Process | None,
        reason: ExitReason,
        sender_ref: pykka.ActorRef[Any] | None = None,
    ) -> None:
        """An exit signal from a linked actor (or `noproc` for a link to a dead one)."""
        if self._sv_exit_reason is not _ALIVE:
            return
        ref = sender_ref if sender_ref is not None else (sender.actor_ref if sender else None)
        if self.trap_exits:
            from supervisors.exits import Exit

            try:
                self.actor_ref.tell(Exit(ref if ref is not None else self.actor_ref, reason))
            except pykka.ActorDeadError:
                pass
            return
        if reason == "normal":
            return
        self._sv_terminate(reason)

    def _sv_exit(self, reason: ExitReason) -> None:
        """Record the exit and notify names, links, monitors and waiters, in that order."""
        if self._sv_exit_reason is not _ALIVE:
            return
        self._sv_exit_reason = reason
        runtime = self._sv_runtime
        names = self._sv_names
        if names:
            for name in names:
                runtime.registry._release(name, self.actor_ref)
            self._sv_names = None
        links = self._sv_links
        if links:
            self._sv_links = None
            for other in links:
                if other._sv_links is not None:
                    other._sv_links.pop(self, None)
                other._sv_signal(self, reason)
        monitors = self._sv_monitors
        if monitors:
            self._sv_monitors = None
            for monitor in monitors:
                monitor._fire(reason)
        if self._sv_exited is not None:
            self._sv_exited.set(reason)
        runtime._forget(self)


def process_of(ref: pykka.ActorRef[Any]) -> Process | None:
    """The live supervisable actor behind `ref`, or None if it is gone or not supervisable."""
    actor = ref._actor_weakref()
    if isinstance(actor, Process):
        return actor
    return None
