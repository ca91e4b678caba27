"""The verification workflow as data.

One table maps (state, action) to the new state, who may take the action and what must hold.
`reviews.services.review_transition` is the only code that applies it; the API, the admin and
the UI read `available_actions` to show only the actions valid for a user now.

The rules, by name (the service enforces the `needs` with a message naming the field):
- a reviewer works on claims assigned to them, or takes unassigned ones (`take`); editors hold
  the reviewer role too, and assign reviewers (`assign`: the assignee must be a reviewer);
- `submit` needs a verdict of the vocabulary and a rationale; the submitter is remembered;
- `approve` (publish) needs a verdict, a rationale and at least one evidence link whose link
  is not broken, and an editor other than the submitter (two-person rule);
- `return`, `mark_not_checkable` and `reopen` carry a note saying why;
- publishing again after a `reopen` is a correction: it needs a reason (the note) and is
  written to the public corrections log;
- editors maintain a published check without a correction: `dismiss_rereview` clears the
  open re-review reasons of a false alarm (a note saying why); `update` is a logged
  maintenance publication (sources attached, replaced or archived, a typo in the rationale;
  never a new verdict: that is a correction); `publish_notice` sets the text readers see above
  the published check (an empty note withdraws it). These three leave the state as it is.

Which inputs each action takes, and which it needs, is read from here by the service (which
refuses any other input), by the desk's forms (`transition_inputs`) and the admin's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from factcheck.roles import is_editor, is_reviewer

if TYPE_CHECKING:
    from reviews.models import Review


class State(models.TextChoices):
    UNASSIGNED = "unassigned", "unassigned"
    IN_PROGRESS = "in_progress", "in progress"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"
    RETURNED = "returned", "returned"
    NOT_CHECKABLE = "not_checkable", "not checkable"


class Verdict(models.TextChoices):
    TRUE = "true", "True"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    MIXED = "mixed", "Mixed"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    FALSE = "false", "False"
    MISLEADING = "misleading", "Misleading"
    UNPROVEN = "unproven", "Unproven"


# ClaimReview reviewRating.ratingValue (bestRating 5, worstRating 1); None: no numeric value.
VERDICT_RATING: dict[str, int | None] = {
    Verdict.TRUE: 5,
    Verdict.MOSTLY_TRUE: 4,
    Verdict.MIXED: 3,
    Verdict.MOSTLY_FALSE: 2,
    Verdict.FALSE: 1,
    Verdict.MISLEADING: None,
    Verdict.UNPROVEN: None,
}


class Action(models.TextChoices):
    TAKE = "take", "Take"
    ASSIGN = "assign", "Assign"
    SUBMIT = "submit", "Submit verdict"
    APPROVE = "approve", "Approve and publish"
    RETURN = "return", "Return to reviewer"
    MARK_NOT_CHECKABLE = "mark_not_checkable", "Mark not checkable"
    REOPEN = "reopen", "Reopen"
    DISMISS_REREVIEW = "dismiss_rereview", "Dismiss re-review"
    UPDATE = "update", "Update sources or rationale"
    PUBLISH_NOTICE = "publish_notice", "Public notice"


# --- Who may act ------------------------------------------------------------------------------
Who = Callable[[Any, "Review"], bool]


def _reviewer(user: Any, review: Review) -> bool:
    return is_reviewer(user)


def _editor(user: Any, review: Review) -> bool:
    return is_editor(user)


def _assignee_or_editor(user: Any, review: Review) -> bool:
    return is_editor(user) or (is_reviewer(user) and review.assignee_id == user.pk)


def _editor_not_submitter(user: Any, review: Review) -> bool:
    # Two-person rule: whoever proposed the verdict never publishes it.
    return is_editor(user) and review.submitted_by_id != user.pk


# Every input an action may take; each transition names those it accepts and those it needs.
TRANSITION_INPUTS = ("verdict", "rationale", "assignee", "note", "evidence")
ALL_STATES = frozenset(State.values)


def _has_open_reasons(review: Review) -> bool:
    return bool(review.needs_rereview)


def _is_on_record(review: Review) -> bool:
    return review.live_publication_id is not None


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    # None: the action leaves the state as it is.
    target: str | None
    who: Who
    who_label: str
    # Names of the inputs that must be present (checked by the service with clear messages).
    needs: tuple[str, ...] = ()
    # Inputs this action uses; anything else sent with it is refused (never silently ignored).
    accepts: tuple[str, ...] = ("note",)
    # Inputs also needed when the review was published before: this publication is then a
    # correction, and its reason goes to the public corrections log.
    correction_needs: tuple[str, ...] = ()
    # What must hold of the review besides its state, and the refusal's message when not.
    when: Callable[[Review], bool] | None = None
    when_refusal: str = ""


@dataclass(frozen=True)
class Input:
    """One input an action takes on a given review, and whether it must be given."""

    name: str
    required: bool


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Action.TAKE,
        frozenset({State.UNASSIGNED}),
        State.IN_PROGRESS,
        _reviewer,
        "a reviewer",
        accepts=("note",),
    ),
    Transition(
        Action.ASSIGN,
        frozenset({State.UNASSIGNED, State.IN_PROGRESS, State.RETURNED}),
        State.IN_PROGRESS,
        _editor,
        "an editor",
        needs=("assignee",),
        accepts=("assignee", "note"),
    ),
    Transition(
        Action.SUBMIT,
        frozenset({State.IN_PROGRESS, State.RETURNED}),
        State.IN_REVIEW,
        _assignee_or_editor,
        "the assigned reviewer or an editor",
        needs=("verdict", "rationale"),
        accepts=("verdict", "rationale", "note"),
    ),
    Transition(
        Action.APPROVE,
        frozenset({State.IN_REVIEW}),
        State.PUBLISHED,
        _editor_not_submitter,
        "an editor other than the one who submitted the verdict",
        # What publishing needs of the review itself (a verdict, a rationale, a working
        # evidence link) is checked on the review, not sent with the action.
        correction_needs=("note",),
    ),
    Transition(
        Action.RETURN,
        frozenset({State.IN_REVIEW}),
        State.RETURNED,
        _editor,
        "an editor",
        needs=("note",),
    ),
    Transition(
        Action.MARK_NOT_CHECKABLE,
        frozenset({State.UNASSIGNED, State.IN_PROGRESS, State.RETURNED}),
        State.NOT_CHECKABLE,
        _assignee_or_editor,
        "the assigned reviewer or an editor",
        needs=("note",),
    ),
    Transition(
        Action.REOPEN,
        frozenset({State.PUBLISHED, State.NOT_CHECKABLE}),
        State.IN_PROGRESS,
        _editor,
        "an editor",
        needs=("note",),
    ),
    Transition(
        Action.DISMISS_REREVIEW,
        ALL_STATES,
        None,
        _editor,
        "an editor",
        needs=("note",),
        when=_has_open_reasons,
        when_refusal="There is no open re-review reason to dismiss.",
    ),
    Transition(
        Action.UPDATE,
        frozenset({State.PUBLISHED}),
        None,
        _editor,
        "an editor",
        # The verdict is accepted only to say clearly that an update never changes it.
        needs=("note",),
        accepts=("verdict", "rationale", "evidence", "note"),
    ),
    Transition(
        Action.PUBLISH_NOTICE,
        ALL_STATES,
        None,
        _editor,
        "an editor",
        when=_is_on_record,
        when_refusal="Only a published fact check carries a public notice.",
    ),
)

TRANSITION_BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}


def transition_for(action: str) -> Transition | None:
    return TRANSITION_BY_ACTION.get(action)


def transition_inputs(*, action: str, review: Review) -> tuple[Input, ...]:
    """The inputs `action` takes on this review, in the table's order (forms are built from it).

    Unknown actions take nothing.
    """
    transition = transition_for(action)
    if transition is None:
        return ()
    needed = set(transition.needs)
    if review.first_published_at is not None:
        needed.update(transition.correction_needs)
    return tuple(Input(name, name in needed) for name in transition.accepts)


def available_actions(*, review: Review, user: Any) -> list[str]:
    """Actions this user may take on this review now (for buttons and the API)."""
    return [
        t.action
        for t in TRANSITIONS
        if review.state in t.sources and (t.when is None or t.when(review)) and t.who(user, review)
    ]


def approve_refusal(*, review: Review, user: Any) -> str:
    """Why an editor is not offered `approve` on a review in review, for the panel to say
    (a button that silently is not there reads as a bug), or '' when nothing needs saying."""
    transition = TRANSITION_BY_ACTION[Action.APPROVE]
    if review.state not in transition.sources or not is_editor(user):
        return ""
    if review.submitted_by_id == getattr(user, "pk", None):
        return (
            "You submitted this verdict, so another editor approves it: every published "
            "verdict is seen by two people (the two-person rule)."
        )
    return ""
