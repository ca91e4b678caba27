"""Link-health tests share one Redis database: start each from no limits, breakers or probes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _clear_linkcheck_keys(url: str) -> None:
    import redis

    from factcheck.egress.limits import keys_pattern

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(keys_pattern(), count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(autouse=True)
def fresh_linkcheck_state(settings: Any) -> Iterator[None]:
    from annotations.linkhealth.probes import ProbeCache

    ProbeCache._local.clear()
    if settings.LINKCHECK_REDIS_URL:
        _clear_linkcheck_keys(settings.LINKCHECK_REDIS_URL)
    yield
    ProbeCache._local.clear()
