"""`benchmarks/open_profile.py` runs end to end, under callgrind and on CPU time, for
fastestmcp and the canned responder (tiny sizes: no figure is asserted but its sign)."""

from __future__ import annotations

import re

import pytest

from tests.benchmarks._script import run_script

PHASES = [
    "initialize + initialized",
    "remember",
    "echo, sessions rotating",
    "echo, a session per connection",
    "opening (all three)",
]


def _run(*args: str) -> str:
    proc = run_script("open_profile.py", *args, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


def _values(report: str) -> dict[str, str]:
    rows = dict(re.findall(r"^\| ([^|]+) \| ([^|]+) \|$", report, re.MULTILINE))
    assert list(rows)[2:] == PHASES, report  # (the header and its rule first)
    return {phase: rows[phase] for phase in PHASES}


@pytest.mark.timeout(400)
@pytest.mark.parametrize("kind", ["fastestmcp", "canned"])
def test_every_phase_is_counted_under_callgrind(kind: str) -> None:
    report = _run("--kind", kind, "--sessions", "6", "--connections", "2", "--warmup", "2")
    assert "k instructions per operation" in report
    for phase, value in _values(report).items():
        assert float(value.replace(",", "")) > 5, (phase, report)  # thousands: a request's worth


@pytest.mark.timeout(120)
def test_cpu_time_mode_and_bad_arguments() -> None:
    report = _run("--cpu", "--sessions", "20", "--connections", "4", "--warmup", "4")
    assert "server CPU, us per operation" in report
    for value in _values(report).values():
        assert re.fullmatch(r"\d+ \(\d+ system\)", value), report
    proc = run_script("open_profile.py", "--sessions", "2", "--connections", "3", timeout=60)
    assert proc.returncode == 2
    assert "--connections must be <= --sessions" in proc.stderr
