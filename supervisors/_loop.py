# The event loop a Runtime runs in a thread of its own.
#
# A stock selector loop, with one change measured on the cross-thread path (a plain thread
# asking a loop actor, the case a pykka program or a test hits): asyncio wakes a sleeping loop
# from another thread by writing a byte to a socket pair, and the loop drains that socket with
# `recv` until it would block: two system calls per wake-up, where one is enough. Reading once
# (up to 4 KiB, far more than the pending wake-up bytes in practice) and letting the
# level-triggered selector report the socket again if anything is left keeps every wake-up
# and saves a syscall per cross-thread message: +12-15 % asks/s from a plain thread, measured
# with the process pinned to one CPU (benchmarks/actors.py shows the effect end to end).
# A loop the Runtime attaches to (`async with Runtime()`) is the application's and is not
# changed.

from __future__ import annotations

import asyncio
import socket

__all__ = ["new_event_loop"]


class _RuntimeEventLoop(asyncio.SelectorEventLoop):
    _ssock: socket.socket

    def _read_from_self(self) -> None:
        try:
            self._ssock.recv(4096)
        except (BlockingIOError, InterruptedError):
            pass


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new loop for a Runtime's own thread (a stock one where the tweak does not apply)."""
    base = asyncio.SelectorEventLoop
    if not callable(getattr(base, "_read_from_self", None)):  # pragma: no cover - other asyncio
        return asyncio.new_event_loop()
    return _RuntimeEventLoop()
