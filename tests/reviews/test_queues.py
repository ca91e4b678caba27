"""The claim queues: GET /api/v1/claims/ filters, search and ordering, and the admin's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.linkhealth.staleness import evidence_staleness_refresh
from annotations.models import Link
from tests.factories import claim_create
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(article, reviewer, reviewer2, editor, editor2, no_link_checks):
    """Four claims: unassigned; rob's in progress; rita's in review; published (rita's)."""
    from annotations.services.evidence import evidence_attach
    from reviews.services import claim_edit

    claims = {
        "loose": claim_create(article=article, by=reviewer, exact="North Korean troops"),
        "robs": claim_create(article=article, by=reviewer, exact="Russia's Kursk region"),
        "ritas": claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers"),
        "done": claim_create(article=article, by=reviewer, exact="North Korea is training"),
    }
    claim_edit(claim=claims["loose"], by=reviewer, summary="Troop deployment to Kursk")
    move(claims["robs"], editor, "assign", assignee=reviewer2)
    for key in ("ritas", "done"):
        evidence_attach(
            claim=claims[key], by=reviewer, url=f"https://example.org/{key}", stance="supports"
        )
        move(claims[key], reviewer, "take")
        move(
            claims[key],
            reviewer,
            "submit",
            verdict="false" if key == "ritas" else "mostly_true",
            rationale="r",
        )
    move(claims["done"], editor, "approve")
    return claims


def ids(response):
    assert response.status_code == 200, response.data
    return {item["id"] for item in response.data["results"]}


def names(board, *keys):
    return {str(board[k].pk) for k in keys}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=unassigned", ("loose",)),
        ("state=in_progress&state=in_review", ("robs", "ritas")),
        ("state=published", ("done",)),
        ("verdict=false", ("ritas",)),
        ("verdict=mostly_true", ("done",)),
        ("assignee=me", ("ritas", "done")),
        ("assignee=rob", ("robs",)),
        ("assignee=none", ("loose",)),
        ("needs_rereview=false", ("loose", "robs", "ritas", "done")),
        ("search=deployment", ("loose",)),  # the summary
        ("search=Kursk", ("loose", "robs")),  # the quote, and the summary
        ("state=in_review&assignee=me", ("ritas",)),
    ],
)
def test_claim_filters(client_for, reviewer, board, query, expected):
    assert ids(client_for(reviewer).get(f"/api/v1/claims/?{query}")) == names(board, *expected)


def test_stale_and_needs_rereview_filters(client_for, reviewer, board):
    client = client_for(reviewer)
    assert ids(client.get("/api/v1/claims/?stale=true")) == set()
    Link.objects.filter(url__endswith="/done").update(health="dead")
    # Written behind the recording's back: the stored flags are refreshed as it would.
    evidence_staleness_refresh(
        link_ids=Link.objects.filter(url__endswith="/done").values_list("pk", flat=True)
    )
    assert ids(client.get("/api/v1/claims/?stale=true")) == names(board, "done")
    assert ids(client.get("/api/v1/claims/?stale=false")) == names(board, "loose", "robs", "ritas")
    from reviews.services import review_flag_rereview

    review_flag_rereview(claim_id=board["done"].pk, reason="evidence link is dead")
    assert ids(client.get("/api/v1/claims/?needs_rereview=true")) == names(board, "done")


def test_claim_ordering(client_for, reviewer, board):
    response = client_for(reviewer).get("/api/v1/claims/?ordering=start")
    starts = [item["start"] for item in response.data["results"]]
    assert starts == sorted(starts)


@pytest.mark.parametrize("query", ["state=finished", "verdict=pants_on_fire"])
def test_bad_filter_values_are_a_400(client_for, reviewer, board, query):
    response = client_for(reviewer).get(f"/api/v1/claims/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.data


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("review__state__exact=in_review", ("ritas",)),
        ("review__verdict__exact=mostly_true", ("done",)),
        ("review__assignee__me=1", ("ritas", "done")),
        ("review__assignee__isnull=True", ("loose",)),
        ("review__needs_rereview__exact=0", ("loose", "robs", "ritas", "done")),
    ],
)
def test_admin_claim_list_has_the_same_filters(client, board, reviewer, query, expected):
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)
    response = client.get(reverse("admin:annotations_claim_changelist") + "?" + query)
    assert response.status_code == 200
    shown = {str(obj.pk) for obj in response.context["cl"].result_list}
    assert shown == names(board, *expected)


def test_admin_assignee_filter_by_reviewer(client, board, reviewer, reviewer2):
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)
    url = reverse("admin:annotations_claim_changelist")
    response = client.get(f"{url}?review__assignee__id__exact={reviewer2.pk}")
    assert {str(o.pk) for o in response.context["cl"].result_list} == names(board, "robs")
    page = response.content.decode()
    assert "review__assignee__me=1" in page
