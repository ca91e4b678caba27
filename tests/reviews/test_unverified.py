"""Sources not verified for too long: a daily sweep raises evidence_unverified, once per
episode, on published checks; the link's next working answer resolves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.linkhealth.classify import Classification
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.recording import link_check_record
from annotations.linkhealth.sweeps import evidence_sweep_unverified
from annotations.models import Evidence, Link
from factcheck.egress.fetcher import FetchResult
from reviews.models import RereviewReason, Review
from tests.api.conftest import publish
from tests.factories import claim_create

pytestmark = pytest.mark.django_db


def _age(claim, *, days: int, last_ok_days: int | None) -> Evidence:
    evidence = claim.evidence.get()
    then = timezone.now() - timedelta(days=days)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=then)
    last_ok = None if last_ok_days is None else timezone.now() - timedelta(days=last_ok_days)
    Link.objects.filter(pk=evidence.link_id).update(health=LinkHealth.ERROR, last_ok_at=last_ok)
    return evidence


def _open(claim) -> list[RereviewReason]:
    return list(RereviewReason.objects.filter(review__claim=claim, cleared_at__isnull=True))


def test_the_sweep_flags_published_checks_whose_source_nobody_could_verify(
    claim, article, reviewer, editor, settings
) -> None:
    settings.LINK_STALE_AFTER_DAYS = 30
    publish(claim, reviewer=reviewer, editor=editor)
    evidence = _age(claim, days=45, last_ok_days=40)
    draft = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    from annotations.services.evidence import evidence_attach

    evidence_attach(claim=draft, by=reviewer, url=evidence.url, stance="supports")
    Evidence.objects.filter(claim=draft).update(created_at=timezone.now() - timedelta(days=45))

    assert evidence_sweep_unverified() == 2

    (reason,) = _open(claim)
    assert reason.code == "evidence_unverified"
    assert reason.subject == f"link:{evidence.link_id}"
    assert reason.message.startswith("evidence link not verified since ")
    review = Review.objects.get(claim=claim)
    assert review.needs_rereview is True
    # Work never published gets no reason: it is looked at anyway.
    assert _open(draft) == []
    # Once per episode: the next day's sweep adds nothing.
    version = review.version
    evidence_sweep_unverified()
    assert len(_open(claim)) == 1
    assert Review.objects.get(claim=claim).version == version

    # The link answers again: the reason is resolved, the flag cleared.
    link_check_record(
        link_id=evidence.link_id,
        result=FetchResult(url=evidence.url, final_url=evidence.url, status_code=200),
        verdict=Classification(LinkHealth.OK),
        attempt_key="recovered",
    )
    assert _open(claim) == []
    cleared = RereviewReason.objects.get(review__claim=claim)
    assert cleared.cleared_how == "resolved"
    assert Review.objects.get(claim=claim).needs_rereview is False


def test_recent_evidence_and_recently_verified_links_are_left_alone(
    claim, reviewer, editor, settings
) -> None:
    settings.LINK_STALE_AFTER_DAYS = 30
    publish(claim, reviewer=reviewer, editor=editor)
    _age(claim, days=45, last_ok_days=3)
    assert evidence_sweep_unverified() == 0
    _age(claim, days=10, last_ok_days=None)
    assert evidence_sweep_unverified() == 0
    assert _open(claim) == []
