"""The same handler code in both eras, over HTTP and over stdio.

One server whose tool uses `elicit`, `sample`, `list_roots`, progress, logging and session
state is driven four times: legacy (initialize; the test client answers the server's requests)
and modern (MRTR rounds: the test client answers `inputRequests` and retries), each over
streamable HTTP (a real listener on 127.0.0.1) and over stdio (a subprocess running
`server.run()`). The final results must be the same.

Run as a module (`python -m tests.transports.test_both_eras`) it serves that server on stdio.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiohttp

import fastestmcp
from fastestmcp import Context
from fastestmcp.protocol import versions
from fastestmcp.server.elicitation import AcceptedElicitation
from fastestmcp.transports.http import serve
from tests.transports.http_fixture import (
    ACCEPT_BOTH,
    LATEST,
    WAIT,
    parse_sse,
    sse_events,
)
from tests.transports.http_fixture import (
    run_client as run,
)

REPO = Path(__file__).resolve().parents[2]
MODERN = versions.V2026_07_28
CAPS: dict[str, Any] = {"sampling": {}, "elicitation": {}, "roots": {}}


def build() -> fastestmcp.Server:
    srv = fastestmcp.server("both-eras", version="1.0.0", principal_state=True)

    @srv.tool
    async def workflow(topic: str, ctx: Context) -> dict[str, Any]:
        """Ask the user, the model and the client's roots; count the visits in session state."""
        await ctx.info(f"workflow on {topic}")
        await ctx.report_progress(1, 2, "asking")
        name = await ctx.elicit("What is your name?", str, key="name")
        said = await ctx.sample(f"One word about {topic}", max_tokens=10, key="word")
        roots = await ctx.list_roots(key="roots")
        await ctx.report_progress(2, 2, "answered")
        visits = await ctx.get_state("visits", 0) + 1
        await ctx.set_state("visits", visits)
        return {
            "name": name.data if isinstance(name, AcceptedElicitation) else None,
            "said": getattr(said.content, "text", None),
            "roots": [root.uri for root in roots],
            "visits": visits,
        }

    return srv


def answer(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The test client's answer to a server request (legacy) or input request (modern)."""
    if method == "elicitation/create":
        assert params["message"] == "What is your name?"
        return {"action": "accept", "content": {"value": "Ada"}}
    if method == "sampling/createMessage":
        return {
            "role": "assistant",
            "content": {"type": "text", "text": "splendid"},
            "model": "test-model",
        }
    assert method == "roots/list", method
    return {"roots": [{"uri": "file:///work", "name": "work"}]}


EXPECTED = [
    {"name": "Ada", "said": "splendid", "roots": ["file:///work"], "visits": 1},
    {"name": "Ada", "said": "splendid", "roots": ["file:///work"], "visits": 2},
]


class Rpc(Protocol):
    """One request, its answer (server requests answered on the way, notifications kept)."""

    notes: list[dict[str, Any]]

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]: ...


async def drive(rpc: Rpc, modern: bool) -> list[Any]:
    """Call `workflow` twice; return its structured results."""
    found = []
    for call in range(2):
        params: dict[str, Any] = {"name": "workflow", "arguments": {"topic": "tests"}}
        meta: dict[str, Any] = {"progressToken": f"progress-{call}"}
        if modern:
            meta |= {
                versions.META_PROTOCOL_VERSION: MODERN,
                versions.META_CLIENT_CAPABILITIES: CAPS,
                versions.META_LOG_LEVEL: "info",
            }
        params["_meta"] = meta
        rounds = 0
        while True:
            message = await rpc.request("tools/call", params)
            assert "result" in message, message
            result = message["result"]
            if not modern:
                assert "resultType" not in result
                break
            if result["resultType"] == "complete":
                break
            assert result["resultType"] == "input_required"
            rounds += 1
            assert rounds <= 5, result
            params["inputResponses"] = {
                key: answer(asked["method"], asked["params"])
                for key, asked in result["inputRequests"].items()
            }
            params["requestState"] = result["requestState"]
        if modern:
            assert rounds == 3  # one input per round: name, word, roots
        assert result.get("isError") is not True, result
        found.append(result["structuredContent"])
    logged = [n["params"]["data"] for n in rpc.notes if n["method"] == "notifications/message"]
    assert "workflow on tests" in logged
    progress = [n["params"] for n in rpc.notes if n["method"] == "notifications/progress"]
    assert {p["progressToken"] for p in progress} == {"progress-0", "progress-1"}
    assert any(p["message"] == "answered" for p in progress)
    return found


# -- HTTP ------------------------------------------------------------------------------------------


class LegacyHttp:
    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url
        self.session_id: str | None = None
        self.notes: list[dict[str, Any]] = []
        self.next_id = 0

    def headers(self) -> dict[str, str]:
        headers = {"Accept": ACCEPT_BOTH, "Content-Type": "application/json", "x-user": "legacy"}
        if self.session_id is not None:
            headers |= {"Mcp-Session-Id": self.session_id, "MCP-Protocol-Version": LATEST}
        return headers

    async def initialize(self) -> None:
        init = {
            "protocolVersion": LATEST,
            "capabilities": CAPS,
            "clientInfo": {"name": "t", "version": "0"},
        }
        message = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init}
        async with self.http.post(self.url, json=message, headers=self.headers()) as response:
            assert response.status == 200, await response.text()
            self.session_id = response.headers["Mcp-Session-Id"]
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        async with self.http.post(self.url, json=note, headers=self.headers()) as response:
            assert response.status == 202

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        async with self.http.post(self.url, json=message, headers=self.headers()) as response:
            assert response.status == 200, await response.text()
            if response.headers["Content-Type"].startswith("application/json"):
                found: dict[str, Any] = await response.json()
                return found
            async for event in sse_events(response):
                if "method" in event and "id" in event:  # a server request: answer it
                    reply = {
                        "jsonrpc": "2.0",
                        "id": event["id"],
                        "result": answer(event["method"], event.get("params") or {}),
                    }
                    async with self.http.post(self.url, json=reply, headers=self.headers()) as r:
                        assert r.status == 202, await r.text()
                elif "method" in event:
                    self.notes.append(event)
                elif event.get("id") == self.next_id:
                    return event
        raise AssertionError("the stream ended without the answer")


class ModernHttp:
    def __init__(self, http: aiohttp.ClientSession, url: str, user: str) -> None:
        self.http, self.url, self.user = http, url, user
        self.notes: list[dict[str, Any]] = []
        self.next_id = 0

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        headers = {
            "Accept": ACCEPT_BOTH,
            "Content-Type": "application/json",
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": method,
            "Mcp-Name": params["name"],
            "x-user": self.user,  # the principal: its state scope (principal_state=True)
        }
        async with self.http.post(self.url, json=message, headers=headers) as response:
            assert response.status == 200, await response.text()
            text = await response.text()
            if response.headers["Content-Type"].startswith("text/event-stream"):
                found = parse_sse(text)
            else:
                found = [json.loads(text)]
        *notes, final = found
        assert all("id" not in n for n in notes), notes  # no server requests on the stream
        self.notes.extend(notes)
        assert final["id"] == self.next_id
        return final


def test_http_both_eras() -> None:
    running = serve(
        build(), host="127.0.0.1", port=0, principal=lambda info: info.headers.get("x-user")
    )

    async def test(http: aiohttp.ClientSession) -> None:
        legacy = LegacyHttp(http, running.url)
        await legacy.initialize()
        assert await drive(legacy, modern=False) == EXPECTED
        modern = ModernHttp(http, running.url, user="modern-user")
        assert await drive(modern, modern=True) == EXPECTED

    try:
        run(test)
    finally:
        running.stop()


# -- stdio -----------------------------------------------------------------------------------------


class Stdio:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.notes: list[dict[str, Any]] = []
        self.next_id = 0

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        await self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            assert line, "the server closed stdout"
            message: dict[str, Any] = json.loads(line)
            if "method" in message and "id" in message:
                reply = answer(message["method"], message.get("params") or {})
                await self.send({"jsonrpc": "2.0", "id": message["id"], "result": reply})
            elif "method" in message:
                self.notes.append(message)
            elif message.get("id") == self.next_id:
                return message


@asynccontextmanager
async def stdio_server() -> AsyncIterator[Stdio]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.transports.test_both_eras",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield Stdio(proc)
        assert proc.stdin is not None
        proc.stdin.close()  # end of input: the server ends
        async with asyncio.timeout(WAIT):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_stdio_both_eras() -> None:
    async def main() -> None:
        async with asyncio.timeout(4 * WAIT):
            async with stdio_server() as legacy:
                init = {
                    "protocolVersion": LATEST,
                    "capabilities": CAPS,
                    "clientInfo": {"name": "t", "version": "0"},
                }
                assert "result" in await legacy.request("initialize", init)
                await legacy.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
                assert await drive(legacy, modern=False) == EXPECTED
            async with stdio_server() as modern:  # a process is one scope: state persists
                assert await drive(modern, modern=True) == EXPECTED

    asyncio.run(main())


if __name__ == "__main__":
    build().run()
