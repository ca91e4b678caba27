"""URLs of bench/api_load's gunicorn: the project's, plus the "floor" endpoints.

The floor serves the same data as the API endpoints under test, fetched with raw values()
queries and serialized by json.dumps: what a request costs with no framework on top (no
authentication, throttling, serializers, conditional GET). Never part of the project.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

CLAIM_FIELDS = (
    "id",
    "article_id",
    "revision__number",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "claimant",
    "summary",
    "tags",
    "anchor_state",
    "anchor_score",
    "created_by__username",
    "created_at",
    "updated_at",
    "review__state",
    "review__verdict",
    "review__assignee__username",
    "review__needs_rereview",
    "review__version",
)
EVIDENCE_FIELDS = (
    "id",
    "claim_id",
    "url",
    "title",
    "stance",
    "note",
    "archive_url",
    "added_by__username",
    "link__id",
    "link__url",
    "link__health",
    "link__final_url",
    "link__last_status",
    "link__last_checked_at",
    "fingerprint_at_attach",
    "changed",
    "created_at",
)
ARTICLE_FIELDS = (
    "id",
    "url",
    "title",
    "byline",
    "publisher",
    "published_at",
    "language",
    "current_revision",
    "created_by__username",
    "created_at",
    "updated_at",
    "text",
)


def _with_evidence(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from annotations.models import Evidence

    by_claim: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    rows = Evidence.objects.filter(claim_id__in=[c["id"] for c in claims]).values(*EVIDENCE_FIELDS)
    for row in rows:
        by_claim[row["claim_id"]].append(row)
    for claim in claims:
        claim["evidence"] = by_claim[claim["id"]]
    return claims


def _json(data: Any) -> HttpResponse:
    return HttpResponse(json.dumps(data, default=str), content_type="application/json")


def floor_claims(request: HttpRequest) -> HttpResponse:
    from annotations.models import Claim

    size = int(request.GET.get("page_size", 50))
    claims = list(Claim.objects.order_by("-created_at", "-id").values(*CLAIM_FIELDS)[:size])
    return _json({"next": None, "previous": None, "results": _with_evidence(claims)})


def floor_article(request: HttpRequest, pk: Any) -> HttpResponse:
    from annotations.models import Article, Claim

    article = Article.objects.values(*ARTICLE_FIELDS).get(pk=pk)
    claims = list(Claim.objects.filter(article_id=pk).order_by("start").values(*CLAIM_FIELDS))
    article["claims"] = _with_evidence(claims)
    return _json(article)


urlpatterns = [
    path("floor/claims/", floor_claims),
    path("floor/articles/<uuid:pk>/", floor_article),
    path("", include("factcheck.urls")),
]
