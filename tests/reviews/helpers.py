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
