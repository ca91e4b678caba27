"""Fixtures of the API tests: role-scoped tokens and published claims (the webhook receiver
is tests/conftest.py's `receiver`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import ARTICLE_TEXT, article_create, claim_create


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(settings: Any) -> Iterator[None]:
    """Throttle counts live in the shared cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


def publish(claim: Any, *, reviewer: Any, editor: Any, verdict: str = "false") -> Any:
    """Bring a claim to `published` through the service (evidence, take, submit, approve)."""
    from annotations.services.evidence import evidence_attach
    from reviews.models import Review
    from reviews.services import review_transition

    if not claim.evidence.exists():
        evidence_attach(
            claim=claim, by=reviewer, url=f"https://example.org/src/{claim.pk}", stance="refutes"
        )

    def move(by: Any, action: str, **inputs: Any) -> Any:
        review = Review.objects.get(claim=claim)
        return review_transition(
            review_id=review.pk, by=by, action=action, expected_version=review.version, **inputs
        )

    move(reviewer, "take")
    move(reviewer, "submit", verdict=verdict, rationale="Checked against the records.")
    return move(editor, "approve")


@pytest.fixture
def published_claims(editor: Any, reviewer: Any, editor2: Any) -> Callable[[int], list[Any]]:
    """n claims on n articles, each published by the service."""

    def make(n: int, verdicts: tuple[str, ...] = ("false",)) -> list[Any]:
        claims = []
        for i in range(n):
            article = article_create(
                by=editor, url=f"https://news.example.org/p/{i}", text=f"{ARTICLE_TEXT} ({i})"
            )
            claim = claim_create(article=article, by=reviewer, exact="North Korea is training")
            publish(claim, reviewer=reviewer, editor=editor2, verdict=verdicts[i % len(verdicts)])
            claims.append(claim)
        return claims

    return make


@pytest.fixture
def token_client() -> Callable[..., APIClient]:
    """A client holding a role-scoped ApiToken of `user`."""

    def make(user: Any, role: str) -> APIClient:
        from factcheck.tokens import token_create

        _, key = token_create(user=user, name=f"{user.username}-{role}", role=role, by=None)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def eager_tasks(settings: Any) -> Iterator[None]:
    from factcheck.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
