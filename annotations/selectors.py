"""Reads that fetch and authorize in one call: an object a user may not see does not exist."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from annotations.models import Article, Claim, Evidence, Link
from factcheck.errors import NotFound
from factcheck.roles import user_roles


def article_list(*, user: Any) -> QuerySet[Article]:
    if not user_roles(user):
        return Article.objects.none()
    return Article.objects.select_related("created_by").annotate(claim_count=Count("claims"))


def article_get_for_user(*, user: Any, article_id: Any) -> Article:
    article = article_list(user=user).filter(pk=article_id).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def claim_list(*, user: Any) -> QuerySet[Claim]:
    evidence = Evidence.objects.select_related("link", "added_by").order_by("created_at")
    return (
        Claim.objects.visible_to(user)
        .with_stale()
        .select_related("article", "revision", "created_by", "review", "review__assignee")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
    )


def claim_get_for_user(*, user: Any, claim_id: Any) -> Claim:
    claim = claim_list(user=user).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("No such claim.")
    return claim


def evidence_get_for_user(*, user: Any, evidence_id: Any) -> Evidence:
    if not user_roles(user):
        raise NotFound("No such evidence.")
    evidence = (
        Evidence.objects.select_related("claim", "claim__review", "link")
        .filter(pk=evidence_id)
        .first()
    )
    if evidence is None:
        raise NotFound("No such evidence.")
    return evidence


def link_list(*, user: Any) -> QuerySet[Link]:
    if not user_roles(user):
        return Link.objects.none()
    return Link.objects.annotate(evidence_count=Count("evidence"))


def link_get_for_user(*, user: Any, link_id: Any) -> Link:
    link = link_list(user=user).filter(pk=link_id).first()
    if link is None:
        raise NotFound("No such link.")
    return link
