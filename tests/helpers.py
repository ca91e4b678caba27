"""Helpers for tests that wait on another thread or process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str | Callable[[], str] = "",
) -> Any:
    """Poll `predicate` until it returns something truthy (returned), or fail at the deadline.

    For tests that wait on another thread or process: the wait ends as soon as the condition
    holds, and a condition that never holds fails with what was awaited (`what`, or what it
    returns when called then, e.g. a worker's log), not a silent sleep.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not within {timeout}s: {said or predicate}")
        time.sleep(interval)


def broker_idle(url: str) -> Callable[[], bool]:
    """A predicate for wait_for: the Redis broker at `url` holds no task message, neither
    waiting in a queue nor delivered and unacknowledged (kombu's `unacked` hash).

    With acks_late, a task is acknowledged when it finishes: an idle broker means no work is
    running or can be delivered again, so nothing more will arrive.
    """
    import redis

    client = redis.Redis.from_url(url)

    def idle() -> bool:
        for key in client.scan_iter():
            kind = client.type(key)
            if kind == b"list" and client.llen(key):
                return False
            if kind == b"hash" and key == b"unacked" and client.hlen(key):
                return False
        return True

    return idle
