"""The egress layer's configuration, read from Django settings (the only Django import here).

Everything else in `factcheck.egress` takes its configuration as arguments; these adapters
are where settings become an `EgressPolicy`, a `FetchConfig` or a `LimitConfig`, so link
checks, archive look-ups and webhook deliveries read the same settings the same way.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from django.conf import settings

from factcheck.egress.fetcher import FetchConfig
from factcheck.egress.guard import EgressPolicy
from factcheck.egress.limits import LimitConfig, SharedLimits


def egress_policy() -> EgressPolicy:
    """Where any outgoing request may connect (LINKCHECK_ALLOWED_NETWORKS, ..._PORTS,
    LINKCHECK_EGRESS_ALLOWLIST): one policy for link checks and webhooks alike."""
    return EgressPolicy.from_strings(
        allowed_networks=settings.LINKCHECK_ALLOWED_NETWORKS,
        egress_allowlist=settings.LINKCHECK_EGRESS_ALLOWLIST or None,
        allowed_ports=settings.LINKCHECK_ALLOWED_PORTS,
    )


def fetch_config() -> FetchConfig:
    """Timeouts, redirects and body cap of a link check (and an archive look-up)."""
    return FetchConfig(
        connect_timeout=settings.LINKCHECK_CONNECT_TIMEOUT,
        read_timeout=settings.LINKCHECK_READ_TIMEOUT,
        total_timeout=settings.LINKCHECK_TOTAL_TIMEOUT,
        max_redirects=settings.LINKCHECK_MAX_REDIRECTS,
        max_body_bytes=settings.LINKCHECK_MAX_BODY_BYTES,
        user_agent=settings.LINKCHECK_USER_AGENT,
    )


def snapshot_fetch_config() -> FetchConfig:
    """A link check's, with the snapshot's body cap (EVIDENCE_SNAPSHOT_MAX_BYTES)."""
    return replace(fetch_config(), max_body_bytes=settings.EVIDENCE_SNAPSHOT_MAX_BYTES)


def article_fetch_config(*, total_timeout: float | None = None) -> FetchConfig:
    """An article page: the link checks' connect/read timeouts and redirects, the article's
    own User-Agent and deadline, and a body cap one byte above ARTICLE_FETCH_MAX_BYTES (so a
    bigger page is seen as bigger, and refused, rather than cut)."""
    timeout = settings.ARTICLE_FETCH_TIMEOUT_SECONDS
    if total_timeout is not None:
        timeout = min(timeout, total_timeout)
    return replace(
        fetch_config(),
        total_timeout=timeout,
        read_timeout=min(settings.LINKCHECK_READ_TIMEOUT, timeout),
        max_body_bytes=settings.ARTICLE_FETCH_MAX_BYTES + 1,
        user_agent=settings.ARTICLE_FETCH_USER_AGENT,
    )


def archive_now_fetch_config() -> FetchConfig:
    """A link check's, with the archive service's own timeout (a capture takes a while) and a
    small body cap: only where the answer points matters, not the archived page."""
    timeout = settings.ARCHIVE_NOW_TIMEOUT
    return replace(
        fetch_config(),
        read_timeout=timeout,
        total_timeout=timeout,
        max_body_bytes=64 * 1024,
    )


def webhook_fetch_config() -> FetchConfig:
    """A webhook delivery: one timeout for the whole POST, no redirects followed."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    return FetchConfig(
        connect_timeout=min(5.0, timeout),
        read_timeout=timeout,
        total_timeout=timeout,
        max_redirects=0,
        user_agent=settings.WEBHOOK_USER_AGENT,
    )


def limit_config() -> LimitConfig:
    return LimitConfig(
        per_host=settings.LINKCHECK_PER_HOST_LIMIT,
        global_limit=settings.LINKCHECK_GLOBAL_LIMIT,
        token_ttl_seconds=settings.LINKCHECK_HOST_SLOT_TTL_SECONDS,
        max_wait_seconds=settings.LINKCHECK_HOST_WAIT_SECONDS,
        breaker_threshold=settings.LINKCHECK_BREAKER_THRESHOLD,
        breaker_cooldown_seconds=settings.LINKCHECK_BREAKER_COOLDOWN_SECONDS,
        breaker_max_cooldown_seconds=settings.LINKCHECK_BREAKER_MAX_COOLDOWN_SECONDS,
    )


@lru_cache(maxsize=4)
def _shared_limits(url: str, config: LimitConfig) -> SharedLimits:
    return SharedLimits(url, config)


def shared_limits() -> SharedLimits | None:
    """The Redis-backed limits, or None where there is no Redis (local development)."""
    url = settings.LINKCHECK_REDIS_URL
    return _shared_limits(url, limit_config()) if url else None
