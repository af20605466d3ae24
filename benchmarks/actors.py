"""Loop-hosted actors (`supervisors`) against plain `pykka.ThreadingActor`s, in one run.

Usage:
    python benchmarks/actors.py [--rounds N] [--quick] [--write benchmarks/RESULTS.md]

Every case runs in a fresh subprocess (so memory numbers are clean and no case warms another)
and the rounds are interleaved: pykka case, loop case, pykka case, ... with the order reversed
every other round, so drift of a noisy machine hits both kinds alike. The report gives the
median and the min-max of every case, the ratio of the medians for each comparison, and
PASS/FAIL against the targets of the runtime. Only ratios from one run mean anything.

Cases (a pykka case and its LoopActor counterparts):
- ask round trip, sequential, from a plain thread: pykka vs a LoopActor (runtime in its own
  thread). Every ask passes `timeout=`, as the project's rules require, on both sides.
  Thread-to-thread round trips depend on how the kernel places the threads, so they also run
  with the whole process pinned to one CPU (the `_1cpu` cases).
- ask round trip, sequential, `await ref.ask_async(x)` from a coroutine on the runtime loop.
- 100 concurrent askers to one actor: 100 threads -> pykka, 100 coroutines -> LoopActor.
- tell throughput processed end-to-end (N tells, then one ask that returns the count).
- N idle actors: RSS per actor (RSS delta / N after `gc.collect()`), start and stop time.
  pykka: N `start()` calls, until every `on_start` ran; stop with `ActorRegistry.stop_all()`.
  Loop: N `start_child` calls pipelined from a coroutine under a `DynamicSupervisor`, until
  every one resolved (each after the child's `on_start`); stop by terminating the supervisor.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pykka

from supervisors import (
    ChildSpec,
    DynamicSupervisor,
    LoopActor,
    Runtime,
    start_child,
    terminate_child,
)

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-RESULT "
CASE_TIMEOUT = 180.0
ASK_TIMEOUT = 10.0

Metrics = dict[str, float]


@dataclass(frozen=True)
class Sizes:
    asks: int
    warmup: int
    concurrency: int
    tells: int
    actors: int


FULL = Sizes(asks=20_000, warmup=2_000, concurrency=100, tells=200_000, actors=10_000)
QUICK = Sizes(asks=2_000, warmup=200, concurrency=100, tells=20_000, actors=1_000)


# -- measuring helpers -------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """The resident set size of this process now (Linux /proc; else the peak from rusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(sorted_values: Sequence[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def latency_metrics(total_s: float, n: int, lat_ns: list[int]) -> Metrics:
    lat_ns.sort()
    return {
        "rt_per_s": n / total_s,
        "p50_us": percentile(lat_ns, 0.50) / 1000,
        "p99_us": percentile(lat_ns, 0.99) / 1000,
    }


# -- actors ------------------------------------------------------------------------------------

FLUSH = "flush"


class PykkaEcho(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return message


class LoopEcho(LoopActor):
    def on_receive(self, message: Any) -> Any:
        return message


class PykkaCounter(pykka.ThreadingActor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_receive(self, message: Any) -> Any:
        if message is FLUSH:
            return self.count
        self.count += 1
        return None


class LoopCounter(LoopActor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_receive(self, message: Any) -> Any:
        if message is FLUSH:
            return self.count
        self.count += 1
        return None


class _Started:
    """Counts `on_start` calls of pykka actors (they run on the actors' own threads)."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.lock = threading.Lock()
        self.all_started = threading.Event()

    def one(self) -> None:
        with self.lock:
            self.count += 1
            if self.count >= self.expected:
                self.all_started.set()


_STARTED = _Started(0)


class PykkaIdle(pykka.ThreadingActor):
    def on_start(self) -> None:
        _STARTED.one()

    def on_receive(self, message: Any) -> Any:
        return message


class LoopIdle(LoopActor):
    def on_receive(self, message: Any) -> Any:
        return message


# -- cases (each runs in its own subprocess) ---------------------------------------------------


def _sequential_thread_asks(ref: pykka.ActorRef[Any], sizes: Sizes) -> Metrics:
    for i in range(sizes.warmup):
        ref.ask(i, timeout=ASK_TIMEOUT)
    n = sizes.asks
    lat: list[int] = [0] * n
    clock = time.perf_counter_ns
    start = clock()
    for i in range(n):
        t0 = clock()
        ref.ask(i, timeout=ASK_TIMEOUT)
        lat[i] = clock() - t0
    total = (clock() - start) / 1e9
    return latency_metrics(total, n, lat)


def case_ask_thread_pykka(sizes: Sizes) -> Metrics:
    ref = PykkaEcho.start()
    try:
        return _sequential_thread_asks(ref, sizes)
    finally:
        ref.stop(timeout=ASK_TIMEOUT)


def case_ask_thread_loop(sizes: Sizes) -> Metrics:
    rt = Runtime("bench").start()
    try:
        ref = LoopEcho.start()
        return _sequential_thread_asks(ref, sizes)
    finally:
        rt.stop()


def case_ask_coroutine_loop(sizes: Sizes) -> Metrics:
    async def main() -> Metrics:
        async with Runtime("bench"):
            ref = LoopEcho.start()
            ask = ref.ask_async
            for i in range(sizes.warmup):
                await ask(i, timeout=ASK_TIMEOUT)
            n = sizes.asks
            lat: list[int] = [0] * n
            clock = time.perf_counter_ns
            start = clock()
            for i in range(n):
                t0 = clock()
                await ask(i, timeout=ASK_TIMEOUT)
                lat[i] = clock() - t0
            total = (clock() - start) / 1e9
            return latency_metrics(total, n, lat)

    return asyncio.run(main())


def case_ask_concurrent_pykka(sizes: Sizes) -> Metrics:
    ref = PykkaEcho.start()
    per = sizes.asks // sizes.concurrency
    barrier = threading.Barrier(sizes.concurrency + 1)
    errors: list[BaseException] = []

    def client() -> None:
        try:
            for i in range(max(1, sizes.warmup // sizes.concurrency)):
                ref.ask(i, timeout=ASK_TIMEOUT)
            barrier.wait(timeout=60)
            for i in range(per):
                ref.ask(i, timeout=ASK_TIMEOUT)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=client) for _ in range(sizes.concurrency)]
    try:
        for t in threads:
            t.start()
        barrier.wait(timeout=60)
        start = time.perf_counter()
        for t in threads:
            t.join(timeout=120)
        total = time.perf_counter() - start
    finally:
        ref.stop(timeout=ASK_TIMEOUT)
    if errors:
        raise errors[0]
    return {"rt_per_s": per * sizes.concurrency / total}


def case_ask_concurrent_loop(sizes: Sizes) -> Metrics:
    per = sizes.asks // sizes.concurrency

    async def main() -> Metrics:
        async with Runtime("bench"):
            ref = LoopEcho.start()
            ask = ref.ask_async

            async def client(count: int) -> None:
                for i in range(count):
                    await ask(i, timeout=ASK_TIMEOUT)

            warm = max(1, sizes.warmup // sizes.concurrency)
            await asyncio.gather(*(client(warm) for _ in range(sizes.concurrency)))
            start = time.perf_counter()
            await asyncio.gather(*(client(per) for _ in range(sizes.concurrency)))
            total = time.perf_counter() - start
            return {"rt_per_s": per * sizes.concurrency / total}

    return asyncio.run(main())


def _thread_tells(ref: pykka.ActorRef[Any], sizes: Sizes) -> Metrics:
    for i in range(sizes.warmup):
        ref.tell(i)
    warmed = ref.ask(FLUSH, block=True, timeout=ASK_TIMEOUT)
    n = sizes.tells
    tell = ref.tell
    start = time.perf_counter()
    for i in range(n):
        tell(i)
    sent = time.perf_counter()
    count = ref.ask(FLUSH, block=True, timeout=60)
    total = time.perf_counter() - start
    if count != warmed + n:
        raise AssertionError(f"counted {count} tells, expected {warmed + n}")
    return {"processed_per_s": n / total, "enqueued_per_s": n / (sent - start)}


def case_tell_thread_pykka(sizes: Sizes) -> Metrics:
    ref = PykkaCounter.start()
    try:
        return _thread_tells(ref, sizes)
    finally:
        ref.stop(timeout=ASK_TIMEOUT)


def case_tell_thread_loop(sizes: Sizes) -> Metrics:
    rt = Runtime("bench").start()
    try:
        return _thread_tells(LoopCounter.start(), sizes)
    finally:
        rt.stop()


def case_tell_coroutine_loop(sizes: Sizes) -> Metrics:
    async def main() -> Metrics:
        async with Runtime("bench"):
            ref = LoopCounter.start()
            for i in range(sizes.warmup):
                ref.tell(i)
            warmed = await ref.ask_async(FLUSH, timeout=ASK_TIMEOUT)
            n = sizes.tells
            tell = ref.tell
            start = time.perf_counter()
            for i in range(n):
                tell(i)
            sent = time.perf_counter()
            count = await ref.ask_async(FLUSH, timeout=60)
            total = time.perf_counter() - start
            if count != warmed + n:
                raise AssertionError(f"counted {count} tells, expected {warmed + n}")
            return {"processed_per_s": n / total, "enqueued_per_s": n / (sent - start)}

    return asyncio.run(main())


def case_actors_pykka(sizes: Sizes) -> Metrics:
    global _STARTED
    n = sizes.actors
    _STARTED = _Started(n)
    gc.collect()
    rss0 = rss_bytes()
    start = time.perf_counter()
    refs = [PykkaIdle.start() for _ in range(n)]
    if not _STARTED.all_started.wait(timeout=120):
        raise TimeoutError(f"only {_STARTED.count} of {n} pykka actors started")
    started = time.perf_counter()
    gc.collect()
    rss1 = rss_bytes()
    stop_begin = time.perf_counter()
    pykka.ActorRegistry.stop_all(block=True, timeout=ASK_TIMEOUT)
    stopped = time.perf_counter()
    alive = sum(1 for ref in refs if ref.is_alive())
    if alive:
        raise AssertionError(f"{alive} pykka actors still alive after stop_all")
    start_s, stop_s = started - start, stopped - stop_begin
    return {
        "rss_kib_per_actor": (rss1 - rss0) / n / 1024,
        "start_s": start_s,
        "stop_s": stop_s,
        "total_s": start_s + stop_s,
        "start_us_per_actor": start_s / n * 1e6,
    }


def case_actors_loop(sizes: Sizes) -> Metrics:
    n = sizes.actors

    async def main() -> Metrics:
        async with Runtime("bench") as rt:
            sup = await start_child(rt.root, DynamicSupervisor.child_spec("pool"))
            spec = ChildSpec(id="idle", start=LoopIdle)
            gc.collect()
            rss0 = rss_bytes()
            start = time.perf_counter()
            futures = [start_child(sup, spec) for _ in range(n)]
            refs = [await future for future in futures]
            started = time.perf_counter()
            gc.collect()
            rss1 = rss_bytes()
            stop_begin = time.perf_counter()
            await terminate_child(rt.root, "pool")
            stopped = time.perf_counter()
            alive = sum(1 for ref in refs if ref.is_alive())
            if alive:
                raise AssertionError(f"{alive} loop actors still alive after the supervisor")
            start_s, stop_s = started - start, stopped - stop_begin
            return {
                "rss_kib_per_actor": (rss1 - rss0) / n / 1024,
                "start_s": start_s,
                "stop_s": stop_s,
                "total_s": start_s + stop_s,
                "start_us_per_actor": start_s / n * 1e6,
            }

    return asyncio.run(main())


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    run: Callable[[Sizes], Metrics]
    one_cpu: bool = False  # pin the whole process (every thread) to one CPU


CASES: list[Case] = [
    Case("ask_thread_pykka", "ask, thread -> pykka ThreadingActor", case_ask_thread_pykka),
    Case("ask_thread_loop", "ask, thread -> LoopActor", case_ask_thread_loop),
    Case("ask_coroutine_loop", "ask_async, coroutine -> LoopActor", case_ask_coroutine_loop),
    Case(
        "ask_thread_pykka_1cpu",
        "ask, thread -> pykka ThreadingActor, one CPU",
        case_ask_thread_pykka,
        one_cpu=True,
    ),
    Case(
        "ask_thread_loop_1cpu",
        "ask, thread -> LoopActor, one CPU",
        case_ask_thread_loop,
        one_cpu=True,
    ),
    Case(
        "ask_coroutine_loop_1cpu",
        "ask_async, coroutine -> LoopActor, one CPU",
        case_ask_coroutine_loop,
        one_cpu=True,
    ),
    Case(
        "ask_concurrent_pykka",
        "100 threads -> 1 pykka ThreadingActor",
        case_ask_concurrent_pykka,
    ),
    Case(
        "ask_concurrent_loop",
        "100 coroutines -> 1 LoopActor",
        case_ask_concurrent_loop,
    ),
    Case("tell_thread_pykka", "tell, thread -> pykka ThreadingActor", case_tell_thread_pykka),
    Case("tell_thread_loop", "tell, thread -> LoopActor", case_tell_thread_loop),
    Case("tell_coroutine_loop", "tell, coroutine -> LoopActor", case_tell_coroutine_loop),
    Case("actors_pykka", "N idle pykka ThreadingActors", case_actors_pykka),
    Case("actors_loop", "N idle LoopActors under a DynamicSupervisor", case_actors_loop),
]
CASE_BY_NAME = {case.name: case for case in CASES}


# -- comparisons and targets -------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    metric: str
    unit: str
    baseline: str | None  # case name of the reference, or None for a loop-only row
    candidate: str
    target: str = ""
    # PASS when candidate/baseline >= min_ratio, or when the candidate's median is at most
    # max_value (below it, if max_exclusive)
    min_ratio: float | None = None
    max_value: float | None = None
    max_exclusive: bool = False
    higher_is_better: bool = True


def rows(sizes: Sizes) -> list[Row]:
    n = f"{sizes.actors:,}"
    return [
        Row(
            "ask round trips/s, plain thread -> actor (sequential)",
            "rt_per_s",
            "/s",
            "ask_thread_pykka",
            "ask_thread_loop",
            "loop >= 1x pykka",
            min_ratio=1.0,
        ),
        Row(
            "ask round trips/s: coroutine on the loop -> LoopActor vs thread -> pykka",
            "rt_per_s",
            "/s",
            "ask_thread_pykka",
            "ask_coroutine_loop",
            "loop >= 3x pykka",
            min_ratio=3.0,
        ),
        Row(
            "same, every thread of the process on one CPU: plain thread -> actor",
            "rt_per_s",
            "/s",
            "ask_thread_pykka_1cpu",
            "ask_thread_loop_1cpu",
            "loop >= 1x pykka",
            min_ratio=1.0,
        ),
        Row(
            "same, one CPU: coroutine -> LoopActor vs thread -> pykka",
            "rt_per_s",
            "/s",
            "ask_thread_pykka_1cpu",
            "ask_coroutine_loop_1cpu",
            "loop >= 3x pykka",
            min_ratio=3.0,
        ),
        Row(
            "ask round trips/s, 100 concurrent askers -> 1 actor",
            "rt_per_s",
            "/s",
            "ask_concurrent_pykka",
            "ask_concurrent_loop",
        ),
        Row(
            "tell processed/s end-to-end, plain thread -> actor",
            "processed_per_s",
            "/s",
            "tell_thread_pykka",
            "tell_thread_loop",
        ),
        Row(
            "tell processed/s end-to-end: coroutine -> LoopActor vs thread -> pykka",
            "processed_per_s",
            "/s",
            "tell_thread_pykka",
            "tell_coroutine_loop",
        ),
        Row(
            f"RSS per idle actor (KiB), {n} actors",
            "rss_kib_per_actor",
            " KiB",
            "actors_pykka",
            "actors_loop",
            "loop <= 8 KiB",
            max_value=8.0,
            higher_is_better=False,
        ),
        Row(
            f"start {n} actors (s)",
            "start_s",
            " s",
            "actors_pykka",
            "actors_loop",
            higher_is_better=False,
        ),
        Row(
            f"stop {n} actors (s)",
            "stop_s",
            " s",
            "actors_pykka",
            "actors_loop",
            higher_is_better=False,
        ),
        Row(
            f"start + stop {n} actors (s)",
            "total_s",
            " s",
            "actors_pykka",
            "actors_loop",
            "loop < 1 s",
            max_value=1.0,
            max_exclusive=True,
            higher_is_better=False,
        ),
    ]


# -- the parent: run, collect, report ----------------------------------------------------------


def run_case(case: Case, quick: bool) -> Metrics:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case.name]
    if quick:
        cmd.append("--quick")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT, check=False, env=env, cwd=ROOT
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            metrics: Metrics = json.loads(line[len(RESULT_PREFIX) :])
            return metrics
    raise RuntimeError(
        f"case {case.name} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}"
        f"\n{proc.stderr[-4000:]}"
    )


SECTION = "actors"


def write_section(path: Path, name: str, text: str) -> None:
    """Put `text` in `path` between the markers of section `name`, keeping the rest of the file
    (other benchmarks' sections): `make bench` runs several scripts into one RESULTS.md."""
    begin, end = f"<!-- {name}: begin (written by a benchmark script) -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else ""
    start = old.find(begin)
    stop = old.find(end, start) if start >= 0 else -1
    if stop >= 0:
        new = old[:start] + block + old[stop + len(end) :].removeprefix("\n")
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "") + block
    path.write_text(new)


def fmt(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value / 1000:.1f}k"
    if unit == " KiB":
        return f"{value:.1f}"
    if unit == " s":
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"
    return f"{value:.3g}"


def spread(values: list[float], unit: str) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med, unit)
    return f"{fmt(med, unit)} ({fmt(min(values), unit)}-{fmt(max(values), unit)})"


def verdict(row: Row, base: float | None, cand: float) -> str:
    if row.min_ratio is not None and base is not None:
        return "PASS" if cand / base >= row.min_ratio else "FAIL"
    if row.max_value is not None:
        ok = cand < row.max_value if row.max_exclusive else cand <= row.max_value
        return "PASS" if ok else "FAIL"
    return ""


def ratio_text(row: Row, base_values: list[float], cand_values: list[float]) -> str:
    """Ratio of the medians, then the range of the per-round ratios (adjacent measurements)."""

    def one(base: float, cand: float) -> str:
        if row.higher_is_better or cand >= base:
            return f"{cand / base:.2f}x"
        return f"1/{base / cand:.0f}"

    text = one(statistics.median(base_values), statistics.median(cand_values))
    if len(base_values) > 1:
        per_round = sorted(zip(base_values, cand_values, strict=True), key=lambda bc: bc[1] / bc[0])
        text += f" (rounds {one(*per_round[0])} to {one(*per_round[-1])})"
    return text


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            # the results file itself is what this run rewrites: not a change to the code
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!*RESULTS.md"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{head} + uncommitted changes" if dirty else head


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} x {model}, {platform.system()} {platform.release()}"


NOTES = """\
How to read it:

- *Thread -> actor* asks are two thread wake-ups per round trip for both kinds (a pykka actor's
  thread; the runtime's loop thread, woken through asyncio's self-pipe), so they measure the
  kernel more than the actors. On a 2-vCPU VM they are bimodal: when the scheduler keeps the
  two threads on one CPU a round trip takes ~20 us, across CPUs 55-70 us; a process tends to
  stay in one mode, and which one depends on the load (an idle machine spreads the threads).
  Hence the wide ranges between runs. The "one CPU" rows pin every case process to a
  single CPU (`sched_setaffinity`), which on a quiet machine puts pykka in its fast mode: the
  least favourable comparison for the loop (a coroutine's asks run on one thread either way).
  A pinned process also competes with whatever else runs on that CPU.
- *Coroutine -> LoopActor* asks never leave the loop: two loop iterations per round trip.
- Tells are processed end-to-end: the clock stops when the ask queued behind the N tells is
  answered (and the actor's count is checked).
- Idle actors: pykka's `start()` returns before `on_start` has run, so its start time runs until
  every `on_start` has (a counter); `start_child` on a supervisor resolves only after the
  child's `on_start`. pykka stops with `ActorRegistry.stop_all()` (one blocking stop at a time,
  LIFO); the loop actors stop by terminating their `DynamicSupervisor` through the root
  supervisor (children stopped concurrently, as OTP's dynamic supervisors do). RSS per actor
  is the RSS growth after `gc.collect()` divided by N; for pykka it leaves out the kernel's
  per-thread memory (kernel stack, task_struct: roughly 16 KiB more per actor).\
"""


def report(
    results: dict[str, list[Metrics]],
    sizes: Sizes,
    rounds: int,
    command: str,
    wall: float,
    load: tuple[float, float],
) -> str:
    import importlib.metadata

    out: list[str] = []
    add = out.append
    add("# Actor runtime benchmarks")
    add("")
    add("`supervisors` loop-hosted actors against plain `pykka.ThreadingActor`, measured in the")
    add("same run on the same machine by `benchmarks/actors.py`. Regenerate with `make bench`.")
    add("")
    add(f"- Command: `{command}`")
    add(
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"pykka {importlib.metadata.version('pykka')}, fastestmcp commit {git_commit()}"
    )
    add(f"- Machine: {machine()}")
    add(
        f"- {rounds} round{'s' if rounds != 1 else ''}; every case in a fresh subprocess, "
        "rounds interleaved (pykka case, loop case, ...; order reversed every other round). "
        "Cells are the median (min-max). "
        f"Total wall time {wall:.0f} s; load average before the run {load[0]:.2f}, "
        f"after {load[1]:.2f} (other work on the machine adds noise)."
    )
    add(
        f"- Sizes: {sizes.asks:,} sequential asks after {sizes.warmup:,} warm-up; "
        f"{sizes.concurrency} concurrent askers x {sizes.asks // sizes.concurrency:,} asks; "
        f"{sizes.tells:,} tells then one flushing ask; {sizes.actors:,} idle actors. "
        f"Every ask passes `timeout={ASK_TIMEOUT:g}`."
    )
    add("")
    add(
        "**Caveat:** a noisy shared VM (CPU steal; the same case moves 30-50 % minute to "
        "minute). Absolute numbers will differ elsewhere; only the ratios from one run mean "
        "anything. Ratio = median of the LoopActor case / median of the pykka case (1/N: N times "
        "less); in brackets the lowest and highest ratio of one round's adjacent pair."
    )
    add("")
    add("| Measurement | pykka `ThreadingActor` | `supervisors` `LoopActor` | Ratio | Target | |")
    add("|---|---|---|---|---|---|")
    for row in rows(sizes):
        cand_values = [m[row.metric] for m in results[row.candidate]]
        cand = statistics.median(cand_values)
        base_values = [m[row.metric] for m in results[row.baseline]] if row.baseline else None
        base = statistics.median(base_values) if base_values else None
        base_cell = spread(base_values, row.unit) if base_values else "—"
        ratio = ratio_text(row, base_values, cand_values) if base_values else "—"
        mark = verdict(row, base, cand)
        mark = f"**{mark}**" if mark else ""
        add(
            f"| {row.label} | {base_cell} | {spread(cand_values, row.unit)} | {ratio} "
            f"| {row.target} | {mark} |"
        )
    add("")
    add(NOTES)
    add("")
    add("### Every case")
    add("")
    add("| Case | What | Median | min-max | Other metrics (medians) |")
    add("|---|---|---|---|---|")
    main_metric = {
        "ask": ("rt_per_s", "/s"),
        "tell": ("processed_per_s", "/s"),
        "actors": ("total_s", " s"),
    }
    for case in CASES:
        metric, unit = main_metric[case.name.split("_", 1)[0]]
        values = [m[metric] for m in results[case.name]]
        others = []
        for key in results[case.name][0]:
            if key == metric:
                continue
            med = statistics.median(m[key] for m in results[case.name])
            if key.endswith("_per_s"):
                others.append(f"{key} {med / 1000:.1f}k")
            else:
                others.append(f"{key} {med:.3g}")
        add(
            f"| `{case.name}` | {case.title} | {metric} {fmt(statistics.median(values), unit)} "
            f"| {fmt(min(values), unit)}-{fmt(max(values), unit)} | {', '.join(others)} |"
        )
    return "\n".join(out) + "\n"


def parent(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL
    command = "python benchmarks/actors.py" + " ".join(
        [""]
        + (["--quick"] if args.quick else [])
        + ([f"--rounds {args.rounds}"] if args.rounds != 5 else [])
        + ([f"--write {args.write}"] if args.write else [])
    )
    results: dict[str, list[Metrics]] = {case.name: [] for case in CASES}
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    for r in range(args.rounds):
        order = CASES if r % 2 == 0 else list(reversed(CASES))
        for case in order:
            t0 = time.perf_counter()
            metrics = run_case(case, args.quick)
            results[case.name].append(metrics)
            shown = ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            print(
                f"round {r + 1}/{args.rounds} {case.name}: {shown} "
                f"[{time.perf_counter() - t0:.1f} s]",
                file=sys.stderr,
                flush=True,
            )
    wall = time.perf_counter() - began
    load = (load_before, os.getloadavg()[0])
    text = report(results, sizes, args.rounds, command, wall, load)
    print(text, end="")
    if args.write:
        write_section(Path(args.write), SECTION, text)
        print(f"wrote the {SECTION} section of {args.write}", file=sys.stderr)
    return 0


def child(args: argparse.Namespace) -> int:
    case = CASE_BY_NAME[args.case]
    pinned = 0.0
    if case.one_cpu and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        pinned = 1.0
    metrics = case.run(QUICK if args.quick else FULL)
    if case.one_cpu:
        metrics["pinned"] = pinned
    print(RESULT_PREFIX + json.dumps(metrics), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--write", metavar="PATH", help="also write the markdown report here")
    parser.add_argument("--case", choices=sorted(CASE_BY_NAME), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    if args.case:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
