"""Reads the desk composes from the selectors: queue buckets, timelines, stale groups.

Visibility and staleness rules stay where they live (`annotations.selectors`,
`annotations.querysets`); this module only filters, groups and counts for the pages.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from annotations import selectors
from annotations.models import Claim, Evidence, LinkCheck, LinkCheckDay
from annotations.querysets import evidence_stale_q
from factcheck.errors import Forbidden
from factcheck.roles import EDITOR, REVIEWER, is_editor
from reviews.selectors import claim_history, claims_edited_after_publication
from reviews.workflow import State

# --- Queue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    editors_only: bool = False


BUCKETS = (
    Bucket("mine", "My assignments"),
    Bucket("unassigned", "Unassigned"),
    Bucket("in_review", "In review", editors_only=True),
    Bucket("rereview", "Needs re-review"),
    Bucket("stale", "Stale evidence"),
    Bucket("all", "All claims"),
)


def queue_buckets(user: Any) -> list[Bucket]:
    return [b for b in BUCKETS if not b.editors_only or is_editor(user)]


def _bucket_q(key: str, user: Any) -> Q:
    if key == "mine":
        return Q(
            review__assignee=user,
            review__state__in=[State.IN_PROGRESS, State.RETURNED, State.IN_REVIEW],
        )
    if key == "unassigned":
        return Q(review__state=State.UNASSIGNED)
    if key == "in_review":
        return Q(review__state=State.IN_REVIEW)
    if key == "rereview":
        return Q(review__needs_rereview=True)
    if key == "stale":
        return Q(is_stale=True)
    return Q()


# Oldest waiting first where work piles up; the newest first where people look for news.
_BUCKET_ORDER = {
    "mine": ("-review__updated_at",),
    "unassigned": ("created_at",),
    "in_review": ("review__updated_at",),
    "rereview": ("review__updated_at",),
    "stale": ("review__updated_at",),
    "all": ("-created_at",),
}


def queue_claims(
    *,
    user: Any,
    bucket: str,
    q: str = "",
    state: str = "",
    verdict: str = "",
    tag: str = "",
    edited: bool = False,
) -> tuple[QuerySet[Claim], dict[str, int]]:
    """The claims of one bucket under the filters, and every bucket's count under them.
    `edited`: only claims whose article was revised after they were first published."""
    claims = selectors.claim_list(user=user)
    if edited:
        claims = claims.filter(claims_edited_after_publication())
    if q:
        claims = claims.filter(
            Q(exact__icontains=q)
            | Q(summary__icontains=q)
            | Q(claimant__icontains=q)
            | Q(article__title__icontains=q)
        )
    if state:
        claims = claims.filter(review__state=state)
    if verdict:
        claims = claims.filter(review__verdict=verdict)
    if tag:
        # Tags are a JSON list of strings; the quoted form matches one whole tag on every
        # database (the embedded SQLite default has no JSON containment lookup).
        claims = claims.filter(tags__icontains=f'"{tag.strip().lower()}"')
    buckets = queue_buckets(user)
    counts = claims.order_by().aggregate(
        **{b.key: Count("pk", filter=_bucket_q(b.key, user)) for b in buckets}
    )
    chosen = bucket if any(b.key == bucket for b in buckets) else buckets[0].key
    listed = claims.filter(_bucket_q(chosen, user)).order_by(*_BUCKET_ORDER[chosen], "pk")
    # The queue shows no evidence; drop the selector's prefetch for the list.
    listed = listed.prefetch_related(None)
    return listed, counts


def assignable_reviewers() -> QuerySet[Any]:
    user_model = get_user_model()
    return (
        user_model.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[REVIEWER, EDITOR]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


# --- Claim history ----------------------------------------------------------------------------

# Long texts are said to be edited rather than quoted whole in the timeline.
_LONG_FIELDS = frozenset({"rationale", "note", "summary", "exact", "prefix", "suffix"})
_FIELD_LABELS = {
    "anchor_state": "anchoring",
    "anchor_score": "match score",
    "needs_rereview": "needs re-review",
    "rereview_reason": "re-review reason",
    "first_published_at": "first published",
    "published_at": "published",
    "submitted_by": "submitted by",
    "approved_by": "approved by",
    "archive_url": "archived copy",
}
_SUBJECTS = {"claim": "Claim", "review": "Review", "evidence": "Evidence"}


@dataclass
class TimelineEntry:
    when: datetime
    who: str
    subject: str
    what: str
    changes: list[str] = field(default_factory=list)
    reason: str = ""


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d %b %Y %H:%M")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = str(value).replace("_", " ")
    return text if len(text) <= 60 else text[:59] + "…"


def claim_timeline(*, user: Any, claim: Claim) -> list[TimelineEntry] | None:
    """The audit trail of `reviews.selectors.claim_history`, newest first, worded for people.
    None when the user may not read it."""
    try:
        history = claim_history(user=user, claim=claim)
    except Forbidden:
        return None
    entries = []
    for entry in reversed(history):
        changes = []
        for change in entry.changes:
            name = change["field"]
            label = _FIELD_LABELS.get(name, name.replace("_", " "))
            if name in ("start", "end", "prefix", "suffix"):
                continue  # the quote and anchoring say it for people
            if name in _LONG_FIELDS:
                changes.append(f"{label} {'set' if change['old'] in (None, '') else 'edited'}")
            elif entry.change == "created":
                changes.append(f"{label}: {_shown(change['new'])}")
            else:
                changes.append(f"{label}: {_shown(change['old'])} → {_shown(change['new'])}")
        if entry.change == "changed" and not changes and not entry.reason:
            continue
        entries.append(
            TimelineEntry(
                when=entry.date,
                who=entry.user or "system",
                subject=_SUBJECTS.get(entry.type, entry.type),
                what=entry.change,
                changes=changes,
                reason=entry.reason,
            )
        )
    return entries


def claim_last_changed_by(*, user: Any, claim: Claim) -> tuple[str, datetime | None]:
    """Who made the latest change to the claim, its review or its evidence."""
    timeline = claim_timeline(user=user, claim=claim)
    if not timeline:
        return "someone else", None
    return timeline[0].who, timeline[0].when


# --- Stale sources ----------------------------------------------------------------------------

STALE_LIMIT = 500


@dataclass
class StaleGroup:
    key: str
    title: str
    url: str = ""
    items: list[Any] = field(default_factory=list)


def stale_evidence(*, user: Any, limit: int = STALE_LIMIT) -> list[Evidence]:
    """Stale evidence (the rule of `evidence_stale_q`), the longest unverified first."""
    rows = (
        selectors.evidence_list(user=user)
        .filter(evidence_stale_q())
        .select_related("link", "claim", "claim__article", "claim__review")
        .annotate(verified_at=Coalesce("link__last_ok_at", "created_at"))
        .order_by("verified_at", "pk")
    )
    return list(rows[:limit])


def stale_by_host(rows: list[Any]) -> list[StaleGroup]:
    groups: OrderedDict[str, StaleGroup] = OrderedDict()
    for ev in rows:  # already oldest first, so groups come out oldest first too
        host = ev.link.host or "(no host)"
        groups.setdefault(host, StaleGroup(key=host, title=host)).items.append(ev)
    return list(groups.values())


def stale_by_published_claim(rows: list[Any]) -> list[StaleGroup]:
    groups: OrderedDict[Any, StaleGroup] = OrderedDict()
    for ev in rows:
        review = getattr(ev.claim, "review", None)
        if review is None or review.state != State.PUBLISHED:
            continue
        group = groups.setdefault(
            ev.claim_id, StaleGroup(key=str(ev.claim_id), title=ev.claim.exact)
        )
        group.items.append(ev)
    return list(groups.values())


def link_health_by_day(*, days: int = 30, today: date | None = None) -> list[dict[str, Any]]:
    """Checks per day and health over the last `days` days (oldest first, empty days kept)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        LinkCheck.objects.filter(checked_at__gte=since)
        .annotate(day=TruncDate("checked_at"))
        .values("day", "health")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_day: dict[date, dict[str, int]] = {first + timedelta(days=i): {} for i in range(days)}
    for row in rows:
        if row["day"] in by_day:
            by_day[row["day"]][row["health"]] = row["n"]
    # Checks retention pruned were counted into LinkCheckDay (annotations.linkhealth.retention).
    rolled_up = LinkCheckDay.objects.filter(day__gte=first, day__lte=today)
    for day, health, n in rolled_up.values_list("day", "health", "count"):
        counts = by_day[day]
        counts[health] = counts.get(health, 0) + n
    return [{"day": d, "counts": c} for d, c in by_day.items()]
