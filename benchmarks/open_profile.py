"""What opening a session costs an HTTP server, request by request: the server's instructions
counted by callgrind (or, with `--cpu`, its CPU time read from /proc) per phase of scenario 5's
opening, on kept-alive connections shared by many sessions, as scenario 5's drivers share them.

Usage:
    python benchmarks/open_profile.py [--kind fastestmcp|canned] [--sessions N]
                                      [--connections N] [--warmup N] [--cpu]

Phases, each over `--sessions` sessions spread over `--connections` connections (each
connection carries one request at a time; after `--warmup` sessions opened to warm up):

- `initialize + initialized`: a new session (`initialize`, then `notifications/initialized`);
- `remember`: the first `remember` of each of those sessions (an async tool, two state
  operations); each request on a connection carries another session's id than the last;
- `echo, sessions rotating`: `tools/call echo`, every request a session other than the last
  on its connection;
- `echo, a session per connection`: the same, each connection keeping one session (its
  request head repeats but for the body length: what the load scenarios measure);
- `opening`: `initialize`, `notifications/initialized` and `remember` on new sessions: what
  scenario 5 counts as one opened session.

`--kind canned` runs the canned responder in fastestmcp's fast lane (`http_bench.py`'s
`canned` kind, variant `lane`): the same requests with no MCP work, the floor under
fastestmcp's `serve()`. Under callgrind a server runs ~50x slower; the count is deterministic
to about 0.3 %. Prints a table (thousands of instructions per operation, or microseconds of
server CPU, user and system, per operation).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import rawhttp
from http_bench import (
    CALLGRIND_START_TIMEOUT,
    MESSAGE,
    CallFailed,
    RawMcpSession,
    Server,
    callgrind_control,
    callgrind_missing,
    callgrind_prefix,
    callgrind_total,
    cpu_split,
)
from stdio import KIND_BY_NAME

Op = Callable[[rawhttp.HttpConnection, int], Awaitable[None]]


class Phases:
    """The server under test and its sessions; each phase runs `sessions` operations."""

    def __init__(self, url: str, port: int, connections: int) -> None:
        self.url = url
        self.conns = [rawhttp.HttpConnection("127.0.0.1", port, 600) for _ in range(connections)]
        self.sessions: list[RawMcpSession] = []
        self.own: dict[rawhttp.HttpConnection, RawMcpSession] = {}

    async def over(self, count: int, op: Op) -> None:
        """`op(connection, i)` for i in range(count), one at a time on each connection."""
        items = iter(range(count))

        async def lane(conn: rawhttp.HttpConnection) -> None:
            for i in items:
                await op(conn, i)

        await asyncio.gather(*(lane(conn) for conn in self.conns))

    def on(self, session: RawMcpSession, conn: rawhttp.HttpConnection) -> RawMcpSession:
        session.conn = conn  # a session's requests go over whichever connection is free
        return session

    async def open(self, conn: rawhttp.HttpConnection, _: int) -> None:
        session = RawMcpSession(self.url, "legacy", conn=conn)
        await session.open()
        self.sessions.append(session)

    async def remember(self, conn: rawhttp.HttpConnection, i: int) -> None:
        await self.on(self.sessions[i], conn).call("remember", {"value": f"v{i}"})

    async def echo(self, conn: rawhttp.HttpConnection, i: int) -> None:
        await self.check_echo(self.on(self.sessions[i], conn))

    async def echo_own(self, conn: rawhttp.HttpConnection, _: int) -> None:
        session = self.own.get(conn)
        if session is None:
            session = self.own[conn] = self.on(self.sessions[len(self.own)], conn)
        await self.check_echo(session)

    async def check_echo(self, session: RawMcpSession) -> None:
        text = await session.call("echo", {"message": MESSAGE})
        if text != MESSAGE:
            raise CallFailed(f"echo answered {text[:80]!r}")

    async def opening(self, conn: rawhttp.HttpConnection, i: int) -> None:
        session = RawMcpSession(self.url, "legacy", conn=conn)
        await session.open()
        await session.call("remember", {"value": f"o{i}"})

    def close(self) -> None:
        for conn in self.conns:
            conn.close()


class Meter:
    """Callgrind's instructions, or /proc's CPU time, of the server between start and stop."""

    def __init__(self, pid: int, folder: Path | None) -> None:
        self.pid = pid
        self.folder = folder  # callgrind's output (None: CPU time)
        self.seen: set[Path] = set()
        self.cpu0 = (0.0, 0.0)

    def start(self) -> None:
        if self.folder is None:
            self.cpu0 = cpu_split(self.pid)
        else:
            self.new_dumps()  # what ran before (the warm-up) is not counted
            callgrind_control(self.pid, "--instr=on")

    def stop(self, name: str, count: int) -> str:
        if self.folder is None:
            user, system = (b - a for a, b in zip(self.cpu0, cpu_split(self.pid), strict=True))
            return f"{(user + system) / count * 1e6:.0f} ({system / count * 1e6:.0f} system)"
        callgrind_control(self.pid, "--instr=off")
        callgrind_control(self.pid, f"--dump={name}")
        return f"{callgrind_total(self.new_dumps()) / count / 1000:,.1f}"

    def new_dumps(self) -> list[Path]:
        assert self.folder is not None
        files = set(self.folder.glob("callgrind.out*")) - self.seen
        self.seen |= files
        return sorted(files)


async def run(args: argparse.Namespace, server: Server, meter: Meter) -> list[tuple[str, str]]:
    phases = Phases(server.url, server.port, args.connections)
    n = args.sessions
    steps: list[tuple[str, Op]] = [
        ("initialize + initialized", phases.open),
        ("remember", phases.remember),
        ("echo, sessions rotating", phases.echo),
        ("echo, a session per connection", phases.echo_own),
        ("opening (all three)", phases.opening),
    ]
    rows = []
    try:
        await phases.over(args.warmup, phases.open)
        await phases.over(args.warmup, phases.remember)
        phases.sessions.clear()
        for name, op in steps:
            meter.start()
            await phases.over(n, op)
            rows.append((name, meter.stop(name.split()[0], n)))
    finally:
        phases.close()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What opening a session costs an HTTP server.")
    parser.add_argument("--kind", choices=["fastestmcp", "canned"], default="fastestmcp")
    parser.add_argument("--sessions", type=int, default=1024, help="operations per phase")
    parser.add_argument("--connections", type=int, default=64, help="kept-alive connections")
    parser.add_argument("--warmup", type=int, default=256, help="sessions opened first")
    parser.add_argument("--cpu", action="store_true", help="server CPU time, not callgrind")
    args = parser.parse_args(argv)
    if min(args.sessions, args.connections) < 1 or args.warmup < 0:
        parser.error("--sessions and --connections must be >= 1, --warmup >= 0")
    if args.connections > args.sessions:
        parser.error("--connections must be <= --sessions (a connection keeps one session)")
    if not args.cpu:
        missing = callgrind_missing()
        if missing:
            print(f"open_profile: {missing}; run with --cpu", file=sys.stderr)
            return 2
    folder = None if args.cpu else Path(tempfile.mkdtemp(prefix="open-profile-"))
    prefix = [] if folder is None else callgrind_prefix(folder)
    variant = "lane" if args.kind == "canned" else None
    total = args.warmup + 2 * args.sessions + 1
    server = Server(KIND_BY_NAME[args.kind], max_sessions=total, prefix=prefix, variant=variant)
    try:
        server.wait_ready(CALLGRIND_START_TIMEOUT)
        t0 = time.monotonic()
        rows = asyncio.run(run(args, server, Meter(server.pid, folder)))
    except Exception:
        sys.stderr.write(server.tail())
        raise
    finally:
        server.stop()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    unit = "server CPU, us per operation" if args.cpu else "k instructions per operation"
    print(
        f"{args.kind}: {args.sessions} per phase, {args.connections} connections, "
        f"{time.monotonic() - t0:.0f} s"
    )
    print(f"\n| phase | {unit} |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
