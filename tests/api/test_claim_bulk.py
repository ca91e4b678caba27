"""POST /api/v1/claims/bulk/: one action on many claims, each through the service for one,
a result per claim; a refused claim changes nothing, the others go through."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotations.models import Claim
from reviews.models import Priority, Review
from tests.factories import claim_create
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims/bulk/"


@pytest.fixture
def claims(article: Any, reviewer: Any) -> list[Any]:
    return [
        claim_create(article=article, by=reviewer, exact=exact)
        for exact in ("North Korean troops were sent", "600,000 Russian soldiers", "Zelensky")
    ]


def state(claims: list[Any]) -> list[tuple[Any, ...]]:
    rows = []
    for claim in claims:
        review = Review.objects.get(claim=claim)
        tags = Claim.objects.get(pk=claim.pk).tags
        rows.append((review.state, review.assignee_id, review.priority, review.due_at, tags))
    return rows


def post(client: Any, **body: Any) -> Any:
    return client.post(URL, body, format="json")


def test_assign_goes_claim_by_claim(client_for, editor, reviewer, reviewer2, claims):
    move(claims[2], editor, "mark_not_checkable", note="An opinion.")
    missing = str(uuid.uuid4())
    ids = [str(c.pk) for c in claims] + [missing]
    response = post(client_for(editor), ids=ids, action="assign", assignee="rob")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"updated": 2, "unchanged": 0, "error": 2}
    results = body["results"]
    assert [r["id"] for r in results] == ids
    assert [r["status"] for r in results] == ["updated", "updated", "error", "error"]
    assert results[2]["status_code"] == 409 and results[2]["code"] == "invalid_transition"
    assert results[3]["status_code"] == 404
    for claim in claims[:2]:
        review = Review.objects.get(claim=claim)
        assert (review.state, review.assignee) == ("in_progress", reviewer2)
        # The same history as one transition at a time.
        assert review.history.first().history_change_reason.startswith("assign:")
    assert Review.objects.get(claim=claims[2]).state == "not_checkable"


def test_tags_priority_and_deadline(client_for, editor, claims):
    api = client_for(editor)
    ids = [str(c.pk) for c in claims]
    Claim.objects.filter(pk=claims[0].pk).update(tags=["urgent-desk"])
    body = post(api, ids=ids, action="tag", tag="Elections").json()
    assert body["counts"] == {"updated": 3, "unchanged": 0, "error": 0}
    assert all("elections" in Claim.objects.get(pk=c.pk).tags for c in claims)
    assert Claim.objects.get(pk=claims[0].pk).tags == ["urgent-desk", "elections"]
    again = post(api, ids=ids, action="tag", tag="elections").json()
    assert again["counts"]["unchanged"] == 3
    body = post(api, ids=ids[:1], action="untag", tag="elections").json()
    assert body["counts"]["updated"] == 1
    assert Claim.objects.get(pk=claims[0].pk).tags == ["urgent-desk"]

    body = post(api, ids=ids, action="set_priority", priority="urgent").json()
    assert body["counts"]["updated"] == 3
    assert set(Review.objects.values_list("priority", flat=True)) == {Priority.URGENT}
    due = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    body = post(api, ids=ids, action="set_due", due_at=due.isoformat()).json()
    assert body["counts"]["updated"] == 3
    assert set(Review.objects.values_list("due_at", flat=True)) == {due}
    body = post(api, ids=ids, action="set_due", due_at=None).json()
    assert set(Review.objects.values_list("due_at", flat=True)) == {None}


def test_mark_not_checkable_needs_a_note(client_for, editor, claims):
    api = client_for(editor)
    before = state(claims)
    response = post(api, ids=[str(claims[0].pk)], action="mark_not_checkable")
    assert response.status_code == 400
    assert "note" in response.json()
    assert state(claims) == before
    body = post(api, ids=[str(claims[0].pk)], action="mark_not_checkable", note="Opinion.").json()
    assert body["counts"]["updated"] == 1
    assert Review.objects.get(claim=claims[0]).state == "not_checkable"


def test_a_reviewer_gets_the_permissions_of_one_request_per_claim(
    client_for, editor, reviewer, reviewer2, claims
):
    move(claims[0], editor, "assign", assignee=reviewer2)
    before = state(claims)
    api = client_for(reviewer2)
    ids = [str(c.pk) for c in claims]
    body = post(api, ids=ids, action="set_priority", priority="high").json()
    assert [r["status_code"] for r in body["results"]] == [403, 403, 403]
    body = post(api, ids=ids, action="assign", assignee="rob").json()
    assert {r["status_code"] for r in body["results"]} == {403}
    assert state(claims) == before
    # rob works on the first claim: he may tag it, not the others (rita's, unassigned).
    body = post(api, ids=ids, action="tag", tag="x").json()
    assert [r["status"] for r in body["results"]] == ["updated", "error", "error"]
    assert Claim.objects.get(pk=claims[1].pk).tags == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": [], "action": "tag", "tag": "x"},
        {"ids": ["not-a-uuid"], "action": "tag", "tag": "x"},
        {"ids": "abc", "action": "tag", "tag": "x"},
        {"action": "tag", "tag": "x"},
        {"ids": [str(uuid.uuid4())], "action": "delete"},
        {"ids": [str(uuid.uuid4())], "action": "tag"},
        {"ids": [str(uuid.uuid4())], "action": "assign"},
        {"ids": [str(uuid.uuid4())], "action": "assign", "assignee": "nobody-here"},
        {"ids": [str(uuid.uuid4())], "action": "set_priority", "priority": "soon"},
        {"ids": [str(uuid.uuid4())], "action": "set_due", "due_at": "tomorrow"},
        {"ids": [str(uuid.uuid4())], "action": "set_due"},
        {"ids": [str(uuid.uuid4())], "action": "tag", "tag": "x", "extra": 1},
        {"ids": [str(uuid.uuid4()) for _ in range(201)], "action": "tag", "tag": "x"},
    ],
)
def test_bad_requests_are_400s_and_change_nothing(client_for, editor, claims, body):
    before = state(claims)
    response = client_for(editor).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert state(claims) == before


def test_roles(client_for, submitter, outsider, claims):
    body = {"ids": [str(claims[0].pk)], "action": "tag", "tag": "x"}
    before = state(claims)
    assert client_for(submitter).post(URL, body, format="json").status_code == 403
    assert client_for(outsider).post(URL, body, format="json").status_code == 403
    assert client_for(None).post(URL, body, format="json").status_code in (401, 403)
    assert state(claims) == before


def test_repeated_ids_count_once(client_for, editor, claims):
    ids = [str(claims[0].pk)] * 3
    body = post(client_for(editor), ids=ids, action="tag", tag="x").json()
    assert len(body["results"]) == 1 and body["counts"]["updated"] == 1
