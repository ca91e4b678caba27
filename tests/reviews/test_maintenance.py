"""Editors maintain a published check without a fake correction: dismiss a false alarm,
make a logged update of its sources or rationale, publish a notice readers see."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from annotations.linkhealth.health import LinkHealth
from annotations.models import Evidence
from reviews.models import Correction, Publication, RereviewReason, Review
from tests.reviews.conftest import move
from tests.reviews.helpers import act, current_etag, snapshot
from tests.reviews.test_rereview import check

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


def record(claim: Any) -> dict[str, Any]:
    """The snapshot of the workflow tests plus the published record and the reasons."""
    return {
        **snapshot(claim),
        "publications": list(
            Publication.objects.filter(review__claim_id=claim.pk).order_by("number").values()
        ),
        "reasons": list(
            RereviewReason.objects.filter(review__claim_id=claim.pk).order_by("id").values()
        ),
        "notice": Review.objects.filter(claim_id=claim.pk).values_list("notice", flat=True).get(),
    }


def page(client: Any, claim: Any) -> str:
    html = client.get(reverse("web:published", args=[claim.pk])).content.decode()
    return html[html.index('<article class="published') : html.index("</article>")]


@pytest.fixture
def flagged(published: Any) -> Any:
    check(published.evidence.get().link, LinkHealth.BROKEN, status=404)
    assert Review.objects.get(claim=published).needs_rereview
    return published


def test_dismiss_rereview_clears_the_reasons_with_a_note_and_keeps_them_in_history(
    client_for, editor, reviewer, flagged
):
    ed = client_for(editor)
    before = record(flagged)
    refusals = [
        (act(ed, flagged, current_etag(flagged), action="dismiss_rereview"), 400),
        (act(ed, flagged, '"1"', action="dismiss_rereview", note="False alarm"), 412),
        (
            act(
                client_for(reviewer),
                flagged,
                current_etag(flagged),
                action="dismiss_rereview",
                note="x",
            ),
            403,
        ),
    ]
    for response, status in refusals:
        assert response.status_code == status, response.data
        assert record(flagged) == before
    assert "note" in refusals[0][0].data

    done = act(ed, flagged, current_etag(flagged), action="dismiss_rereview", note="Site was down.")
    assert done.status_code == 200, done.data
    assert (done.data["state"], done.data["needs_rereview"]) == ("published", False)
    assert done.data["rereview_reasons"] == []
    (reason,) = RereviewReason.objects.filter(review__claim=flagged)
    assert (reason.cleared_how, reason.cleared_by, reason.code) == (
        "dismissed",
        editor,
        "evidence_broken",
    )
    assert Review.objects.get(claim=flagged).rereview_reason == ""
    trail = client_for(editor).get(f"/api/v1/claims/{flagged.pk}/history/").data
    assert any("dismiss_rereview" in entry["reason"] for entry in trail)
    # Nothing left to dismiss: not offered, and refused.
    assert "dismiss_rereview" not in done.data["available_actions"]
    again = act(ed, flagged, current_etag(flagged), action="dismiss_rereview", note="again")
    assert again.status_code == 409


def test_a_link_that_works_again_resolves_its_reason(flagged):
    check(flagged.evidence.get().link, LinkHealth.OK, status=200)
    review = Review.objects.get(claim=flagged)
    assert (review.needs_rereview, review.rereview_reason) == (False, "")
    assert RereviewReason.objects.get(review=review).cleared_how == "resolved"
    # A new failure is a new episode.
    check(flagged.evidence.get().link, LinkHealth.BROKEN, status=404)
    assert RereviewReason.objects.filter(review=review, cleared_at__isnull=True).count() == 1


def test_update_is_a_logged_publication_that_is_not_a_correction(
    client, client_for, editor, flagged
):
    ed = client_for(editor)
    source = flagged.evidence.get()
    response = act(
        ed,
        flagged,
        current_etag(flagged),
        action="update",
        rationale="UK MoD figures, as of November.",
        evidence=[
            {"id": str(source.pk), "archive_url": "https://archive.example.org/source"},
            {"url": "https://example.org/second", "stance": "supports", "title": "Second"},
        ],
        note="Archived the MoD page; added a second source; fixed the date.",
    )
    assert response.status_code == 200, response.data
    assert response.data["state"] == "published"
    rows = list(Publication.objects.filter(review__claim=flagged).order_by("number"))
    assert [(p.number, p.kind, p.verdict) for p in rows] == [
        (1, "first", "mostly_true"),
        (2, "update", "mostly_true"),
    ]
    assert rows[1].rationale == "UK MoD figures, as of November."
    assert rows[1].evidence == [
        {
            "url": "https://example.org/source",
            "title": "",
            "stance": "supports",
            "archive_url": "https://archive.example.org/source",
        },
        {
            "url": "https://example.org/second",
            "title": "Second",
            "stance": "supports",
            "archive_url": "",
        },
    ]
    assert rows[0].evidence[0]["archive_url"] == ""  # the first version is as it was
    assert Review.objects.get(claim=flagged).live_publication == rows[1]
    assert Correction.objects.count() == 0
    shown = page(client, flagged)
    assert "Updated <time" in shown and "as of November" in shown
    assert "https://archive.example.org/source" in shown
    assert "Corrections" not in shown
    markup = client_for(None).get(f"/api/v1/claims/{flagged.pk}/claimreview/").data
    assert markup["reviewRating"]["alternateName"] == "Mostly true"
    assert markup["dateModified"] > markup["datePublished"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"verdict": "false", "note": "Wrong"}, 400, "correction"),
        ({"rationale": "Same but new", "note": ""}, 400, "note"),
        ({"note": "nothing"}, 400, "nothing here would change"),
        ({"evidence": [{"url": "not a url", "stance": "supports"}], "note": "x"}, 400, "evidence"),
        (
            {"evidence": [{"id": "00000000-0000-0000-0000-000000000000"}], "note": "x"},
            400,
            "No evidence",
        ),
        (
            {"evidence": [{"url": "https://example.org/x", "stance": "supports"}], "note": "x"},
            412,
            "changed since",
        ),
    ],
)
def test_refused_updates_change_nothing(client_for, editor, published, body, status, says):
    before = record(published)
    etag = '"1"' if status == 412 else current_etag(published)
    response = act(client_for(editor), published, etag, action="update", **body)
    assert response.status_code == status, response.data
    assert says in str(response.data)
    assert record(published) == before


def test_a_reviewer_cannot_update(client_for, reviewer, published):
    before = record(published)
    body = {"rationale": "Other", "note": "typo"}
    response = act(
        client_for(reviewer), published, current_etag(published), action="update", **body
    )
    assert response.status_code == 403
    assert record(published) == before


def test_evidence_of_a_published_claim_changes_only_by_update_or_reopen(
    client_for, reviewer, editor, published
):
    before = record(published)
    for who in (reviewer, editor):
        response = client_for(who).post(
            f"/api/v1/claims/{published.pk}/evidence/",
            {"url": "https://example.org/quiet", "stance": "supports"},
            format="json",
        )
        assert response.status_code == 409, response.data
        assert "reopen" in response.data["detail"] and "update" in response.data["detail"]
        assert record(published) == before
    evidence = published.evidence.get()
    assert client_for(editor).delete(f"/api/v1/evidence/{evidence.pk}/").status_code == 409
    assert record(published) == before

    move(published, editor, "reopen", note="More sources")
    added = client_for(reviewer).post(
        f"/api/v1/claims/{published.pk}/evidence/",
        {"url": "https://example.org/more", "stance": "supports"},
        format="json",
    )
    assert added.status_code == 201
    assert Evidence.objects.filter(claim=published).count() == 2
    (only,) = Publication.objects.filter(review__claim=published)
    assert len(only.evidence) == 1  # the published version keeps its sources


def test_only_an_editor_publishes_a_notice_and_an_empty_one_withdraws_it(
    client, client_for, editor, reviewer, published
):
    ed = client_for(editor)
    assert "This fact check is being updated" not in page(client, published)
    denied = act(
        client_for(reviewer), published, current_etag(published), action="publish_notice", note="x"
    )
    assert denied.status_code == 403
    stale = act(ed, published, '"1"', action="publish_notice", note="x")
    assert stale.status_code == 412
    assert Review.objects.get(claim=published).notice == ""

    notice = "This fact check is being updated."
    done = act(ed, published, current_etag(published), action="publish_notice", note=notice)
    assert done.status_code == 200, done.data
    assert (done.data["notice"], done.data["state"]) == (notice, "published")
    assert notice in page(client, published)
    move(published, editor, "reopen", note="Updating")
    assert notice in page(client, published)  # still online, with its notice

    withdrawn = act(ed, published, current_etag(published), action="publish_notice", note="")
    assert withdrawn.status_code == 200, withdrawn.data
    assert withdrawn.data["notice"] == "" and withdrawn.data["notice_published_at"] is None
    assert notice not in page(client, published)


def test_a_notice_needs_a_published_check(client_for, editor, claim_in):
    claim = claim_in("in_review")
    response = act(
        client_for(editor), claim, current_etag(claim), action="publish_notice", note="x"
    )
    assert response.status_code == 409
    assert Review.objects.get(claim=claim).notice == ""
