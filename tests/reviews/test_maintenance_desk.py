"""The desk's forms for the maintenance actions, and the re-review reasons in the panel."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotations.linkhealth.health import LinkHealth
from reviews.models import Publication, Review
from tests.reviews.test_rereview import check

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_panel_lists_the_reasons_and_an_update_form_archives_a_source(editor, published):
    check(published.evidence.get().link, LinkHealth.DEAD, status=404)
    client = _client(editor)
    panel = client.get(reverse("web:claim", args=[published.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert 'data-code="evidence_dead"' in html and "evidence link is dead" in html
    assert 'data-inputs-for="update"' in html and 'data-inputs-for="dismiss_rereview"' in html

    source = published.evidence.get()
    review = Review.objects.get(claim=published)
    response = client.post(
        reverse("web:claim-transition", args=[published.pk]),
        {
            "action": "update",
            "expected_version": review.version,
            "note": "Archived copy of the dead source.",
            "evidence_archive_for": str(source.pk),
            "evidence_archive_url": "https://archive.example.org/mod",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    assert "Updated: the published check shows the change." in response.content.decode()
    latest = Publication.objects.filter(review=review).order_by("-number").first()
    assert (latest.number, latest.kind) == (2, "update")
    assert latest.evidence[0]["archive_url"] == "https://archive.example.org/mod"


def test_a_stale_update_from_the_desk_is_a_conflict_and_changes_nothing(editor, published):
    client = _client(editor)
    before = list(Publication.objects.values())
    response = client.post(
        reverse("web:claim-transition", args=[published.pk]),
        {"action": "update", "expected_version": 1, "note": "x", "rationale": "Other words."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 412
    assert list(Publication.objects.values()) == before
    assert Review.objects.get(claim=published).rationale == "UK MoD figures."
