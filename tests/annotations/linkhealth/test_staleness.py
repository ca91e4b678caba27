"""Staleness as a stored fact: the services that change the stale rule's inputs keep
`Evidence.stale_since` and `Claim.has_stale_evidence` right, and the pages read an index."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from annotations.linkhealth.classify import Classification
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.recording import link_check_record
from annotations.linkhealth.staleness import evidence_staleness_refresh
from annotations.linkhealth.sweeps import evidence_sweep_unverified
from annotations.models import Claim, Evidence, Link, LinkCheckDay
from annotations.querysets import evidence_stale_q
from annotations.services.evidence import evidence_attach, evidence_delete
from annotations.web.queries import link_health_by_day
from factcheck.egress.fetcher import FetchResult

pytestmark = pytest.mark.django_db

URL = "https://source.example.org/report"


def _check(evidence: Evidence, health: LinkHealth, status: int, key: str) -> None:
    link_check_record(
        link_id=evidence.link_id,
        result=FetchResult(url=evidence.url, final_url=evidence.url, status_code=status),
        verdict=Classification(health),
        attempt_key=key,
    )


def _flags(evidence: Evidence) -> tuple[bool, bool]:
    evidence.refresh_from_db()
    claim = Claim.objects.get(pk=evidence.claim_id)
    return evidence.stale_since is not None, claim.has_stale_evidence


def test_recording_sets_and_clears_the_flags(claim: Any, reviewer: Any) -> None:
    evidence = evidence_attach(claim=claim, by=reviewer, url=URL, stance="supports")
    assert _flags(evidence) == (False, False)
    _check(evidence, LinkHealth.OK, 200, "a")
    _check(evidence, LinkHealth.BROKEN, 404, "b")
    assert _flags(evidence) == (True, True)
    # Stale since its last working answer.
    link = Link.objects.get(pk=evidence.link_id)
    assert evidence.stale_since == link.last_ok_at
    _check(evidence, LinkHealth.OK, 200, "c")
    assert _flags(evidence) == (False, False)
    # Every check counted into the chart's roll-up when it was recorded.
    today = timezone.localdate()
    assert dict(LinkCheckDay.objects.filter(day=today).values_list("health", "count")) == {
        "ok": 2,
        "broken": 1,
    }
    assert link_health_by_day(days=1)[0]["counts"] == {"ok": 2, "broken": 1}


def test_attaching_a_known_broken_link_and_removing_it(
    claim: Any, article: Any, reviewer: Any
) -> None:
    first = evidence_attach(claim=claim, by=reviewer, url=URL, stance="supports")
    _check(first, LinkHealth.BROKEN, 404, "a")
    from tests.factories import claim_create

    other = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    cited = evidence_attach(claim=other, by=reviewer, url=URL, stance="refutes")
    assert _flags(cited) == (True, True)
    healthy = evidence_attach(
        claim=other, by=reviewer, url="https://other.example.org/", stance="context"
    )
    evidence_delete(evidence=cited, by=reviewer)
    assert _flags(healthy) == (False, False)
    assert _flags(first) == (True, True)


def test_the_sweep_flags_evidence_nobody_verified_for_too_long(
    claim: Any, reviewer: Any, settings: Any
) -> None:
    settings.LINK_STALE_AFTER_DAYS = 30
    evidence = evidence_attach(claim=claim, by=reviewer, url=URL, stance="supports")
    _check(evidence, LinkHealth.ERROR, 503, "a")
    assert _flags(evidence) == (False, False)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=timezone.now() - timedelta(days=45))
    evidence_sweep_unverified()
    assert _flags(evidence) == (True, True)
    # Never verified: stale since it was attached.
    assert evidence.stale_since == evidence.created_at


def test_a_full_refresh_agrees_with_the_rule(claim: Any, article: Any, reviewer: Any) -> None:
    """What the migration computes for existing rows: the stored flags equal the rule."""
    from tests.factories import claim_create

    claims = [claim] + [
        claim_create(article=article, by=reviewer, exact=exact)
        for exact in ("600,000 Russian soldiers", "North Korea is training")
    ]
    for i, c in enumerate(claims):
        evidence_attach(claim=c, by=reviewer, url=f"{URL}/{i}", stance="supports")
    # Written behind the services' back, as rows were before the flags existed.
    Link.objects.filter(url__endswith="/1").update(health="dead")
    Evidence.objects.filter(url__endswith="/2").update(changed=True)
    evidence_staleness_refresh()
    stale = set(Evidence.objects.filter(evidence_stale_q()).values_list("pk", flat=True))
    assert set(Evidence.objects.filter(stale_since__isnull=False).values_list("pk", flat=True)) == (
        stale
    )
    assert len(stale) == 2
    flagged = set(Claim.objects.filter(has_stale_evidence=True).values_list("pk", flat=True))
    assert flagged == {claims[1].pk, claims[2].pk}
    # Twice is the same.
    assert evidence_staleness_refresh() == set()


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_stale_tab_and_the_stale_page_read_their_indexes(editor: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL")
    from annotations.web.queries import _stale_rows, queue_claims

    listed, _ = queue_claims(user=editor, bucket="stale")
    assert "claim_stale_recent" in _plan(listed.order_by("-created_at")[:25])
    assert "evidence_stale" in _plan(_stale_rows(editor).order_by("stale_since", "pk")[:25])
    from reviews.selectors import published_review_list

    feed = published_review_list().order_by("-published_at", "-id")[:50]
    assert "review_feed" in _plan(feed)
