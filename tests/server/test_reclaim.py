"""Reclaimer: one collection and one trim after a mass end of sessions, never per session."""

from __future__ import annotations

import asyncio
import time

import fastestmcp
from fastestmcp.server.reclaim import Reclaimer
from fastestmcp.transports.memory import MemoryConnection


def scheduled(reclaimer: Reclaimer) -> bool:
    return reclaimer._handle is not None


def test_a_mass_end_schedules_one_reclaim_and_resets_the_peak() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        reclaimer = Reclaimer(min_ended=10, delay=0.01)
        for _ in range(30):
            reclaimer.started()
        for _ in range(9):  # fewer than min_ended ended: nothing
            reclaimer.ended(loop)
        assert not scheduled(reclaimer)
        for _ in range(6):  # 15 ended, 15 live: not below half the peak
            reclaimer.ended(loop)
        assert not scheduled(reclaimer)
        for _ in range(11):  # 4 live: below half of 30, 26 ended
            reclaimer.ended(loop)
        assert scheduled(reclaimer)
        await asyncio.sleep(0.05)
        assert (reclaimer.reclaims, reclaimer.peak, reclaimer.live) == (1, 4, 4)
        reclaimer.ended(loop)  # the peak restarted from 4: no new reclaim
        assert not scheduled(reclaimer)

    asyncio.run(main())


def test_ending_many_sessions_of_a_running_server_reclaims_once() -> None:
    app = fastestmcp.server("reclaim")

    @app.tool
    def echo(message: str) -> str:
        return message

    with fastestmcp.start(app) as handle:
        handle.reclaimer.min_ended = 20
        handle.reclaimer.delay = 0.01
        connections = [MemoryConnection.open(handle) for _ in range(30)]
        for conn in connections:
            conn.request("tools/call", {"name": "echo", "arguments": {"message": "hi"}})
        assert handle.reclaimer.live == 30
        for conn in connections:
            conn.close()
        deadline = time.monotonic() + 10
        while handle.reclaimer.reclaims == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert handle.reclaimer.reclaims == 1
        assert handle.reclaimer.live == 0
