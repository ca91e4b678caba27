"""Publications are versions: each approval stores what was published, and the public page,
the ClaimReview and the feed serve the latest one whatever the review does now."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from annotations.services.evidence import evidence_attach
from reviews.models import Publication, Review
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db


def publications(claim: Any) -> list[dict[str, Any]]:
    return list(
        Publication.objects.filter(review__claim_id=claim.pk)
        .order_by("number")
        .values("number", "kind", "exact", "verdict", "rationale", "evidence", "note")
    )


def test_approval_stores_an_immutable_first_publication(client_for, editor, published):
    review = Review.objects.get(claim=published)
    (first,) = publications(published)
    assert first == {
        "number": 1,
        "kind": "first",
        "exact": "North Korea is training 10,000 soldiers",
        "verdict": "mostly_true",
        "rationale": "UK MoD figures.",
        "evidence": [
            {
                "url": "https://example.org/source",
                "title": "",
                "stance": "supports",
                "archive_url": "",
            }
        ],
        "note": "",
    }
    assert review.live_publication.number == 1
    assert review.live_publication.approved_by == editor
    assert review.live_publication.published_at == review.published_at

    listed = client_for(None).get(f"/api/v1/claims/{published.pk}/publications/")
    assert listed.status_code == 200
    (entry,) = listed.data
    assert (entry["number"], entry["kind"], entry["verdict"]) == (1, "first", "mostly_true")
    assert entry["approved_by"] is None  # the approver's name is for the desk
    desk = client_for(editor).get(f"/api/v1/claims/{published.pk}/publications/")
    assert desk.data[0]["approved_by"] == editor.username


def test_publications_of_a_claim_never_published_are_a_404_outside_the_desk(
    client_for, reviewer, claim_in
):
    claim = claim_in("in_review")
    for who in (None,):
        assert client_for(who).get(f"/api/v1/claims/{claim.pk}/publications/").status_code == 404
    desk = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/publications/")
    assert (desk.status_code, desk.data) == (200, [])


def test_reopening_keeps_the_published_version_online(
    client, client_for, reviewer, editor, editor2, published
):
    anon = client_for(None)
    move(published, editor, "reopen", note="New MoD estimate.")
    move(published, reviewer, "submit", verdict="false", rationale="The estimate was wrong.")
    evidence_attach(claim=published, by=reviewer, url="https://example.org/new", stance="refutes")

    markup = anon.get(f"/api/v1/claims/{published.pk}/claimreview/")
    assert markup.status_code == 200
    assert markup.data["reviewRating"]["alternateName"] == "Mostly true"
    assert "dateModified" not in markup.data
    feed = anon.get("/api/v1/claimreviews/")
    assert [r["reviewRating"]["alternateName"] for r in feed.data["results"]] == ["Mostly true"]
    page = client.get(reverse("web:published", args=[published.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mostly true" in html and "UK MoD figures." in html
    assert "The estimate was wrong." not in html and "example.org/new" not in html

    move(published, editor2, "approve", note="The estimate was revised.")
    rows = publications(published)
    assert [(p["number"], p["kind"], p["verdict"], p["note"]) for p in rows] == [
        (1, "first", "mostly_true", ""),
        (2, "correction", "false", "The estimate was revised."),
    ]
    assert [e["url"] for e in rows[1]["evidence"]] == [
        "https://example.org/source",
        "https://example.org/new",
    ]
    assert len(rows[0]["evidence"]) == 1  # the first version keeps its sources
    markup = anon.get(f"/api/v1/claims/{published.pk}/claimreview/")
    assert markup.data["reviewRating"]["alternateName"] == "False"
    assert markup.data["dateModified"] > markup.data["datePublished"]
    html = client.get(reverse("web:published", args=[published.pk])).content.decode()
    assert "The estimate was wrong." in html
    assert "Mostly true → False. The estimate was revised." in html
    listed = anon.get(f"/api/v1/claims/{published.pk}/publications/")
    assert [p["number"] for p in listed.data] == [1, 2]


def test_the_public_page_shows_no_robot_raised_banner(
    client, published, django_capture_on_commit_callbacks
):
    from reviews.services import review_flag_rereview

    review_flag_rereview(claim_id=published.pk, reason="evidence link is dead")
    assert Review.objects.get(claim=published).needs_rereview is True
    html = client.get(reverse("web:published", args=[published.pk])).content.decode()
    assert "reviewed again" not in html and "evidence link is dead" not in html
