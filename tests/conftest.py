"""Shared fixtures: a running runtime per test, torn down with a bound."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from supervisors import Runtime


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = Runtime("test", watchdog=None, shutdown_timeout=10.0).start()
    try:
        yield rt
    finally:
        rt.stop()
