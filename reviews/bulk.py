"""One action on many claims: the API's `POST /api/v1/claims/bulk/` and the queue's bulk bar.

Each claim goes through the service that acts on one claim at a time, with its permissions
and checks (`review_transition` for `assign` and `mark_not_checkable`, `claim_edit` for
`tag` and `untag`, `review_schedule` for `set_priority` and `set_due`), in a transaction of
its own: a claim that is refused (not visible, a state the action is not valid in, a role
that may not) changes nothing and takes no other claim down with it. The answer is one
result per claim, in the order given.

The actions act on the claims as they are now: no If-Match per claim (each service takes the
row locks and checks what must hold at that moment).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from annotations.selectors import claim_get_for_user
from annotations.services.claims import claim_lock
from factcheck.errors import DomainError
from reviews.deadlines import UNSET, review_schedule
from reviews.services import claim_edit, review_transition
from reviews.workflow import Action

ACTIONS = ("assign", "tag", "untag", "mark_not_checkable", "set_priority", "set_due")
# What each action needs besides the ids (checked once, for the whole request).
NEEDS = {
    "assign": "assignee",
    "tag": "tag",
    "untag": "tag",
    "mark_not_checkable": "note",
    "set_priority": "priority",
    "set_due": "due_at",
}


@dataclass(frozen=True)
class BulkResult:
    id: str
    # "updated", "unchanged" (nothing to do: the tag was there, the same priority), "error".
    status: str
    code: str = ""
    message: str = ""
    # For an error: the status one request for this claim alone would have had.
    status_code: int = 200

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.status == "error":
            row |= {"code": self.code, "message": self.message, "status_code": self.status_code}
        return row


def bulk_check(*, ids: Sequence[Any], action: str, params: dict[str, Any]) -> list[str]:
    """The request as a whole: a known action with what it needs, 1..CLAIM_BULK_MAX_IDS ids.
    Returns the ids once each, in order. Raises DomainError (a 400: nothing done)."""
    if action not in ACTIONS:
        raise DomainError(
            f"Unknown action {action!r}. Choose one of: {', '.join(ACTIONS)}.", field="action"
        )
    need = NEEDS[action]
    if need not in params or (need != "due_at" and params[need] in (None, "")):
        raise DomainError(f"{action} needs {need}.", field=need)
    try:
        unique = list(dict.fromkeys(str(uuid.UUID(str(i))) for i in ids))
    except ValueError as exc:
        raise DomainError("Claims are named by their ids (UUIDs).", field="ids") from exc
    if not unique:
        raise DomainError("Choose at least one claim.", field="ids")
    limit = settings.CLAIM_BULK_MAX_IDS
    if len(unique) > limit:
        raise DomainError(
            f"At most {limit} claims at once ({len(unique)} sent).",
            field="ids",
            code="too_many_items",
        )
    return unique


def claims_bulk(
    *,
    by: Any,
    ids: Sequence[Any],
    action: str,
    assignee: Any = None,
    tag: str = "",
    note: str = "",
    priority: str = "",
    due_at: datetime | None = UNSET,
) -> list[BulkResult]:
    """Apply `action` to each claim (see the module's docstring); one result per claim."""
    params = {
        "assignee": assignee,
        "tag": (tag or "").strip().lower(),
        "note": (note or "").strip(),
        "priority": priority,
    }
    if due_at is not UNSET:
        params["due_at"] = due_at
    unique = bulk_check(ids=ids, action=action, params=params)
    return [_one(by=by, claim_id=claim_id, action=action, params=params) for claim_id in unique]


def _one(*, by: Any, claim_id: str, action: str, params: dict[str, Any]) -> BulkResult:
    try:
        with transaction.atomic():
            changed = _apply(by=by, claim_id=claim_id, action=action, params=params)
    except DomainError as exc:
        return BulkResult(
            id=claim_id,
            status="error",
            code=exc.code,
            message=exc.message,
            status_code=exc.status_code,
        )
    return BulkResult(id=claim_id, status="updated" if changed else "unchanged")


def _apply(*, by: Any, claim_id: str, action: str, params: dict[str, Any]) -> bool:
    """Act on one claim inside its own transaction. True when something changed."""
    claim = claim_get_for_user(user=by, claim_id=claim_id)  # NotFound: not visible
    review = claim.review  # type: ignore[attr-defined]
    if action in ("assign", "mark_not_checkable"):
        review_transition(
            review_id=review.pk,
            by=by,
            action=Action.ASSIGN if action == "assign" else Action.MARK_NOT_CHECKABLE,
            expected_version=None,
            assignee=params["assignee"] if action == "assign" else None,
            note=params["note"] or None,
        )
        return True
    if action in ("tag", "untag"):
        locked = claim_lock(claim_id=claim.pk, expected_version=None)
        tags = list(locked.tags or [])
        tag = params["tag"]
        if action == "tag" and tag not in tags:
            tags.append(tag)
        elif action == "untag" and tag in tags:
            tags.remove(tag)
        else:
            return False
        claim_edit(claim=locked, by=by, tags=tags)
        return True
    before = review.version
    fields = (
        {"priority": params["priority"]}
        if action == "set_priority"
        else {"due_at": params["due_at"]}
    )
    after = review_schedule(review_id=review.pk, by=by, expected_version=None, **fields)
    return after.version != before
