"""Reads the desk composes from the selectors: queue buckets, timelines, stale groups.

Visibility and staleness rules stay where they live (`annotations.selectors`,
`annotations.querysets`); this module only filters, groups and counts for the pages.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from annotations import selectors
from annotations.models import Claim, Evidence, LinkCheckDay, StaleHost
from annotations.search import claims_claimant, claims_search
from factcheck.counting import capped_count
from factcheck.errors import Forbidden
from factcheck.roles import EDITOR, REVIEWER, is_editor
from reviews import claimlists
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
    # Oldest claim first, on the partial index of stale claims (`claim_stale_recent`): the
    # review's last change is in another table, and sorting every stale claim by it is linear.
    "stale": ("created_at",),
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
    more: Mapping[str, Any] | None = None,
    ordering: Sequence[str] = (),
) -> tuple[QuerySet[Claim], dict[str, int]]:
    """The claims of one bucket under the filters, and every bucket's count under them.
    `edited`: only claims whose article was revised after they were first published.
    `q`: the full-text search (`annotations.search`: ranked, best first unless `ordering`).
    `more`: the claim list's other filters (`claim_filters`); `ordering`: its orderings
    (`reviews.claimlists.ORDERINGS`), else the tab's own order."""
    claims: Any = selectors.claim_list(user=user)
    if edited:
        claims = claims.filter(claims_edited_after_publication())
    if q:
        claims = claims_search(claims, q, field="q")
    claims = claim_filters(claims, user=user, **(more or {}))
    if state:
        claims = claims.filter(review__state=state)
    if verdict:
        claims = claims.filter(review__verdict=verdict)
    if tag:
        # Tags are a JSON list of strings; the quoted form matches one whole tag on every
        # database (the embedded SQLite default has no JSON containment lookup).
        claims = claims.filter(tags__icontains=f'"{tag.strip().lower()}"')
    buckets = queue_buckets(user)
    # One bounded count per tab (each reads an index of its own up to the cap), not one pass
    # over every claim evaluating every tab's condition.
    counts = {b.key: capped_count(claims.filter(_bucket_q(b.key, user))) for b in buckets}
    chosen = bucket if any(b.key == bucket for b in buckets) else buckets[0].key
    listed = claims.filter(_bucket_q(chosen, user))
    if ordering or q:
        listed, order = claimlists.claims_ordering(listed, ordering)
        listed = listed.order_by(*order)
    else:
        listed = listed.order_by(*_BUCKET_ORDER[chosen], "pk")
    # The queue shows no evidence and no texts: no prefetch, and no text carried through the
    # sort of the page's rows.
    listed = listed.prefetch_related(None).defer("article__text", "revision__text")
    return listed, counts


def claim_filters(
    claims: Any,
    *,
    user: Any,
    assignee: str = "",
    claimant: str = "",
    article: Any = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    due_before: datetime | None = None,
    overdue: bool | None = None,
    priority: Sequence[str] = (),
) -> Any:
    """The claim list's filters as the API has them (annotations.api.filters.ClaimFilter):
    the same rules, from `reviews.claimlists` and `annotations.search`."""
    if assignee:
        claims = claims.filter(claimlists.assignee_q(assignee, user=user))
    if claimant:
        claims = claims_claimant(claims, claimant)
    if article:
        claims = claims.filter(article_id=article)
    if created_after:
        claims = claims.filter(created_at__gte=created_after)
    if created_before:
        claims = claims.filter(created_at__lt=created_before)
    if due_before:
        claims = claims.filter(review__due_at__lt=due_before)
    if overdue is not None:
        claims = claims.filter(claimlists.overdue_filter(overdue))
    if priority:
        claims = claims.filter(claimlists.priority_q(priority))
    return claims


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

# Groups per page, and stale evidence shown per group (the rest is counted).
STALE_GROUPS_PER_PAGE = 20
STALE_ITEMS_PER_GROUP = 10


@dataclass
class StaleGroup:
    key: str
    title: str
    url: str = ""
    items: list[Any] = field(default_factory=list)
    total: int = 0
    article_id: Any = None


def _stale_rows(user: Any) -> QuerySet[Evidence]:
    """Stale evidence (the stored fact, `Evidence.stale_since`), the longest unverified first."""
    return (
        selectors.evidence_list(user=user)
        .filter(stale_since__isnull=False)
        .select_related("link", "claim", "claim__review")
        .defer("claim__summary", "note")
    )


def _first_of_each(rows: QuerySet[Evidence], partition: str) -> list[Evidence]:
    ranked = rows.annotate(
        _rank=Window(RowNumber(), partition_by=F(partition), order_by=("stale_since", "pk"))
    )
    return list(ranked.filter(_rank__lte=STALE_ITEMS_PER_GROUP).order_by("stale_since", "pk"))


def stale_count(*, user: Any) -> int:
    """All stale evidence: the sum of the maintained per-host counts (one row a host)."""
    if _stale_rows(user).query.is_empty():
        return 0
    return StaleHost.objects.aggregate(n=Sum("evidence_count"))["n"] or 0


def stale_by_host(*, user: Any, page: int = 1) -> tuple[list[StaleGroup], bool]:
    """One page of hosts with stale evidence, the one stale longest first, each with its
    first STALE_ITEMS_PER_GROUP items; and whether more pages follow. The hosts and their
    counts are the maintained `StaleHost` rows (index `stalehost_oldest`); each host's items
    one index range of `evidence_stale_host`."""
    rows = _stale_rows(user)
    if rows.query.is_empty():
        return [], False
    first = (page - 1) * STALE_GROUPS_PER_PAGE
    hosts = list(
        StaleHost.objects.order_by("oldest_stale_since", "host")[
            first : first + STALE_GROUPS_PER_PAGE + 1
        ]
    )
    more = len(hosts) > STALE_GROUPS_PER_PAGE
    groups = OrderedDict(
        (h.host, StaleGroup(key=h.host, title=h.host or "(no host)", total=h.evidence_count))
        for h in hosts[:STALE_GROUPS_PER_PAGE]
    )
    if groups:
        firsts = [
            rows.filter(stale_host=host).order_by("stale_since", "pk")[:STALE_ITEMS_PER_GROUP]
            for host in groups
        ]
        items = firsts[0].union(*firsts[1:], all=True) if len(firsts) > 1 else firsts[0]
        for ev in sorted(items, key=lambda ev: (ev.stale_since, str(ev.pk))):
            groups[ev.stale_host].items.append(ev)
    return list(groups.values()), more


def stale_by_published_claim(*, user: Any, page: int = 1) -> tuple[list[StaleGroup], bool]:
    """One page of published claims with stale evidence (index `claim_stale_recent`), the
    newest first, each with its first STALE_ITEMS_PER_GROUP stale items; and whether more
    pages follow."""
    first = (page - 1) * STALE_GROUPS_PER_PAGE
    claims = list(
        selectors.claim_list(user=user)
        .filter(has_stale_evidence=True, review__state=State.PUBLISHED)
        .select_related(None)
        .prefetch_related(None)
        .only("pk", "exact", "article_id", "created_at")
        .order_by("-created_at", "pk")[first : first + STALE_GROUPS_PER_PAGE + 1]
    )
    more = len(claims) > STALE_GROUPS_PER_PAGE
    groups = OrderedDict(
        (c.pk, StaleGroup(key=str(c.pk), title=c.exact, article_id=c.article_id))
        for c in claims[:STALE_GROUPS_PER_PAGE]
    )
    if groups:
        rows = _stale_rows(user).filter(claim_id__in=list(groups))
        totals = dict(
            rows.order_by()
            .values_list("claim_id")
            .annotate(n=Count("pk"))
            .values_list("claim_id", "n")
        )
        for ev in _first_of_each(rows, "claim_id"):
            groups[ev.claim_id].items.append(ev)
        for key, group in groups.items():
            group.total = totals.get(key, 0)
    return list(groups.values()), more


def link_health_by_day(*, days: int = 30, today: date | None = None) -> list[dict[str, Any]]:
    """Checks per day and health over the last `days` days (oldest first, empty days kept),
    from the per-day rollup `LinkCheckDay` alone (every recorded check is counted into it in
    the transaction that records it; retention deletes checks, never their counts)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    by_day: dict[date, dict[str, int]] = {first + timedelta(days=i): {} for i in range(days)}
    rolled_up = LinkCheckDay.objects.filter(day__gte=first, day__lte=today)
    for day, health, n in rolled_up.values_list("day", "health", "count"):
        by_day[day][health] = by_day[day].get(health, 0) + n
    return [{"day": d, "counts": c} for d, c in by_day.items()]
