# The stdio transport: newline-delimited JSON-RPC frames on stdin and stdout, nothing else.
#
# Rules for this module:
#   * Framing only. A frame is one line: the bytes between two "\n", with one trailing "\r"
#     removed. Nothing here decodes JSON, reads a method or an id; the session layer does.
#     Bytes that are not UTF-8 or not JSON are delivered as they are (the protocol layer
#     answers them with a parse error).
#   * Inbound (`StdioTransport.start(sink)`): every non-blank line goes to `sink.frame(bytes)`
#     in order; at EOF, on a read error, when the outbox loses stdout, or on `close()`,
#     `sink.closed()` is called exactly once and nothing is delivered after it. A final line
#     without "\n" is delivered at EOF; after a read error a partial line is dropped.
#   * Bounded input: a line longer than `max_frame_size` is never buffered whole. Once it is
#     known to be too long it is discarded up to the next "\n", and `on_oversized(size)` is
#     called once for it, in order with the frames around it (`size` is the number of bytes
#     of the line seen at that point: a lower bound when the line was still arriving). The
#     session answers it with `frame_too_large_error()` (-32700, no id).
#   * Outbound (`StdioOutbox`): `send` appends to an ordered buffer and never blocks; one
#     writer task writes the buffer in order and waits for the peer (backpressure). More than
#     `max_queued_bytes` queued means the peer is not reading: the outbox drops the buffer,
#     closes stdout, logs an error and reports it (`on_lost`), and the transport then ends
#     the session (`sink.closed()`). `close()` flushes, bounded by `close_timeout`. A frame
#     with a raw "\n" or "\r", or an empty one, is a bug in the caller: `ValueError`.
#   * Sources and sinks: an `asyncio.StreamReader`/`StreamWriter` (tests, embedding), or a
#     file descriptor (default 0 and 1). Pipes and sockets are read and written on the loop
#     (`connect_read_pipe`/`connect_write_pipe`, which make the descriptor non-blocking;
#     its blocking mode is restored afterwards). Everything else (regular files, /dev/null,
#     terminals) goes through one daemon thread per direction that hands data to the loop
#     with `call_soon_threadsafe`: regular files and /dev/null cannot be polled by epoll, and a
#     terminal's open file is usually shared with stderr, which must stay blocking. A stdout
#     that is the same file as stderr (`2>&1`) is written from a thread for the same reason.
#     Descriptors passed in are not closed unless `close_fds=True`; 0 and 1 never are.
#   * Stdout carries frames only: serve inside `guard_stdout()` (stray `print()` goes to
#     stderr), log with structlog to stderr (`configure_stderr_logging()`).
#   * Everything but the reader/writer threads runs on the loop that called `start()`.

"""Newline-delimited JSON-RPC framing over stdin/stdout (the MCP stdio transport)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import select
import stat
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final, Protocol

import structlog

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol.errors import ParseError
from fastestmcp.transports.base import FrameSink, RequestId

__all__ = [
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_MAX_FRAME_SIZE",
    "DEFAULT_MAX_QUEUED_BYTES",
    "LineFramer",
    "StdioOutbox",
    "StdioTransport",
    "configure_stderr_logging",
    "frame_too_large_error",
    "guard_stdout",
]

DEFAULT_MAX_FRAME_SIZE: Final = 4 * 1024 * 1024
"""Longest incoming frame, in bytes, without its line ending."""

DEFAULT_MAX_QUEUED_BYTES: Final = 64 * 1024 * 1024
"""Most outgoing bytes waiting for the peer before the connection is closed."""

DEFAULT_CLOSE_TIMEOUT: Final = 10.0
"""Seconds `StdioOutbox.close()` waits for the peer to take what is queued."""

_READ_CHUNK = 64 * 1024
_WRITE_BATCH = 256 * 1024  # coalesce queued frames into writes of about this size
_THREAD_CREDITS = 4  # chunks a reader thread may hand the loop before it waits
_BLANK_START = frozenset(b" \t\r")

# Initial values, not .bind(): binding at import would build the logger from the configuration
# of that moment (structlog's default prints to stdout) instead of the one used when serving.
_log = structlog.get_logger("fastestmcp.transports.stdio", transport="stdio")


# -- framing (sans-IO) -------------------------------------------------------------------------


class LineFramer:
    """Splits a byte stream into newline-delimited frames, with a bound on frame size.

    Feed it chunks as they arrive, cut anywhere; it calls ``on_frame`` with each complete,
    non-blank line (``"\\n"`` and one ``"\\r"`` before it removed) and ``on_oversized`` once
    for each line longer than ``max_frame_size``, which it discards without buffering it.
    Lines holding only spaces, tabs and ``"\\r"`` are blank and skipped. Call `end()` at EOF
    to deliver a final line that has no ``"\\n"``.

    Args:
        on_frame: Called with each frame, in order.
        on_oversized: Called with the number of bytes seen of a too-long line: its length
            when the whole line was at hand, else a lower bound (always > the limit).
        max_frame_size: The longest frame accepted, in bytes.
    """

    __slots__ = ("_buf", "_discarding", "_limit", "_on_frame", "_on_oversized")

    def __init__(
        self,
        on_frame: Callable[[bytes], None],
        on_oversized: Callable[[int], None],
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        if max_frame_size < 1:
            raise ValueError(f"max_frame_size must be at least 1 byte, got {max_frame_size}")
        self._on_frame = on_frame
        self._on_oversized = on_oversized
        self._limit = max_frame_size
        self._buf = bytearray()
        self._discarding = False

    @property
    def max_frame_size(self) -> int:
        """The longest frame accepted, in bytes."""
        return self._limit

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished line held (never more than ``max_frame_size + 1``)."""
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        """Take the next chunk of the stream.

        Args:
            data: Any number of bytes, cut anywhere.
        """
        start = 0
        end = len(data)
        while start < end:
            nl = data.find(b"\n", start)
            if nl < 0:
                self._partial(data, start, end)
                return
            if self._discarding:
                self._discarding = False
            elif self._buf:
                self._buf += memoryview(data)[start:nl]
                line = bytes(self._buf)
                self._buf.clear()
                self._line(line)
            else:
                self._line(data[start:nl])
            start = nl + 1

    def end(self) -> None:
        """The stream ended: deliver a final line that had no ``"\\n"``."""
        if self._discarding:
            self._discarding = False
        elif self._buf:
            line = bytes(self._buf)
            self._buf.clear()
            self._line(line)

    def _partial(self, data: bytes, start: int, end: int) -> None:
        # The rest of `data` is an unfinished line. Keep it only while it can still be a
        # frame: up to `limit` bytes, plus one more when that one is a "\r" (a CRLF line of
        # exactly `limit` bytes).
        if self._discarding:
            return
        total = len(self._buf) + (end - start)
        if total > self._limit + 1 or (total == self._limit + 1 and data[end - 1] != 0x0D):
            self._buf.clear()
            self._discarding = True
            self._on_oversized(total)
            return
        self._buf += memoryview(data)[start:end]

    def _line(self, line: bytes) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line or (line[0] in _BLANK_START and not line.strip(b" \t\r")):
            return
        if len(line) > self._limit:
            self._on_oversized(len(line))
            return
        self._on_frame(line)


def frame_too_large_error(max_frame_size: int) -> bytes:
    """The reply to a discarded oversized frame: a JSON-RPC parse error (-32700) with no id.

    The id of a discarded message is unknown, so it is omitted, as `jsonrpc.error_response`
    does for every error without an id.

    Args:
        max_frame_size: The limit the frame exceeded, named in the message.

    Returns:
        One encoded frame, without a line ending, ready for `Outbox.send`.
    """
    exc = ParseError(
        f"Parse error: the message is longer than this server's limit of {max_frame_size} "
        "bytes and was discarded; send smaller messages (split large payloads) or raise "
        "the server's max_frame_size"
    )
    return jsonrpc.encode(jsonrpc.error_response(exc))


# -- stdout and logging hygiene ----------------------------------------------------------------


@contextlib.contextmanager
def guard_stdout(*, fd_level: bool = False) -> Iterator[int]:
    """Keep stdout for frames while serving: stray writes go to stderr instead.

    Inside the block ``sys.stdout`` is ``sys.stderr``, so ``print()`` and other writes
    through ``sys.stdout`` (also ``sys.stdout.buffer``) in user code land on stderr. It
    does not catch writes that bypass ``sys.stdout``: ``os.write(1, ...)``, C extensions
    writing to fd 1, ``sys.__stdout__``, child processes that inherit fd 1, and stream
    objects captured before the block (a ``logging.StreamHandler(sys.stdout)`` made
    earlier). With ``fd_level=True`` fd 1 itself is pointed at stderr (``dup2``) for the
    duration, which catches all of those too, and the frames go to a private duplicate of
    the original fd 1: the descriptor this yields. Process-wide either way; restored on exit.

    Args:
        fd_level: Also redirect file descriptor 1 (see above).

    Yields:
        The file descriptor to write frames to: 1, or the duplicate with ``fd_level``.
    """
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    saved = sys.stdout
    frames_fd = 1
    if fd_level:
        frames_fd = os.dup(1)
        os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        yield frames_fd
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stdout = saved
        if fd_level:
            os.dup2(frames_fd, 1)
            os.close(frames_fd)


def configure_stderr_logging(level: int = logging.INFO) -> bool:
    """Send structlog output to stderr, unless the application configured structlog itself.

    structlog's unconfigured default prints to ``sys.stdout``: outside `guard_stdout` that
    corrupts the stdio stream. Call this before serving on stdio; it does nothing when
    ``structlog.is_configured()`` (the application's configuration wins, wherever it logs).

    Args:
        level: The lowest level logged (a `logging` level).

    Returns:
        True if this call configured structlog, False if it was already configured.
    """
    if structlog.is_configured():
        return False
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.dev.set_exc_info,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=_isatty(sys.stderr)),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    return True


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except Exception:
        return False


# -- inbound -----------------------------------------------------------------------------------


def _pipe_file(fd: int, mode: str, *, owned: bool) -> io.FileIO:
    """A file object for an asyncio pipe transport, which closes it when done: the
    descriptor itself when it is ours, else a duplicate (the original stays open)."""
    return io.FileIO(fd if owned else os.dup(fd), mode, closefd=True)


def _polled_on_loop(fd: int) -> bool:
    """Whether the loop can watch ``fd`` (a pipe or a socket), else a thread serves it."""
    mode = os.fstat(fd).st_mode  # raises OSError for a bad descriptor
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class _Reader:
    """Reads one source into a `LineFramer` and reports to a `FrameSink`."""

    def __init__(
        self,
        source: int | asyncio.StreamReader,
        sink: FrameSink,
        *,
        owns_fd: bool,
        max_frame_size: int,
        on_oversized: Callable[[int], None] | None,
    ) -> None:
        self._source = source
        self._sink = sink
        self._owns_fd = owns_fd
        self._on_oversized_cb = on_oversized
        self._framer = LineFramer(self._deliver, self._oversized, max_frame_size)
        self._ended = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None  # the StreamReader pump
        self._connecting: asyncio.Task[None] | None = None  # connect_read_pipe, not cancelled
        self._pipe: asyncio.ReadTransport | None = None
        self._thread: _ReaderThread | None = None
        self._released = asyncio.Event()

    @property
    def ended(self) -> bool:
        return self._ended

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        source = self._source
        if isinstance(source, asyncio.StreamReader):
            self._task = loop.create_task(self._pump(source), name="stdio-reader")
            self._task.add_done_callback(lambda _: self._released.set())
        elif _polled_on_loop(source):
            self._connecting = loop.create_task(self._connect_pipe(source), name="stdio-reader")
        else:
            self._start_thread(source)

    def close(self) -> None:
        """Stop reading; the sink is told `closed()` if it was not already."""
        self._finish(None, deliver_rest=False)

    async def wait_released(self) -> None:
        await self._released.wait()

    # -- the three kinds of source -------------------------------------------------------------

    async def _pump(self, reader: asyncio.StreamReader) -> None:
        while not self._ended:
            try:
                data = await reader.read(_READ_CHUNK)
            except Exception as exc:
                self._finish(exc, deliver_rest=False)
                return
            if not data:
                self._finish(None, deliver_rest=True)
                return
            self._framer.feed(data)

    async def _connect_pipe(self, fd: int) -> None:
        assert self._loop is not None
        was_blocking = os.get_blocking(fd)
        pipe = _pipe_file(fd, "rb", owned=self._owns_fd)

        def released() -> None:
            if not self._owns_fd:
                with contextlib.suppress(OSError):
                    os.set_blocking(fd, was_blocking)
            self._released.set()

        try:
            transport, _ = await self._loop.connect_read_pipe(
                lambda: _ReadProtocol(self, released), pipe
            )
        except Exception as exc:
            pipe.close()
            released()
            self._finish(exc, deliver_rest=False)
            return
        # asyncio reads a pipe up to 256 KiB at a time: a buffer above malloc's mmap threshold,
        # so every read maps and unmaps one (measured ~18 us per read against ~1 us; a third
        # of the server's CPU per `tools/call` over stdio). Our reader thread's chunk is below.
        if getattr(transport, "max_size", 0) > _READ_CHUNK:
            transport.max_size = _READ_CHUNK  # type: ignore[attr-defined]
        self._pipe = transport
        if self._ended:
            transport.close()

    def _start_thread(self, fd: int) -> None:
        assert self._loop is not None
        self._thread = _ReaderThread(fd, self._loop, self._thread_data, self._finish_from_thread)
        self._thread.start(owns_fd=self._owns_fd)
        self._released.set()  # the thread may sit in read() until EOF; nothing to wait for

    def _thread_data(self, data: bytes) -> None:
        try:
            if not self._ended:
                self._framer.feed(data)
        finally:
            if self._thread is not None:
                self._thread.credit()

    def _finish_from_thread(self, exc: BaseException | None) -> None:
        self._finish(exc, deliver_rest=exc is None)

    # -- events --------------------------------------------------------------------------------

    def _pipe_data(self, data: bytes) -> None:
        if not self._ended:
            self._framer.feed(data)

    def _finish(self, exc: BaseException | None, *, deliver_rest: bool) -> None:
        if self._ended:
            return
        if deliver_rest:
            self._framer.end()
        self._ended = True
        if exc is not None:
            _log.warning("reading stdin failed; ending the session", error=repr(exc))
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        if self._pipe is not None:
            self._pipe.close()
        if self._thread is not None:
            self._thread.stop()
        try:
            self._sink.closed()
        except Exception:
            _log.exception("the session failed to handle the end of stdin")

    def _deliver(self, frame: bytes) -> None:
        if self._ended:
            return
        try:
            self._sink.frame(frame)
        except Exception:
            _log.exception("the session failed to take an incoming frame; it was dropped")

    def _oversized(self, size: int) -> None:
        if self._ended:
            return
        limit = self._framer.max_frame_size
        callback = self._on_oversized_cb
        if callback is None:
            _log.warning(
                "discarded an incoming message longer than max_frame_size; no reply was sent",
                size_at_least=size,
                max_frame_size=limit,
            )
            return
        try:
            callback(size)
        except Exception:
            _log.exception("on_oversized failed", size_at_least=size, max_frame_size=limit)


class _ReadProtocol(asyncio.Protocol):
    def __init__(self, reader: _Reader, released: Callable[[], None]) -> None:
        self._reader = reader
        self._released = released

    def data_received(self, data: bytes) -> None:
        self._reader._pipe_data(data)

    def eof_received(self) -> bool | None:
        self._reader._finish(None, deliver_rest=True)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._reader._finish(exc, deliver_rest=exc is None)
        self._released()


class _ReaderThread:
    """Blocking reads on a daemon thread, handed to the loop a few chunks at a time."""

    def __init__(
        self,
        fd: int,
        loop: asyncio.AbstractEventLoop,
        on_data: Callable[[bytes], None],
        on_end: Callable[[BaseException | None], None],
    ) -> None:
        self._fd = fd
        self._loop = loop
        self._on_data = on_data
        self._on_end = on_end
        self._stopping = threading.Event()
        self._credits = threading.Semaphore(_THREAD_CREDITS)

    def start(self, *, owns_fd: bool) -> None:
        thread = threading.Thread(
            target=self._run, args=(owns_fd,), name="fastestmcp-stdio-reader", daemon=True
        )
        thread.start()

    def credit(self) -> None:
        self._credits.release()

    def stop(self) -> None:
        # A read() in progress cannot be interrupted; the thread exits when it returns.
        self._stopping.set()
        self._credits.release()

    def _run(self, owns_fd: bool) -> None:
        try:
            self._read_until_end()
        except Exception as exc:  # a read error, or anything else: the input is over
            self._post(self._on_end, exc)
        finally:
            if owns_fd:
                with contextlib.suppress(OSError):
                    os.close(self._fd)

    def _read_until_end(self) -> None:
        while True:
            self._credits.acquire()
            if self._stopping.is_set():
                return
            try:
                data = os.read(self._fd, _READ_CHUNK)
            except BlockingIOError:  # someone made the descriptor non-blocking
                self._credits.release()
                select.select([self._fd], [], [])
                continue
            if self._stopping.is_set():
                return
            if not data:
                self._post(self._on_end, None)
                return
            self._post(self._on_data, data)

    def _post(self, fn: Callable[[Any], None], arg: object) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, arg)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stopping.set()


# -- outbound ----------------------------------------------------------------------------------


class _Writer(Protocol):
    async def write(self, data: bytes) -> None: ...

    async def aclose(self) -> None: ...

    def abort(self) -> None: ...


class _StreamWriterOut:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def aclose(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()

    def abort(self) -> None:
        self._writer.transport.abort()


class _WriteProtocol(asyncio.BaseProtocol):
    def __init__(self, loop: asyncio.AbstractEventLoop, on_lost: Callable[[Exception], None]):
        self._loop = loop
        self._on_lost = on_lost
        self._paused = False
        self._resume: asyncio.Future[None] | None = None
        self.error: Exception | None = None
        self.lost = loop.create_future()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.lost.done():
            return
        self.lost.set_result(None)
        self.error = exc or BrokenPipeError("stdout was closed")
        self._wake()
        self._on_lost(self.error)

    async def drain(self) -> None:
        if self.error is not None:
            raise self.error
        if not self._paused:
            return
        self._resume = self._loop.create_future()
        await self._resume
        if self.error is not None:
            raise self.error

    def _wake(self) -> None:
        if self._resume is not None and not self._resume.done():
            self._resume.set_result(None)


class _PipeOut:
    def __init__(
        self,
        transport: asyncio.WriteTransport,
        protocol: _WriteProtocol,
        restore: Callable[[], None],
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        self._restore = restore

    async def write(self, data: bytes) -> None:
        if self._protocol.error is not None:
            raise self._protocol.error
        self._transport.write(data)
        await self._protocol.drain()

    def write_now(self, data: bytes) -> bool:
        """Write if the pipe takes it without waiting (not paused, not failed); else False."""
        protocol = self._protocol
        if protocol.error is not None or protocol.paused:
            return False
        self._transport.write(data)
        return True

    async def aclose(self) -> None:
        self._transport.close()  # writes what the transport holds, then closes
        try:
            await self._protocol.lost
        finally:
            self._restore()

    def abort(self) -> None:
        self._transport.abort()
        self._restore()


class _ThreadOut:
    """Blocking writes on a daemon thread, one batch at a time, in order."""

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop, *, owns_fd: bool) -> None:
        self._fd = fd
        self._loop = loop
        self._owns_fd = owns_fd
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._job: tuple[bytes | None, asyncio.Future[None]] | None = None
        self._stopping = False
        threading.Thread(target=self._run, name="fastestmcp-stdio-writer", daemon=True).start()

    async def write(self, data: bytes) -> None:
        await self._submit(data)

    async def aclose(self) -> None:
        await self._submit(None)

    def abort(self) -> None:
        with self._lock:
            self._stopping = True
            self._ready.notify()

    async def _submit(self, data: bytes | None) -> None:
        done: asyncio.Future[None] = self._loop.create_future()
        with self._lock:
            self._job = (data, done)
            self._ready.notify()
        await done

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while self._job is None and not self._stopping:
                        self._ready.wait()
                    if self._stopping:
                        return
                    assert self._job is not None
                    data, done = self._job
                    self._job = None
                if data is None:
                    self._resolve(done, None)
                    return
                try:
                    _write_all(self._fd, data)
                except Exception as exc:
                    self._resolve(done, exc)
                    return
                self._resolve(done, None)
        finally:
            if self._owns_fd:
                with contextlib.suppress(OSError):
                    os.close(self._fd)

    def _resolve(self, done: asyncio.Future[None], exc: Exception | None) -> None:
        def settle() -> None:
            if done.done():
                return
            if exc is None:
                done.set_result(None)
            else:
                done.set_exception(exc)

        with contextlib.suppress(RuntimeError):  # the loop is closed
            self._loop.call_soon_threadsafe(settle)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:  # someone made the descriptor non-blocking
            select.select([], [fd], [])
            continue
        view = view[written:]


_NEW, _RUNNING, _CLOSING, _CLOSED = "new", "running", "closing", "closed"


class StdioOutbox:
    """An `Outbox` writing newline-delimited frames to stdout (or any descriptor or stream).

    `send` queues ``frame + b"\\n"`` and returns at once; one writer task, started by
    `start()`, writes the queue in order, several frames per write when they pile up, and
    waits while the peer is not reading. Frames sent before `start()` wait for it.

    Args:
        stdout: A file descriptor (default 1) or an `asyncio.StreamWriter`.
        close_fd: Close the descriptor at the end (so the peer sees EOF). Never for 1.
        max_queued_bytes: Most bytes waiting for the peer; past it the peer is taken as
            gone: the queue is dropped, the output closed, the loss logged and reported.
        close_timeout: Seconds `close()` may take to flush before the output is aborted
            (None: wait as long as the peer takes).
    """

    def __init__(
        self,
        stdout: int | asyncio.StreamWriter = 1,
        *,
        close_fd: bool = False,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        close_timeout: float | None = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        if max_queued_bytes < 1:
            raise ValueError(f"max_queued_bytes must be at least 1, got {max_queued_bytes}")
        if close_timeout is not None and close_timeout < 0:
            raise ValueError(f"close_timeout must be >= 0 or None, got {close_timeout}")
        self._target = stdout
        self._owns_fd = close_fd and stdout != 1 and isinstance(stdout, int)
        self._max_queued = max_queued_bytes
        self._close_timeout = close_timeout
        self._frames: deque[bytes] = deque()
        self._queued = 0
        self._state = _NEW
        self._on_lost: Callable[[], None] | None = None
        self._wakeup = asyncio.Event()
        self._finished = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._out: _Writer | None = None
        self._direct: _PipeOut | None = None  # set while the writer is parked on an empty queue
        self._close_timer: asyncio.TimerHandle | None = None
        self.lost_reason: str | None = None
        """Why the output ended early (None while it has not, or after a clean close)."""

    # -- the Outbox contract -------------------------------------------------------------------

    def send(self, frame: bytes, related_request: RequestId | None = None) -> None:
        """Queue one frame; it is written with a ``"\\n"`` after it. Never blocks.

        Frames sent after `close()`, or after the output was lost, are dropped.

        Args:
            frame: One complete JSON-RPC message, with no raw newline in it.
            related_request: Ignored: stdio has a single stream.

        Raises:
            ValueError: ``frame`` is empty or holds a raw ``"\\n"`` or ``"\\r"``, which
                would split it on the wire (a JSON encoder never writes one inside a
                string; pretty-printed JSON must not be sent).
        """
        if b"\n" in frame or b"\r" in frame or not frame:
            raise ValueError(
                "an outgoing stdio frame must be one line of JSON: got "
                + ("an empty frame" if not frame else "a frame containing a raw newline")
                + "; encode messages compactly (jsonrpc.encode) and send them one at a time"
            )
        if self._state is not _NEW and self._state is not _RUNNING:
            return
        # Nothing queued and the writer parked: hand the frame to the pipe now, in order, and
        # save the writer's wake-up (a loop iteration per frame). A pipe that is paused or
        # failed declines, and the frame takes the queue.
        direct = self._direct
        if direct is not None and not self._frames and direct.write_now(frame + b"\n"):
            return
        size = len(frame) + 1
        if self._queued + size > self._max_queued:
            self._fail(
                f"the peer is not reading stdout: {self._queued + size} bytes would be "
                f"queued, more than max_queued_bytes={self._max_queued}"
            )
            return
        self._frames.append(frame)
        self._queued += size
        self._wakeup.set()

    def close(self) -> None:
        """No more frames: flush what is queued (within ``close_timeout``), then close."""
        if self._state is _NEW or self._state is _RUNNING:
            started = self._state is _RUNNING
            self._state = _CLOSING
            self._wakeup.set()
            if started:
                self._arm_close_timer()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, *, on_lost: Callable[[], None] | None = None) -> None:
        """Start writing, on the running loop.

        Args:
            on_lost: Called once if the output ends without `close()`: the queue bound was
                exceeded, a write failed, or the peer closed its end.

        Raises:
            RuntimeError: No running loop, or already started.
            OSError: ``stdout`` is not an open file descriptor.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not None:
            raise RuntimeError("StdioOutbox.start() was already called")
        polled = False
        if isinstance(self._target, int):
            polled = _polled_on_loop(self._target) and not _same_file(self._target, 2)
        self._loop = loop
        self._on_lost = on_lost
        closing = self._state is _CLOSING
        if self._state is _NEW:
            self._state = _RUNNING
        if closing:
            self._arm_close_timer()
        if self._state is _CLOSED:  # lost before start (overflowed): nothing to write
            self._finished.set()
            return
        self._task = loop.create_task(self._run(polled), name="stdio-writer")

    @property
    def closed(self) -> bool:
        """True once the output is closed or lost (frames sent now are dropped)."""
        return self._state is _CLOSED

    @property
    def queued_bytes(self) -> int:
        """Bytes sent but not yet taken by the peer (line endings included)."""
        return self._queued

    async def wait_closed(self) -> None:
        """Wait until the output is closed (after `close()`) or lost."""
        await self._finished.wait()

    def abort(self) -> None:
        """Drop what is queued and close the output now."""
        self._end()

    # -- internals -----------------------------------------------------------------------------

    async def _run(self, polled: bool) -> None:
        try:
            self._out = out = await self._open(polled)
            while True:
                if not self._frames:
                    if self._state is not _RUNNING:
                        break
                    self._wakeup.clear()
                    self._direct = out if isinstance(out, _PipeOut) else None
                    try:
                        await self._wakeup.wait()
                    finally:
                        self._direct = None
                    continue
                data = self._take()
                await out.write(data)
                self._queued -= len(data)
            await out.aclose()
            self._out = None  # closed cleanly: nothing left to abort
        except asyncio.CancelledError:
            if self._state is not _CLOSED:
                raise
            return
        except Exception as exc:
            self._fail(f"writing stdout failed: {exc!r}")
            return
        self._end()

    async def _open(self, polled: bool) -> _Writer:
        assert self._loop is not None
        target = self._target
        if isinstance(target, asyncio.StreamWriter):
            return _StreamWriterOut(target)
        if not polled:
            return _ThreadOut(target, self._loop, owns_fd=self._owns_fd)
        was_blocking = os.get_blocking(target)
        pipe = _pipe_file(target, "wb", owned=self._owns_fd)

        def restore() -> None:
            if not self._owns_fd:
                with contextlib.suppress(OSError):
                    os.set_blocking(target, was_blocking)

        try:
            transport, protocol = await self._loop.connect_write_pipe(
                lambda: _WriteProtocol(self._loop_checked(), self._peer_gone), pipe
            )
        except BaseException:
            pipe.close()
            restore()
            raise
        return _PipeOut(transport, protocol, restore)

    def _loop_checked(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    def _take(self) -> bytes:
        frames = self._frames
        first = frames.popleft()
        if not frames or len(first) >= _WRITE_BATCH:
            return first + b"\n"
        batch = [first]
        size = len(first)
        while frames and size < _WRITE_BATCH:
            frame = frames.popleft()
            batch.append(frame)
            size += len(frame) + 1
        batch.append(b"")
        return b"\n".join(batch)

    def _arm_close_timer(self) -> None:
        if self._close_timeout is None or self._loop is None or self._close_timer is not None:
            return
        self._close_timer = self._loop.call_later(self._close_timeout, self._close_timed_out)

    def _close_timed_out(self) -> None:
        if self._state is _CLOSED:
            return
        _log.warning(
            "stdout was not flushed within close_timeout; dropping the rest",
            close_timeout=self._close_timeout,
            queued_bytes=self._queued,
        )
        self.lost_reason = "close_timeout expired before the peer read everything"
        self._end()

    def _peer_gone(self, exc: Exception) -> None:
        # Also called when the outbox itself closed or aborted the pipe: only a loss while
        # running is news.
        if self._state is _RUNNING:
            self._fail(f"stdout was closed by the peer: {exc!r}")

    def _fail(self, reason: str) -> None:
        if self._state is _CLOSED:
            return
        report = self._state is not _CLOSING
        _log.error("closing the stdio connection", reason=reason)
        self.lost_reason = reason
        self._end()
        if report and self._on_lost is not None:
            try:
                self._on_lost()
            except Exception:
                _log.exception("on_lost failed")

    def _end(self) -> None:
        if self._state is _CLOSED:
            return
        self._state = _CLOSED
        self._frames.clear()
        self._queued = 0
        if self._close_timer is not None:
            self._close_timer.cancel()
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        out, self._out = self._out, None
        if out is not None:
            out.abort()
        elif task is None and self._owns_fd and isinstance(self._target, int):
            with contextlib.suppress(OSError):  # never opened: the descriptor is still ours
                os.close(self._target)
        self._finished.set()


def _same_file(fd: int, other: int) -> bool:
    try:
        a, b = os.fstat(fd), os.fstat(other)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


# -- the transport -----------------------------------------------------------------------------


class StdioTransport:
    """One stdio connection: frames from ``stdin`` to a `FrameSink`, `outbox` to ``stdout``.

    Build it, hand `outbox` to the session, then `start()` it with the session as the sink,
    on the loop that runs the session::

        transport = StdioTransport()
        session = Session(outbox=transport.outbox)   # whatever the session layer provides
        transport.start(session, on_oversized=lambda size: transport.outbox.send(
            frame_too_large_error(transport.max_frame_size)))

    The transport calls ``sink.closed()`` once: at EOF or a read error on stdin, when the
    outbox loses stdout (the peer stopped reading or closed it), or on `close()`. It does
    not close the outbox at EOF: the session may still answer, then calls
    ``outbox.close()``.

    Args:
        stdin: A file descriptor (default 0) or an `asyncio.StreamReader`.
        stdout: A file descriptor (default 1) or an `asyncio.StreamWriter`.
        close_fds: Close descriptors passed in when done (0 and 1 are never closed).
        max_frame_size: Longest incoming frame, in bytes.
        max_queued_bytes: Outgoing bound, see `StdioOutbox`.
        close_timeout: Flush bound of ``outbox.close()``, see `StdioOutbox`.
    """

    def __init__(
        self,
        stdin: int | asyncio.StreamReader | None = None,
        stdout: int | asyncio.StreamWriter | None = None,
        *,
        close_fds: bool = False,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        close_timeout: float | None = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        if max_frame_size < 1:
            raise ValueError(f"max_frame_size must be at least 1 byte, got {max_frame_size}")
        self._stdin: int | asyncio.StreamReader = 0 if stdin is None else stdin
        self._owns_stdin = close_fds and isinstance(self._stdin, int) and self._stdin != 0
        self.max_frame_size = max_frame_size
        self.outbox = StdioOutbox(
            1 if stdout is None else stdout,
            close_fd=close_fds,
            max_queued_bytes=max_queued_bytes,
            close_timeout=close_timeout,
        )
        self._reader: _Reader | None = None

    def start(self, sink: FrameSink, *, on_oversized: Callable[[int], None] | None = None) -> None:
        """Start reading into ``sink`` and writing the outbox, on the running loop.

        Args:
            sink: Gets every incoming frame, then ``closed()`` once.
            on_oversized: Called once per discarded too-long line with the bytes seen of it
                (see `LineFramer`); answer it with `frame_too_large_error`. When None the
                transport only logs a warning.

        Raises:
            RuntimeError: No running loop, or already started.
            OSError: ``stdin`` or ``stdout`` is not an open file descriptor.
        """
        loop = asyncio.get_running_loop()
        if self._reader is not None:
            raise RuntimeError("StdioTransport.start() was already called")
        reader = _Reader(
            self._stdin,
            sink,
            owns_fd=self._owns_stdin,
            max_frame_size=self.max_frame_size,
            on_oversized=on_oversized,
        )
        reader.start(loop)
        self._reader = reader
        try:
            self.outbox.start(on_lost=self._output_lost)
        except BaseException:
            reader.close()
            raise

    @property
    def input_closed(self) -> bool:
        """True once ``sink.closed()`` was called."""
        return self._reader is not None and self._reader.ended

    def close(self) -> None:
        """Stop reading (``sink.closed()``, if not yet) and close the outbox (it flushes)."""
        if self._reader is not None:
            self._reader.close()
        self.outbox.close()

    async def wait_closed(self) -> None:
        """Wait until the input is released and the outbox is closed or lost."""
        if self._reader is not None:
            await self._reader.wait_released()
        await self.outbox.wait_closed()

    def _output_lost(self) -> None:
        if self._reader is not None:
            self._reader.close()
