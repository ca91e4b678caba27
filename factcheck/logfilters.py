"""Logging filters.

`RateLimitFilter` keeps outage warnings (Redis away: the cache, the broker) from repeating on
every request. The standard library and Django have no rate-limiting filter, and a library
for these few lines is not worth a dependency.
"""

from __future__ import annotations

import logging
import math
import threading
import time


class RateLimitFilter(logging.Filter):
    """Lets one record per logger and message through every `seconds`.

    The next record that passes says how many like it were held back. With `as_warning`, a
    record above WARNING (e.g. django-redis logging an ignored error with its traceback) is
    passed on as a one-line WARNING naming the exception.
    """

    def __init__(self, seconds: float = 60.0, as_warning: bool = False) -> None:
        super().__init__()
        self.seconds = float(seconds)
        self.as_warning = as_warning
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}  # key -> (passed at, held)

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            passed_at, held = self._seen.get(key, (-math.inf, 0))
            if now - passed_at < self.seconds:
                self._seen[key] = (passed_at, held + 1)
                return False
            self._seen[key] = (now, 0)
        if self.as_warning and record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                summary = f"{type(exc).__name__}: {exc}".replace("%", "%%")
                record.msg = f"{record.msg}: {summary}"
                record.exc_info, record.exc_text = None, None
        if held:
            record.msg = f"{record.msg} ({held} more like it in the last {self.seconds:.0f}s)"
        return True
