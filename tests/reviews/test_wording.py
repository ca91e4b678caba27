"""Article revisions never rewrite what was published: re-anchoring moves the working claim,
and changed or vanished words raise a reason carrying the words before and after."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from annotations.linkhealth.health import LinkHealth
from reviews.models import Publication, RereviewReason, Review
from tests.factories import ARTICLE_TEXT
from tests.reviews.test_rereview import check

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]

URL = "https://news.example.org/2024/kursk"
CHANGED = ARTICLE_TEXT.replace("training 10,000 soldiers", "training 12,000 soldiers")


def resubmit(client: Any, text: str) -> Any:
    response = client.post(
        "/api/v1/articles/", {"url": URL, "title": "T", "text": text}, format="json"
    )
    assert response.status_code == 200, response.data
    return response


def published_record(claim: Any) -> list[dict[str, Any]]:
    return list(Publication.objects.filter(review__claim_id=claim.pk).order_by("number").values())


def public_page(client: Any, claim: Any) -> str:
    """The fact check as readers see it (the page's <article>, without the per-request token)."""
    html = client.get(reverse("web:published", args=[claim.pk])).content.decode()
    return html[html.index('<article class="published') : html.index("</article>")]


def open_reasons(claim: Any) -> list[dict[str, Any]]:
    return list(
        RereviewReason.objects.filter(review__claim_id=claim.pk, cleared_at__isnull=True)
        .order_by("created_at", "id")
        .values("code", "subject", "details")
    )


def test_a_submitter_token_revises_the_article_but_never_the_publication(
    client, client_for, submitter, published
):
    record = published_record(published)
    page = public_page(client, published)
    markup = client_for(None).get(f"/api/v1/claims/{published.pk}/claimreview/").data

    resubmit(client_for(submitter), CHANGED)

    published.refresh_from_db()
    assert published.exact == "North Korea is training 12,000 soldiers"  # the working claim
    assert published_record(published) == record
    assert public_page(client, published) == page
    assert client_for(None).get(f"/api/v1/claims/{published.pk}/claimreview/").data == markup
    assert "10,000 soldiers" in page and "12,000" not in page
    assert open_reasons(published) == [
        {
            "code": "wording_changed",
            "subject": "wording",
            "details": {
                "before": "North Korea is training 10,000 soldiers",
                "after": "North Korea is training 12,000 soldiers",
                "revision": 2,
            },
        }
    ]
    review = Review.objects.get(claim=published)
    assert (review.state, review.needs_rereview) == ("published", True)
    api = client_for(review.assignee).get(f"/api/v1/claims/{published.pk}/review/").data
    (reason,) = api["rereview_reasons"]
    assert reason["code"] == "wording_changed"
    assert reason["details"]["after"] == "North Korea is training 12,000 soldiers"
    assert reason["message"] == review.rereview_reason and reason["created_at"]


def test_wording_is_raised_also_when_the_review_was_flagged_for_something_else(
    client_for, submitter, published
):
    check(published.evidence.get().link, LinkHealth.DEAD, status=404)
    resubmit(client_for(submitter), CHANGED)
    assert [r["code"] for r in open_reasons(published)] == ["evidence_dead", "wording_changed"]
    review = Review.objects.get(claim=published)
    assert review.rereview_reason == "evidence link is dead"  # the first open reason


def test_a_vanished_quote_is_claim_orphaned_and_raised_once_per_episode(
    client_for, submitter, claim
):
    gone = ARTICLE_TEXT.replace(
        "Zelensky has claimed North Korea is training 10,000 soldiers to support Russia.", ""
    )
    resubmit(client_for(submitter), gone)
    assert open_reasons(claim) == [
        {
            "code": "claim_orphaned",
            "subject": "anchor",
            "details": {
                "before": "North Korea is training 10,000 soldiers",
                "after": None,
                "revision": 2,
            },
        }
    ]
    version = Review.objects.get(claim=claim).version
    resubmit(client_for(submitter), gone + "\n\nA new paragraph.")
    assert len(open_reasons(claim)) == 1
    assert Review.objects.get(claim=claim).version == version  # nothing new: not touched
