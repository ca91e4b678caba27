"""Bad input to the workflow: a 4xx that says why, and the review unchanged."""

from __future__ import annotations

import pytest

from reviews.models import Review
from tests.reviews.helpers import act, current_etag, edit_claim, review_of, step

pytestmark = pytest.mark.django_db


def unchanged(claim, before):
    after = Review.objects.get(claim=claim)
    return (after.state, after.verdict, after.rationale, after.assignee_id, after.version) == (
        before.state,
        before.verdict,
        before.rationale,
        before.assignee_id,
        before.version,
    )


@pytest.mark.parametrize(
    ("state", "actor", "body", "status", "field", "says"),
    [
        (
            "in_progress",
            "edna",
            {"action": "approve"},
            409,
            "detail",
            "Cannot approve a review that is in_progress",
        ),
        (
            "published",
            "edna",
            {"action": "submit", "verdict": "true", "rationale": "r"},
            409,
            "detail",
            "Valid now: reopen",
        ),
        (
            "in_progress",
            "rita",
            {"action": "submit", "verdict": "sort_of", "rationale": "r"},
            400,
            "verdict",
            "valid choice",
        ),
        (
            "in_progress",
            "rita",
            {"action": "submit", "verdict": "true"},
            400,
            "rationale",
            "rationale is required",
        ),
        (
            "in_progress",
            "rita",
            {"action": "submit", "verdict": "true", "rationale": "  "},
            400,
            "rationale",
            "rationale is required",
        ),
        (
            "in_progress",
            "rita",
            {"action": "submit", "rationale": "r"},
            400,
            "verdict",
            "verdict is required",
        ),
        (
            "unassigned",
            "edna",
            {"action": "assign", "assignee": "sam"},
            400,
            "assignee",
            "reviewer role",
        ),
        (
            "unassigned",
            "edna",
            {"action": "assign", "assignee": "nobody-here"},
            400,
            "assignee",
            "does not exist",
        ),
        ("unassigned", "edna", {"action": "assign"}, 400, "assignee", "Choose the reviewer"),
        ("in_review", "edna", {"action": "return", "note": ""}, 400, "note", "Say why"),
        (
            "in_review",
            "edna",
            {"action": "approve", "verdict": "false"},
            400,
            "verdict",
            "approve does not take a verdict",
        ),
        (
            "unassigned",
            "rita",
            {"action": "take", "assignee": "rob"},
            400,
            "assignee",
            "take does not take",
        ),
        ("unassigned", "rita", {"action": "fly"}, 400, "action", "valid choice"),
        ("unassigned", "rita", {"action": "take", "colour": "red"}, 400, "colour", "Unknown field"),
    ],
)
def test_bad_transitions(client_for, actors, claim_in, state, actor, body, status, field, says):
    claim = claim_in(state)
    before = Review.objects.get(claim=claim)
    response = act(client_for(actors[actor]), claim, before.etag, **body)
    assert response.status_code == status, response.data
    assert says in str(response.data[field])
    assert unchanged(claim, before)


@pytest.mark.parametrize(
    ("if_match", "status"),
    [(None, 428), ("", 428), ('"999"', 412), ("*", 412), ("garbage", 412), ('"1", "2"', 412)],
)
def test_if_match_must_name_the_current_version(client_for, reviewer, claim, if_match, status):
    before = Review.objects.get(claim=claim)
    response = act(client_for(reviewer), claim, if_match, action="take")
    assert response.status_code == status, response.data
    assert (
        response.data["code"] == {428: "precondition_required", 412: "precondition_failed"}[status]
    )
    assert unchanged(claim, before)


def test_stale_if_match_returns_the_current_state(client_for, reviewer, reviewer2, claim):
    old = review_of(client_for(reviewer2), claim)["ETag"]
    step(client_for(reviewer), claim, action="take")
    response = act(client_for(reviewer2), claim, old, action="take")
    assert response.status_code == 412
    current = response.data["current"]
    assert current == {
        "state": "in_progress",
        "verdict": "",
        "assignee": "rita",
        "needs_rereview": False,
        "version": 2,
        "etag": '"2"',
    }
    assert "reload" in response.data["detail"]


def test_weak_etags_are_accepted(client_for, reviewer, claim):
    etag = current_etag(claim)
    response = act(client_for(reviewer), claim, f"W/{etag}", action="take")
    assert response.status_code == 200


def test_not_json_is_a_400(client_for, reviewer, claim):
    response = client_for(reviewer).post(
        f"/api/v1/claims/{claim.pk}/review/transitions/",
        "[1, 2]",
        content_type="application/json",
        HTTP_IF_MATCH=current_etag(claim),
    )
    assert response.status_code == 400


def test_publishing_refuses_when_every_evidence_link_is_broken(client_for, editor, claim_in):
    from annotations.models import Link

    claim = claim_in("in_review")
    for health in ("broken", "dead", "soft_404"):
        Link.objects.update(health=health)
        refused = act(client_for(editor), claim, current_etag(claim), action="approve")
        assert refused.status_code == 400, health
        assert "broken" in refused.data["evidence"][0]
    Link.objects.update(health="unsafe")  # refused by the checker, not known to be gone
    assert act(client_for(editor), claim, current_etag(claim), action="approve").status_code == 200


def test_a_transient_error_does_not_block_publishing(client_for, editor, claim_in):
    from annotations.models import Link

    claim = claim_in("in_review")
    Link.objects.update(health="error")  # transient: the source may be back tomorrow
    assert act(client_for(editor), claim, current_etag(claim), action="approve").status_code == 200


def test_one_working_link_is_enough(client_for, reviewer, editor, claim_in, no_link_checks):
    from annotations.models import Link
    from annotations.services.evidence import evidence_attach

    claim = claim_in("in_progress")
    evidence_attach(claim=claim, by=reviewer, url="https://example.org/ok", stance="refutes")
    Link.objects.filter(url="https://example.org/source").update(health="dead")
    Link.objects.filter(url="https://example.org/ok").update(health="ok")
    step(client_for(reviewer), claim, action="submit", verdict="false", rationale="r")
    assert act(client_for(editor), claim, current_etag(claim), action="approve").status_code == 200


def test_editing_the_claim_or_its_evidence_makes_a_pending_approval_stale(
    client_for, reviewer, editor, claim_in, no_link_checks
):
    claim = claim_in("in_review")
    seen = review_of(client_for(editor), claim)["ETag"]
    edited = client_for(reviewer).post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://example.org/other", "stance": "context"},
        format="json",
    )
    assert edited.status_code == 201
    stale = act(client_for(editor), claim, seen, action="approve")
    assert stale.status_code == 412
    assert Review.objects.get(claim=claim).state == "in_review"
    seen = review_of(client_for(editor), claim)["ETag"]
    assert edit_claim(client_for(reviewer), claim, summary="s").status_code == 200
    assert act(client_for(editor), claim, seen, action="approve").status_code == 412
    step(client_for(editor), claim, action="approve")


def test_claim_update_honours_an_expected_version(claim, reviewer):
    from factcheck.errors import PreconditionFailed
    from reviews.services import claim_edit

    with pytest.raises(PreconditionFailed):
        claim_edit(claim=claim, by=reviewer, summary="x", expected_version=7)
    claim.refresh_from_db()
    assert claim.summary == ""
    claim_edit(claim=claim, by=reviewer, summary="x", expected_version=1)
    assert Review.objects.get(claim=claim).version == 2
