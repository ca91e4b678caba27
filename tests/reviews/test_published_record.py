"""Nothing published is ever erased: a claim whose verdict was ever published cannot be
deleted, whatever its review does now, and corrections are never cascade-deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from annotations.models import Claim, Evidence
from reviews.models import Correction, Review
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db


def record(claim: Any) -> dict[str, Any]:
    """Everything a deletion would take with it."""
    review = Review.objects.filter(claim_id=claim.pk).first()
    return {
        "claim": Claim.objects.filter(pk=claim.pk).values("exact", "summary", "claimant").first(),
        "review": Review.objects.filter(claim_id=claim.pk)
        .values("state", "verdict", "first_published_at", "version")
        .first(),
        "evidence": sorted(
            Evidence.objects.filter(claim_id=claim.pk).values_list("url", flat=True)
        ),
        "corrections": sorted(
            Correction.objects.filter(review=review).values_list("reason", flat=True)
        ),
    }


def correct(claim: Any, *, reviewer: Any, editor: Any, reason: str) -> None:
    """Reopen a published claim and publish it again (a correction)."""
    move(claim, editor, "reopen", note="New figures")
    move(claim, reviewer, "submit", verdict="false", rationale="Revised figures.")
    move(claim, editor, "approve", note=reason)


def test_a_published_claim_cannot_be_deleted(client_for, editor, published):
    before = record(published)
    response = client_for(editor).delete(f"/api/v1/claims/{published.pk}/")
    assert response.status_code == 409
    assert response.data["code"] == "published"
    assert "never deleted" in response.data["detail"]
    assert record(published) == before
    assert before["evidence"] and before["review"]["first_published_at"] is not None


def test_a_reopened_claim_was_published_and_still_cannot_be_deleted(
    client_for, reviewer, editor, published
):
    move(published, editor, "reopen", note="New figures came out")
    assert Review.objects.get(claim=published).state == "in_progress"
    before = record(published)
    for who in (reviewer, editor):  # the assignee, and an editor
        response = client_for(who).delete(f"/api/v1/claims/{published.pk}/")
        assert response.status_code == 409, response.data
        assert record(published) == before


def test_a_corrected_claim_refuses_cleanly_and_keeps_its_corrections(
    client_for, reviewer, editor, editor2, published, no_link_checks
):
    correct(published, reviewer=reviewer, editor=editor2, reason="The ministry revised it.")
    move(published, editor, "reopen", note="Once more")
    before = record(published)
    assert before["corrections"] == ["The ministry revised it."]
    response = client_for(editor).delete(f"/api/v1/claims/{published.pk}/")
    assert response.status_code == 409
    assert record(published) == before


def test_an_unpublished_claim_can_still_be_deleted(client_for, editor, claim_in):
    claim = claim_in("in_review")
    assert client_for(editor).delete(f"/api/v1/claims/{claim.pk}/").status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Review.objects.filter(claim_id=claim.pk).exists()
    assert not Evidence.objects.filter(claim_id=claim.pk).exists()


def test_the_orm_never_cascades_corrections_away(reviewer, editor, editor2, published):
    correct(published, reviewer=reviewer, editor=editor2, reason="Revised.")
    review = Review.objects.get(claim=published)
    with pytest.raises(ProtectedError):
        review.delete()
    with pytest.raises(ProtectedError):
        Claim.objects.get(pk=published.pk).delete()
    assert Correction.objects.filter(review=review).count() == 1
    assert Claim.objects.filter(pk=published.pk).exists()


def test_the_admin_does_not_delete_a_published_claim(client, admin_user, published):
    client.force_login(admin_user)
    delete_url = reverse("admin:annotations_claim_delete", args=[published.pk])
    before = record(published)
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    listing = reverse("admin:annotations_claim_changelist")
    client.post(
        listing, {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"}
    )
    assert record(published) == before


def test_first_published_at_is_backfilled_from_history(published):
    """The data migration restores the record of a first publication from the history."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "reviews.migrations.0004_correction_protect_and_first_published_backfill"
    )
    review = Review.objects.get(claim=published)
    published_at = review.first_published_at
    Review.objects.filter(pk=review.pk).update(first_published_at=None, approved_by=None)
    migration.first_published_backfill(apps, None)
    assert Review.objects.get(pk=review.pk).first_published_at == published_at
