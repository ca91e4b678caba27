"""The admin moves a review only through review_transition, offering the valid actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import Correction, Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(reviewer, reviewer2, editor, editor2):
    for user in (reviewer, reviewer2, editor, editor2):
        user.is_staff = True
        user.save()
    return {u.username: u for u in (reviewer, reviewer2, editor, editor2)}


def page(client, review):
    response = client.get(reverse("admin:reviews_review_change", args=[review.pk]))
    assert response.status_code == 200
    return response.content.decode()


def post(client, review, action, version=None, **fields):
    data = {"action": action, "version": version or Review.objects.get(pk=review.pk).version}
    data.update(fields)
    url = reverse("admin:reviews_review_transition", args=[review.pk])
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [
        (reverse("admin:reviews_review_change", args=[review.pk]), 302)
    ]
    return [str(m) for m in response.context["messages"]]


def buttons(html):
    return sorted(part.split('"')[0] for part in html.split('name="action" value="')[1:])


def test_admin_shows_only_valid_actions_and_applies_them_through_the_service(
    client, staff, claim_in
):
    claim = claim_in("unassigned")
    review = Review.objects.get(claim=claim)
    client.force_login(staff["rita"])
    assert buttons(page(client, review)) == ["take"]
    assert post(client, review, "take") == ["Take: the review is now in_progress."]
    assert buttons(page(client, review)) == ["mark_not_checkable", "submit"]
    messages = post(client, review, "submit", verdict="false", rationale="No record.", note="")
    assert messages == ["Submit verdict: the review is now in_review."]
    assert buttons(page(client, review)) == []
    assert "No workflow action is open to you" in page(client, review)
    refused = post(client, review, "approve")
    assert refused == [
        "Not done: Only an editor other than the one who submitted the verdict may approve this review."
    ]

    client.force_login(staff["edna"])
    assert buttons(page(client, review)) == ["approve", "return"]
    # Fields the action does not take are not passed on (the form shows them all).
    assert post(client, review, "approve", verdict="true") == [
        "Approve and publish: the review is now published."
    ]
    review.refresh_from_db()
    assert (review.state, review.verdict, review.approved_by.username) == (
        "published",
        "false",
        "edna",
    )
    assert review.history.first().history_user.username == "edna"


def test_admin_refusals_say_why_and_change_nothing(client, staff, claim_in):
    claim = claim_in("in_review")
    review = Review.objects.get(claim=claim)
    client.force_login(staff["edna"])
    assert post(client, review, "return") == ["Not done: Say why when you return."]
    assert post(client, review, "approve", version=review.version - 1)[0].startswith(
        "Not done: The review changed since you loaded it"
    )
    assert post(client, review, "take") == [
        "Not done: Cannot take a review that is in_review. Valid now: approve, return."
    ]
    after = Review.objects.get(pk=review.pk)
    assert (after.state, after.version) == (review.state, review.version)


def test_admin_assign_offers_reviewers_and_refuses_others(client, staff, claim_in, submitter):
    claim = claim_in("unassigned")
    review = Review.objects.get(claim=claim)
    client.force_login(staff["edna"])
    html = page(client, review)
    assert ">rob<" in html and ">sam<" not in html
    assert post(client, review, "assign", assignee=submitter.pk)[0].startswith("assignee:")
    assert post(client, review, "assign", assignee=staff["rob"].pk) == [
        "Assign: the review is now in_progress."
    ]


def test_admin_history_and_corrections_are_read_only(client, staff, published, admin_user):
    client.force_login(admin_user)
    review = Review.objects.get(claim=published)
    history = client.get(reverse("admin:reviews_review_history", args=[review.pk]))
    assert history.status_code == 200
    assert "approve: in_review -&gt; published" in history.content.decode()
    delete = client.get(reverse("admin:reviews_review_delete", args=[review.pk]))
    assert delete.status_code == 403
    from reviews.services import review_transition

    review_transition(
        review_id=review.pk, by=staff["edna"], action="reopen", expected_version=None, note="n"
    )
    review_transition(
        review_id=review.pk,
        by=staff["rita"],
        action="submit",
        expected_version=None,
        verdict="true",
        rationale="r",
    )
    review_transition(
        review_id=review.pk, by=staff["ed"], action="approve", expected_version=None, note="fix"
    )
    correction = Correction.objects.get()
    change = client.post(
        reverse("admin:reviews_correction_change", args=[correction.pk]), {"reason": "x"}
    )
    assert change.status_code == 403
    assert Correction.objects.get().reason == "fix"


def test_non_staff_cannot_use_the_admin_workflow(client, reviewer, claim_in):
    review = Review.objects.get(claim=claim_in("unassigned"))
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:reviews_review_transition", args=[review.pk]),
        {"action": "take", "version": review.version},
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Review.objects.get(pk=review.pk).state == "unassigned"


def test_roles_cannot_edit_claims_or_evidence_in_the_admin(client, staff, published):
    client.force_login(staff["edna"])
    change = client.post(
        reverse("admin:annotations_claim_change", args=[published.pk]), {"summary": "edited"}
    )
    assert change.status_code == 403
    delete = client.post(
        reverse("admin:annotations_claim_delete", args=[published.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert (
        client.get(reverse("admin:annotations_claim_change", args=[published.pk])).status_code
        == 200
    )
