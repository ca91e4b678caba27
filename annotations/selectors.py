"""Reads that fetch and authorize in one call: an object a user may not see does not exist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.anchoring import OffsetMap
from annotations.models import (
    Article,
    ArticleRevision,
    Claim,
    Evidence,
    EvidenceSnapshot,
    Link,
    LinkCheck,
)
from factcheck.errors import NotFound
from factcheck.roles import user_roles

# What an evidence row shows of its link (the API's LinkSummaryOutput has these fields).
LINK_SUMMARY_FIELDS = ("id", "url", "health", "final_url", "last_status", "last_checked_at")

# What the API's ClaimOutput reads of a claim's related rows: users' usernames, the
# revision's number (its text comes once per revision, through claims_offset_maps), the
# review summary's fields.
_CLAIM_OUTPUT_COLUMNS = tuple(
    f.name for f in Claim._meta.concrete_fields if f.name not in ("article",)
) + (
    "article",
    "revision__number",
    "revision__article",
    "created_by__username",
    "review__claim",
    "review__state",
    "review__verdict",
    "review__needs_rereview",
    "review__version",
    "review__due_at",
    "review__priority",
    "review__assignee__username",
)

# What the API's EvidenceOutput reads (its fields, LinkSummaryOutput's, and
# evidence_is_stale's).
_EVIDENCE_OUTPUT_COLUMNS = (
    "id",
    "claim",
    "url",
    "title",
    "stance",
    "note",
    "archive_url",
    "fingerprint_at_attach",
    "changed",
    "created_at",
    "added_by__username",
    *(f"link__{name}" for name in LINK_SUMMARY_FIELDS),
    "link__last_ok_at",
)


def article_list(*, user: Any) -> QuerySet[Article]:
    if not user_roles(user):
        return Article.objects.none()
    return Article.objects.select_related("created_by").annotate(claim_count=Count("claims"))


def article_list_without_counts(*, user: Any) -> QuerySet[Article]:
    """Articles without their texts or claim counts: a page of them is read first (an index
    scan), then `article_claim_counts` counts the claims of that page alone."""
    if not user_roles(user):
        return Article.objects.none()
    return Article.objects.select_related("created_by").defer("text")


def article_claim_counts(*, article_ids: Sequence[Any]) -> dict[Any, int]:
    rows = (
        Claim.objects.filter(article_id__in=list(article_ids))
        .order_by()
        .values_list("article_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows.values_list("article_id", "n"))


def article_get_for_user(*, user: Any, article_id: Any) -> Article:
    article = article_list(user=user).filter(pk=article_id).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def article_revision_list(*, article: Article) -> QuerySet[ArticleRevision]:
    """The article's revisions, oldest first, without their texts (the history lists them)."""
    return (
        ArticleRevision.objects.filter(article=article)
        .select_related("created_by")
        .defer("text")
        .order_by("number")
    )


def article_revision_get(*, article: Article, number: int) -> ArticleRevision:
    """One revision (with its text) of an article the caller may see, by its number."""
    revision = ArticleRevision.objects.filter(article=article, number=number).first()
    if revision is None:
        raise NotFound(f"This article has no revision {number}.")
    return revision


def claim_list(*, user: Any) -> QuerySet[Claim]:
    evidence = Evidence.objects.select_related("link", "added_by").order_by("created_at")
    return (
        Claim.objects.visible_to(user)
        .with_stale()
        .select_related("article", "revision", "created_by", "review", "review__assignee")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
    )


def _claims_without_texts(user: Any) -> QuerySet[Claim]:
    # Revision texts are read once per revision (claims_offset_maps), not once per claim row:
    # for 1,000 claims of a 100,000-character article that is the difference between
    # kilobytes and 200 MB.
    return (
        claim_list(user=user)
        .select_related(None)
        .select_related("revision", "created_by", "review", "review__assignee")
        .defer("revision__text")
    )


def claim_list_of_article(*, user: Any, article: Article) -> QuerySet[Claim]:
    """The article's claims (the article is known: not joined), without revision texts."""
    return _claims_without_texts(user).filter(article=article)


def claim_list_of_articles(*, user: Any, article_ids: Sequence[Any]) -> QuerySet[Claim]:
    """The claims of these articles, by article and position, without revision texts."""
    return (
        _claims_without_texts(user)
        .filter(article_id__in=list(article_ids))
        .order_by("article_id", "start", "end", "created_at", "pk")
    )


def claim_list_for_output(*, user: Any) -> QuerySet[Claim]:
    """Claims of many articles with only the columns the API's ClaimOutput reads; their
    evidence is not prefetched (claims_attach_evidence, for one page of them).

    Rows stay narrow: the revision texts their offsets point into are read for one page of
    claims (claims_offset_maps, one query), never carried through a sort of every match (a
    ranked search sorts all of them); the article is not joined (the output needs its id).
    """
    return (
        claim_list(user=user)
        .select_related(None)
        .select_related("revision", "created_by", "review", "review__assignee")
        .only(*_CLAIM_OUTPUT_COLUMNS)
        .prefetch_related(None)
    )


def article_claims_for_output(*, user: Any, article: Article) -> list[Claim]:
    """The article's claims for ClaimOutput: the columns it reads, and their evidence loaded
    by article (one query) rather than by a list of a thousand claim ids."""
    claims = list(
        claim_list_of_article(user=user, article=article)
        .prefetch_related(None)
        .defer(None)
        .only(*_CLAIM_OUTPUT_COLUMNS)
    )
    if not claims:
        return claims
    _attach_evidence(claims, _evidence_for_output().filter(claim__article=article))
    return claims


def claims_attach_evidence(claims: list[Claim]) -> None:
    """Load the evidence of these claims (a page of them) in one query, as ClaimOutput
    reads it."""
    if claims:
        pks = [claim.pk for claim in claims]
        _attach_evidence(claims, _evidence_for_output().filter(claim_id__in=pks))


def _evidence_for_output() -> QuerySet[Evidence]:
    return (
        Evidence.objects.select_related("link", "added_by")
        .only(*_EVIDENCE_OUTPUT_COLUMNS)
        .order_by("created_at")
    )


def _attach_evidence(claims: list[Claim], evidence: Iterable[Evidence]) -> None:
    """What prefetch_related("evidence") does, in one pass over ``evidence``.

    The rows go where prefetch_related puts them (claim.evidence.all() answers from there),
    as a list rather than a filled queryset per claim: cloning those cost more than the query.
    """
    by_claim: dict[Any, list[Evidence]] = {claim.pk: [] for claim in claims}
    for row in evidence:
        rows = by_claim.get(row.claim_id)
        if rows is not None:
            rows.append(row)
    for claim in claims:
        claim._prefetched_objects_cache = {"evidence": by_claim[claim.pk]}  # type: ignore[attr-defined]


def claims_offset_maps(
    claims: Iterable[Claim], *, articles: Iterable[Article] = ()
) -> dict[int, OffsetMap]:
    """One OffsetMap per revision the claims point into (for UTF-16 offsets).

    Texts come from ``articles`` (their current revisions), from revisions loaded with the
    claims, or else from one query.
    """
    current = {(a.pk, a.current_revision): a.text for a in articles}
    maps: dict[int, OffsetMap] = {}
    wanted: set[int] = set()
    for claim in claims:
        if claim.revision_id in maps:
            continue
        revision = claim.revision
        text = current.get((claim.article_id, revision.number))
        if text is not None:
            maps[claim.revision_id] = OffsetMap(text)
        elif "text" not in revision.get_deferred_fields():
            maps[claim.revision_id] = OffsetMap(revision.text)
        else:
            wanted.add(claim.revision_id)
    wanted -= maps.keys()
    if wanted:
        rows = ArticleRevision.objects.filter(pk__in=wanted).values_list("pk", "text")
        maps.update((pk, OffsetMap(text)) for pk, text in rows)
    return maps


def claim_get_for_user(*, user: Any, claim_id: Any) -> Claim:
    claim = claim_list(user=user).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("No such claim.")
    return claim


def evidence_list(*, user: Any) -> QuerySet[Evidence]:
    if not user_roles(user):
        return Evidence.objects.none()
    return Evidence.objects.all()


def evidence_get_for_user(*, user: Any, evidence_id: Any) -> Evidence:
    evidence = (
        evidence_list(user=user)
        .select_related("claim", "claim__review", "link")
        .filter(pk=evidence_id)
        .first()
    )
    if evidence is None:
        raise NotFound("No such evidence.")
    return evidence


def link_list(*, user: Any) -> QuerySet[Link]:
    if not user_roles(user):
        return Link.objects.none()
    # A scalar subquery, run for the rows of the page only (a GROUP BY would count the
    # evidence of every matching link before paging).
    cited = (
        Evidence.objects.filter(link_id=OuterRef("pk"))
        .order_by()
        .values("link_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Link.objects.annotate(evidence_count=Coalesce(Subquery(cited), 0))


def link_list_with_recent_checks(*, user: Any) -> QuerySet[Link]:
    """The visible links, each with its latest few checks in ``recent``.

    A sliced prefetch: Django fetches only the latest few checks of each link of the page
    (ROW_NUMBER() over link, in one query), however many checks a link has piled up.
    """
    shown = settings.LINKCHECK_RECENT_CHECKS_SHOWN
    recent = LinkCheck.objects.order_by("-checked_at", "-id")[:shown]
    return link_list(user=user).prefetch_related(
        Prefetch("checks", queryset=recent, to_attr="recent")
    )


def link_get_for_user(*, user: Any, link_id: Any) -> Link:
    link = link_list(user=user).filter(pk=link_id).first()
    if link is None:
        raise NotFound("No such link.")
    return link


def snapshot_list_of_claim(*, claim: Claim) -> QuerySet[EvidenceSnapshot]:
    """The snapshots of the claim's evidence (not of evidence removed from it), in the order
    the evidence was attached. Call with a claim from claim_get_for_user."""
    return (
        EvidenceSnapshot.objects.filter(evidence__claim=claim)
        .select_related("evidence")
        .order_by("evidence__created_at", "evidence__pk")
    )


# The desk's earlier claimants are read from this many of its latest claims: suggestions
# stay one bounded index scan on a desk of millions of claims. A search (`q`) reads them all.
CLAIMANT_WINDOW = 5000


def claimant_suggestions(*, user: Any, q: str = "", limit: int = 20) -> list[dict[str, Any]]:
    """The desk's earlier claimants, most recently used first: `{"claimant", "claims",
    "last_used_at"}`; with `q`, those containing it (case-insensitive)."""
    claims = Claim.objects.visible_to(user).exclude(claimant="")
    q = " ".join(q.split())
    if q:
        claims = claims.filter(claimant__icontains=q)
    else:
        recent = claims.order_by("-created_at").values("pk")[:CLAIMANT_WINDOW]
        claims = Claim.objects.filter(pk__in=recent)
    rows = (
        claims.values("claimant")
        .annotate(claims=Count("pk"), last_used_at=Max("created_at"))
        .order_by("-last_used_at", "claimant")[:limit]
    )
    return list(rows)


def claimant_last(*, user: Any) -> str:
    """The claimant of the last claim this user marked with one ("same claimant as last
    time"), or ''."""
    return (
        Claim.objects.filter(created_by_id=getattr(user, "pk", None))
        .exclude(claimant="")
        .order_by("-created_at")
        .values_list("claimant", flat=True)
        .first()
        or ""
    )
