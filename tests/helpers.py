"""Helpers for tests that wait on another thread or process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy (returned), or fail at the deadline.

    For tests that wait on another thread or process: the wait ends as soon as the condition
    holds, and a condition that never holds fails with what was awaited, not a silent sleep.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout}s: {what or predicate}")
        time.sleep(interval)
