# Giving memory back after many sessions end.
#
# Ended sessions are freed at once by reference counting, but CPython keeps what they used:
# free lists (dicts, lists, tuples, frames...) and allocator arenas that still hold a few
# live blocks; glibc's malloc keeps freed heap pages too. A full collection clears the free
# lists (and lets arenas that become empty go), and `malloc_trim(0)` returns free heap pages
# to the system. Measured after 10,000 HTTP sessions were deleted: the server held 84 % of
# the memory they had grown it by; after a collection and a trim, about 30 %.
#
# What neither can return: a pymalloc arena (1 MiB) goes back only when every block in it is
# free, and blocks allocated while the sessions lived outlive them: most are the state of the
# client's keep-alive connections (aiohttp keeps each connection's last request and response
# until the next one; the HTTP fast lane keeps each connection's last parsed heads), some are
# free lists and caches out of `gc`'s reach. A standalone server whose clients keep their
# connections keeps most of the arenas its sessions used (measured: 99 % of the growth held,
# all of it in arenas with a few live blocks each). So what keeps such caches registers a hook
# (`add_hook`) that lets go of them first: the fast lane drops its connections' parsed heads
# (measured, 10,000 sessions deleted over 64 kept connections: 64 % of the growth held without
# the hook, 26 % with it).
#
# Both cost a pause on the loop (tens of milliseconds with 100,000 objects), so they run once
# after a mass end, not per session: when the live sessions have fallen below half of the
# peak since the last reclaim, by at least `min_ended` sessions, a reclaim is scheduled
# `delay` seconds later, and put off while sessions keep ending, `max_put_off` times at most
# (one for a burst, after it, even if a trickle of ends goes on):
# a collection in the middle of a burst left the free lists to fill again with what the rest
# of it freed (seen: 5,000 deletions reclaimed twice, after 3,278 and after 1,722 more, and
# some 500 blocks of the last sessions still in free lists, invisible to `gc`).

"""Return memory to the system after a mass end of sessions (one collection, one trim); the
garbage collector's settings of a process that is the server's (`settle_gc_for_serving`)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from typing import Any

import structlog

__all__ = ["GC_THRESHOLD", "Reclaimer", "settle_gc_for_serving"]

log = structlog.get_logger("fastestmcp.server")


def _find_malloc_trim() -> Callable[[int], Any] | None:
    name = ctypes.util.find_library("c")
    if name is None:  # pragma: no cover - not glibc/musl
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - a libc without it (macOS, musl)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _find_malloc_trim()

#: The collector's thresholds `settle_gc_for_serving` raises to (generations 0 and 1).
GC_THRESHOLD = (10_000, 20)


def settle_gc_for_serving() -> None:
    """Set up the garbage collector of a process that is the server's (what `server.run`
    does once the server is up, for every transport).

    What start-up made lives as long as the process: one collection, then `gc.freeze()`, so
    no later collection walks it again. And the youngest generations are collected less
    often (at least every 10,000 allocations instead of 700, and generation 1 every 20th
    time instead of every 10th): every opened session adds a few dozen long-lived objects,
    and with thousands of sessions open the default thresholds spent about 5 % of a
    session's opening in the collector (callgrind, 10,000 sessions: 1,503 k -> 1,424 k
    server instructions per opened session). A per-call request leaves almost nothing
    behind, so calls cost the same. Thresholds already higher (set by the application) are
    kept.
    """
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 == 0:  # automatic collection is off: leave it off
        return
    gc.set_threshold(max(gen0, GC_THRESHOLD[0]), max(gen1, GC_THRESHOLD[1]), gen2)


class Reclaimer:
    """Counts live sessions of one running server; reclaims memory after a mass end.

    Called on the loop thread only (session actors' hooks).
    """

    __slots__ = (
        "_ends",
        "_handle",
        "_hooks",
        "_loop",
        "_put_off",
        "_seen",
        "delay",
        "live",
        "max_put_off",
        "min_ended",
        "peak",
        "reclaims",
    )

    def __init__(self, *, min_ended: int = 1000, delay: float = 1.0, max_put_off: int = 10) -> None:
        self.min_ended = min_ended
        self.delay = delay
        self.max_put_off = max_put_off
        self.live = 0
        self.peak = 0
        self.reclaims = 0
        self._ends = 0  # sessions ended, ever
        self._seen = 0  # ... when the pending reclaim was last put off
        self._put_off = 0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hooks: list[Callable[[], None]] = []

    def add_hook(self, hook: Callable[[], None]) -> None:
        """Call `hook()` at each reclaim, before the collection: it lets go of caches made
        while the sessions lived (see the module comment)."""
        self._hooks.append(hook)

    def remove_hook(self, hook: Callable[[], None]) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    def started(self) -> None:
        self.live += 1
        if self.live > self.peak:
            self.peak = self.live

    def ended(self, loop: asyncio.AbstractEventLoop) -> None:
        self.live -= 1
        self._ends += 1
        if (
            self._handle is None
            and self.peak - self.live >= self.min_ended
            and self.live * 2 < self.peak
        ):
            self._loop = loop
            self._seen = self._ends
            self._put_off = 0
            self._handle = loop.call_later(self.delay, self.reclaim)

    def reclaim(self) -> None:
        """One full collection, then return free heap pages (glibc) to the system."""
        if self._ends != self._seen and self._put_off < self.max_put_off and self._loop:
            self._seen = self._ends  # the burst goes on: wait for its end
            self._put_off += 1
            self._handle = self._loop.call_later(self.delay, self.reclaim)
            return
        self._handle = None
        ended = self.peak - self.live
        self.peak = self.live
        self.reclaims += 1
        for hook in list(self._hooks):
            try:
                hook()
            except Exception:  # a cache left as it was costs memory, not correctness
                log.exception("a reclaim hook failed", hook=repr(hook))
        collected = gc.collect()
        if _MALLOC_TRIM is not None:
            _MALLOC_TRIM(0)
        log.info("memory reclaimed after sessions ended", ended=ended, collected=collected)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
