"""Redis away (cache and broker on a port nothing listens on): the API keeps answering.

Reads and throttled endpoints answer as if the cache were empty; writes that enqueue work
commit and answer, and what they could not enqueue stays due in the database. Connection
attempts are counted (each is bounded by a short connect timeout in settings), not timed.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import kombu.pools
import pytest
import redis.connection
from django.utils import timezone

from annotations.models import Evidence, Link
from reviews.models import WebhookDelivery
from tests.api.conftest import publish

pytestmark = pytest.mark.django_db


@dataclass
class DeadRedis:
    """Two Redis URLs nothing listens on: one for the cache, one for the broker."""

    cache_port: int
    broker_port: int
    attempts: list[int] = field(default_factory=list)  # the port of each connection attempt

    def url(self, port: int) -> str:
        return f"redis://127.0.0.1:{port}/0"

    def count(self) -> tuple[int, int]:
        """(cache, broker) connection attempts since the last count."""
        counts = (self.attempts.count(self.cache_port), self.attempts.count(self.broker_port))
        self.attempts.clear()
        return counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fresh_producers(app: Any) -> None:
    # Celery keeps its broker connections (and producers on them) in kombu's process-wide
    # pool registry, keyed by URL: close and forget them all, so the next publish connects
    # to the URL configured now and no later test meets a closed pool under the old URL.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def dead_redis(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadRedis]:
    from factcheck.celery import app

    dead = DeadRedis(cache_port=_free_port(), broker_port=_free_port())
    # The project's own cache settings, only pointed elsewhere.
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": dead.url(dead.cache_port)}
    }
    settings.LINKCHECK_REDIS_URL = dead.url(dead.cache_port)
    previous = app.conf.broker_url
    _fresh_producers(app)
    app.conf.broker_url = dead.url(dead.broker_port)

    connect = redis.connection.Connection._connect

    def counting(self: Any) -> Any:
        if self.port in (dead.cache_port, dead.broker_port):
            dead.attempts.append(self.port)
        return connect(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", counting)
    # Outage warnings are rate-limited per process; start this test with a fresh window.
    for name in ("factcheck.cache", "factcheck.broker"):
        for flt in logging.getLogger(name).filters:
            flt._seen.clear()  # type: ignore[attr-defined]
    yield dead
    _fresh_producers(app)
    app.conf.broker_url = previous


def _publish_attempts() -> int:
    """Connection attempts one failed publish may make: (retries + 1) x redis-py's 2 tries."""
    from factcheck.celery import app

    return (app.conf.task_publish_retry_policy["max_retries"] + 1) * 2


def test_settings_keep_a_dead_redis_from_holding_a_request() -> None:
    from django.conf import settings

    from factcheck.celery import app

    options = settings.CACHES["default"]["OPTIONS"]
    assert options["SOCKET_CONNECT_TIMEOUT"] <= 0.5 and options["SOCKET_TIMEOUT"] <= 1
    assert settings.DJANGO_REDIS_IGNORE_EXCEPTIONS is True
    assert app.conf.task_publish_retry_policy["max_retries"] <= 1
    assert app.conf.broker_transport_options["socket_connect_timeout"] <= 1


def test_reads_feeds_and_throttled_endpoints_answer(
    dead_redis: DeadRedis,
    published_claims: Any,
    client_for: Any,
    reviewer: Any,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from rest_framework.test import APIClient

    (claim,) = published_claims(1)
    # One request a minute for anonymous readers: throttling that cannot count fails open.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "1/min",
        },
    }
    anonymous = APIClient()
    dead_redis.count()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            feed = anonymous.get("/api/v1/claimreviews/")
            assert feed.status_code == 200, feed.content
            # A few cache calls (throttle), one attempt each: nothing is retried.
            assert dead_redis.count() == (2, 0)
        assert str(claim.pk) in feed.content.decode()
        one = anonymous.get(f"/api/v1/claims/{claim.pk}/claimreview/")
        assert one.status_code == 200, one.content
        assert one.json()["@type"] == "ClaimReview"
        page = anonymous.get(f"/claims/{claim.pk}/")
        assert page.status_code == 200
        listing = client_for(reviewer).get("/api/v1/claims/")
        assert listing.status_code == 200
        assert [c["id"] for c in listing.json()["results"]] == [str(claim.pk)]
    warnings = [r for r in caplog.records if r.name == "factcheck.cache"]
    # Many failed cache calls, one warning (rate-limited), without a traceback.
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING and warnings[0].exc_info is None
    assert "Connection" in warnings[0].getMessage()


def test_writes_commit_answer_and_stay_due(
    dead_redis: DeadRedis,
    client_for: Any,
    reviewer: Any,
    claim: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_for(reviewer)
    dead_redis.count()
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/claims/{claim.pk}/evidence/",
            {"url": "https://example.org/report", "stance": "supports"},
            format="json",
        )
    assert response.status_code == 201, response.content
    # A link check, an archive look-up and the page's capture could not be enqueued: each
    # publish gave up after one retry. The cache (throttles) was asked a few times, once each.
    cache_attempts, broker_attempts = dead_redis.count()
    assert 0 < cache_attempts <= 4
    assert broker_attempts == 3 * _publish_attempts()
    evidence = Evidence.objects.get(pk=response.json()["id"])
    link = Link.objects.get(pk=evidence.link_id)
    assert link.url == "https://example.org/report"
    assert link.next_check_at is not None and link.next_check_at <= timezone.now()
    assert link.checking_until is None
    assert any(r.name == "factcheck.broker" for r in caplog.records)

    with django_capture_on_commit_callbacks(execute=True):
        recheck = client.post(f"/api/v1/links/{link.pk}/recheck/")
    assert recheck.status_code == 202, recheck.content
    cache_attempts, broker_attempts = dead_redis.count()
    assert 0 < cache_attempts <= 4 and broker_attempts == _publish_attempts()
    link.refresh_from_db()
    assert link.next_check_at <= timezone.now()  # still due: the next beat enqueues it
    assert recheck.json()["next_check_at"] is not None


def test_webhook_fan_out_commits_its_deliveries(
    dead_redis: DeadRedis,
    client_for: Any,
    submitter: Any,
    reviewer: Any,
    editor2: Any,
    claim: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from reviews.models import Review

    hook = client_for(submitter).post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.org/in", "events": ["claim.published"]},
        format="json",
    )
    assert hook.status_code == 201, hook.content
    with django_capture_on_commit_callbacks(execute=True):
        publish(claim, reviewer=reviewer, editor=editor2)
    assert Review.objects.get(claim=claim).state == "published"
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.event, delivery.status, delivery.attempts) == ("claim.published", "pending", 0)


def test_soft404_probe_cache_fails_open(dead_redis: DeadRedis) -> None:
    from annotations.linkhealth.probes import ProbeCache
    from factcheck.egress.config import shared_limits

    limits = shared_limits()
    assert limits is not None and limits.url == dead_redis.url(dead_redis.cache_port)
    origin = f"http://127.0.0.1:{dead_redis.cache_port}"
    ProbeCache._local.pop(origin, None)
    probes = ProbeCache(limits)
    try:
        assert probes.get(origin) == (False, None)  # a miss: the checker probes for itself
        probes.put(origin, None)  # kept in this process only
        assert dead_redis.count() == (2, 0)  # one attempt each, no 30-second retry loop
        assert probes.get(origin) == (True, None)
    finally:
        ProbeCache._local.pop(origin, None)
