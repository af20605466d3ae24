"""The demo's scripted client: raw JSON-RPC, over streamable HTTP or over stdio.

Both clients are written out with the standard library only, so you can see exactly what goes
over the wire. They answer the server's elicitation and sampling requests themselves, as a real
MCP client (an IDE, an agent) would. `script()` is the session the demo runs, the same over
either transport.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any, Protocol

PROTOCOL_VERSION = "2025-11-25"


def message(method: str, params: dict[str, Any] | None, request_id: int | None) -> dict[str, Any]:
    """A JSON-RPC request (with an id) or notification (without)."""
    found: dict[str, Any] = {"jsonrpc": "2.0"}
    if request_id is not None:
        found["id"] = request_id
    found["method"] = method
    if params:
        found["params"] = params
    return found


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """What the script answers a request the server makes while a tool runs."""
    if request["method"] == "elicitation/create":
        return {"action": "accept", "content": {"mood": "curious"}}
    if request["method"] == "sampling/createMessage":
        text = "read the supervision tree in docs/state.md"
        return {"role": "assistant", "content": {"type": "text", "text": text}, "model": "demo"}
    return {}


def show_notification(note: dict[str, Any]) -> None:
    print(f"    <- {note['method']}: {json.dumps(note.get('params'))}")


class Client(Protocol):
    def request(self, method: str, params: dict[str, Any] | None = None) -> Any: ...

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None: ...


# -- streamable HTTP ---------------------------------------------------------------------------


def sse_messages(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """The JSON-RPC messages of an SSE stream, as they arrive.

    An event is `field: value` lines ended by a blank line; the message is in its `data:`
    lines. An event with empty data (the priming event that opens a stream) carries none.
    """
    data: list[str] = []
    for raw in lines:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line:  # the end of an event
            if any(data):
                yield json.loads("\n".join(data))
            data = []


class HttpClient:
    """A raw streamable HTTP client: one POST per message, `Mcp-Session-Id` after initialize."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids = itertools.count(1)
        self.headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",  # a JSON answer or an SSE stream
        }

    def _post(self, body: dict[str, Any]) -> Any:  # an http.client.HTTPResponse
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=self.headers, method="POST"
        )
        return urllib.request.urlopen(request, timeout=30)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        with self._post(message(method, params, None)) as response:
            assert response.status == 202  # Accepted: nothing to answer

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        request_id = next(self.ids)
        with self._post(message(method, params, request_id)) as response:
            if method == "initialize":  # the session's id: every later POST carries it
                self.headers["Mcp-Session-Id"] = response.headers["Mcp-Session-Id"]
                self.headers["MCP-Protocol-Version"] = PROTOCOL_VERSION
            if response.headers["Content-Type"].startswith("application/json"):
                return self._result(json.load(response))
            # An SSE stream: what the call sends while it runs, then its response.
            for incoming in sse_messages(response):
                if "method" in incoming and "id" in incoming:  # the server asks us something
                    print(f"    <- server asks {incoming['method']} (on this call's SSE stream)")
                    reply = {"jsonrpc": "2.0", "id": incoming["id"], "result": answer(incoming)}
                    with self._post(reply) as posted:  # the answer is a POST of its own
                        print(f"    -> answered with a POST ({posted.status})")
                elif "method" in incoming:
                    show_notification(incoming)
                elif incoming.get("id") == request_id:
                    return self._result(incoming)
        raise RuntimeError(f"the server ended the stream of {method} without a response")

    @staticmethod
    def _result(response: dict[str, Any]) -> Any:
        return {"error": response["error"]} if "error" in response else response["result"]

    def close(self) -> int:
        """End the session (DELETE); returns the HTTP status."""
        request = urllib.request.Request(self.url, headers=self.headers, method="DELETE")
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)


# -- stdio -------------------------------------------------------------------------------------


class StdioClient:
    """A raw stdio client: the server is a child process, one JSON-RPC message per line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fastestmcp.demo.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.ids = itertools.count(1)

    def _send(self, body: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(body).encode() + b"\n")
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send(message(method, params, None))

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        request_id = next(self.ids)
        self._send(message(method, params, request_id))
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its stdout")
            incoming = json.loads(line)
            if "method" in incoming and "id" in incoming:  # the server asks us something
                print(f"    <- server asks {incoming['method']}")
                self._send({"jsonrpc": "2.0", "id": incoming["id"], "result": answer(incoming)})
            elif "method" in incoming:
                show_notification(incoming)
            elif incoming.get("id") == request_id:
                return {"error": incoming["error"]} if "error" in incoming else incoming["result"]

    def close(self) -> int:
        """Close the server's stdin (the end of the session); returns its exit code."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


# -- the session -------------------------------------------------------------------------------


def show(label: str, value: Any) -> None:
    print(f"{label}\n    -> {json.dumps(value)}")


def call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    return client.request("tools/call", {"name": tool, "arguments": arguments or {}})


def script(client: Client) -> None:
    """Initialize, then try the example server's tools, resources and prompts."""
    init = client.request(
        "initialize",
        {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"elicitation": {}, "sampling": {}},
            "clientInfo": {"name": "scripted-demo-client", "version": "1.0"},
        },
    )
    client.notify("notifications/initialized")
    print(f"connected to {init['serverInfo']['name']} (protocol {init['protocolVersion']})")
    show("tools/list", [tool["name"] for tool in client.request("tools/list")["tools"]])
    show("add(2, 40)", call(client, "add", {"a": 2, "b": 40})["structuredContent"])
    for note in ("buy milk", "call Ada"):  # the notebook is this session's state
        show(f"remember({note!r})", call(client, "remember", {"note": note})["structuredContent"])
    show("check_in()", call(client, "check_in")["structuredContent"])
    show(
        "add('x', 1): a validation error is a tool error",
        call(client, "add", {"a": "x", "b": 1}),
    )
    show(
        "resources/read demo://about",
        client.request("resources/read", {"uri": "demo://about"})["contents"],
    )
    show(
        "resources/read demo://squares/12 (a resource template)",
        client.request("resources/read", {"uri": "demo://squares/12"})["contents"],
    )
    show(
        "prompts/get greet",
        client.request(
            "prompts/get", {"name": "greet", "arguments": {"name": "Ada", "style": "formal"}}
        )["messages"],
    )
    show(
        "completion/complete greet.style 'f'",
        client.request(
            "completion/complete",
            {
                "ref": {"type": "ref/prompt", "name": "greet"},
                "argument": {"name": "style", "value": "f"},
            },
        )["completion"],
    )
    show("an unknown tool is a JSON-RPC error", call(client, "nope"))
