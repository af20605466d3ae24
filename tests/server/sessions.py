"""Helpers for the session-layer tests: raw frames, bounded waits and test probes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from fastestmcp.protocol import jsonrpc
from fastestmcp.transports.memory import MemoryConnection

WAIT = 10.0
"""The bound of every wait in these tests (seconds); generous, never reached when all is well."""


def wait_until(predicate: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Poll `predicate` until it is true; fail the test (naming `what`) after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.002)


def send_request(
    conn: MemoryConnection, request_id: str | int, method: str, params: Any = None
) -> None:
    """Send a request with an id of our choosing; its answer is read from `conn.frames`."""
    conn.send_frame(jsonrpc.encode(jsonrpc.Request(id=request_id, method=method, params=params)))


def messages(conn: MemoryConnection) -> list[Any]:
    """Every message the session sent so far, decoded as plain JSON (batch arrays flattened)."""
    found: list[Any] = []
    for frame, _ in list(conn.frames):
        decoded = msgspec.json.decode(frame)
        found.extend(decoded if isinstance(decoded, list) else [decoded])
    return found


def answers(conn: MemoryConnection, request_id: str | int | None) -> list[dict[str, Any]]:
    """The responses and error responses with this id (`None`: the id-less errors)."""
    return [
        m
        for m in messages(conn)
        if isinstance(m, dict)
        and "method" not in m
        and ("result" in m or "error" in m)
        and m.get("id") == request_id
    ]


def wait_answer(
    conn: MemoryConnection, request_id: str | int | None, timeout: float = WAIT
) -> dict[str, Any]:
    """Wait for the one answer to `request_id` and return it."""
    wait_until(lambda: answers(conn, request_id), f"the answer to request {request_id!r}", timeout)
    found = answers(conn, request_id)
    assert len(found) == 1, found
    return found[0]


def notifications(conn: MemoryConnection, method: str) -> list[dict[str, Any]]:
    """The notifications of `method` the connection received (their params)."""
    return [n["params"] for n in list(conn.notifications) if n["method"] == method]


@dataclass
class Probe:
    """What a test tool reports to the test thread (and what the test releases it with)."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    seen: dict[str, Any] = field(default_factory=dict)


PROBES: dict[str, Probe] = {}


def new_probe() -> tuple[str, Probe]:
    """A fresh probe under a unique key (pass the key to the tool)."""
    key = uuid.uuid4().hex
    probe = PROBES[key] = Probe()
    return key, probe


def tool_text(result: dict[str, Any]) -> str:
    """The text of a `CallToolResult` (all text blocks joined)."""
    return "".join(block["text"] for block in result["content"] if block["type"] == "text")
