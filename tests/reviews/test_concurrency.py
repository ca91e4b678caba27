"""Optimistic concurrency over real HTTP: two requests released together on a live server.

Each request runs in its own server thread with its own PostgreSQL connection; the review's
row lock serializes them, and the loser sees the version the winner moved on: 412.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from reviews.models import Correction, Review
from tests.factories import article_create, claim_create
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db(transaction=True)


def _token(user: Any) -> str:
    from factcheck.roles import user_roles
    from factcheck.tokens import strongest_role, token_create

    role = strongest_role(user_roles(user))
    assert role is not None
    return token_create(user=user, name="concurrency", role=role, by=None)[1]


def _post(url: str, token: str, etag: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "If-Match": etag,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _race(url: str, calls: list[tuple[str, dict[str, Any]]], etag: str) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, token: str, body: dict[str, Any]) -> None:
        barrier.wait(timeout=10)
        results[i] = _post(url, token, etag, body)

    threads = [
        threading.Thread(target=run, args=(i, token, body)) for i, (token, body) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def in_review(reviewer, editor, no_link_checks) -> Any:
    from annotations.services.evidence import evidence_attach

    article = article_create(by=editor, url="https://news.example.org/race")
    claim = claim_create(
        article=article, by=reviewer, exact="North Korea is training 10,000 soldiers"
    )
    evidence_attach(claim=claim, by=reviewer, url="https://example.org/s", stance="supports")
    move(claim, reviewer, "take")
    move(claim, reviewer, "submit", verdict="mostly_true", rationale="UK MoD figures.")
    return claim


@pytest.mark.parametrize("attempt", range(3))
def test_two_editors_approving_at_once_exactly_one_wins(
    live_server, editor, editor2, in_review, attempt
):
    review = Review.objects.get(claim=in_review)
    url = f"{live_server.url}/api/v1/claims/{in_review.pk}/review/transitions/"
    results = _race(
        url,
        [(_token(editor), {"action": "approve"}), (_token(editor2), {"action": "approve"})],
        review.etag,
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 412], results
    loser = next(body for status, body in results if status == 412)
    assert loser["current"]["state"] == "published"
    assert loser["current"]["version"] == review.version + 1
    winner = next(body for status, body in results if status == 200)
    after = Review.objects.get(pk=review.pk)
    assert after.state == "published"
    assert after.version == review.version + 1
    assert after.approved_by.username == winner["approved_by"]
    assert after.history.filter(state="published").count() == 1
    assert not Correction.objects.exists()


def test_approve_racing_an_evidence_removal_never_publishes_without_evidence(
    live_server, editor, editor2, in_review
):
    """The evidence removal takes the review's row lock too: either the approval lands first
    (then the removal is refused, 409) or the removal does (then the approval is stale, 412)."""
    review = Review.objects.get(claim=in_review)
    evidence = in_review.evidence.get()
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}
    # Tokens are read here: a thread that touched the database would keep a connection open.
    approver, remover = _token(editor), _token(editor2)

    def approve() -> None:
        barrier.wait(timeout=10)
        url = f"{live_server.url}/api/v1/claims/{in_review.pk}/review/transitions/"
        results["approve"] = _post(url, approver, review.etag, {"action": "approve"})[0]

    def remove() -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/evidence/{evidence.pk}/",
            method="DELETE",
            headers={"Authorization": f"Token {remover}"},
        )
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                results["remove"] = response.status
        except urllib.error.HTTPError as exc:
            results["remove"] = exc.code

    threads = [threading.Thread(target=approve), threading.Thread(target=remove)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results in ({"approve": 200, "remove": 409}, {"approve": 412, "remove": 204}), results
    after = Review.objects.get(pk=review.pk)
    if after.state == "published":
        assert in_review.evidence.exists()


@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_taking_at_once_one_gets_it_the_other_a_412(
    live_server, reviewer, reviewer2, editor, no_link_checks, attempt
):
    article = article_create(by=editor, url=f"https://news.example.org/take-race/{attempt}")
    claim = claim_create(article=article, by=editor, exact="North Korea is training")
    review = Review.objects.get(claim=claim)
    url = f"{live_server.url}/api/v1/claims/{claim.pk}/review/transitions/"
    results = _race(
        url,
        [(_token(reviewer), {"action": "take"}), (_token(reviewer2), {"action": "take"})],
        review.etag,
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 412], results
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 412)
    assert loser["code"] == "precondition_failed"
    assert loser["current"]["state"] == "in_progress"
    after = Review.objects.get(pk=review.pk)
    assert after.state == "in_progress"
    assert after.version == review.version + 1
    assert after.assignee is not None
    assert after.assignee.username in (reviewer.username, reviewer2.username)
    assert winner["assignee"] == after.assignee.username
    assert after.history.filter(state="in_progress").count() == 1
