"""Each host's soft-404 probe (its answer for a path that cannot exist), cached per process
and shared by every worker in Redis. The cache fails open: with Redis away each process
probes for itself.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import redis
from django.conf import settings

from factcheck.egress.fetcher import FetchResult
from factcheck.egress.limits import PREFIX, SharedLimits

logger = logging.getLogger(__name__)


class ProbeCache:
    """Each host's answer for a path that cannot exist, per process and shared in Redis
    (through the Redis client of the shared limits, under their key prefix)."""

    _local: dict[str, tuple[float, FetchResult | None]] = {}

    def __init__(self, limits: SharedLimits | None) -> None:
        self.limits = limits
        self.ttl = settings.LINKCHECK_SOFT404_PROBE_TTL

    def get(self, origin: str) -> tuple[bool, FetchResult | None]:
        hit = self._local.get(origin)
        if hit and hit[0] > time.monotonic():
            return True, hit[1]
        if self.limits is not None:
            data = self._shared_get(origin)
            if data is not None:
                probe = self._from_data(origin, data)
                self._local[origin] = (time.monotonic() + min(self.ttl, 300), probe)
                return True, probe
        return False, None

    def put(self, origin: str, probe: FetchResult | None) -> None:
        if len(self._local) > 10_000:
            self._local.clear()
        self._local[origin] = (time.monotonic() + self.ttl, probe)
        if self.limits is not None:
            data: dict[str, Any] = {
                "status": None,
                "content_type": "",
                "body": b"",
                "error_class": "none",
            }
            if probe is not None:
                data = {
                    "status": probe.status_code,
                    "content_type": probe.headers.get("content-type", ""),
                    "body": probe.body,
                    "error_class": probe.error_class,
                }
            self._shared_set(origin, data)

    @staticmethod
    def _key(origin: str) -> str:
        return f"{PREFIX}:probe:{origin}"

    def _shared_get(self, origin: str) -> dict[str, Any] | None:
        assert self.limits is not None
        try:
            raw = self.limits.client.get(self._key(origin))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logger.warning("soft-404 probe cache unavailable: %s", exc)
            return None
        if not raw:
            return None
        data = json.loads(raw)
        data["body"] = base64.b64decode(data["body"])
        return data  # type: ignore[no-any-return]

    def _shared_set(self, origin: str, data: dict[str, Any]) -> None:
        assert self.limits is not None
        stored = dict(data, body=base64.b64encode(data["body"][:65536]).decode())
        try:
            self.limits.client.set(self._key(origin), json.dumps(stored), ex=self.ttl)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logger.warning("soft-404 probe cache unavailable: %s", exc)

    @staticmethod
    def _from_data(origin: str, data: dict[str, Any]) -> FetchResult | None:
        if data.get("error_class") == "none":
            return None
        return FetchResult(
            url=f"{origin}/",
            final_url=f"{origin}/",
            status_code=data.get("status"),
            error_class=data.get("error_class", ""),
            headers={"content-type": data.get("content_type", "")},
            body=data.get("body", b""),
            method="GET",
        )
