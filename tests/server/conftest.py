"""Fixtures of the session-layer tests: the suite server, and sessions opened on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fastestmcp.server.running import ServerHandle, start
from fastestmcp.transports.memory import MemoryConnection

from .suite import Connect, build_suite


@pytest.fixture(scope="module")
def suite() -> Iterator[ServerHandle]:
    """The suite server, running (one per test module)."""
    h = start(build_suite())
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture
def connect(suite: ServerHandle) -> Iterator[Connect]:
    """Open initialized sessions on the suite server; closed after the test."""
    opened: list[MemoryConnection] = []

    def open_(**options: Any) -> MemoryConnection:
        conn = MemoryConnection.open(suite, **options)
        opened.append(conn)
        return conn

    try:
        yield open_
    finally:
        for conn in opened:
            conn.close(timeout=5)


@pytest.fixture
def conn(connect: Connect) -> MemoryConnection:
    """One initialized session on the suite server."""
    return connect()
