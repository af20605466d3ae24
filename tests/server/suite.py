"""The server most session tests drive: one of every kind of component, and probes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import fastestmcp
from fastestmcp import Context, ToolError
from fastestmcp.server import Server
from fastestmcp.transports.memory import MemoryConnection

from .sessions import PROBES, WAIT

Connect = Callable[..., MemoryConnection]


def _helper_current() -> Context | None:
    # Code deep in a call, with no ctx parameter, finds the request's context.
    return Context.current()


async def _wait_async(event: threading.Event, timeout: float = WAIT) -> bool:
    # Wait for a threading.Event without blocking the loop.
    deadline = time.monotonic() + timeout
    while not event.is_set():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


def build_suite() -> Server:
    srv = fastestmcp.server("suite", "Use the tools wisely.", version="9.9.9")

    # -- plain tools ----------------------------------------------------------------------

    @srv.tool
    def add(a: int, b: int) -> int:
        return a + b

    @srv.tool
    async def describe(name: str, tags: list[str]) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"name": name, "count": len(tags)}

    @srv.tool
    def fail(message: str) -> str:
        raise RuntimeError(message)

    @srv.tool
    async def refuse(message: str) -> str:
        raise ToolError(message)

    @srv.tool(timeout=0.2)
    async def sleepy() -> str:
        await asyncio.sleep(30)
        return "woke up"

    @srv.tool(timeout=0.2)
    def sleepy_sync(key: str, ctx: Context) -> str:
        probe = PROBES[key]
        deadline = time.monotonic() + 30
        while not ctx.cancelled and time.monotonic() < deadline:
            time.sleep(0.002)
        probe.seen["cancelled"] = ctx.cancelled
        probe.finished.set()
        return "woke up"

    # -- probes: tools the test thread controls -------------------------------------------

    @srv.tool
    async def gate(key: str) -> str:
        probe = PROBES[key]
        probe.started.set()
        return "released" if await _wait_async(probe.release) else "never released"

    @srv.tool
    def gate_sync(key: str) -> str:
        probe = PROBES[key]
        probe.started.set()
        return "released" if probe.release.wait(WAIT) else "never released"

    @srv.tool
    async def hang(key: str) -> str:
        probe = PROBES[key]
        probe.started.set()
        try:
            await asyncio.sleep(30)
            return "finished"
        finally:
            probe.finished.set()

    @srv.tool
    def poll_cancel(key: str, ctx: Context) -> bool:
        probe = PROBES[key]
        probe.started.set()
        deadline = time.monotonic() + WAIT
        while not ctx.cancelled and time.monotonic() < deadline:
            time.sleep(0.002)
        probe.seen["cancelled"] = ctx.cancelled
        probe.finished.set()
        return ctx.cancelled

    # -- Context -------------------------------------------------------------------------

    @srv.tool
    async def state_set(key: str, value: int, ctx: Context) -> str:
        await ctx.set_state(key, value)
        return "ok"

    @srv.tool
    def state_set_sync(key: str, value: int, ctx: Context) -> str:
        ctx.set_state(key, value).get(timeout=WAIT)
        return "ok"

    @srv.tool
    async def state_get(key: str, ctx: Context) -> int | str:
        value: int | str = await ctx.get_state(key, "<missing>")
        return value

    @srv.tool
    def state_get_sync(key: str, ctx: Context) -> int | str:
        value: int | str = ctx.get_state(key, "<missing>").get(timeout=WAIT)
        return value

    @srv.tool
    async def state_delete(key: str, ctx: Context) -> str:
        await ctx.delete_state(key)
        return "ok"

    @srv.tool
    async def local_state(key: str, value: int, ctx: Context) -> int | str:
        await ctx.set_state(key, value, serializable=False)
        seen: int | str = await ctx.get_state(key, "<missing>")
        return seen

    @srv.tool
    def request_state(ctx: Context) -> list[Any]:
        ctx.put_request_state("k", 1)
        first = ctx.get_request_state("k")
        ctx.delete_request_state("k")
        return [first, ctx.get_request_state("k", "gone")]

    def identity(ctx: Context) -> dict[str, Any]:
        return {
            "session_id": ctx.session_id,
            "request_id": ctx.request_id,
            "transport": ctx.transport,
            "client_id": ctx.client_id,
            "current_is_ctx": Context.current() is ctx,
            "helper_is_ctx": _helper_current() is ctx,
        }

    @srv.tool
    def whoami(ctx: Context) -> dict[str, Any]:
        return identity(ctx)

    @srv.tool
    async def whoami_async(ctx: Context) -> dict[str, Any]:
        await asyncio.sleep(0)
        return identity(ctx)

    @srv.tool
    async def log_both(ctx: Context) -> list[bool]:
        return [await ctx.info("an info line"), await ctx.error("an error line")]

    @srv.tool
    async def progress(ctx: Context) -> bool:
        sent: bool = await ctx.report_progress(1, 2, "half way")
        return sent

    @srv.tool
    def progress_sync(ctx: Context) -> bool:
        sent: bool = ctx.report_progress(3, 4).get(timeout=WAIT)
        return sent

    @srv.tool
    async def roots(ctx: Context) -> list[str]:
        return [root.uri for root in await ctx.list_roots()]

    @srv.tool
    def roots_sync(ctx: Context) -> list[str]:
        return [root.uri for root in ctx.list_roots().get(timeout=WAIT)]

    @srv.tool
    async def two_roots(ctx: Context) -> list[int]:
        first, second = ctx.list_roots(), ctx.list_roots()
        return [len(await second), len(await first)]

    # -- resources, templates, prompts, completions ---------------------------------------

    @srv.resource("suite://readme", mime_type="text/plain")
    def readme() -> str:
        return "read me"

    @srv.resource_template("suite://items/{item_id}")
    def item(item_id: int) -> dict[str, Any]:
        return {"id": item_id, "type": type(item_id).__name__}

    @srv.prompt
    def review(code: str, language: str = "python") -> str:
        return f"Review this {language}: {code}"

    @srv.resource("suite://broken")
    def broken() -> str:
        raise RuntimeError("secret detail")

    @srv.prompt
    def broken_prompt() -> str:
        raise RuntimeError("secret detail")

    srv.add_completion("review", "language", ["python", "perl", "rust"])

    def complete_item(value: str) -> list[str]:
        return [v for v in ("1", "12", "123", "7") if v.startswith(value)]

    srv.add_completion("suite://items/{item_id}", "item_id", complete_item)
    return srv


def call(conn: MemoryConnection, tool: str, /, **arguments: Any) -> dict[str, Any]:
    result: dict[str, Any] = conn.request("tools/call", {"name": tool, "arguments": arguments})
    return result


def value(result: dict[str, Any]) -> Any:
    """A successful tool result's structured value."""
    assert result.get("isError") is not True, result
    return result["structuredContent"]["result"]
