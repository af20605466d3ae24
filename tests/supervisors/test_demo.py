"""The README's demo command runs the supervision tour; it must keep working."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_shows_restart_and_reverse_stop() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "supervisors.demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "a restarted with a new ref: True and fresh state: 1" in out
    assert "b kept its state: 3" in out
    assert "stopped in reverse order: ['stop c', 'stop b', 'stop a']" in out
