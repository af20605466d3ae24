"""The top frames of a py-spy profile in its `raw` (collapsed stacks) format.

Usage:
    python benchmarks/profile_top.py PROFILE [--top N]

Record one with `benchmarks/http_bench.py --profile PROFILE` (py-spy samples fastestmcp's
server during the measured window of its echo cases), or with
`py-spy record --format raw --nonblocking --pid PID --output PROFILE`.

Prints, as shares of all samples: the threads (the event loop's, the tool pool's), the frames
where the samples were taken ("self"), and the frames on the stack ("inclusive"), each frame as
`function (file)` with line numbers dropped.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def frame_name(frame: str) -> str:
    return _LINE.sub(")", frame.strip())


def thread_of(frames: list[str]) -> str:
    """The event loop's thread, another thread (the tool pool's), or a coroutine's stack that
    py-spy did not unwind to the loop (it starts at the coroutine: the loop's thread too)."""
    if any("run_forever" in frame for frame in frames):
        return "event loop thread"
    if frames[0].startswith("Thread._bootstrap") or frames[0].startswith("_worker"):
        return "other threads (the tool pool)"
    return "event loop thread (a coroutine stack py-spy did not unwind to the loop)"


def aggregate(lines: Sequence[str]) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    total = 0
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in lines:
        line = line.rstrip()
        if not line or " " not in line:
            continue
        stack, count_text = line.rsplit(" ", 1)
        try:
            count = int(count_text)
        except ValueError:
            continue
        frames = [frame_name(frame) for frame in stack.split(";") if frame.strip()]
        if not frames:
            continue
        total += count
        threads[thread_of(frames)] += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return total, threads, own, inclusive


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Top frames of a py-spy raw profile.")
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    total, threads, own, inclusive = aggregate(args.profile.read_text().splitlines())
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    print(f"{total} samples")
    for title, counter in (("threads", threads), ("self", own), ("inclusive", inclusive)):
        print(f"\n-- {title}")
        for frame, count in counter.most_common(args.top):
            print(f"{count / total * 100:5.1f} %  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
