"""Fixtures of the workflow tests: actors for every role and claims in every state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reviews.models import Review
from reviews.services import review_transition


def move(claim: Any, by: Any, action: str, **inputs: Any) -> Review:
    """Apply one transition through the service (arranging a test, not testing the API)."""
    review = Review.objects.get(claim=claim)
    return review_transition(
        review_id=review.pk, by=by, action=action, expected_version=review.version, **inputs
    )


@pytest.fixture
def actors(reviewer, reviewer2, editor, editor2, submitter, outsider, admin_user) -> dict:
    """Every kind of caller: no sign-in, no role, each role, and a superuser (the admin)."""
    return {
        "anon": None,
        "outsider": outsider,
        "submitter": submitter,
        "rita": reviewer,  # the reviewer the claim is assigned to
        "rob": reviewer2,  # another reviewer
        "edna": editor,
        "ed": editor2,
        "admin": admin_user,
    }


@pytest.fixture
def no_link_checks(monkeypatch) -> list[int]:
    """Link checks that would be enqueued are collected instead (no broker in these tests)."""
    from annotations.linkhealth import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.check_link, "delay", lambda link_id: sent.append(link_id))
    return sent


@pytest.fixture
def with_evidence(claim, reviewer) -> Any:
    from annotations.services.evidence import evidence_attach

    evidence_attach(claim=claim, by=reviewer, url="https://example.org/source", stance="supports")
    return claim


@pytest.fixture
def claim_in(with_evidence, reviewer, editor) -> Callable[[str], Any]:
    """The claim (with one evidence link, marked by rita) brought to a workflow state."""

    def bring(state: str) -> Any:
        claim = with_evidence
        if state == "unassigned":
            return claim
        move(claim, reviewer, "take")
        if state == "in_progress":
            return claim
        move(claim, reviewer, "submit", verdict="mostly_true", rationale="UK MoD figures.")
        if state == "in_review":
            return claim
        move(claim, editor, "approve")
        if state == "published":
            return claim
        raise AssertionError(state)

    return bring


@pytest.fixture
def published(claim_in) -> Any:
    return claim_in("published")
