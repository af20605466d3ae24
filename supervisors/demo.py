"""A short tour of the runtime: `python -m supervisors.demo`.

Starts a runtime, a supervisor with two workers, crashes one on purpose and shows that it is
restarted with fresh state under the same name while its sibling keeps its state, then stops
the tree in reverse order.
"""

from __future__ import annotations

import sys
from typing import Any

import structlog

from supervisors import ChildSpec, LoopActor, Runtime, Supervisor, start_child, which_children


class Counter(LoopActor):
    """Counts the messages it gets; `"crash"` crashes it."""

    def __init__(self, label: str, log: list[str]) -> None:
        super().__init__()
        self.label = label
        self.count = 0
        self.log = log

    def on_start(self) -> None:
        self.log.append(f"start {self.label}")

    def on_stop(self) -> None:
        self.log.append(f"stop {self.label}")

    def on_receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError(f"{self.label} was told to crash")
        self.count += 1
        return self.count


def main() -> None:
    # Crash reports go to stderr, one line each (the runtime logs through structlog).
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(), exception_formatter=lambda *_: None
            ),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    log: list[str] = []
    with Runtime("demo") as runtime:
        tree = start_child(
            runtime.root,
            Supervisor.child_spec(
                "workers",
                [
                    ChildSpec("a", Counter, args=("a", log), name="counter-a"),
                    ChildSpec("b", Counter, args=("b", log), name="counter-b"),
                ],
                strategy="one_for_one",
            ),
        ).get(timeout=5)
        a, b = runtime.whereis("counter-a"), runtime.whereis("counter-b")
        assert a is not None
        assert b is not None
        print("started:", log)
        print("a counts to", [a.ask("tick", timeout=5) for _ in range(3)][-1])
        print("b counts to", [b.ask("tick", timeout=5) for _ in range(2)][-1])

        monitor = runtime.monitor(a)
        a.tell("crash")
        down = monitor.down.get(timeout=5)
        print("a went down:", repr(down.reason))
        rows = which_children(tree).get(timeout=5)
        new_a = runtime.whereis("counter-a")
        assert new_a is not None
        print("children:", [(row.id, row.ref is not None) for row in rows])
        print("a restarted with a new ref:", new_a is not a, "and fresh state:", new_a.ask("t"))
        print("b kept its state:", b.ask("tick", timeout=5))
        spec = ChildSpec("c", Counter, args=("c", log), restart="temporary")
        start_child(tree, spec).get(timeout=5)
        del log[:]
    print("stopped in reverse order:", log)


if __name__ == "__main__":
    main()
