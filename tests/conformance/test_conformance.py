"""The official MCP conformance suite against our fixture, on demand.

Needs the network (npm, PyPI) on first run and takes about 20 s after that, so it runs only
when `FASTESTMCP_CONFORMANCE=1`; `make conformance` runs the same thing directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent / "run.py"
ENABLED = os.environ.get("FASTESTMCP_CONFORMANCE") == "1"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(
    not ENABLED,
    reason="the official conformance suite runs only with FASTESTMCP_CONFORMANCE=1 "
    "(it installs Node and npm packages); or run `make conformance`",
)
def test_official_conformance_suite_passes_every_scenario() -> None:
    completed = subprocess.run(
        [sys.executable, str(RUNNER)],
        capture_output=True,
        text=True,
        timeout=1700,
        check=False,
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"conformance is not at 100 %:\n{report}"
