"""What the queue shows of bulk work and deadlines: the bulk bar's choices, due badges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from annotations.web import forms, queries
from factcheck.roles import is_editor, is_reviewer
from reviews.deadlines import OPEN_STATES, tomorrow_bounds
from reviews.models import Priority


@dataclass(frozen=True)
class BulkBar:
    actions: list[tuple[str, str]]
    reviewers: list[Any]
    priorities: list[tuple[str, str]]


def bulk_bar(user: Any) -> BulkBar | None:
    """What the bar offers this user (None: no bar). Editors get every action; reviewers the
    ones they may take on claims they work on (the services decide per claim anyway)."""
    if not is_reviewer(user):
        return None
    actions = list(forms.ClaimBulkForm.base_fields["action"].choices)  # type: ignore[attr-defined]
    if not is_editor(user):
        actions = [(k, v) for k, v in actions if k in ("tag", "untag", "mark_not_checkable")]
    return BulkBar(
        actions=actions,
        reviewers=list(queries.assignable_reviewers()) if is_editor(user) else [],
        priorities=[(str(p.label), str(p.label).capitalize()) for p in reversed(Priority)],
    )


def due_state(review: Any, *, now: datetime | None = None) -> str:
    """ "overdue", "due_soon" (by the end of tomorrow) or "" (no deadline, or done)."""
    if review is None or review.due_at is None or review.state not in OPEN_STATES:
        return ""
    now = now or timezone.now()
    if review.due_at < now:
        return "overdue"
    _, end = tomorrow_bounds(now)
    return "due_soon" if review.due_at < end else ""
