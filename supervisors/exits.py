# Exit reasons, signals and the errors of the runtime.
#
# An exit reason is what an actor's death reports to its links, monitors and supervisor, as in
# OTP: the strings NORMAL ("normal", it stopped), SHUTDOWN ("shutdown", its supervisor or the
# runtime stopped it, or a supervisor gave up), KILLED ("killed", brutal kill), NOPROC ("noproc",
# it was not alive when monitored or linked), a ("shutdown", detail) tuple, or the exception
# that crashed it.

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pykka

__all__ = [
    "KILLED",
    "NOPROC",
    "NORMAL",
    "SHUTDOWN",
    "ActorCrashedError",
    "AlreadyPresentError",
    "AlreadyRegisteredError",
    "AlreadyStartedError",
    "ChildNotFoundError",
    "ChildRestartingError",
    "ChildRunningError",
    "Down",
    "Exit",
    "ExitReason",
    "MaxChildrenError",
    "NotSupportedError",
    "RuntimeNotRunningError",
    "StartChildError",
    "SupervisorError",
    "is_normal_exit",
]

NORMAL = "normal"
SHUTDOWN = "shutdown"
KILLED = "killed"
NOPROC = "noproc"

ExitReason: TypeAlias = str | tuple[str, Any] | BaseException


def is_normal_exit(reason: object) -> bool:
    """True for the reasons after which a transient child is *not* restarted.

    `normal`, `shutdown` and `("shutdown", detail)`, as in OTP.
    """
    if reason in (NORMAL, SHUTDOWN):
        return True
    return isinstance(reason, tuple) and len(reason) == 2 and reason[0] == SHUTDOWN


@dataclass(frozen=True, slots=True)
class Down:
    """Delivered once per monitor when the monitored actor has exited.

    `monitor` is the `Monitor` that `monitor()` returned; `actor_ref` the dead actor's ref.
    By the time a `Down` is delivered, the dead actor has released its registered names.
    """

    monitor: Any
    actor_ref: pykka.ActorRef[Any]
    reason: ExitReason


@dataclass(frozen=True, slots=True)
class Exit:
    """Delivered to an actor with `trap_exits = True` when a linked actor exits."""

    actor_ref: pykka.ActorRef[Any]
    reason: ExitReason


class ActorCrashedError(Exception):
    """The actor crashed while (or before) handling this message; `reason` is why."""

    def __init__(self, message: str, reason: ExitReason) -> None:
        super().__init__(message)
        self.reason = reason


class RuntimeNotRunningError(RuntimeError):
    """No runtime is running where one was needed (start one with `Runtime().start()`)."""


class AlreadyRegisteredError(ValueError):
    """The name is already registered to a live actor."""


class SupervisorError(Exception):
    """Base class of the errors a supervisor call answers with."""


class AlreadyStartedError(SupervisorError):
    """A child with this id is already running; `ref` is its ref."""

    def __init__(self, child_id: Hashable, ref: pykka.ActorRef[Any]) -> None:
        super().__init__(f"child {child_id!r} is already started as {ref}")
        self.child_id = child_id
        self.ref = ref


class AlreadyPresentError(SupervisorError):
    """A child spec with this id exists but is not running: use `restart_child` or delete it."""

    def __init__(self, child_id: Hashable) -> None:
        super().__init__(
            f"a child spec with id {child_id!r} is already present (not running); "
            "restart_child() it or delete_child() it first"
        )
        self.child_id = child_id


class ChildNotFoundError(SupervisorError, LookupError):
    """No child with this id (or ref) under this supervisor."""

    def __init__(self, child_id: object) -> None:
        super().__init__(f"no child {child_id!r} under this supervisor")
        self.child_id = child_id


class ChildRunningError(SupervisorError):
    """The operation needs a stopped child, and this one is running."""

    def __init__(self, child_id: Hashable) -> None:
        super().__init__(f"child {child_id!r} is running; terminate_child() it first")
        self.child_id = child_id


class ChildRestartingError(SupervisorError):
    """A restart of this child failed and is being retried; terminate_child() it first."""

    def __init__(self, child_id: Hashable) -> None:
        super().__init__(
            f"child {child_id!r} is being restarted (a failed restart is retried); "
            "terminate_child() it first"
        )
        self.child_id = child_id


class MaxChildrenError(SupervisorError):
    """A dynamic supervisor already has `max_children` children."""

    def __init__(self, max_children: int) -> None:
        super().__init__(f"the supervisor already has max_children={max_children} children")
        self.max_children = max_children


class NotSupportedError(SupervisorError):
    """The operation does not exist for this kind of supervisor."""


class StartChildError(SupervisorError):
    """A child failed to start; `reason` is the exception (or exit reason) behind it."""

    def __init__(self, child_id: object, reason: ExitReason) -> None:
        super().__init__(f"child {child_id!r} failed to start: {reason!r}")
        self.child_id = child_id
        self.reason = reason
