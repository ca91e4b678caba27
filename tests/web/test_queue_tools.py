"""The queue's search, filters and orderings (in the URL), its bulk bar, deadlines standing
out, and the editors' workload page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from annotations.models import Article, Claim
from reviews.models import Priority, Review

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def rows(page: Any) -> list[Any]:
    return [claim for claim, _ in page.context["rows"]]


def test_search_ignores_accents_and_reads_titles(seeded: Article, login: Any) -> None:
    client = login(user("demo-editor"))
    claim = Claim.objects.order_by("created_at").first()
    Claim.objects.filter(pk=claim.pk).update(claimant="Gabriel García Márquez")
    page = client.get("/", {"tab": "all", "q": "MARQUEZ"})
    assert rows(page) == [claim]
    Article.objects.filter(pk=seeded.pk).update(title="Informe de Bogotá")
    page = client.get("/", {"tab": "all", "q": "bogota"})
    assert len(rows(page)) == Claim.objects.count()


def test_filters_and_ordering_live_in_the_url(seeded: Article, login: Any) -> None:
    client = login(user("demo-editor"))
    now = timezone.now()
    first, second, *_ = Claim.objects.order_by("created_at")
    Review.objects.filter(claim=first).update(due_at=now - timedelta(hours=1))
    Review.objects.filter(claim=second).update(due_at=now + timedelta(days=5))
    Review.objects.filter(claim=second).update(priority=Priority.URGENT)
    overdue_open = Review.objects.get(claim=first).state not in ("published", "not_checkable")
    page = client.get("/", {"tab": "all", "overdue": "on"})
    assert rows(page) == ([first] if overdue_open else [])
    page = client.get("/", {"tab": "all", "priority": "urgent"})
    assert rows(page) == [second]
    page = client.get("/", {"tab": "all", "ordering": "-priority"})
    assert rows(page)[0] == second
    page = client.get("/", {"tab": "all", "ordering": "due"})
    assert rows(page)[:2] == [first, second]
    mine = client.get("/", {"tab": "all", "assignee": "demo-reviewer"})
    assert {c.review.assignee.username for c in rows(mine)} == {"demo-reviewer"}
    page = client.get("/", {"tab": "all", "due_before": (now + timedelta(days=1)).date()})
    assert rows(page) == [first]
    # The tab links keep the filters.
    assert b"priority=urgent" in client.get("/", {"priority": "urgent"}).content


def test_bad_filters_are_a_400_with_nothing_listed(seeded: Article, login: Any) -> None:
    client = login(user("demo-editor"))
    for params in (
        {"q": "x" * 10_000},
        {"due_before": "someday"},
        {"priority": "soon"},
        {"ordering": "exact"},
    ):
        page = client.get("/", {"tab": "all", **params})
        assert page.status_code == 400, params
        assert rows(page) == []
        assert b'role="alert"' in page.content
    for q in ("&|!():*<>", "'", ""):
        assert client.get("/", {"tab": "all", "q": q}).status_code == 200


def test_overdue_rows_stand_out(seeded: Article, login: Any) -> None:
    client = login(user("demo-editor"))
    claim = (
        Claim.objects.exclude(review__state__in=("published", "not_checkable"))
        .order_by("created_at")
        .first()
    )
    Review.objects.filter(claim=claim).update(due_at=timezone.now() - timedelta(hours=1))
    page = client.get("/", {"tab": "all"})
    shown = {c.pk: c.due_state for c in rows(page)}
    assert shown[claim.pk] == "overdue"
    assert b"claim-row--overdue" in page.content and b"overdue \xc2\xb7 due" in page.content


def test_the_bulk_bar_assigns_the_ticked_claims(seeded: Article, login: Any) -> None:
    editor = login(user("demo-editor"))
    page = editor.get("/", {"tab": "unassigned"})
    assert b'id="bulk-form"' in page.content and b'name="ids"' in page.content
    assert b"<script>" not in page.content  # no inline script (CSP)
    ticked = [c.pk for c in rows(page)]
    assert ticked
    back = "/?tab=unassigned&q=troops"
    response = editor.post(
        "/queue/bulk/",
        {"ids": ticked, "action": "assign", "assignee": "demo-reviewer", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    assert {Review.objects.get(claim_id=pk).assignee.username for pk in ticked} == {"demo-reviewer"}
    shown = editor.get(back)
    assert any("updated" in str(m) for m in shown.context["messages"])


def test_the_bulk_bar_reports_refusals_and_never_leaves_the_site(
    seeded: Article, login: Any
) -> None:
    reviewer = login(user("demo-reviewer"))
    page = reviewer.get("/", {"tab": "all"})
    # Reviewers get the actions they may take: no assign, no priorities.
    assert b'value="assign"' not in page.content
    published = Claim.objects.filter(review__state="published").first()
    before = Review.objects.filter(claim=published).values().get()
    response = reviewer.post(
        "/queue/bulk/",
        {"ids": [published.pk], "action": "set_priority", "priority": "high", "next": "//evil"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert Review.objects.filter(claim=published).values().get() == before
    response = reviewer.post("/queue/bulk/", {"action": "tag", "tag": "x"}, follow=True)
    assert any("Tick the claims" in str(m) for m in response.context["messages"])


def test_workload_page_for_editors(seeded: Article, login: Any) -> None:
    page = login(user("demo-editor")).get("/workload/")
    assert page.status_code == 200
    people = {row.user.username: row for row in page.context["rows"]}
    assert people["demo-reviewer"].open >= 1
    assert b"/?tab=all&amp;assignee=demo-reviewer" in page.content
    assert login(user("demo-reviewer")).get("/workload/").status_code == 403
