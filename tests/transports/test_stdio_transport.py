"""StdioTransport and StdioOutbox in process: streams, pipes, files, /dev/null, the runtime."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import structlog
from structlog.testing import capture_logs

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import PARSE_ERROR
from fastestmcp.transports.base import FrameSink, Outbox
from fastestmcp.transports.stdio import (
    StdioOutbox,
    StdioTransport,
    configure_stderr_logging,
    frame_too_large_error,
    guard_stdout,
)
from supervisors import Runtime

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


class Recorder:
    """A FrameSink that records what it gets, from any thread."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed_calls = 0
        self.threads: set[int] = set()
        self.done = threading.Event()

    def frame(self, data: bytes) -> None:
        self.threads.add(threading.get_ident())
        self.frames.append(data)

    def closed(self) -> None:
        self.threads.add(threading.get_ident())
        self.closed_calls += 1
        self.done.set()

    async def wait(self, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.done.is_set():
            assert asyncio.get_running_loop().time() < deadline, "sink.closed() never came"
            await asyncio.sleep(0.005)


@contextlib.contextmanager
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    try:
        yield r, w
    finally:
        for fd in (r, w):
            with contextlib.suppress(OSError):
                os.close(fd)


def fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def read_all(fd: int, into: bytearray) -> threading.Thread:
    def loop() -> None:
        while chunk := os.read(fd, 65536):
            into.extend(chunk)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_protocol_conformance() -> None:
    sink: FrameSink = Recorder()
    outbox: Outbox = StdioOutbox()
    assert sink is not None
    assert outbox is not None


# -- reading -----------------------------------------------------------------------------------


def test_stream_reader_frames_then_eof_closes_once() -> None:
    async def main() -> Recorder:
        reader = asyncio.StreamReader()
        sink = Recorder()
        transport = StdioTransport(stdin=reader, stdout=_null_writer(), close_fds=True)
        transport.start(sink)
        reader.feed_data(b'{"a":1}\n{"b"')
        await asyncio.sleep(0.01)
        assert sink.frames == [b'{"a":1}']
        reader.feed_data(b":2}\r\n\n")
        reader.feed_data(b'{"c":3}')
        reader.feed_eof()
        await sink.wait()
        transport.close()
        await transport.wait_closed()
        assert transport.input_closed
        return sink

    sink = run(main)
    assert sink.frames == [b'{"a":1}', b'{"b":2}', b'{"c":3}']
    assert sink.closed_calls == 1


def _null_writer() -> int:
    return os.open(os.devnull, os.O_WRONLY)


def test_close_before_eof_closes_once_and_drops_the_rest() -> None:
    async def main() -> Recorder:
        reader = asyncio.StreamReader()
        sink = Recorder()
        transport = StdioTransport(stdin=reader, stdout=_null_writer(), close_fds=True)
        transport.start(sink)
        reader.feed_data(b"one\ntwo")
        await asyncio.sleep(0.01)
        transport.close()
        reader.feed_data(b"\nthree\n")
        reader.feed_eof()
        await transport.wait_closed()
        await asyncio.sleep(0.01)
        return sink

    sink = run(main)
    assert sink.frames == [b"one"]
    assert sink.closed_calls == 1


def test_read_error_closes_once_and_drops_the_partial_line() -> None:
    async def main() -> Recorder:
        reader = asyncio.StreamReader()
        sink = Recorder()
        transport = StdioTransport(stdin=reader, stdout=_null_writer(), close_fds=True)
        transport.start(sink)
        reader.feed_data(b"one\npartial")
        await asyncio.sleep(0.01)
        reader.set_exception(ConnectionResetError("gone"))
        await sink.wait()
        transport.close()
        await transport.wait_closed()
        return sink

    with capture_logs() as logs:
        sink = run(main)
    assert sink.frames == [b"one"]
    assert sink.closed_calls == 1
    assert any("reading stdin failed" in e["event"] for e in logs)


def test_a_failing_sink_does_not_stop_the_stream() -> None:
    class Picky(Recorder):
        def frame(self, data: bytes) -> None:
            if data == b"bad":
                raise RuntimeError("session bug")
            super().frame(data)

    async def main() -> Recorder:
        reader = asyncio.StreamReader()
        sink = Picky()
        transport = StdioTransport(stdin=reader, stdout=_null_writer(), close_fds=True)
        transport.start(sink)
        reader.feed_data(b"one\nbad\ntwo\n")
        reader.feed_eof()
        await sink.wait()
        transport.close()
        await transport.wait_closed()
        return sink

    with capture_logs() as logs:
        sink = run(main)
    assert sink.frames == [b"one", b"two"]
    assert any("dropped" in e["event"] for e in logs)


def test_oversized_frame_is_reported_in_order_and_answerable() -> None:
    async def main() -> tuple[Recorder, bytes]:
        reader = asyncio.StreamReader()
        sink = Recorder()
        r, w = os.pipe()
        transport = StdioTransport(stdin=reader, stdout=w, close_fds=True, max_frame_size=64)

        def oversized(size: int) -> None:
            assert size > 64
            sink.frames.append(b"<oversized>")
            transport.outbox.send(frame_too_large_error(transport.max_frame_size))

        transport.start(sink, on_oversized=oversized)
        reader.feed_data(b"before\n" + b"x" * 50)
        reader.feed_data(b"x" * 50)
        reader.feed_data(b"x" * 5000 + b"\nafter\n")
        reader.feed_eof()
        await sink.wait()
        transport.close()
        await transport.wait_closed()
        out = os.read(r, 65536)
        os.close(r)
        return sink, out

    sink, out = run(main)
    assert sink.frames == [b"before", b"<oversized>", b"after"]
    reply = jsonrpc.decode_message(out.rstrip(b"\n"))
    assert isinstance(reply, jsonrpc.ErrorResponse)
    assert reply.error.code == PARSE_ERROR
    assert reply.id is None


def test_oversized_without_callback_is_logged() -> None:
    async def main() -> Recorder:
        reader = asyncio.StreamReader()
        sink = Recorder()
        transport = StdioTransport(
            stdin=reader, stdout=_null_writer(), close_fds=True, max_frame_size=8
        )
        transport.start(sink)
        reader.feed_data(b"0123456789\nok\n")
        reader.feed_eof()
        await sink.wait()
        transport.close()
        await transport.wait_closed()
        return sink

    with capture_logs() as logs:
        sink = run(main)
    assert sink.frames == [b"ok"]
    assert any(e.get("max_frame_size") == 8 for e in logs)


@pytest.mark.parametrize("owned", [False, True])
def test_pipe_fd_on_the_loop(owned: bool) -> None:
    with pipe() as (r, w):

        async def main() -> Recorder:
            sink = Recorder()
            transport = StdioTransport(stdin=r, stdout=_null_writer(), close_fds=owned)
            transport.start(sink)
            os.write(w, b'{"a":1}\n{"b"')
            await asyncio.sleep(0.02)
            os.write(w, b":2}\n")
            os.close(w)
            await sink.wait()
            transport.outbox.close()
            await transport.wait_closed()
            return sink

        assert os.get_blocking(r)
        sink = run(main)
        assert sink.frames == [b'{"a":1}', b'{"b":2}']
        assert sink.closed_calls == 1
        assert fd_is_open(r) is not owned
        if not owned:
            assert os.get_blocking(r), "the blocking mode of a borrowed fd is restored"


def test_regular_file_stdin_uses_a_thread(tmp_path: Path) -> None:
    lines = [b'{"n":%d}' % i for i in range(20000)]  # several chunks, flow-controlled
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines))  # no final newline
    fd = os.open(path, os.O_RDONLY)

    async def main() -> Recorder:
        sink = Recorder()
        transport = StdioTransport(stdin=fd, stdout=_null_writer(), close_fds=True)
        transport.start(sink)
        await sink.wait()
        transport.outbox.close()
        await transport.wait_closed()
        return sink

    sink = run(main)
    assert sink.frames == lines
    assert sink.closed_calls == 1
    assert sink.threads == {threading.get_ident()}  # delivered on the loop thread
    for _ in range(100):
        if not fd_is_open(fd):
            break
        threading.Event().wait(0.01)
    assert not fd_is_open(fd)


def test_dev_null_stdin_is_eof_at_once() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)

    async def main() -> Recorder:
        sink = Recorder()
        transport = StdioTransport(stdin=fd, stdout=_null_writer(), close_fds=True)
        transport.start(sink)
        await sink.wait(timeout=2.0)
        transport.outbox.close()
        await transport.wait_closed()
        return sink

    sink = run(main)
    assert sink.frames == []
    assert sink.closed_calls == 1


def test_tty_stdin_uses_a_thread_and_stays_blocking() -> None:
    master, slave = pty.openpty()
    null = _null_writer()
    try:

        async def main() -> Recorder:
            sink = Recorder()
            transport = StdioTransport(stdin=slave, stdout=null)
            transport.start(sink)
            os.write(master, b'{"typed":1}\n')
            for _ in range(500):
                if sink.frames:
                    break
                await asyncio.sleep(0.01)
            assert os.get_blocking(slave)
            transport.close()
            await transport.wait_closed()
            return sink

        sink = run(main)
        assert sink.frames == [b'{"typed":1}']
        assert sink.closed_calls == 1
    finally:
        os.close(master)  # the reader thread's read() returns; the thread exits
        os.close(slave)
        os.close(null)


def test_bad_fd_raises_at_start() -> None:
    bad = next(fd for fd in range(900, 1000) if not fd_is_open(fd))

    async def main() -> None:
        transport = StdioTransport(stdin=bad, stdout=_null_writer(), close_fds=True)
        with pytest.raises(OSError):
            transport.start(Recorder())
        transport = StdioTransport(stdin=asyncio.StreamReader(), stdout=bad)
        with pytest.raises(OSError):
            transport.start(Recorder())
        transport.close()

    run(main)


def test_start_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        StdioTransport().start(Recorder())


def test_on_the_runtime_loop_with_a_pipe_and_a_file(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"file-1\nfile-2\n")
    with pipe() as (r, w), pipe() as (out_r, out_w):
        pipe_sink, file_sink = Recorder(), Recorder()
        t1 = StdioTransport(stdin=r, stdout=out_w)
        t2 = StdioTransport(stdin=os.open(path, os.O_RDONLY), stdout=_null_writer(), close_fds=True)
        runtime.call(lambda: t1.start(pipe_sink))
        runtime.call(lambda: t2.start(file_sink))
        os.write(w, b"pipe-1\n")
        runtime.call(lambda: t1.outbox.send(b'{"reply":1}'))
        assert os.read(out_r, 100) == b'{"reply":1}\n'
        os.close(w)
        assert pipe_sink.done.wait(5)
        assert file_sink.done.wait(5)
        runtime.call(t1.close)
        runtime.call(t2.close)
        runtime.call(t1.wait_closed)
        runtime.call(t2.wait_closed)
    assert pipe_sink.frames == [b"pipe-1"]
    assert file_sink.frames == [b"file-1", b"file-2"]
    assert pipe_sink.closed_calls == file_sink.closed_calls == 1
    loop_thread = runtime.call(threading.get_ident)
    assert pipe_sink.threads == file_sink.threads == {loop_thread}


# -- writing -----------------------------------------------------------------------------------


def test_send_rejects_newlines_and_empty_frames() -> None:
    outbox = StdioOutbox()
    for bad in (b'{"a":\n1}', b'{"a":1}\r', b"\n", b""):
        with pytest.raises(ValueError, match="one line"):
            outbox.send(bad)
    assert outbox.queued_bytes == 0


@pytest.mark.parametrize("target", ["pipe", "file", "stream"])
def test_outbox_keeps_order_under_many_sends(target: str, tmp_path: Path) -> None:
    frames = [
        b'{"jsonrpc":"2.0","method":"n","params":{"i":%d,"pad":"%s"}}' % (i, b"p" * (i % 300))
        for i in range(20000)
    ]
    received = bytearray()

    async def main() -> None:
        reader_thread: threading.Thread | None = None
        if target == "pipe":
            r, w = os.pipe()
            outbox = StdioOutbox(w, close_fd=True)
            reader_thread = read_all(r, received)
        elif target == "file":
            path = tmp_path / "out.jsonl"
            outbox = StdioOutbox(os.open(path, os.O_WRONLY | os.O_CREAT), close_fd=True)
        else:
            a, b = socket.socketpair()
            _, writer = await asyncio.open_connection(sock=a)
            outbox = StdioOutbox(writer)
            reader_thread = read_all(b.detach(), received)
        outbox.send(frames[0])  # before start: queued
        outbox.start()
        for i, frame in enumerate(frames[1:], 1):
            outbox.send(frame, related_request=i)
            if i % 1000 == 0:
                await asyncio.sleep(0)
        outbox.close()
        await outbox.wait_closed()
        assert outbox.lost_reason is None
        assert outbox.queued_bytes == 0
        if reader_thread is not None:
            await asyncio.to_thread(reader_thread.join, 5)
        else:
            received.extend((tmp_path / "out.jsonl").read_bytes())

    run(main, timeout=30)
    assert received.split(b"\n") == [*frames, b""]


def test_backpressure_bound_closes_and_reports() -> None:
    with pipe() as (_r, w):  # nobody reads r

        async def main() -> tuple[int, list[str]]:
            lost: list[str] = []
            outbox = StdioOutbox(w, max_queued_bytes=1024 * 1024)
            outbox.start(on_lost=lambda: lost.append("lost"))
            frame = b"x" * 65535
            sent = 0
            while not outbox.closed and sent < 1000:
                outbox.send(frame)
                sent += 1
                if sent % 4 == 0:
                    await asyncio.sleep(0.001)  # let the writer fill the pipe
                assert outbox.queued_bytes <= 1024 * 1024
            assert outbox.closed
            outbox.send(frame)  # dropped quietly
            await outbox.wait_closed()
            assert outbox.queued_bytes == 0
            return sent, lost

        with capture_logs() as logs:
            sent, lost = run(main)
        assert lost == ["lost"]
        assert sent > 16  # the pipe and the transport took some before the bound hit
        assert any("max_queued_bytes" in str(e.get("reason")) for e in logs)
        assert fd_is_open(w)  # borrowed: not closed
        assert os.get_blocking(w)


def test_backpressure_bound_ends_the_session() -> None:
    with pipe() as (_r, w):

        async def main() -> Recorder:
            reader = asyncio.StreamReader()
            sink = Recorder()
            transport = StdioTransport(stdin=reader, stdout=w, max_queued_bytes=256 * 1024)
            transport.start(sink)
            while not transport.outbox.closed:
                transport.outbox.send(b"y" * 10000)
                await asyncio.sleep(0)
            await sink.wait()
            reader.feed_data(b"late\n")
            await transport.wait_closed()
            return sink

        with capture_logs():
            sink = run(main)
        assert sink.frames == []
        assert sink.closed_calls == 1


def test_close_flushes_then_the_peer_sees_eof() -> None:
    with pipe() as (r, w):
        received = bytearray()

        async def main() -> None:
            outbox = StdioOutbox(w, close_fd=True)
            outbox.start()
            for i in range(100):
                outbox.send(b"%d" % i)
            outbox.close()
            outbox.send(b"after-close")  # dropped
            reader = read_all(r, received)  # returns at EOF only
            await outbox.wait_closed()
            await asyncio.to_thread(reader.join, 5)
            assert not reader.is_alive()

        run(main)
        assert received == b"".join(b"%d\n" % i for i in range(100))


def test_close_is_bounded_when_the_peer_never_reads() -> None:
    with pipe() as (_r, w):

        async def main() -> None:
            lost: list[str] = []
            outbox = StdioOutbox(w, close_timeout=0.2)
            outbox.start(on_lost=lambda: lost.append("lost"))
            for _ in range(10):
                outbox.send(b"z" * 65535)
            await asyncio.sleep(0.05)
            outbox.close()
            await asyncio.wait_for(outbox.wait_closed(), 3)
            assert outbox.closed
            assert outbox.lost_reason is not None
            assert "close_timeout" in outbox.lost_reason
            assert lost == []  # the session asked to close: nothing to report

        with capture_logs():
            run(main)


def test_peer_closing_stdout_is_reported() -> None:
    r, w = os.pipe()

    async def main() -> list[str]:
        lost: list[str] = []
        outbox = StdioOutbox(w, close_fd=True)
        outbox.start(on_lost=lambda: lost.append("lost"))
        outbox.send(b"hello")
        await asyncio.sleep(0.05)
        os.close(r)
        await asyncio.wait_for(outbox.wait_closed(), 3)
        return lost

    with capture_logs() as logs:
        lost = run(main)
    assert lost == ["lost"]
    assert any("closed by the peer" in str(e.get("reason")) for e in logs)


def test_write_error_on_a_thread_written_fd_is_reported(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "ro", os.O_RDONLY | os.O_CREAT)  # a regular file, not writable

    async def main() -> list[str]:
        lost: list[str] = []
        outbox = StdioOutbox(fd, close_fd=True)
        outbox.start(on_lost=lambda: lost.append("lost"))
        outbox.send(b"x")
        await asyncio.wait_for(outbox.wait_closed(), 3)
        return lost

    with capture_logs() as logs:
        assert run(main) == ["lost"]
    assert any("writing stdout failed" in str(e.get("reason")) for e in logs)


def test_outbox_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="max_queued_bytes"):
        StdioOutbox(max_queued_bytes=0)
    with pytest.raises(ValueError, match="close_timeout"):
        StdioOutbox(close_timeout=-1)
    with pytest.raises(ValueError, match="max_frame_size"):
        StdioTransport(max_frame_size=0)


# -- stdout and logging hygiene ----------------------------------------------------------------


def test_guard_stdout_sends_print_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    before = sys.stdout
    with guard_stdout() as fd:
        assert fd == 1
        print("stray")
        sys.stdout.write("more\n")
    assert sys.stdout is before
    print("normal")
    out, err = capsys.readouterr()
    assert out == "normal\n"
    assert err == "stray\nmore\n"


@pytest.fixture
def fresh_structlog() -> Iterator[None]:
    was_configured = structlog.is_configured()
    saved: dict[str, Any] = structlog.get_config()
    structlog.reset_defaults()
    try:
        yield
    finally:
        if was_configured:
            structlog.configure(**saved)
        else:
            structlog.reset_defaults()


@pytest.mark.usefixtures("fresh_structlog")
def test_configure_stderr_logging(capsys: pytest.CaptureFixture[str]) -> None:
    assert configure_stderr_logging() is True
    structlog.get_logger("t").warning("to stderr", k=1)
    assert configure_stderr_logging() is False  # configured: left alone
    out, err = capsys.readouterr()
    assert out == ""
    assert "to stderr" in err


@pytest.mark.usefixtures("fresh_structlog")
def test_configure_stderr_logging_respects_the_application() -> None:
    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    config = structlog.get_config()
    assert configure_stderr_logging() is False
    assert structlog.get_config() == config


@pytest.mark.usefixtures("fresh_structlog")
def test_transport_logs_follow_the_configuration_in_force() -> None:
    # configured after the module was imported: its logger must still use this configuration
    seen: list[dict[str, Any]] = []

    def collect(_logger: Any, _method: str, event: Any) -> Any:
        seen.append(dict(event))
        raise structlog.DropEvent

    structlog.configure(processors=[collect])

    async def main() -> None:
        reader = asyncio.StreamReader()
        transport = StdioTransport(
            stdin=reader, stdout=_null_writer(), close_fds=True, max_frame_size=4
        )
        sink = Recorder()
        transport.start(sink)
        reader.feed_data(b"too long\n")
        reader.feed_eof()
        await sink.wait()
        transport.close()
        await transport.wait_closed()

    run(main)
    assert [e["transport"] for e in seen] == ["stdio"]
    assert seen[0]["max_frame_size"] == 4
