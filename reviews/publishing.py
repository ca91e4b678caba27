"""The published record of a review and its re-review reasons.

A `Publication` is written by each approval and each maintenance `update`, from the claim, the
review and the evidence as they are at that moment, and becomes the review's live publication:
what the public page, the ClaimReview and the feed serve until the next one. Nothing here
writes the review row itself: the callers (`reviews.services`) hold the review's row lock,
call these, and save the review with what they changed.

Re-review reasons are rows (`RereviewReason`): each cause is raised once per episode (at most
one open reason per review, code and subject, a partial unique index) and cleared by what
resolves it. `Review.needs_rereview` and `Review.rereview_reason` mirror them for filters and
older clients (`reasons_sync`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max
from django.utils import timezone

from annotations.models import ArticleRevision
from reviews.models import Publication, PublicationKind, RereviewCode, RereviewReason, Review


def publication_evidence(*, claim: Any) -> list[dict[str, str]]:
    """The claim's evidence as a publication keeps it, in the claim's evidence order."""
    return [
        {
            "url": e["url"],
            "title": e["title"],
            "stance": e["stance"],
            "archive_url": e["archive_url"],
        }
        for e in claim.evidence.order_by("created_at", "pk").values(
            "url", "title", "stance", "archive_url"
        )
    ]


def publication_write(
    *, review: Review, by: Any, kind: str, note: str = "", when: Any = None
) -> Publication:
    """Store the claim, review and evidence as published now; make it the live publication.

    Call holding the review's row lock, after the review's verdict and rationale are what is
    published; the caller saves the review (its `live_publication` is set here).
    """
    claim = review.claim
    number = (
        Publication.objects.filter(review=review).aggregate(last=Max("number"))["last"] or 0
    ) + 1
    revision = ArticleRevision.objects.filter(pk=claim.revision_id).values_list("number", flat=True)
    publication = Publication.objects.create(
        review=review,
        number=number,
        kind=PublicationKind(kind),
        exact=claim.exact,
        prefix=claim.prefix,
        suffix=claim.suffix,
        article_revision=revision.first() or 0,
        claimant=claim.claimant,
        summary=claim.summary,
        verdict=review.verdict,
        rationale=review.rationale,
        evidence=publication_evidence(claim=claim),
        approved_by=by,
        published_at=when or timezone.now(),
        note=note,
    )
    review.live_publication = publication
    return publication


# --- Re-review reasons ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """A reason to raise: its code, what people read, what it is about, its particulars."""

    code: str
    message: str
    subject: str = ""
    details: dict[str, Any] = field(default_factory=dict)


# The link healths that raise an evidence reason, and its code.
HEALTH_CODES: dict[str, str] = {
    "broken": RereviewCode.EVIDENCE_BROKEN,
    "dead": RereviewCode.EVIDENCE_DEAD,
    "soft_404": RereviewCode.EVIDENCE_SOFT_404,
}
# Codes a link that works again resolves.
LINK_CODES = (*HEALTH_CODES.values(), RereviewCode.EVIDENCE_UNVERIFIED)


def link_subject(link_id: Any) -> str:
    return f"link:{link_id}"


def reasons_raise(*, review: Review, reasons: Sequence[Reason]) -> list[RereviewReason]:
    """Open the reasons the review does not already have open; return the new ones.

    Call holding the review's row lock. A reason whose (code, subject) is open already is the
    same episode and is not added again (ON CONFLICT DO NOTHING backs that rule up).
    """
    return reasons_raise_many(items=[(review, reason) for reason in reasons])


def reasons_raise_many(*, items: Sequence[tuple[Review, Reason]]) -> list[RereviewReason]:
    """`reasons_raise` for several reviews in two statements, whatever their number.

    Call holding the reviews' row locks.
    """
    if not items:
        return []
    open_now = set(
        RereviewReason.objects.filter(
            review_id__in={review.pk for review, _ in items}, cleared_at__isnull=True
        ).values_list("review_id", "code", "subject")
    )
    new: dict[tuple[Any, str, str], RereviewReason] = {}
    for review, reason in items:
        key = (review.pk, reason.code, reason.subject[:100])
        if key in open_now or key in new:
            continue
        new[key] = RereviewReason(
            review=review,
            code=reason.code,
            message=reason.message[:300],
            subject=reason.subject[:100],
            details=reason.details,
        )
    if new:
        RereviewReason.objects.bulk_create(list(new.values()), ignore_conflicts=True)
    return list(new.values())


def reasons_clear(
    *,
    review: Review,
    how: str,
    by: Any = None,
    codes: Iterable[str] | None = None,
    subject: str | None = None,
) -> int:
    """Clear the review's open reasons (all, or those of `codes` / `subject`); how many.

    Call holding the review's row lock. `how`: "resolved", "republished" or "dismissed".
    """
    rows = RereviewReason.objects.filter(review=review, cleared_at__isnull=True)
    if codes is not None:
        rows = rows.filter(code__in=list(codes))
    if subject is not None:
        rows = rows.filter(subject=subject)
    return rows.update(
        cleared_at=timezone.now(), cleared_by=by if by is not None else None, cleared_how=how
    )


def reasons_sync(review: Review) -> bool:
    """Set the review's `needs_rereview` and `rereview_reason` from its open reasons.

    Returns whether they changed (the caller saves the review then).
    """
    return bool(reasons_sync_many([review]))


def reasons_sync_many(reviews: Sequence[Review]) -> list[Review]:
    """`reasons_sync` for several reviews in one query; returns those that changed."""
    first: dict[Any, str] = {}
    rows = (
        RereviewReason.objects.filter(
            review_id__in=[r.pk for r in reviews], cleared_at__isnull=True
        )
        .order_by("review_id", "created_at", "id")
        .values_list("review_id", "message")
    )
    for review_id, message in rows:
        first.setdefault(review_id, message)
    changed = []
    for review in reviews:
        shown = first.get(review.pk)
        flagged, text = shown is not None, (shown or "")[:300]
        if (review.needs_rereview, review.rereview_reason) != (flagged, text):
            review.needs_rereview, review.rereview_reason = flagged, text
            changed.append(review)
    return changed


def reasons_open(*, review: Review) -> list[RereviewReason]:
    """The review's open reasons, oldest first."""
    return list(RereviewReason.objects.filter(review=review, cleared_at__isnull=True))
