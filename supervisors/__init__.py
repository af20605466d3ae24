"""supervisors: loop-hosted pykka actors with OTP supervision.

MCP-free and useful on its own. See docs/supervisors.md.
"""

from supervisors._future import BlockingOnLoopError, LoopFuture, wrap_future
from supervisors._process import Monitor
from supervisors.actor import LoopActor, LoopActorRef, SupervisableRef
from supervisors.exits import (
    KILLED,
    NOPROC,
    NORMAL,
    SHUTDOWN,
    ActorCrashedError,
    AlreadyPresentError,
    AlreadyRegisteredError,
    AlreadyStartedError,
    ChildNotFoundError,
    ChildRestartingError,
    ChildRunningError,
    Down,
    Exit,
    ExitReason,
    MaxChildrenError,
    NotSupportedError,
    RuntimeNotRunningError,
    StartChildError,
    SupervisorError,
    is_normal_exit,
)
from supervisors.registry import Registry
from supervisors.runtime import LoopLagWatchdog, Runtime, RuntimeActor
from supervisors.supervisor import (
    ChildCounts,
    ChildInfo,
    ChildSpec,
    DynamicSupervisor,
    Supervisor,
    count_children,
    delete_child,
    restart_child,
    start_child,
    terminate_child,
    which_children,
)
from supervisors.threaded import SupervisedThreadingActor, supervised_class
from supervisors.util import ask

__all__ = [
    "KILLED",
    "NOPROC",
    "NORMAL",
    "SHUTDOWN",
    "ActorCrashedError",
    "AlreadyPresentError",
    "AlreadyRegisteredError",
    "AlreadyStartedError",
    "BlockingOnLoopError",
    "ChildCounts",
    "ChildInfo",
    "ChildNotFoundError",
    "ChildRestartingError",
    "ChildRunningError",
    "ChildSpec",
    "Down",
    "DynamicSupervisor",
    "Exit",
    "ExitReason",
    "LoopActor",
    "LoopActorRef",
    "LoopFuture",
    "LoopLagWatchdog",
    "MaxChildrenError",
    "Monitor",
    "NotSupportedError",
    "Registry",
    "Runtime",
    "RuntimeActor",
    "RuntimeNotRunningError",
    "StartChildError",
    "SupervisableRef",
    "SupervisedThreadingActor",
    "Supervisor",
    "SupervisorError",
    "ask",
    "count_children",
    "delete_child",
    "is_normal_exit",
    "restart_child",
    "start_child",
    "supervised_class",
    "terminate_child",
    "which_children",
    "wrap_future",
]
