"""Re-review triggers: stale evidence or changed quoted words flag a published review (its
verdict stays visible, marked) and mail the assignee and the editors, once."""

from __future__ import annotations

import itertools

import pytest
from django.core import mail

from annotations.linkhealth.classify import Classification
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.recording import link_check_record
from annotations.models import Link
from factcheck.egress.fetcher import FetchResult
from reviews.models import Review
from tests.reviews.conftest import move

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]

_keys = itertools.count()

PAGE_A = (
    "<html><body><main><p>"
    + " ".join(f"The ministry reported {n} battalions near Kursk in week {n}." for n in range(40))
    + "</p></main></body></html>"
)
PAGE_B = (
    "<html><body><main><p>"
    + " ".join(
        f"Weather forecast for region {n}: rain, wind and {n} millimetres expected."
        for n in range(40)
    )
    + "</p></main></body></html>"
)


def check(link: Link, health: LinkHealth, *, status: int = 200, body: str = "") -> None:
    result = FetchResult(
        url=link.url,
        final_url=link.url,
        status_code=status,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body.encode(),
        method="GET",
    )
    link_check_record(
        link_id=link.pk,
        result=result,
        verdict=Classification(health=health, reason=f"test {health}"),
        attempt_key=f"test-{next(_keys)}",
    )


@pytest.fixture
def desk(editor, editor2, reviewer):
    return {editor.email, editor2.email, reviewer.email}


@pytest.mark.parametrize(
    ("health", "status"),
    [(LinkHealth.BROKEN, 404), (LinkHealth.DEAD, 404), (LinkHealth.SOFT_404, 200)],
)
def test_dead_evidence_flags_a_published_review_and_mails_its_people(
    client_for, published, desk, django_capture_on_commit_callbacks, health, status
):
    link = published.evidence.get().link
    before = Review.objects.get(claim=published)
    with django_capture_on_commit_callbacks(execute=True):
        check(link, health, status=status)
    review = Review.objects.get(claim=published)
    assert review.needs_rereview is True
    assert review.rereview_reason == f"evidence link is {health}"
    assert (review.state, review.verdict) == ("published", before.verdict)
    assert review.version == before.version + 1
    # One email per person, each a notification of kind rereview with a link to the claim.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(desk)
    message = mail.outbox[0]
    assert "needs re-review" in message.subject
    assert f"?claim={published.pk}" in message.body

    # Still public, marked in the API and the queue.
    assert client_for(None).get(f"/api/v1/claims/{published.pk}/claimreview/").status_code == 200
    queue = client_for(review.assignee).get("/api/v1/claims/?needs_rereview=true")
    assert [c["id"] for c in queue.data["results"]] == [str(published.pk)]
    assert queue.data["results"][0]["review"]["needs_rereview"] is True

    # A second bad check tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        check(link, health, status=status)
    assert len(mail.outbox) == len(desk)


def test_changed_evidence_page_flags_the_review(
    published, desk, django_capture_on_commit_callbacks
):
    link = published.evidence.get().link
    with django_capture_on_commit_callbacks(execute=True):
        check(link, LinkHealth.OK, body=PAGE_A)  # the first check: what the reviewer relied on
    assert Review.objects.get(claim=published).needs_rereview is False
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        check(link, LinkHealth.OK, body=PAGE_B)
    review = Review.objects.get(claim=published)
    assert review.needs_rereview is True
    assert review.rereview_reason == "evidence page changed"
    assert published.evidence.get().changed is True
    assert sorted(m.to[0] for m in mail.outbox) == sorted(desk)


@pytest.mark.parametrize("health", [LinkHealth.ERROR, LinkHealth.BLOCKED, LinkHealth.OK])
def test_transient_or_healthy_checks_flag_nothing(
    published, django_capture_on_commit_callbacks, health
):
    with django_capture_on_commit_callbacks(execute=True):
        check(published.evidence.get().link, health, status=503)
    assert Review.objects.get(claim=published).needs_rereview is False
    assert mail.outbox == []


@pytest.mark.parametrize("state", ["unassigned", "in_progress", "in_review"])
def test_work_in_progress_is_not_flagged(claim_in, django_capture_on_commit_callbacks, state):
    claim = claim_in(state)
    with django_capture_on_commit_callbacks(execute=True):
        check(claim.evidence.get().link, LinkHealth.BROKEN, status=404)
    assert Review.objects.get(claim=claim).needs_rereview is False
    assert mail.outbox == []


def test_republishing_clears_the_flag(
    client_for, published, reviewer, editor, editor2, django_capture_on_commit_callbacks
):
    from annotations.services.evidence import evidence_attach

    with django_capture_on_commit_callbacks(execute=True):
        check(published.evidence.get().link, LinkHealth.DEAD, status=404)
    flagged = Review.objects.get(claim=published)
    assert (flagged.needs_rereview, flagged.rereview_reason) == (True, "evidence link is dead")
    move(published, editor, "reopen", note="Source is gone.")
    evidence_attach(
        claim=published, by=reviewer, url="https://example.org/archive", stance="supports"
    )
    move(published, reviewer, "submit", verdict="mostly_true", rationale="Archived copy.")
    # Reopening and resubmitting keep the flag: only a new publication clears it.
    pending = Review.objects.get(claim=published)
    assert (pending.state, pending.needs_rereview) == ("in_review", True)
    assert pending.rereview_reason == "evidence link is dead"
    move(published, editor2, "approve", note="Replaced a dead source.")
    review = Review.objects.get(claim=published)
    assert (review.state, review.needs_rereview, review.rereview_reason) == ("published", False, "")


def test_changed_quoted_words_flag_the_review(
    article, published, editor, desk, django_capture_on_commit_callbacks
):
    from annotations.services.articles import article_submit

    new_text = article.text.replace("training 10,000 soldiers", "training 12,000 soldiers")
    with django_capture_on_commit_callbacks(execute=True):
        article_submit(by=editor, title=article.title, text=new_text, url=article.url)
    review = Review.objects.get(claim=published)
    assert review.needs_rereview is True
    assert review.state == "published"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(desk)
