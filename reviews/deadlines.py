"""Deadlines and priorities of reviews: set by editors, outside the workflow; who is told what
is due; how much each person has on their desk.

- `review_schedule`: an editor sets a review's `due_at` and/or `priority` (the API's
  `PATCH /api/v1/claims/{id}/review/` with If-Match, the desk's bulk bar). No state change; a
  new version and a history record, like every review write.
- `reviews_notify_due`: the daily beat job (`notify_due_reviews`): the assignee of each open
  review due tomorrow gets `due_soon`, of each open review past its due time `overdue`. Once
  per deadline: a moved deadline is a new one. Bounded batches, safe to run twice.
- `workload`: per reviewer, open claims, overdue, due soon and urgent (editors only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from factcheck.errors import DomainError, Forbidden, NotFound, PreconditionFailed
from factcheck.roles import EDITOR, REVIEWER, is_editor
from reviews.models import PRIORITY_BY_NAME, Notification, NotificationKind, Priority, Review
from reviews.notifications import MESSAGE_MAX, notify, quote_shown
from reviews.services import review_current
from reviews.workflow import State

# States in which a deadline still means work to do (published and not checkable are done).
OPEN_STATES = (State.UNASSIGNED, State.IN_PROGRESS, State.RETURNED, State.IN_REVIEW)
# What counts as on someone's desk: assigned and not done.
WORKING_STATES = (State.IN_PROGRESS, State.RETURNED, State.IN_REVIEW)

UNSET: Any = object()


def overdue_q(*, now: datetime | None = None, prefix: str = "") -> Q:
    """Q for open reviews past their due time (`prefix` "review__" from claims)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}due_at__lt": now, f"{prefix}state__in": OPEN_STATES})


def due_by_q(*, until: datetime, now: datetime | None = None, prefix: str = "") -> Q:
    """Q for open reviews due from now until `until` (not yet overdue)."""
    now = now or timezone.now()
    return Q(
        **{
            f"{prefix}due_at__gte": now,
            f"{prefix}due_at__lt": until,
            f"{prefix}state__in": OPEN_STATES,
        }
    )


def tomorrow_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The start of tomorrow and of the day after, in the desk's time zone."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time()))
    return start, start + timedelta(days=1)


def priority_value(name: str, *, field: str = "priority") -> int:
    if name not in PRIORITY_BY_NAME:
        raise DomainError(
            f"{name!r} is not a priority. Choose one of: {', '.join(PRIORITY_BY_NAME)}.",
            field=field,
        )
    return PRIORITY_BY_NAME[name]


# --- Setting them -----------------------------------------------------------------------------


@transaction.atomic
def review_schedule(
    *,
    review_id: int,
    by: Any,
    expected_version: int | None,
    due_at: datetime | None = UNSET,
    priority: str = UNSET,
) -> Review:
    """Set a review's deadline (`due_at`, None clears it) and/or `priority` (a name).

    Editors only. Holds the review's row lock like `review_transition`; `expected_version`
    is the version the caller read (If-Match; a stale one is a 412 before anything is
    written), None for callers acting on the current state (the bulk actions). Nothing to
    change: the review as it is, its version unchanged.
    """
    if not is_editor(by):
        raise Forbidden("Only an editor sets deadlines and priorities.")
    review = Review.objects.select_for_update(of=("self",)).filter(pk=review_id).first()
    if review is None:
        raise NotFound("No such review.")
    if expected_version is not None and expected_version != review.version:
        raise PreconditionFailed(
            f"The review changed since you loaded it (your version {expected_version}, "
            f"now {review.version}); reload and try again.",
            extra={"current": review_current(review)},
        )
    changes = []
    if due_at is not UNSET and due_at != review.due_at:
        review.due_at = due_at
        changes.append(
            f"due {timezone.localtime(due_at):%Y-%m-%d %H:%M}" if due_at else "no deadline"
        )
    if priority is not UNSET:
        value = priority_value(priority)
        if value != review.priority:
            review.priority = value
            changes.append(f"priority {priority}")
    if not changes:
        return review
    review.version += 1
    review._change_reason = "schedule: " + ", ".join(changes)  # type: ignore[attr-defined]
    review._history_user = by  # type: ignore[attr-defined]
    review.save()
    return review


# --- Telling the assignees --------------------------------------------------------------------


def _when(value: datetime) -> str:
    return f"{timezone.localtime(value):%a %d %b %H:%M}"


def _due_batch(
    *, kind: str, reviews: Any, since_for: Any, message_for: Any, limit: int
) -> tuple[int, Any]:
    """Notify the assignees of up to `limit` of these reviews (in pk order) that were not told
    of this deadline yet. Returns how many were notified and the last pk seen."""
    rows = list(reviews.select_related("claim", "assignee").order_by("pk")[:limit])
    if not rows:
        return 0, None
    told = {
        (n.claim_id, n.recipient_id, n.created_at)
        for n in Notification.objects.filter(
            kind=kind, claim_id__in=[r.claim_id for r in rows]
        ).only("claim_id", "recipient_id", "created_at")
    }
    sent = 0
    for review in rows:
        since = since_for(review)
        if any(
            claim == review.claim_id and who == review.assignee_id and at >= since
            for claim, who, at in told
        ):
            continue
        sent += len(
            notify(
                recipients=[review.assignee],
                kind=kind,
                claim=review.claim,
                actor=None,
                message=message_for(review)[:MESSAGE_MAX],
            )
        )
    return sent, rows[-1].pk


def reviews_notify_due(*, now: datetime | None = None) -> dict[str, int]:
    """The daily reminder: `due_soon` for open reviews due tomorrow, `overdue` for open
    reviews past their due time; to the assignee (reviews nobody holds have no one to tell).

    Once per deadline: a `due_soon` is not sent again for a deadline already announced (since
    two days before it), an `overdue` not again since the deadline passed. Works in batches of
    DEADLINE_NOTIFY_BATCH, one transaction each, up to DEADLINE_NOTIFY_MAX_BATCHES per kind.
    Returns the notifications written per kind.
    """
    now = now or timezone.now()
    start, end = tomorrow_bounds(now)
    assigned = Review.objects.filter(assignee__isnull=False, assignee__is_active=True)
    plans = {
        NotificationKind.DUE_SOON: (
            assigned.filter(due_by_q(until=end, now=start)),
            lambda r: r.due_at - timedelta(days=2),
            lambda r: f"Due tomorrow ({_when(r.due_at)}): {quote_shown(r.claim)}",
        ),
        NotificationKind.OVERDUE: (
            assigned.filter(overdue_q(now=now)),
            lambda r: r.due_at,
            lambda r: f"Overdue since {_when(r.due_at)}: {quote_shown(r.claim)}",
        ),
    }
    batch = settings.DEADLINE_NOTIFY_BATCH
    counts = {}
    for kind, (reviews, since_for, message_for) in plans.items():
        total, after = 0, None
        for _ in range(settings.DEADLINE_NOTIFY_MAX_BATCHES):
            page = reviews if after is None else reviews.filter(pk__gt=after)
            with transaction.atomic():
                sent, after = _due_batch(
                    kind=kind,
                    reviews=page,
                    since_for=since_for,
                    message_for=message_for,
                    limit=batch,
                )
            total += sent
            if after is None:
                break
        counts[str(kind)] = total
    return counts


# --- Workload ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    user: Any
    open: int
    overdue: int
    due_soon: int
    urgent: int


def workload(*, user: Any, now: datetime | None = None) -> list[Workload]:
    """What each reviewer has on their desk (assigned, not done): how many open, overdue, due
    by the end of tomorrow, high or urgent. Every active reviewer and editor, the busiest
    first. Editors only."""
    if not is_editor(user):
        raise Forbidden("Only editors see the desk's workload.")
    now = now or timezone.now()
    _, end = tomorrow_bounds(now)
    users = get_user_model().objects
    # A subquery, not a join: a join to the groups would count a reviewer-and-editor twice.
    desk = users.filter(Q(groups__name__in=[REVIEWER, EDITOR]) | Q(is_superuser=True))
    people = users.filter(is_active=True, pk__in=desk.values("pk"))
    working = Q(assigned_reviews__state__in=WORKING_STATES)
    counts = people.annotate(
        open_count=Count("assigned_reviews", filter=working),
        overdue_count=Count(
            "assigned_reviews", filter=working & overdue_q(now=now, prefix="assigned_reviews__")
        ),
        due_soon_count=Count(
            "assigned_reviews",
            filter=working & due_by_q(until=end, now=now, prefix="assigned_reviews__"),
        ),
        urgent_count=Count(
            "assigned_reviews",
            filter=working & Q(assigned_reviews__priority__gte=Priority.HIGH),
        ),
    ).order_by("-open_count", "username")
    return [
        Workload(
            user=person,
            open=person.open_count,
            overdue=person.overdue_count,
            due_soon=person.due_soon_count,
            urgent=person.urgent_count,
        )
        for person in counts
    ]
