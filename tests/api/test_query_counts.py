"""Every list endpoint answers in a fixed number of queries, whatever its page holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotations.services.evidence import evidence_attach
from tests.factories import ARTICLE_TEXT, article_create, claim_create

# (path, most queries allowed). Each must not grow with the page.
LISTS = [
    ("/api/v1/articles/", 8),
    ("/api/v1/articles/?expand=claims", 12),
    ("/api/v1/claims/", 9),
    ("/api/v1/claims/?fields=id,exact", 9),
    ("/api/v1/links/", 8),
    ("/api/v1/claimreviews/", 6),
    ("/api/v1/corrections/", 6),
    ("/api/v1/webhooks/", 6),
    ("/api/v1/tokens/", 6),
    ("/api/v1/exports/fever.jsonl", 8),
]


def _world(n: int, *, editor: Any, reviewer: Any, editor2: Any, admin_user: Any) -> None:
    from factcheck.tokens import token_create
    from reviews.models import Review
    from reviews.services import review_transition
    from reviews.webhooks.services import webhook_create
    from tests.api.conftest import publish

    for i in range(n):
        article = article_create(
            by=editor, url=f"https://news.example.org/q/{n}/{i}", text=f"{ARTICLE_TEXT} {n} {i}"
        )
        for exact in ("North Korea is training", "Rutte said Monday"):
            claim = claim_create(article=article, by=reviewer, exact=exact)
            evidence_attach(
                claim=claim,
                by=reviewer,
                url=f"https://example.org/{n}/{i}/{exact[:5]}",
                stance="refutes",
            )
        publish(claim, reviewer=reviewer, editor=editor2)
        review = Review.objects.get(claim=claim)
        review_transition(
            review_id=review.pk,
            by=editor2,
            action="reopen",
            note="x",
            expected_version=review.version,
        )
        review = Review.objects.get(claim=claim)
        review_transition(
            review_id=review.pk,
            by=reviewer,
            action="submit",
            verdict="mixed",
            rationale="y",
            expected_version=review.version,
        )
        review = Review.objects.get(claim=claim)
        review_transition(
            review_id=review.pk,
            by=editor2,
            action="approve",
            note="z",
            expected_version=review.version,
        )
        webhook_create(
            owner=admin_user, url=f"https://hooks.example.org/{n}/{i}", events=["claim.published"]
        )
        token_create(user=editor, name=f"t{n}-{i}", role="editor", by=admin_user)


def _count(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        assert response.status_code == 200, (path, response.content[:300])
    return len(queries)


@pytest.mark.parametrize(("path", "limit"), LISTS)
def test_lists_use_a_constant_number_of_queries(
    path: str,
    limit: int,
    client_for: Callable[[Any], Any],
    editor: Any,
    editor2: Any,
    reviewer: Any,
    admin_user: Any,
    django_assert_max_num_queries: Any,
) -> None:
    people = {"editor": editor, "reviewer": reviewer, "editor2": editor2, "admin_user": admin_user}
    client = client_for(admin_user)
    if path.startswith("/api/v1/tokens/"):
        # Every user's tokens are listed to a signed-in superuser only (a token sees its own).
        client = APIClient()
        client.force_login(admin_user)
    _world(2, **people)
    small = _count(client, path)
    _world(12, **people)
    with django_assert_max_num_queries(limit):
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    large = _count(client, path)
    assert large == small, f"{path}: {small} queries for a small page, {large} for a large one"
