"""Reads of the verification workflow: the audit trail, the corrections log, published reviews."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from annotations.models import ArticleRevision, Claim, Evidence
from factcheck.errors import Forbidden, NotFound
from factcheck.roles import is_editor, is_reviewer
from reviews.models import Correction, Publication, Review

# The fields each trail shows, old -> new. Bookkeeping (version, timestamps, fingerprints)
# is left out: it changes with everything and says nothing to a reader.
TRACKED_FIELDS: dict[str, tuple[str, ...]] = {
    "claim": (
        "revision",
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
    ),
    "review": (
        "state",
        "verdict",
        "rationale",
        "assignee",
        "submitted_by",
        "approved_by",
        "note",
        "needs_rereview",
        "rereview_reason",
        "first_published_at",
        "published_at",
    ),
    "evidence": ("url", "title", "stance", "note", "archive_url", "changed"),
}
USER_FIELDS = frozenset({"assignee", "submitted_by", "approved_by"})
FK_FIELDS = USER_FIELDS | {"revision"}
CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
TYPE_ORDER = {"claim": 0, "evidence": 1, "review": 2}


@dataclass(frozen=True)
class HistoryEntry:
    type: str
    object_id: str
    history_id: int
    date: datetime
    user: str | None
    change: str
    reason: str
    changes: list[dict[str, Any]] = field(default_factory=list)


def _raw(record: Any, name: str) -> Any:
    return getattr(record, f"{name}_id") if name in FK_FIELDS else getattr(record, name)


def claim_history(*, user: Any, claim: Claim) -> list[HistoryEntry]:
    """One time-ordered trail (oldest first) of the claim's, its review's and its evidence's
    history records, deleted evidence included. Readable by the desk (reviewers, editors).

    A fixed number of queries whatever the length of the trail: the records of each model in
    one query, the users and revisions they name in one query each.
    """
    if not user_may_read_review(user):
        raise Forbidden("The audit trail is for reviewers and editors.")
    sources: list[tuple[str, QuerySet[Any]]] = [
        ("claim", Claim.history.filter(id=claim.pk)),  # type: ignore[attr-defined]
        ("review", Review.history.filter(claim_id=claim.pk)),  # type: ignore[attr-defined]
        ("evidence", Evidence.history.filter(claim_id=claim.pk)),  # type: ignore[attr-defined]
    ]
    records: list[tuple[str, Any]] = []
    for kind, queryset in sources:
        ordered = queryset.select_related("history_user").order_by("history_date", "history_id")
        records.extend((kind, record) for record in ordered)

    user_ids: set[Any] = set()
    revision_ids: set[Any] = set()
    for kind, record in records:
        for name in TRACKED_FIELDS[kind]:
            if name in USER_FIELDS and _raw(record, name) is not None:
                user_ids.add(_raw(record, name))
            elif name == "revision" and _raw(record, name) is not None:
                revision_ids.add(_raw(record, name))
        if record.history_user_id is None:
            fallback = _creator_id(kind, record)
            if fallback is not None:
                user_ids.add(fallback)
    usernames = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    revisions = dict(
        ArticleRevision.objects.filter(pk__in=revision_ids).values_list("pk", "number")
    )

    def shown(name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in USER_FIELDS:
            return usernames.get(value, f"user #{value}")
        if name == "revision":
            return revisions.get(value, value)
        return value

    entries: list[HistoryEntry] = []
    previous: dict[tuple[str, Any], Any] = {}
    for kind, record in records:
        key = (kind, record.id)
        before = previous.get(key)
        changes: list[dict[str, Any]] = []
        if record.history_type != "-":
            for name in TRACKED_FIELDS[kind]:
                new = _raw(record, name)
                old = _raw(before, name) if before is not None else None
                if before is None and new in (None, "", [], False):
                    continue  # a created object: show what it was created with
                if old != new:
                    changes.append(
                        {"field": name, "old": shown(name, old), "new": shown(name, new)}
                    )
        previous[key] = record
        if record.history_user is not None:
            who: str | None = record.history_user.username
        elif record.history_type == "+":
            creator = _creator_id(kind, record)
            who = usernames.get(creator) if creator is not None else None
        else:
            who = None
        entries.append(
            HistoryEntry(
                type=kind,
                object_id=str(record.id),
                history_id=record.history_id,
                date=record.history_date,
                user=who,
                change=CHANGE_TYPES.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    entries.sort(key=lambda e: (e.date, TYPE_ORDER[e.type], e.history_id))
    return entries


def _creator_id(kind: str, record: Any) -> Any:
    # Creation through a token-authenticated request leaves no history user: the row says who.
    if kind == "claim":
        return record.created_by_id
    if kind == "evidence":
        return record.added_by_id
    return None


def correction_list() -> QuerySet[Correction]:
    """The public corrections log: every change of a published verdict, newest first."""
    return Correction.objects.select_related("review", "review__claim", "review__live_publication")


def published_review_list() -> QuerySet[Review]:
    """Reviews with a live publication, with what their ClaimReview needs, in one query.

    Whatever the review's state: a reopened check stays online, serving its live publication
    (`Review.live_publication`), until the next approval replaces it.
    """
    return Review.objects.filter(live_publication__isnull=False).select_related(
        "claim", "claim__article", "live_publication"
    )


def published_review_get(*, claim_id: Any) -> Review:
    """The published review of a claim. Anything else (no such claim, never published) is
    the same 404, so the public endpoints never tell which claims exist."""
    review = published_review_list().filter(claim_id=claim_id).first()
    if review is None:
        raise NotFound("No published fact check for this claim.")
    return review


def publication_list(*, user: Any, claim_id: Any) -> QuerySet[Publication]:
    """The published versions of a claim's fact check, oldest first (number 1 first).

    The desk (reviewers and editors) reads them for any claim it can see, an empty list for
    one never published. They are public record otherwise: anyone reads them for a claim that
    has a live publication, and any other claim is the public endpoints' same 404.
    """
    if user_may_read_review(user):
        review = Review.objects.filter(claim_id=claim_id).first()
    else:
        review = published_review_list().filter(claim_id=claim_id).first()
    if review is None:
        raise NotFound("No published fact check for this claim.")
    return Publication.objects.filter(review=review).select_related("approved_by")


def claims_ever_published(*, claim_ids: Iterable[Any] | QuerySet[Any]) -> set[Any]:
    """Of these claims, the ones whose verdict was ever published: never to be deleted.

    The one rule behind "nothing published is ever erased" (reviews.services.claim_remove
    and the admin ask it). Decided by what no later transition undoes, never by
    the current state: a reopened claim is still one that was published. The first
    approval's `first_published_at`, the approver, and the corrections log each suffice.
    `claim_ids` may be a queryset of ids (one query either way).
    """
    corrected = Correction.objects.filter(review=OuterRef("pk"))
    return set(
        Review.objects.filter(claim_id__in=claim_ids)
        .filter(
            Q(first_published_at__isnull=False) | Q(approved_by__isnull=False) | Exists(corrected)
        )
        .values_list("claim_id", flat=True)
    )


def claims_edited_after_publication() -> Exists:
    """A filter of claims: their article got a new revision (submitted again, or a changed
    page the watch fetched) after the claim's review was first published."""
    return Exists(
        ArticleRevision.objects.filter(
            article_id=OuterRef("article_id"),
            created_at__gt=OuterRef("review__first_published_at"),
        )
    )


def user_may_read_review(user: Any) -> bool:
    """The desk (reviewers and editors) reads the audit trail; API clients do not."""
    return is_reviewer(user) or is_editor(user)


def claim_may_edit(user: Any, claim: Claim) -> bool:
    """Whether this user may edit the claim, its evidence or delete it (UI buttons use it).

    Editors edit every claim. A reviewer works on the claims assigned to them; a claim
    nobody has taken yet stays editable by the reviewer who marked it.

    The assignee is read from the database, not from a `claim.review` loaded earlier: an
    assignment since then must count.
    """
    if is_editor(user):
        return True
    if not is_reviewer(user):
        return False
    assignee_id = (
        Review.objects.filter(claim_id=claim.pk).values_list("assignee_id", flat=True).first()
    )
    if assignee_id is None:
        return claim.created_by_id == user.pk
    return assignee_id == user.pk
