"""The README's demo: start the example server over stdio and drive it with a scripted client.

The client is written out here with plain JSON-RPC lines on the server's stdin/stdout, so
you can see exactly what goes over the wire; it answers the server's elicitation and sampling
requests itself, as a real MCP client (an IDE, an agent) would.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from typing import Any

SERVER = [sys.executable, "-m", "fastestmcp.demo.server"]


class ScriptedClient:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.ids = itertools.count(1)

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"method": method, **({"params": params} if params else {})})

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        request_id = next(self.ids)
        self._send({"id": request_id, "method": method, **({"params": params} if params else {})})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its stdout")
            message = json.loads(line)
            if "method" in message and "id" in message:  # the server asks us something
                self._send({"id": message["id"], "result": self.answer(message)})
            elif "method" in message:
                print(f"    <- {message['method']}: {json.dumps(message.get('params'))}")
            elif message.get("id") == request_id:
                if "error" in message:
                    return {"error": message["error"]}
                return message["result"]

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        print(f"    <- server asks {request['method']}")
        if request["method"] == "elicitation/create":
            return {"action": "accept", "content": {"mood": "curious"}}
        if request["method"] == "sampling/createMessage":
            text = "read the supervision tree in docs/state.md"
            return {"role": "assistant", "content": {"type": "text", "text": text}, "model": "demo"}
        return {}

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


def show(label: str, value: Any) -> None:
    print(f"{label}\n    -> {json.dumps(value)}")


def main() -> None:
    client = ScriptedClient()
    try:
        init = client.request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {"elicitation": {}, "sampling": {}},
                "clientInfo": {"name": "scripted-demo-client", "version": "1.0"},
            },
        )
        client.notify("notifications/initialized")
        print(f"connected to {init['serverInfo']['name']} (protocol {init['protocolVersion']})")
        tools = client.request("tools/list")["tools"]
        show("tools/list", [tool["name"] for tool in tools])
        show(
            "add(2, 40)",
            client.request("tools/call", {"name": "add", "arguments": {"a": 2, "b": 40}})[
                "structuredContent"
            ],
        )
        for note in ("buy milk", "call Ada"):
            result = client.request("tools/call", {"name": "remember", "arguments": {"note": note}})
            show(f"remember({note!r})", result["structuredContent"])
        show("check_in()", client.request("tools/call", {"name": "check_in"})["structuredContent"])
        show(
            "add('x', 1): a validation error is a tool error",
            client.request("tools/call", {"name": "add", "arguments": {"a": "x", "b": 1}}),
        )
        show(
            "resources/read demo://about",
            client.request("resources/read", {"uri": "demo://about"})["contents"],
        )
        show(
            "resources/read demo://squares/12",
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
        show("an unknown tool is a JSON-RPC error", client.request("tools/call", {"name": "nope"}))
    finally:
        code = client.close()
    print(f"server exited with code {code} after stdin closed")


if __name__ == "__main__":
    main()
