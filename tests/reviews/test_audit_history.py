"""History readable for audits: full notes, real user names, reviews titled by their quote."""

from __future__ import annotations

import html
from typing import Any

import pytest

from reviews.models import Review
from tests.reviews.helpers import step

pytestmark = pytest.mark.django_db

LONG_NOTE = "Checked against the MoD's 2024 figures and two independent estimates. " * 5


@pytest.fixture
def worked(client_for: Any, with_evidence: Any, reviewer: Any, editor: Any) -> Any:
    """Every step through the API with tokens (no session: no history middleware user)."""
    rita, edna = client_for(reviewer), client_for(editor)
    step(rita, with_evidence, action="take")
    step(rita, with_evidence, action="submit", verdict="mostly_true", rationale="MoD figures.")
    step(edna, with_evidence, action="return", note=LONG_NOTE)
    return with_evidence


def test_every_history_record_names_its_user_and_keeps_the_reason_in_full(
    worked: Any,
) -> None:
    records = list(
        Review.history.filter(claim_id=worked.pk).order_by("history_date", "history_id")  # type: ignore[attr-defined]
    )
    assert [(r.history_type, r.history_user.username) for r in records] == [
        ("+", "rita"),  # opened by whoever marked the claim
        ("~", "rita"),
        ("~", "rita"),
        ("~", "edna"),
    ]
    assert len(LONG_NOTE) > 300
    assert records[-1].history_change_reason == (
        f"return: in_review -> returned ({LONG_NOTE.strip()})"
    )


def test_the_admin_titles_a_review_by_its_quote_and_its_history_reads_for_people(
    worked: Any, admin_client: Any
) -> None:
    review = Review.objects.get(claim=worked)
    assert str(review) == "“North Korea is training 10,000 soldiers” (returned)"
    change = admin_client.get(f"/admin/reviews/review/{review.pk}/change/")
    assert change.status_code == 200
    assert "“North Korea is training 10,000 soldiers” (returned)" in change.content.decode()

    page = admin_client.get(f"/admin/reviews/review/{review.pk}/history/")
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "history: “North Korea is training 10,000 soldiers”" in text
    assert "Deleted user" not in text
    assert LONG_NOTE.strip() in text
    assert "Changed by" in text
    assert "system (no signed-in user" not in text  # every change here was a user's
    assert ">rita<" in text
    assert ">edna<" in text
    # A field set for the first time reads "— → rita", not a deleted user.
    assert "— → rita" in " ".join(text.replace("\xa0", " ").split())


def test_the_claim_admin_history_has_no_deleted_user_either(worked: Any, admin_client: Any) -> None:
    page = admin_client.get(f"/admin/annotations/claim/{worked.pk}/history/")
    assert page.status_code == 200
    assert "Deleted user" not in page.content.decode()
