"""The stdio transport in a real process, over real stdin/stdout, driven with Popen."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

REPO = Path(__file__).resolve().parents[2]

# An echo server: each frame comes back as {"echo": <frame>}; `"print"` and `"os.write"`
# make stray output the way a careless tool would; `"raise"` makes the transport log an
# error (structlog, after `configure_stderr_logging`); an oversized line gets a parse error.
ECHO_SERVER = """
import asyncio
import os
import sys

from fastestmcp.transports.stdio import (
    StdioTransport,
    configure_stderr_logging,
    frame_too_large_error,
    guard_stdout,
)

FD_LEVEL = "--fd-level" in sys.argv


class Echo:
    def __init__(self, transport, done):
        self.transport = transport
        self.done = done

    def frame(self, data):
        if data == b'"print"':
            print("stray print from a tool")
        if data == b'"os.write"':
            os.write(1, b"stray fd write from a tool\\n")
        if data == b'"raise"':
            raise RuntimeError("a session bug")  # the transport logs it, to stderr
        self.transport.outbox.send(b'{"echo":' + data + b"}")

    def closed(self):
        self.transport.outbox.close()
        self.done.set()


async def main():
    configure_stderr_logging()
    with guard_stdout(fd_level=FD_LEVEL) as frames_fd:
        transport = StdioTransport(stdout=frames_fd, max_frame_size=1024)
        done = asyncio.Event()
        transport.start(
            Echo(transport, done),
            on_oversized=lambda size: transport.outbox.send(frame_too_large_error(1024)),
        )
        await done.wait()
        await transport.wait_closed()
    print("server done", file=sys.stderr)


asyncio.run(main())
"""

TIMEOUT = 10.0


@pytest.fixture
def server_script(tmp_path: Path) -> Path:
    path = tmp_path / "echo_server.py"
    path.write_text(ECHO_SERVER)
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _lines(stream: IO[bytes]) -> queue.Queue[bytes | None]:
    """Read a stream line by line on a thread, so every wait can be bounded."""
    lines: queue.Queue[bytes | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(TIMEOUT)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _start(
    procs: list[subprocess.Popen[bytes]], script: Path, *args: str, **kwargs: object
) -> subprocess.Popen[bytes]:
    options: dict[str, object] = {
        "stdin": subprocess.PIPE,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }
    options.update(kwargs)
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, str(script), *args], env=_env(), **options
    )
    procs.append(proc)
    return proc


@pytest.mark.parametrize("fd_level", [False, True])
def test_echo_over_pipes(
    spawn: list[subprocess.Popen[bytes]], server_script: Path, fd_level: bool
) -> None:
    args = ["--fd-level"] if fd_level else []
    proc = _start(spawn, server_script, *args)
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = _lines(proc.stdout)
    err = _lines(proc.stderr)

    def ask(raw: bytes) -> bytes:
        assert proc.stdin is not None
        proc.stdin.write(raw)
        proc.stdin.flush()
        line = out.get(timeout=TIMEOUT)
        assert line is not None, "the server closed stdout"
        return line

    assert ask(b'{"id":1}\n') == b'{"echo":{"id":1}}\n'
    assert ask(b'{"id":2}\r\n\n\n') == b'{"echo":{"id":2}}\n'
    assert ask(b'"print"\n') == b'{"echo":"print"}\n'
    if fd_level:
        assert ask(b'"os.write"\n') == b'{"echo":"os.write"}\n'
    # a line over the 1024-byte limit is answered with a parse error, then the next works
    reply = json.loads(ask(b'"' + b"x" * 5000 + b'"\n'))
    assert reply["error"]["code"] == -32700
    assert "id" not in reply
    assert ask(b'{"id":3}\n') == b'{"echo":{"id":3}}\n'
    # a failing sink is logged (to stderr) and the next frame is the next line on stdout
    assert ask(b'"raise"\n{"id":4}\n') == b'{"echo":{"id":4}}\n'
    # many frames in one write, the last one without a newline before EOF
    proc.stdin.write(b"".join(b'{"n":%d}\n' % i for i in range(500)) + b'{"last":true}')
    proc.stdin.close()  # EOF: the server ends by itself
    assert proc.wait(TIMEOUT) == 0
    rest = []
    while (line := out.get(timeout=TIMEOUT)) is not None:
        rest.append(line)
    assert rest == [b'{"echo":{"n":%d}}\n' % i for i in range(500)] + [b'{"echo":{"last":true}}\n']
    stderr = []
    while (line := err.get(timeout=TIMEOUT)) is not None:
        stderr.append(line)
    text = b"".join(stderr)
    assert b"stray print from a tool" in text
    assert b"a session bug" in text
    if fd_level:
        assert b"stray fd write from a tool" in text
    assert text.rstrip().endswith(b"server done")


def test_stdin_from_a_file_and_stdout_to_a_file(
    spawn: list[subprocess.Popen[bytes]], server_script: Path, tmp_path: Path
) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(b"".join(b'{"id":%d}\n' % i for i in range(3000)))
    replies = tmp_path / "replies.jsonl"
    with requests.open("rb") as stdin, replies.open("wb") as stdout:
        proc = _start(spawn, server_script, stdin=stdin, stdout=stdout)
        _, stderr = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, stderr
    assert replies.read_bytes() == b"".join(b'{"echo":{"id":%d}}\n' % i for i in range(3000))


def test_stdin_from_dev_null_ends_at_once(
    spawn: list[subprocess.Popen[bytes]], server_script: Path
) -> None:
    proc = _start(spawn, server_script, stdin=subprocess.DEVNULL)
    stdout, stderr = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, stderr
    assert stdout == b""
    assert stderr.rstrip().endswith(b"server done")


def test_client_closing_stdout_ends_the_server(
    spawn: list[subprocess.Popen[bytes]], server_script: Path
) -> None:
    proc = _start(spawn, server_script)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(b'{"id":1}\n')
    proc.stdin.flush()
    assert proc.stdout.readline() == b'{"echo":{"id":1}}\n'
    proc.stdout.close()  # the client stops reading: the server notices and ends its session
    assert proc.wait(TIMEOUT) == 0
