"""The README's demo command: the example server over streamable HTTP, a scripted client on it."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import textwrap
from typing import Any

from fastestmcp.demo.__main__ import sdk_snippet

DEMO = [sys.executable, "-m", "fastestmcp.demo"]
# The demo with Ctrl-C turned into KeyboardInterrupt whatever this process was given: a suite
# started in the background by a shell without job control (`make test &`) runs with SIGINT
# ignored, children inherit that, and the demo would never see the test's Ctrl-C.
DEMO_WITH_CTRL_C = [
    sys.executable,
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('fastestmcp.demo', run_name='__main__', alter_sys=True)",
]
URL = re.compile(
    r"serving the example server over streamable HTTP at (http://127\.0\.0\.1:\d+/mcp)"
)


def run_demo(*args: str) -> str:
    proc = subprocess.run([*DEMO, *args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def assert_results(out: str) -> None:
    """What the scripted client shows, over either transport."""
    assert "connected to fastestmcp-demo (protocol 2025-11-25)" in out
    assert '-> ["add", "remember", "check_in"]' in out
    assert '-> {"result": 42.0}' in out
    assert '-> {"result": ["buy milk", "call Ada"]}' in out  # session state across calls
    assert '<- notifications/message: {"level": "info", "data": "2 note(s)' in out
    assert "<- server asks elicitation/create" in out
    assert "<- server asks sampling/createMessage" in out
    assert "feeling curious; tip: read the supervision tree" in out
    assert '"isError": true' in out  # the validation error
    assert "Served by a supervised session actor." in out
    assert '"text": "144"' in out  # the resource template
    assert "Write a formal greeting for Ada." in out
    assert '{"values": ["friendly", "formal", "funny"]' in out
    assert '"code": -32602' in out  # the unknown tool


def test_demo_serves_over_http_and_drives_it() -> None:
    out = run_demo("--once", "--port", "0")
    match = URL.search(out)
    assert match, out
    url = match[1]
    assert textwrap.indent(sdk_snippet(url), "    ") in out  # run as printed: the test below
    assert "npx @modelcontextprotocol/inspector" in out
    assert f'"Streamable HTTP", paste {url}' in out
    assert "our own client: coming with the client issue" in out
    assert f"raw JSON-RPC POSTs to {url}" in out
    assert_results(out)
    # Over HTTP the server's requests arrive on the call's SSE stream; answers are POSTed.
    assert "<- server asks elicitation/create (on this call's SSE stream)" in out
    assert "-> answered with a POST (202)" in out
    assert "session ended: DELETE -> 204" in out
    assert out.rstrip().endswith("--once: stopping the server")


def test_demo_takes_a_free_port_when_its_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run_demo("--once", "--port", str(port))
    match = URL.search(out)
    assert match, out
    assert f"port {port} is taken: serving on a free port" in out
    assert not match[1].startswith(f"http://127.0.0.1:{port}/")
    assert "session ended: DELETE -> 204" in out


def test_demo_keeps_serving_until_ctrl_c_and_the_sdk_snippet_connects() -> None:
    proc = subprocess.Popen(
        [*DEMO_WITH_CTRL_C, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # bounded by pytest-timeout
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        out = "".join(lines)
        match = URL.search(out)
        assert match, out
        assert f"serving on {match[1]}; Ctrl-C to stop" in out

        # The printed SDK snippet, run as printed, against the demo server still serving.
        namespace: dict[str, Any] = {}
        exec(f"async def connect():\n{textwrap.indent(sdk_snippet(match[1]), '    ')}", namespace)
        asyncio.run(asyncio.wait_for(namespace["connect"](), 30))

        proc.send_signal(signal.SIGINT)
        rest, errors = proc.communicate(timeout=30)
        assert proc.returncode == 0, errors
        assert "stopping the server" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_demo_stdio_drives_the_example_server_as_a_child_process() -> None:
    out = run_demo("--stdio")
    assert URL.search(out) is None
    assert_results(out)
    assert "server exited with code 0 after stdin closed" in out
