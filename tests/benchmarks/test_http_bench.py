"""`benchmarks/http_bench.py` runs end to end for fastestmcp and the canned responder, every
scenario at tiny sizes (a smoke test: no timing or target is asserted, and the peers are left
out: their virtualenvs would download packages)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.benchmarks._script import run_script

TINY = [
    "--quick",
    "--kinds",
    "fastestmcp,canned",
    "--sessions",
    "1,4",
    "--seconds",
    "0.5",
    "--warmup",
    "0.2",
    "--sleep-seconds",
    "0.5",
    "--scale-sizes",
    "20,50",
    "--scale-drivers",
    "3",  # 50 sessions as 17 + 17 + 16, the 64 requests in flight as 22 + 21 + 21
    "--scale-cap",
    "20",
    "--churn-seconds",
    "2",
]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return run_script("http_bench.py", *args, timeout=240)


@pytest.mark.timeout(400)
def test_tiny_run_of_every_scenario_reports_sane_numbers(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# Some other benchmark\n\nkept as it is\n")
    proc = _run([*TINY, "--write", str(out)])
    assert proc.returncode == 0, proc.stderr[-4000:]
    log, report = proc.stderr, proc.stdout
    assert "fastmcp" not in log.replace("fastestmcp", "")  # no peer was started

    # the legacy era: every case measured, with positive rates and ordered percentiles
    for kind in ("fastestmcp", "canned"):
        for sessions in (1, 4):
            line = re.search(rf"round 1/1 legacy_{kind}_{sessions}: (.*) \[", log)
            assert line is not None, (kind, sessions, log[-3000:])
            metrics = dict(part.split("=") for part in line.group(1).split(", "))
            assert float(metrics["calls_per_s"]) > 0
            assert 0 < float(metrics["p50_ms"]) <= float(metrics["p99_ms"])
            assert float(metrics["server_cpu_us_per_call"]) >= 0
            assert float(metrics["server_sys_us_per_call"]) >= 0
            assert float(metrics["server_sys_us_per_call"]) <= float(
                metrics["server_cpu_us_per_call"]
            )
            assert float(metrics["driver_cpu_us_per_call"]) > 0
    # the top load again, every process on one CPU, for both kinds and both eras
    for scenario in ("legacy", "modern"):
        for kind in ("fastestmcp", "canned"):
            assert re.search(rf"round 1/1 {scenario}_{kind}_4_1cpu: calls_per_s=", log), kind
    assert "| 4 sessions, one CPU: calls/s | " in report
    assert re.search(r"4 sessions, every process on one CPU: calls/s, fastestmcp / canned", report)
    # the 2026-07-28 era: measured, or recorded as failed (a server may not serve it yet)
    for sessions in (1, 4):
        assert re.search(rf"round 1/1 modern_fastestmcp_{sessions}: (calls_per_s=|FAILED )", log)
        assert re.search(rf"round 1/1 modern_canned_{sessions}: calls_per_s=", log)
    for tool in ("sleep_sync", "sleep_async"):
        assert re.search(rf"round 1/1 sleep_fastestmcp_{tool}: calls_per_s=", log)
    assert "sleep_canned" not in log  # the canned responder has no tools

    for heading in ("### 1. ", "### 2. ", "### 4. ", "### 5. ", "### 6. ", "### Targets"):
        assert heading in report, heading
    assert "| 4 sessions: calls/s | " in report
    assert "server instructions:u per call (perf) | " in report
    # session scale, over 3 drivers, for fastestmcp and the canned responder (the driver's
    # ceiling): every session opened, answered its own value, and was deleted
    assert "| driver processes | 3 | 3 |" in report
    assert "| 50 sessions: sessions opened | 50 | 50 |" in report
    assert (
        "| second `remember` answered with the session's own value | 50 of 50 | 50 of 50 |"
        in report
    )
    assert "| deleted (`DELETE` answered 2xx) | 50 | 50 |" in report
    per_session = re.search(
        r"\| 50 sessions: RSS per session \(KiB\) \| (-?[\d.]+) \| - \|", report
    )
    assert per_session is not None
    for kind in ("fastestmcp", "canned"):
        line = re.search(rf"once scale_{kind}: drivers=3, .*answered=50, mismatched=0,", log)
        assert line is not None, (kind, log[-3000:])
    rates = re.search(r"\| 50 sessions: sessions opened/s \| ([\d.k]+) \| ([\d.k]+) \|", report)
    assert rates is not None
    ceiling = re.search(
        r"\| sessions opened/s, fastestmcp / canned responder .*\| (\d+) % ", report
    )
    assert ceiling is not None
    assert "), 3 for session scale." in report
    churned = re.search(r"\| sessions churned \| ([\d,]+) \|", report)
    assert churned is not None
    assert int(churned.group(1).replace(",", "")) > 0
    assert "RSS slope, second half (KiB/min)" in report
    assert report.count("**PASS**") + report.count("**FAIL**") >= 5
    assert "Command: `python benchmarks/http_bench.py --quick" in report
    assert "--scale-drivers 3" in report

    written = out.read_text()
    assert written.startswith("# Some other benchmark\n\nkept as it is\n")
    assert report.strip() in written

    # a second run replaces its own section and nothing else
    again = _run(
        [
            *("--quick", "--kinds", "canned", "--scenarios", "legacy", "--sessions", "1"),
            *("--seconds", "0.3", "--warmup", "0.1", "--write", str(out)),
        ]
    )
    assert again.returncode == 0, again.stderr[-4000:]
    rewritten = out.read_text()
    assert rewritten.count("## http") == 1
    assert rewritten.startswith("# Some other benchmark\n\nkept as it is\n")
    assert again.stdout.strip() in rewritten
    assert "### 5. " not in rewritten


@pytest.mark.timeout(200)
def test_scale_with_one_driver_and_with_a_phase_capped() -> None:
    base = ["--quick", "--scenarios", "scale", "--kinds", "canned", "--scale-drivers", "1"]
    proc = _run([*base, "--scale-sizes", "10,25"])
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "| driver processes | 1 |" in proc.stdout
    assert "| 25 sessions: sessions opened | 25 |" in proc.stdout
    assert "| second `remember` answered with the session's own value | 25 of 25 |" in proc.stdout
    assert "| deleted (`DELETE` answered 2xx) | 25 |" in proc.stdout
    assert "RSS per session (KiB) |" not in proc.stdout  # the canned responder's RSS: left out
    # no time at all: nothing opened, the first checkpoint reports it and the rest are skipped
    capped = _run([*base, "--scale-sizes", "10,25", "--scale-cap", "0"])
    assert capped.returncode == 0, capped.stderr[-4000:]
    assert "| 10 sessions: sessions opened | 0 (capped at 0 s) |" in capped.stdout
    assert "| 25 sessions:" not in capped.stdout


@pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("callgrind_control") is None,
    reason="valgrind (callgrind, callgrind_control) is not installed: the instructions "
    "scenario would only report n/a",
)
@pytest.mark.timeout(400)
def test_instructions_scenario_counts_instructions_under_callgrind() -> None:
    proc = _run(
        [
            *("--quick", "--scenarios", "instructions", "--kinds", "fastestmcp,canned"),
            *("--callgrind-sessions", "4", "--callgrind-calls", "3,1", "--callgrind-warmup", "10"),
        ]
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    log, report = proc.stderr, proc.stdout
    for era in ("legacy", "modern"):
        for kind in ("fastestmcp", "canned"):
            line = re.search(rf"once instructions_{era}_{kind}: (.*) \[", log)
            assert line is not None, (era, kind, log[-3000:])
            metrics = dict(part.split("=") for part in line.group(1).split(", "))
            assert float(metrics["instructions_per_call"]) > 10_000  # a Python server's call
            assert metrics["calls"] == "12"  # 4 sessions x 3 calls
        # the canned responder again, on aiohttp's low-level server (as fastestmcp's serve())
        assert re.search(rf"once instructions_{era}_canned_lowlevel: instructions_per_call=", log)
    assert "### Server instructions per `tools/call echo` (callgrind, 4 sessions)" in report
    for era in ("2025-11-25", "2026-07-28"):
        row = re.search(rf"\| {era}: server instructions per call \| (\d+)k \| (\d+)k \|", report)
        assert row is not None, report
        assert int(row.group(1)) > 0
        assert int(row.group(2)) > 0
        target = re.search(
            rf"\| {era}, 4 sessions: server instructions per call \(fastestmcp, callgrind\) "
            r"\| \d+k \| under about 460k \| \*\*(PASS|FAIL)\*\* \|",
            report,
        )
        assert target is not None, report
        assert re.search(rf"\| {era}: the same, canned responder on aiohttp's low-level", report)
    assert "Server instructions per call (callgrind): the server runs under" in report
    assert "--callgrind-calls 3,1 --callgrind-warmup 10,10" in report


@pytest.mark.timeout(200)
def test_instructions_scenario_without_valgrind_reports_na(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # a PATH with git (for the report's commit) and no valgrind
    bin_dir.mkdir()
    git = shutil.which("git")
    if git is not None:
        (bin_dir / "git").symlink_to(git)
    proc = run_script(
        "http_bench.py",
        *("--quick", "--scenarios", "instructions", "--kinds", "canned"),
        timeout=120,
        env={**os.environ, "PATH": str(bin_dir)},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "| 2025-11-25: server instructions per call | n/a (valgrind not installed) |" in (
        proc.stdout
    )
    assert "once instructions_modern_canned: " in proc.stderr


def test_unknown_scenario_is_refused() -> None:
    proc = _run(["--scenarios", "legacy,nonsense"])
    assert proc.returncode == 2
    assert "nonsense" in proc.stderr
    proc = _run(["--scale-drivers", "0"])
    assert proc.returncode == 2
    assert "--scale-drivers must be positive" in proc.stderr
    proc = _run(["--callgrind-calls", "1,2,3"])
    assert proc.returncode == 2
    assert "OURS,PEERS" in proc.stderr
