"""MCP over stdio: fastestmcp against FastMCP and the official SDK, in one run (scenario 3).

Usage:
    python benchmarks/stdio.py [--rounds N] [--quick] [--calls N] [--kinds K,K,...]
                               [--write benchmarks/RESULTS.md]

Server kinds: `fastestmcp` (`benchmarks/bench_server.py`), `fastmcp` (FastMCP 4.1.6) and `sdk`
(`mcp` 2.3.0) — the same four tools, see `benchmarks/peers/` — and `canned`: a tiny Python
process that answers every request line with one fixed response (only the id changes). The
canned responder is the driver's ceiling: a round trip to it costs the driver and the pipes
and almost nothing else, so the driver is not what limits a server that is several times
slower. The peers run in their own virtualenvs, made on first use by `benchmarks/venvs.py`.

Every case runs in a fresh driver subprocess that starts a fresh server process, and the
rounds are interleaved (every case once per round, the order reversed every other round).
Every kind also runs as a `KIND_1cpu` case: driver, server and all their threads pinned to one
CPU, which takes the scheduler's placement across CPUs (bimodal on small VMs) out of the
numbers, as `benchmarks/actors.py` does for its thread cases.
Before the first round every kind is started once, unmeasured, so every measured start finds
its files in the page cache. A case measures:

- start: `Popen` -> the `initialize` response; then -> the result of the first
  `tools/call echo` (sent after `notifications/initialized`).
- sequential `tools/call echo` round trips over the pipes (N after a warm-up of N/10), one at
  a time: calls/s, p50/p99 latency; the CPU time the server process (all its threads) and the
  driver spent per call (from /proc and getrusage), and, where `perf` can count
  `instructions:u` (not in most VMs), the server's user-space instructions per call.

The driver is raw JSON-RPC lines on the pipes (the 2025-11-25 handshake), like
`fastestmcp/demo/__main__.py`; every response is decoded and checked (id, text).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import venvs
from actors import fmt, git_commit, machine, percentile, spread, write_section

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
RESULT_PREFIX = "BENCH-RESULT "
SECTION = "stdio"
CASE_TIMEOUT = 300.0
IO_TIMEOUT = 60.0
PROTOCOL = "2025-11-25"
MESSAGE = "hello"

Metrics = dict[str, float]

# The canned responder: one fixed response for every request line (the id spliced in).
CANNED = r"""
import os, re
ID = re.compile(rb'"id":\s*([^,}\s]+)')
RESPONSE = (
    b'{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"hello"}],'
    b'"structuredContent":{"result":"hello"}}}\n'
)
out = os.fdopen(1, "wb", buffering=0)
for line in os.fdopen(0, "rb"):
    found = ID.search(line)
    if found:
        out.write(RESPONSE % found.group(1))
"""


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    peer: str | None  # the virtualenv, for a peer
    script: str | None  # relative to the repository; None: the canned responder


KINDS: list[Kind] = [
    Kind("fastestmcp", "fastestmcp (this checkout)", None, "benchmarks/bench_server.py"),
    Kind("fastmcp", "FastMCP 4.1.6", "fastmcp", "benchmarks/peers/fastmcp_server.py"),
    Kind("sdk", "official SDK (mcp 2.3.0)", "sdk", "benchmarks/peers/sdk_server.py"),
    Kind("canned", "canned responder (driver ceiling)", None, None),
]
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


def server_command(kind: Kind) -> list[str]:
    if kind.script is None:
        return [sys.executable, "-c", CANNED]
    python = str(venvs.python_of(kind.peer)) if kind.peer else sys.executable
    return [python, str(ROOT / kind.script), "--transport", "stdio"]


# -- perf (optional) ---------------------------------------------------------------------------


def perf_available() -> bool:
    """Whether `perf stat` can count this user's `instructions:u` here (no PMU in most VMs)."""
    if shutil.which("perf") is None:
        return False
    try:
        proc = subprocess.run(
            ["perf", "stat", "-x", ",", "-e", "instructions:u", "true"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and _perf_count(proc.stderr) is not None


def _perf_count(stderr: str) -> float | None:
    for line in stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("instructions"):
            try:
                return float(fields[0])
            except ValueError:  # "<not supported>", "<not counted>"
                return None
    return None


# -- the driver (runs in the case subprocess) --------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Driver:
    """Raw JSON-RPC lines over a server's stdin/stdout, one request at a time."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None
        assert proc.stdout is not None
        self.proc = proc
        self.stdin: IO[bytes] = proc.stdin
        self.stdout: IO[bytes] = proc.stdout
        self.next_id = 0

    def send(self, message: dict[str, Any]) -> None:
        self.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
        self.stdin.flush()

    def read_response(self, request_id: int) -> dict[str, Any]:
        while True:
            line = self.stdout.readline()
            if not line:
                raise RuntimeError(f"the server closed its stdout (exit {self.proc.poll()})")
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"request {request_id} failed: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            # a notification (log, list_changed) or a server request: not expected here

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.read_response(self.next_id)

    def echo_loop(self, n: int, lat_ns: list[int] | None) -> None:
        """`n` sequential `tools/call echo`; every response decoded and its text checked."""
        write, flush, readline = self.stdin.write, self.stdin.flush, self.stdout.readline
        loads, clock = json.loads, time.perf_counter_ns
        template = (
            '{"jsonrpc":"2.0","id":%d,"method":"tools/call",'
            '"params":{"name":"echo","arguments":{"message":"' + MESSAGE + '"}}}\n'
        )
        for i in range(n):
            self.next_id += 1
            request_id = self.next_id
            t0 = clock()
            write((template % request_id).encode())
            flush()
            while True:
                line = readline()
                if not line:
                    raise RuntimeError(f"the server closed its stdout (exit {self.proc.poll()})")
                message = loads(line)
                if message.get("id") == request_id:
                    break
            if lat_ns is not None:
                lat_ns[i] = clock() - t0
            result = message.get("result")
            if result is None or result["content"][0]["text"] != MESSAGE:
                raise RuntimeError(f"unexpected echo response: {line[:500]!r}")


def run_driver(kind: Kind, calls: int, use_perf: bool) -> Metrics:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryFile() as stderr:
        t_start = time.perf_counter()
        proc = subprocess.Popen(
            server_command(kind),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
            env=env,
        )
        try:
            return _measure(proc, t_start, calls, use_perf)
        except BaseException:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait(timeout=IO_TIMEOUT)
            stderr.seek(0)
            sys.stderr.write(stderr.read()[-4000:].decode(errors="replace"))
            raise
        finally:
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    assert proc.stdin is not None
                    proc.stdin.close()
                try:
                    proc.wait(timeout=IO_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=IO_TIMEOUT)


def _measure(proc: subprocess.Popen[bytes], t_start: float, calls: int, use_perf: bool) -> Metrics:
    driver = Driver(proc)
    driver.request(
        "initialize",
        {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "fastestmcp-bench", "version": "1"},
        },
    )
    t_init = time.perf_counter()
    driver.send({"method": "notifications/initialized"})
    driver.echo_loop(1, None)
    t_first = time.perf_counter()

    driver.echo_loop(max(1, calls // 10), None)  # warm-up
    perf = None
    if use_perf:
        perf = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-e", "instructions:u", "-p", str(proc.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.2)  # perf attaches
    lat: list[int] = [0] * calls
    server_cpu0, driver_cpu0 = _cpu_seconds(proc.pid), _self_cpu_seconds()
    began = time.perf_counter()
    driver.echo_loop(calls, lat)
    total = time.perf_counter() - began
    server_cpu = _cpu_seconds(proc.pid) - server_cpu0
    driver_cpu = _self_cpu_seconds() - driver_cpu0
    instructions = None
    if perf is not None:
        perf.send_signal(signal.SIGINT)
        _, perf_err = perf.communicate(timeout=30)
        instructions = _perf_count(perf_err)
    lat.sort()
    metrics: Metrics = {
        "calls_per_s": calls / total,
        "p50_us": percentile(lat, 0.50) / 1000,
        "p99_us": percentile(lat, 0.99) / 1000,
        "start_to_initialize_ms": (t_init - t_start) * 1000,
        "start_to_first_call_ms": (t_first - t_start) * 1000,
        "server_cpu_us_per_call": server_cpu / calls * 1e6,
        "driver_cpu_us_per_call": driver_cpu / calls * 1e6,
    }
    if instructions is not None:
        metrics["server_instructions_per_call"] = instructions / calls
    return metrics


# -- the parent: run, collect, report ----------------------------------------------------------


PINNED = "_1cpu"  # the suffix of a case whose driver and server share one CPU


def run_case(kind: Kind, calls: int, use_perf: bool, one_cpu: bool = False) -> Metrics:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", kind.name]
    cmd += ["--calls", str(calls)] + (["--perf"] if use_perf else [])
    cmd += ["--one-cpu"] if one_cpu else []
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT, check=False, cwd=ROOT
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            metrics: Metrics = json.loads(line[len(RESULT_PREFIX) :])
            return metrics
    raise RuntimeError(
        f"case {kind.name} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}"
        f"\n{proc.stderr[-4000:]}"
    )


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


ROWS: list[tuple[str, str, str]] = [
    # label, metric, unit
    ("`tools/call echo` round trips/s, sequential", "calls_per_s", "/s"),
    ("p50 latency (us)", "p50_us", "us"),
    ("p99 latency (us)", "p99_us", "us"),
    ("`Popen` -> `initialize` response (ms)", "start_to_initialize_ms", "ms"),
    ("`Popen` -> first `tools/call` result (ms)", "start_to_first_call_ms", "ms"),
    ("server CPU per call (us, all threads)", "server_cpu_us_per_call", "us"),
    ("driver CPU per call (us)", "driver_cpu_us_per_call", "us"),
    ("server instructions:u per call (perf)", "server_instructions_per_call", "k"),
]


PINNED_METRICS = {
    "calls_per_s",
    "p50_us",
    "p99_us",
    "server_cpu_us_per_call",
    "driver_cpu_us_per_call",
    "server_instructions_per_call",
}


def _fmt(value: float, unit: str) -> str:
    if unit in ("us", "ms"):
        return ms(value)
    if unit == "k":
        return f"{value / 1000:.0f}k"
    return fmt(value, unit)


def _cell(values: list[float], unit: str) -> str:
    """The median (min-max) of one row's values."""
    if unit == "/s":
        return spread(values, unit)
    med = statistics.median(values)
    if len(values) == 1:
        return _fmt(med, unit)
    return f"{_fmt(med, unit)} ({_fmt(min(values), unit)}-{_fmt(max(values), unit)})"


def ratio_range(base: list[float], cand: list[float]) -> str:
    """The ratio of the medians, then the range of the per-round ratios."""
    text = f"{statistics.median(cand) / statistics.median(base):.1f}x"
    if len(base) > 1:
        per_round = sorted(c / b for b, c in zip(base, cand, strict=True))
        text += f" (rounds {per_round[0]:.1f}x to {per_round[-1]:.1f}x)"
    return text


def report(
    results: dict[str, list[Metrics]],
    kinds: list[Kind],
    args: argparse.Namespace,
    command: str,
    wall: float,
    load: tuple[float, float],
    perf: bool,
) -> str:
    import importlib.metadata

    out: list[str] = []
    add = out.append
    names = [kind.name for kind in kinds]
    add("## stdio")
    add("")
    add("MCP over stdio (scenario 3): one server process per client, JSON-RPC lines on its")
    add("stdin/stdout. Measured by `benchmarks/stdio.py`; regenerate with `make bench`.")
    add("")
    add(f"- Command: `{command}`")
    peers = []
    for kind in kinds:
        if kind.peer:
            shown = ", ".join(f"{d} {v}" for d, v in venvs.versions(kind.peer).items())
            peers.append(f"{kind.name}: {shown}")
    add(
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"fastestmcp {importlib.metadata.version('fastestmcp')} at commit {git_commit()}"
        + (f"; peers in their own virtualenvs ({'; '.join(peers)})" if peers else "")
    )
    add(f"- Machine: {machine()}")
    add(
        f"- {args.rounds} round{'s' if args.rounds != 1 else ''}; every case a fresh driver "
        "process and a fresh server process, rounds interleaved (order reversed every other "
        "round), after one unmeasured start of every kind (warm page cache). Cells are the "
        f"median (min-max). {args.calls:,} sequential calls per case after "
        f"{max(1, args.calls // 10):,} warm-up calls. Total wall time {wall:.0f} s; load "
        f"average before the run {load[0]:.2f}, after {load[1]:.2f}."
    )
    add(
        "- Tools as in `benchmarks/bench_server.py` (`echo` is a plain `def` everywhere: the "
        "peers run it in a worker thread on every call, fastestmcp for its first 32 calls and "
        "then on its event loop, as it does any sync handler without a `Context` that proved "
        "quick). The driver speaks the 2025-11-25 handshake."
    )
    add("")
    add(
        "**Caveat:** a noisy shared VM (CPU steal; the same case moves 30-50 % minute to "
        "minute); the server and the driver share its CPUs. Absolute numbers will differ "
        "elsewhere; only the ratios from one run mean anything."
    )
    add("")
    header = " | ".join(KIND_BY_NAME[n].title for n in names)

    def table(suffix: str, rows: list[tuple[str, str, str]]) -> None:
        add(f"| Measurement | {header} |")
        add("|---" * (len(names) + 1) + "|")
        for label, metric, unit in rows:
            if not all(metric in m for n in names for m in results[n + suffix]):
                continue
            cells = [_cell([m[metric] for m in results[n + suffix]], unit) for n in names]
            add(f"| {label} | {' | '.join(cells)} |")
        add("")

    table("", ROWS)
    add(
        "The same, with the driver, the server and all their threads pinned to one CPU "
        "(`sched_setaffinity`): no scheduler placement between CPUs, so steadier, and a round "
        "trip is the driver's and the server's CPU work back to back."
    )
    add("")
    table(PINNED, [row for row in ROWS if row[1] in PINNED_METRICS])

    targets: list[str] = []
    ours = results.get("fastestmcp")
    if ours:
        for suffix, where in (("", ""), (PINNED, ", one CPU")):
            calls = [m["calls_per_s"] for m in results["fastestmcp" + suffix]]
            for peer in ("fastmcp", "sdk"):
                if peer not in names:
                    continue
                theirs = [m["calls_per_s"] for m in results[peer + suffix]]
                ratio = statistics.median(calls) / statistics.median(theirs)
                gated = peer == "fastmcp" and not suffix  # the target: as deployed, unpinned
                target = "fastestmcp >= 10x FastMCP" if gated else ""
                mark = f"**{'PASS' if ratio >= 10 else 'FAIL'}**" if gated else ""
                targets.append(
                    f"| calls/s{where}, fastestmcp / {KIND_BY_NAME[peer].title} "
                    f"| {ratio_range(theirs, calls)} | {target} | {mark} |"
                )
            if "canned" in names:
                canned = [m["calls_per_s"] for m in results["canned" + suffix]]
                targets.append(
                    f"| calls/s{where}, canned responder / fastestmcp (driver headroom) "
                    f"| {ratio_range(calls, canned)} | | |"
                )
        start = statistics.median(m["start_to_initialize_ms"] for m in ours)
        targets.append(
            f"| `Popen` -> `initialize` response, fastestmcp | {ms(start)} ms "
            f"| <= 300 ms | **{'PASS' if start <= 300 else 'FAIL'}** |"
        )
        for peer in ("fastmcp", "sdk"):
            if peer in results:
                theirs_start = statistics.median(m["start_to_initialize_ms"] for m in results[peer])
                targets.append(
                    f"| `Popen` -> `initialize` response, {KIND_BY_NAME[peer].title} "
                    f"| {ms(theirs_start)} ms ({theirs_start / start:.1f}x fastestmcp's) | | |"
                )
    if targets:
        add("| Comparison | Ratio of medians (per-round range) | Target | |")
        add("|---|---|---|---|")
        out.extend(targets)
        add("")
    add("How to read it:")
    add("")
    add(
        "- A round trip is: the driver writes one request line and flushes; the server reads "
        "it, decodes, runs `echo`, encodes and writes the response; the driver reads and "
        "decodes it. One call at a time, so the numbers are latency-bound (two process "
        "wake-ups per call) rather than throughput-bound."
    )
    add(
        "- The canned responder answers every line without parsing it (a regex finds the id), "
        "so its round trip is the driver plus the pipes plus a near-empty Python loop: a "
        "server cannot be measured faster than that with this driver. Driver CPU per call "
        "is the driver's own share of every round trip."
    )
    add(
        "- Server CPU per call counts every thread of the server process (user + system, "
        "from `/proc/PID/stat`, 10 ms ticks) over the measured calls."
    )
    if perf:
        add(
            "- `instructions:u` per call: `perf stat -e instructions:u -p PID` around the "
            "measured calls (the server's user-space instructions, all threads)."
        )
    else:
        add(
            "- No `instructions:u` column: `perf` is missing here or cannot count that event "
            "(a VM without a virtual PMU reports `<not supported>`); the CPU-time rows stand "
            "in for it."
        )
    add(
        "- Only the 2025-11-25 handshake era is measured: fastestmcp's stdio session does not "
        "serve the 2026-07-28 era yet (a `tools/call` with the modern `_meta` and no "
        '`initialize` gets -32600 "send initialize first"), while FastMCP and the SDK '
        "answer it."
    )
    add(
        "- Per-session state for `remember` (not exercised by this scenario): fastestmcp's "
        "`ctx.get_state/set_state` (the session actor's store); FastMCP's "
        "`Context.get_state/set_state` (its state store, keyed by session); the SDK's "
        "`MCPServer` offers a tool no session-state API, so its `remember` keeps a dict "
        "keyed by the `Mcp-Session-Id` header (one process is the session on stdio)."
    )
    add("")
    add("### Every case")
    add("")
    add("| Kind | " + " | ".join(f"round {r + 1}" for r in range(args.rounds)) + " |")
    add("|---" * (args.rounds + 1) + "|")
    for name in [n + suffix for suffix in ("", PINNED) for n in names]:
        cells = [
            f"{m['calls_per_s'] / 1000:.2f}k/s, start {ms(m['start_to_initialize_ms'])} ms"
            for m in results[name]
        ]
        add(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def parent(args: argparse.Namespace) -> int:
    kinds = [KIND_BY_NAME[name] for name in args.kinds]
    for kind in kinds:
        if kind.peer:
            venvs.ensure(kind.peer)
    use_perf = perf_available()
    if not use_perf:
        print("stdio: perf cannot count instructions:u here; skipping it", file=sys.stderr)
    parts = ["python benchmarks/stdio.py"]
    if args.quick:
        parts.append("--quick")
    if args.rounds != (1 if args.quick else 5):
        parts.append(f"--rounds {args.rounds}")
    if args.calls != (200 if args.quick else 2000):
        parts.append(f"--calls {args.calls}")
    if args.kinds != DEFAULT_KINDS:
        parts.append(f"--kinds {','.join(args.kinds)}")
    if args.write:
        parts.append(f"--write {args.write}")
    command = " ".join(parts)

    cases = [(kind, one_cpu) for one_cpu in (False, True) for kind in kinds]
    results: dict[str, list[Metrics]] = {
        kind.name + (PINNED if one_cpu else ""): [] for kind, one_cpu in cases
    }
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    for kind in kinds:  # one unmeasured start each: the page cache, .pyc files
        run_case(kind, 10, False)
    for r in range(args.rounds):
        order = cases if r % 2 == 0 else list(reversed(cases))
        for kind, one_cpu in order:
            name = kind.name + (PINNED if one_cpu else "")
            t0 = time.perf_counter()
            metrics = run_case(kind, args.calls, use_perf, one_cpu)
            results[name].append(metrics)
            shown = ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            print(
                f"round {r + 1}/{args.rounds} {name}: {shown} [{time.perf_counter() - t0:.1f} s]",
                file=sys.stderr,
                flush=True,
            )
    wall = time.perf_counter() - began
    load = (load_before, os.getloadavg()[0])
    text = report(results, kinds, args, command, wall, load, use_perf)
    print(text, end="")
    if args.write:
        write_section(Path(args.write), SECTION, text)
        print(f"wrote the {SECTION} section of {args.write}", file=sys.stderr)
    return 0


def child(args: argparse.Namespace) -> int:
    if args.one_cpu:
        if not hasattr(os, "sched_setaffinity"):
            raise SystemExit("--one-cpu needs sched_setaffinity (Linux)")
        # the server process and every thread it starts inherit this
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    metrics = run_driver(KIND_BY_NAME[args.case], args.calls, args.perf)
    print(RESULT_PREFIX + json.dumps(metrics), flush=True)
    return 0


DEFAULT_KINDS = ["fastestmcp", "fastmcp", "sdk", "canned"]


def _kinds(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in KIND_BY_NAME]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(unknown) or '(none)'}; choose from "
            + ", ".join(KIND_BY_NAME)
        )
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5; quick: 1)")
    parser.add_argument("--calls", type=int, help="measured calls per case (default 2000)")
    parser.add_argument("--quick", action="store_true", help="1 round of 200 calls: a smoke test")
    parser.add_argument(
        "--kinds",
        type=_kinds,
        default=DEFAULT_KINDS,
        help=f"comma-separated server kinds (default {','.join(DEFAULT_KINDS)})",
    )
    parser.add_argument("--write", metavar="PATH", help="also write the stdio section here")
    parser.add_argument("--case", choices=sorted(KIND_BY_NAME), help=argparse.SUPPRESS)
    parser.add_argument("--perf", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one-cpu", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 5
    if args.calls is None:
        args.calls = 200 if args.quick else 2000
    if args.rounds < 1 or args.calls < 1:
        parser.error("--rounds and --calls must be >= 1")
    if args.case:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
