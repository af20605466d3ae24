"""`benchmarks/actors.py` runs end to end (a smoke test: no timing or target is asserted here,
the machines are too noisy; the numbers live in benchmarks/RESULTS.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.benchmarks._script import run_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "actors.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_actors", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_quick_run_completes_and_reports_every_case(tmp_path: Path) -> None:
    bench = load_benchmark()
    out = tmp_path / "RESULTS.md"
    proc = run_script("actors.py", "--quick", "--rounds", "1", "--write", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = proc.stdout
    assert report.strip() in out.read_text()
    for case in bench.CASES:
        assert f"`{case.name}`" in report, case.name
        assert f"round 1/1 {case.name}:" in proc.stderr, case.name
    for row in bench.rows(bench.QUICK):
        assert f"| {row.label} |" in report, row.label
    # every target row carries a verdict, whatever it is on this machine
    targets = [row for row in bench.rows(bench.QUICK) if row.target]
    assert report.count("**PASS**") + report.count("**FAIL**") == len(targets) == 6
    assert "pykka 4.5" in report
    assert "Command: `python benchmarks/actors.py --quick --rounds 1 --write" in report
