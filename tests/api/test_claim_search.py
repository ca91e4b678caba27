"""GET /api/v1/claims/?search= and the claim list's filters and orderings.

Search is full text over quote, summary, claimant, tags and article title, accent- and
case-insensitive, ranked, on a GIN index (PostgreSQL), and refuses bad input with a 400,
never a 500.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from annotations.models import Article, Claim
from reviews.models import Priority, Review
from reviews.services import claim_edit, review_transition
from tests.factories import article_create, claim_create

pytestmark = pytest.mark.django_db

TEXT = (
    "Gabriel García Márquez wrote that the river flooded the town twice. "
    "The mayor said unemployment fell to 4.1% in March. "
    "Okonkwo claimed the bridge cost 12 million naira to build."
)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def desk(editor: Any, reviewer: Any) -> dict[str, Any]:
    article = article_create(
        by=editor, url="https://news.example.org/rivers", text=TEXT, title="Rivers of Colombia"
    )
    other = article_create(
        by=editor,
        url="https://news.example.org/budget",
        text="The budget doubled. Taxes rose sharply.",
        title="Año de Márquez",
    )
    river = claim_create(
        article=article,
        by=reviewer,
        exact="the river flooded the town twice",
        claimant="Gabriel García Márquez",
        tags=["floods"],
    )
    jobs = claim_create(
        article=article,
        by=reviewer,
        exact="unemployment fell to 4.1% in March",
        claimant="the mayor",
        summary="Joblessness down in the first quarter",
    )
    bridge = claim_create(
        article=article,
        by=reviewer,
        exact="the bridge cost 12 million naira",
        claimant="Chidi Okonkwo",
        tags=["infrastructure", "budget"],
    )
    budget = claim_create(article=other, by=reviewer, exact="The budget doubled")
    return {
        "article": article,
        "other": other,
        "river": river,
        "jobs": jobs,
        "bridge": bridge,
        "budget": budget,
    }


@pytest.mark.parametrize("query", ["marquez", "MÁRQUEZ", "Marquez", "márq"])
def test_search_ignores_accents_and_case(client_for, reviewer, desk, query):
    found = ids(client_for(reviewer).get("/api/v1/claims/", {"search": query}))
    # The claimant of one claim, the title of the other article's claim.
    assert set(found) == {str(desk["river"].pk), str(desk["budget"].pk)}
    both = ids(client_for(reviewer).get("/api/v1/claims/", {"search": f"GARCÍA {query}"}))
    assert both == [str(desk["river"].pk)]


def test_search_reads_quote_summary_claimant_tags_and_title(client_for, reviewer, desk):
    api = client_for(reviewer)
    assert ids(api.get("/api/v1/claims/", {"search": "flooded"})) == [str(desk["river"].pk)]
    assert ids(api.get("/api/v1/claims/", {"search": "joblessness"})) == [str(desk["jobs"].pk)]
    assert ids(api.get("/api/v1/claims/", {"search": "okonkwo"})) == [str(desk["bridge"].pk)]
    assert ids(api.get("/api/v1/claims/", {"search": "infrastructure"})) == [str(desk["bridge"].pk)]
    assert set(ids(api.get("/api/v1/claims/", {"search": "colombia"}))) == {
        str(desk["river"].pk),
        str(desk["jobs"].pk),
        str(desk["bridge"].pk),
    }
    # Every word must match.
    assert ids(api.get("/api/v1/claims/", {"search": "okonkwo flooded"})) == []


def test_search_ranks_the_quote_above_the_title(client_for, reviewer, desk):
    # "budget": the quote of one claim, a tag of another.
    found = ids(client_for(reviewer).get("/api/v1/claims/", {"search": "budget"}))
    assert found == [str(desk["budget"].pk), str(desk["bridge"].pk)]


def test_search_stays_current_when_words_and_titles_change(client_for, reviewer, desk):
    api = client_for(reviewer)
    claim_edit(claim=desk["jobs"], by=reviewer, summary="Fewer people out of work", tags=["labour"])
    assert ids(api.get("/api/v1/claims/", {"search": "joblessness"})) == []
    assert ids(api.get("/api/v1/claims/", {"search": "labour"})) == [str(desk["jobs"].pk)]
    # However the title is written (here a bare UPDATE), the article's claims follow it.
    Article.objects.filter(pk=desk["other"].pk).update(title="Año de Zapata")
    assert ids(api.get("/api/v1/claims/", {"search": "zapata"})) == [str(desk["budget"].pk)]
    assert str(desk["budget"].pk) not in ids(api.get("/api/v1/claims/", {"search": "marquez"}))


def test_search_pages_by_rank_without_repeats(client_for, reviewer, editor):
    article = article_create(
        by=editor,
        url="https://news.example.org/many",
        text=" ".join(f"Claim {i} about tariffs." for i in range(9)),
        title="Tariffs",
    )
    made = {
        str(claim_create(article=article, by=reviewer, exact=f"Claim {i} about tariffs").pk)
        for i in range(9)
    }
    api = client_for(reviewer)
    seen: list[str] = []
    url = "/api/v1/claims/?search=tariffs&page_size=2"
    while url:
        response = api.get(url)
        seen += ids(response)
        url = response.json()["next"]
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(
    "query", ["&|!():*<>", "'", "\\", "a & b | !c", "(((", "foo:*", "<->", "' OR 1=1 --", "½"]
)
def test_search_syntax_characters_are_only_separators(client_for, reviewer, desk, query):
    response = client_for(reviewer).get("/api/v1/claims/", {"search": query})
    assert response.status_code == 200


def test_search_of_only_punctuation_or_empty_filters_nothing(client_for, reviewer, desk):
    api = client_for(reviewer)
    assert len(ids(api.get("/api/v1/claims/", {"search": ""}))) == 4
    assert len(ids(api.get("/api/v1/claims/", {"search": "&|!():*<>"}))) == 4


def test_a_long_search_is_a_400_with_a_message(client_for, reviewer, desk):
    response = client_for(reviewer).get("/api/v1/claims/", {"search": "x" * 10_000})
    assert response.status_code == 400
    assert "at most 500 characters" in response.json()["search"][0]


def test_a_cursor_from_another_list_is_a_400(client_for, reviewer, desk, editor):
    api = client_for(reviewer)
    links = api.get("/api/v1/articles/", {"page_size": 1}).json()
    article_cursor = links["next"].split("cursor=")[1].split("&")[0]
    ranked = api.get("/api/v1/claims/", {"search": "the", "page_size": 1}).json()
    rank_cursor = ranked["next"].split("cursor=")[1].split("&")[0]
    by_priority = api.get("/api/v1/claims/", {"ordering": "priority", "page_size": 1}).json()
    priority_cursor = by_priority["next"].split("cursor=")[1].split("&")[0]
    for params in (
        {"search": "the", "cursor": article_cursor},
        {"ordering": "priority", "cursor": rank_cursor},
        {"ordering": "-priority", "cursor": article_cursor},
        {"search": "the", "cursor": priority_cursor + "x"},
    ):
        response = api.get("/api/v1/claims/", params)
        assert response.status_code in (200, 400), (params, response.content)
        if response.status_code == 400:
            assert "cursor" in response.json()
        else:
            assert isinstance(response.json()["results"], list)


def test_a_cursor_position_of_another_type_is_a_400_not_a_500(client_for, reviewer, desk):
    api = client_for(reviewer)
    newest = api.get("/api/v1/claims/", {"page_size": 1}).json()
    created_cursor = newest["next"].split("cursor=")[1].split("&")[0]
    # A created_at position where a float (rank) or an integer (priority) is expected.
    for params in ({"search": "the"}, {"ordering": "-priority"}):
        response = api.get("/api/v1/claims/", {**params, "cursor": created_cursor})
        assert response.status_code == 400, response.content
        assert response.json()["cursor"]


def test_filters(client_for, editor, reviewer, reviewer2, desk):
    now = timezone.now()
    river, jobs, bridge = desk["river"], desk["jobs"], desk["bridge"]
    review = Review.objects.get(claim=river)
    review_transition(review_id=review.pk, by=reviewer, action="take", expected_version=None)
    review = Review.objects.get(claim=jobs)
    review_transition(
        review_id=review.pk, by=editor, action="assign", assignee=reviewer2, expected_version=None
    )
    Review.objects.filter(claim=river).update(due_at=now - timedelta(hours=2))
    Review.objects.filter(claim=jobs).update(due_at=now + timedelta(days=3))
    Review.objects.filter(claim=bridge).update(priority=Priority.URGENT)
    Claim.objects.filter(pk=desk["budget"].pk).update(created_at=now - timedelta(days=10))
    api = client_for(reviewer)

    def get(**params: Any) -> set[str]:
        return set(ids(api.get("/api/v1/claims/", params)))

    assert get(assignee="me") == {str(river.pk)}
    assert get(assignee="rob") == {str(jobs.pk)}
    assert get(assignee="none") == {str(bridge.pk), str(desk["budget"].pk)}
    assert get(claimant="okonkwo") == {str(bridge.pk)}
    assert get(claimant="MARQUEZ") == {str(river.pk)}
    # The claimant filter reads the claimant only (Márquez is also in a title).
    assert get(claimant="colombia") == set()
    assert get(article=str(desk["other"].pk)) == {str(desk["budget"].pk)}
    assert get(created_before=(now - timedelta(days=1)).isoformat()) == {str(desk["budget"].pk)}
    assert str(desk["budget"].pk) not in get(created_after=(now - timedelta(days=1)).isoformat())
    assert get(due_before=(now + timedelta(days=1)).isoformat()) == {str(river.pk)}
    assert get(overdue="true") == {str(river.pk)}
    assert str(river.pk) not in get(overdue="false")
    assert get(priority="urgent") == {str(bridge.pk)}
    assert get(priority=["urgent", "normal"]) == {
        str(river.pk),
        str(jobs.pk),
        str(bridge.pk),
        str(desk["budget"].pk),
    }
    # A published review is not overdue, whatever its deadline.
    Review.objects.filter(claim=river).update(state="not_checkable")
    assert get(overdue="true") == set()


def test_orderings(client_for, reviewer, desk):
    now = timezone.now()
    Review.objects.filter(claim=desk["jobs"]).update(due_at=now + timedelta(days=1))
    Review.objects.filter(claim=desk["river"]).update(due_at=now + timedelta(days=2))
    Review.objects.filter(claim=desk["bridge"]).update(priority=Priority.URGENT)
    Review.objects.filter(claim=desk["river"]).update(priority=Priority.HIGH)
    Review.objects.filter(claim=desk["budget"]).update(priority=Priority.LOW)
    api = client_for(reviewer)
    by_due = ids(api.get("/api/v1/claims/", {"ordering": "due"}))
    assert by_due[:2] == [str(desk["jobs"].pk), str(desk["river"].pk)]
    by_due_desc = ids(api.get("/api/v1/claims/", {"ordering": "-due"}))
    assert by_due_desc[:2] == [str(desk["river"].pk), str(desk["jobs"].pk)]
    by_priority = ids(api.get("/api/v1/claims/", {"ordering": "-priority"}))
    assert by_priority == [
        str(desk["bridge"].pk),
        str(desk["river"].pk),
        str(desk["jobs"].pk),
        str(desk["budget"].pk),
    ]
    oldest = ids(api.get("/api/v1/claims/", {"ordering": "created"}))
    assert oldest[0] == str(desk["river"].pk)
    # Deadline order pages by cursor without repeats, claims without a deadline last.
    seen, url = [], "/api/v1/claims/?ordering=due&page_size=1"
    while url:
        response = api.get(url)
        seen += ids(response)
        url = response.json()["next"]
    assert seen[:2] == by_due[:2] and sorted(seen) == sorted(by_due)
    response = api.get("/api/v1/claims/", {"ordering": "exact"})
    assert response.status_code == 400
    assert "Cannot order by 'exact'" in response.json()["ordering"][0]
    assert api.get("/api/v1/claims/", {"ordering": "rank"}).status_code == 400


def test_bad_filter_values_are_400s(client_for, reviewer, desk):
    api = client_for(reviewer)
    for params in (
        {"priority": "soon"},
        {"due_before": "tomorrow"},
        {"created_after": "2024-13-45"},
        {"claimant": "x" * 301},
    ):
        response = api.get("/api/v1/claims/", params)
        assert response.status_code == 400, (params, response.content)


def test_search_uses_the_gin_index(reviewer, desk):
    from annotations.search import claims_search

    if connection.vendor != "postgresql":
        pytest.skip("the GIN index is PostgreSQL's")
    query = claims_search(Claim.objects.all(), "Márquez").order_by("-search_rank")[:50]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows: the planner would scan; the point is that the index serves
        # this query's shape (bench/search shows the plan on 500k claims).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "claim_search" in plan, plan


def test_a_search_by_rank_ranks_its_newest_matches_and_other_orders_list_all(
    client_for, reviewer, editor, monkeypatch
):
    import annotations.search

    monkeypatch.setattr(annotations.search, "SEARCH_RANK_WINDOW", 3)
    article = article_create(
        by=editor,
        url="https://news.example.org/tariffs",
        text=" ".join(f"Claim {i} about trade." for i in range(5)),
        title="Trade",
    )
    made = []
    for i in range(5):
        # The two oldest say "tariffs" in the quote, summary and tags: they would rank first.
        best = i < 2
        claim = claim_create(
            article=article,
            by=reviewer,
            exact=f"Claim {i} about trade",
            summary="tariffs tariffs" if best else "about tariffs",
            tags=["tariffs"] if best else [],
        )
        Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(days=10 - i))
        made.append(str(claim.pk))
    api = client_for(reviewer)
    newest = made[2:]
    ranked = ids(api.get("/api/v1/claims/", {"search": "tariffs"}))
    assert sorted(ranked) == sorted(newest)
    seen: list[str] = []
    url = "/api/v1/claims/?search=tariffs&page_size=2"
    while url:
        response = api.get(url)
        seen += ids(response)
        url = response.json()["next"]
    assert sorted(seen) == sorted(newest)
    assert (
        ids(api.get("/api/v1/claims/", {"search": "tariffs", "ordering": "-created"}))
        == (made[::-1])
    )
    assert sorted(ids(api.get("/api/v1/claims/", {"search": "tariffs", "ordering": "rank"}))) == (
        sorted(newest)
    )


def test_a_search_by_rank_reads_its_matches_once(reviewer, desk):
    from annotations.search import claims_search
    from reviews.claimlists import claims_ordering

    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    searched = claims_search(Claim.objects.filter(review__state="unassigned"), "budget")
    listed, order = claims_ordering(searched, [])
    sql, params = listed.order_by(*order)[:50].query.sql_with_params()
    # The search and the other conditions are in the window (newest matches, by an index);
    # the outer query reads the window's rows by primary key.
    assert sql.count("@@") == 1, sql
    assert sql.count("'unassigned'") + params.count("unassigned") == 1, (sql, params)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "annotations_claim_pkey" in plan, plan
    assert [str(c.pk) for c in listed.order_by(*order)] == [
        str(desk["budget"].pk),
        str(desk["bridge"].pk),
    ]
