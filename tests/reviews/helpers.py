"""HTTP helpers shared by the workflow tests."""

from __future__ import annotations

from typing import Any


def review_of(client: Any, claim: Any) -> Any:
    response = client.get(f"/api/v1/claims/{claim.pk}/review/")
    assert response.status_code == 200, response.data
    return response


def act(client: Any, claim: Any, etag: str | None = None, **body: Any) -> Any:
    headers = {"HTTP_IF_MATCH": etag} if etag is not None else {}
    return client.post(
        f"/api/v1/claims/{claim.pk}/review/transitions/", body, format="json", **headers
    )


def current_etag(claim: Any) -> str:
    from reviews.models import Review

    return Review.objects.get(claim=claim).etag


def step(client: Any, claim: Any, **body: Any) -> Any:
    response = act(client, claim, current_etag(claim), **body)
    assert response.status_code == 200, response.data
    return response


def claim_etag(claim: Any) -> str:
    """The claim's version as an If-Match value (the version part of its ETag decides)."""
    from annotations.models import Claim

    return f'"{Claim.objects.get(pk=claim.pk).version}"'


def edit_claim(client: Any, claim: Any, **body: Any) -> Any:
    """PATCH a claim with its current version in If-Match."""
    return client.patch(
        f"/api/v1/claims/{claim.pk}/", body, format="json", HTTP_IF_MATCH=claim_etag(claim)
    )


REVIEW_FIELDS = (
    "state",
    "verdict",
    "rationale",
    "assignee_id",
    "submitted_by_id",
    "approved_by_id",
    "note",
    "first_published_at",
    "published_at",
    "needs_rereview",
    "rereview_reason",
    "version",
)
CLAIM_FIELDS = (
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "claimant",
    "summary",
    "tags",
    "anchor_state",
    "version",
)
EVIDENCE_FIELDS = ("id", "url", "stance", "note", "title", "added_by_id", "link_id")


def snapshot(claim: Any) -> dict[str, Any]:
    """Everything a workflow action or an edit of `claim` may change, read from the database.

    Compare a snapshot before a request with one after: a refusal leaves every entry equal,
    a success changes exactly the entries it should.
    """
    from annotations.models import Claim, Evidence
    from reviews.models import Correction, Review

    review = Review.objects.filter(claim_id=claim.pk).values(*REVIEW_FIELDS, "pk").first()
    return {
        "review": None if review is None else {k: review[k] for k in REVIEW_FIELDS},
        "claim": Claim.objects.filter(pk=claim.pk).values(*CLAIM_FIELDS).first(),
        "evidence": list(
            Evidence.objects.filter(claim_id=claim.pk).order_by("id").values(*EVIDENCE_FIELDS)
        ),
        "review_history": Review.history.filter(claim_id=claim.pk).count(),
        "claim_history": Claim.history.filter(id=claim.pk).count(),
        "evidence_history": Evidence.history.filter(claim_id=claim.pk).count(),
        "corrections": Correction.objects.filter(review__claim_id=claim.pk).count(),
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The top-level entries of two snapshots that differ."""
    return {key for key in before if before[key] != after[key]}
