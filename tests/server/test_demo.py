"""The README's demo command: a scripted client drives the example server over stdio."""

from __future__ import annotations

import subprocess
import sys


def test_demo_drives_the_example_server_over_stdio() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fastestmcp.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "connected to fastestmcp-demo (protocol 2025-11-25)" in out
    assert '-> {"result": 42.0}' in out
    assert '-> {"result": ["buy milk", "call Ada"]}' in out  # session state across calls
    assert "<- server asks elicitation/create" in out
    assert "feeling curious; tip: read the supervision tree" in out
    assert '"isError": true' in out
    assert '"text": "144"' in out
    assert "Write a formal greeting for Ada." in out
    assert '"code": -32602' in out
    assert "server exited with code 0 after stdin closed" in out
