"""The one service that moves a review through the workflow, and its neighbours."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from factcheck.errors import Conflict, DomainError, Forbidden, PreconditionFailed
from factcheck.roles import EDITOR, is_editor, is_reviewer
from reviews.models import Correction, Review
from reviews.workflow import Action, State, Verdict, available_actions, transition_for

logger = logging.getLogger(__name__)

BROKEN_LINK_HEALTHS = ("broken", "dead", "unsafe")


def review_create(*, claim: Any) -> Review:
    return Review.objects.create(claim=claim)


def _require(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise DomainError(message, field=field)
    return str(value).strip()


@transaction.atomic
def review_transition(
    *,
    review_id: int,
    by: Any,
    action: str,
    expected_version: int | None,
    verdict: str | None = None,
    rationale: str | None = None,
    assignee: Any | None = None,
    note: str | None = None,
) -> Review:
    """Apply one workflow action. Holds the review's row lock, so concurrent actions serialize
    and exactly one of two racing approvals wins (the other sees a stale version)."""
    review = Review.objects.select_for_update().select_related("claim").get(pk=review_id)
    if expected_version is not None and expected_version != review.version:
        raise PreconditionFailed(
            "The review changed since you loaded it; reload and try again.",
            extra={"current": {"state": review.state, "version": review.version}},
        )
    transition = transition_for(action)
    if transition is None:
        raise DomainError(
            f"Unknown action {action!r}. Valid actions: {', '.join(a.value for a in Action)}.",
            field="action",
        )
    if review.state not in transition.sources:
        valid = available_actions(review=review, user=by)
        raise Conflict(
            f"Cannot {action} a review that is {review.state}."
            + (f" Valid now: {', '.join(valid)}." if valid else ""),
            code="invalid_transition",
        )
    if not transition.who(by, review):
        if action == Action.APPROVE and review.submitted_by_id == getattr(by, "pk", None):
            raise Forbidden("You submitted this verdict; another editor must approve it.")
        raise Forbidden(f"Only {transition.who_label} may {action} this review.")

    old_state = review.state
    target = transition.target
    if action == Action.TAKE:
        review.assignee = by
    elif action == Action.ASSIGN:
        if assignee is None:
            raise DomainError("Choose the reviewer to assign.", field="assignee")
        if not is_reviewer(assignee):
            raise DomainError(f"{assignee} does not have the reviewer role.", field="assignee")
        review.assignee = assignee
    elif action == Action.SUBMIT:
        chosen = _require(verdict or review.verdict, "verdict", "A verdict is required.")
        if chosen not in Verdict.values:
            raise DomainError(
                f"{chosen!r} is not a verdict. Choose one of: {', '.join(Verdict.values)}.",
                field="verdict",
            )
        review.verdict = chosen
        review.rationale = _require(
            rationale if rationale is not None else review.rationale,
            "rationale",
            "A rationale is required.",
        )
        review.submitted_by = by
    elif action == Action.APPROVE:
        _check_publishable(review)
        now = timezone.now()
        if review.first_published_at is not None:
            reason = _require(note, "note", "Publishing again is a correction: give the reason.")
            previous = _last_published_verdict(review)
            Correction.objects.create(
                review=review,
                previous_verdict=previous or review.verdict,
                new_verdict=review.verdict,
                reason=reason,
                by=by,
            )
        else:
            review.first_published_at = now
        review.published_at = now
        review.approved_by = by
        review.needs_rereview = False
        review.rereview_reason = ""
    elif action in (Action.RETURN, Action.MARK_NOT_CHECKABLE, Action.REOPEN):
        note = _require(note, "note", f"Say why when you {action.replace('_', ' ')}.")
        if action == Action.REOPEN and review.assignee_id is None:
            target = State.UNASSIGNED
    review.state = target
    if note is not None:
        review.note = note
    review.version += 1
    review._change_reason = f"{action}: {old_state} -> {target}" + (f" ({note})" if note else "")  # type: ignore[attr-defined]
    review.save()
    return review


def _check_publishable(review: Review) -> None:
    if not review.verdict:
        raise DomainError("Publishing needs a verdict.", field="verdict")
    if not review.rationale.strip():
        raise DomainError("Publishing needs a rationale.", field="rationale")
    evidence = list(review.claim.evidence.select_related("link"))
    if not evidence:
        raise DomainError("Publishing needs at least one evidence link.", field="evidence")
    if all(e.link.health in BROKEN_LINK_HEALTHS for e in evidence):
        raise DomainError(
            "Every evidence link is broken, dead or unsafe; attach a working source.",
            field="evidence",
        )


def _last_published_verdict(review: Review) -> str | None:
    record = (
        review.history.filter(state=State.PUBLISHED).order_by("-history_date").first()  # type: ignore[attr-defined]
    )
    return record.verdict if record else None


def review_flag_rereview(*, claim_id: Any, reason: str) -> None:
    """Mark a published review for re-review and tell the people who own it.

    Only published verdicts are flagged: work in progress is looked at anyway.
    """
    review = Review.objects.select_for_update().filter(claim_id=claim_id).first()
    if review is None or review.state != State.PUBLISHED or review.needs_rereview:
        return
    review.needs_rereview = True
    review.rereview_reason = reason[:300]
    review.version += 1
    review._change_reason = f"needs re-review: {reason}"  # type: ignore[attr-defined]
    review.save()
    transaction.on_commit(lambda: _notify_rereview(review_id=review.pk))


def _notify_rereview(*, review_id: int) -> None:
    review = Review.objects.select_related("claim", "assignee").get(pk=review_id)
    user_model = get_user_model()
    recipients = set(
        user_model.objects.filter(groups__name=EDITOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if review.assignee and review.assignee.email:
        recipients.add(review.assignee.email)
    if not recipients:
        return
    send_mail(
        subject=f"Re-review needed: {review.claim.exact[:60]}",
        message=(
            f"The published verdict '{review.verdict}' needs another look: "
            f"{review.rereview_reason}.\nClaim: {review.claim.exact}\n"
        ),
        from_email=None,
        recipient_list=sorted(recipients),
        fail_silently=True,
    )


def user_may_read_review(user: Any) -> bool:
    return is_reviewer(user) or is_editor(user)
