"""`benchmarks/stdio.py` runs end to end for fastestmcp and the canned responder (a smoke test:
no timing or target is asserted, and the peers are left out: their virtualenvs would download
packages)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.benchmarks._script import ROOT, run_script


def test_quick_run_reports_fastestmcp_and_the_canned_responder(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# Some other benchmark\n\nkept as it is\n")
    proc = run_script(
        "stdio.py",
        *("--quick", "--calls", "50", "--kinds", "fastestmcp,canned", "--write", str(out)),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = proc.stdout
    for kind in ("fastestmcp", "canned", "fastestmcp_1cpu", "canned_1cpu"):
        assert f"round 1/1 {kind}: calls_per_s=" in proc.stderr, kind
        assert f"| `{kind}` | " in report, kind
    assert "fastmcp" not in proc.stderr.replace("fastestmcp", "")  # no peer was started
    assert report.count("| `tools/call echo` round trips/s, sequential | ") == 2  # + one CPU
    assert "| `Popen` -> `initialize` response (ms) | " in report
    # the start target carries a verdict whatever it is on this machine; the calls/s target
    # needs FastMCP, which this run leaves out
    assert "| `Popen` -> `initialize` response, fastestmcp | " in report
    assert report.count("**PASS**") + report.count("**FAIL**") == 1
    assert "Command: `python benchmarks/stdio.py --quick --calls 50 --kinds fastestmcp,canned" in (
        report
    )
    written = out.read_text()
    assert written.startswith("# Some other benchmark\n\nkept as it is\n")
    assert report.strip() in written

    # a second run replaces its own section and nothing else
    again = subprocess.run(
        proc.args, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert again.returncode == 0, again.stderr[-4000:]
    rewritten = out.read_text()
    assert rewritten.count("## stdio") == 1
    assert rewritten.startswith("# Some other benchmark\n\nkept as it is\n")
    assert again.stdout.strip() in rewritten
