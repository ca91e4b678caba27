from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from reviews import claimreview as cr
from reviews.models import Review
from tests.reviews.conftest import move

# --- the pure module --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "fragment"),
    [
        ("North Korea", ":~:text=North%20Korea"),
        ("full-scale invasion", ":~:text=full%2Dscale%20invasion"),
        ("600,000 & more", ":~:text=600%2C000%20%26%20more"),
        ("50% #1 ok?", ":~:text=50%25%20%231%20ok%3F"),
        ("Zelensky\nhas  claimed", ":~:text=Zelensky%20has%20claimed"),
        (
            "Kyjiw’s “Großstadt” é",
            ":~:text=Kyjiw%E2%80%99s%20%E2%80%9CGro%C3%9Fstadt%E2%80%9D%20%C3%A9",
        ),
    ],
)
def test_text_fragment_percent_encodes_the_spec_characters(quote, fragment):
    assert cr.text_fragment(quote) == fragment


def test_long_quote_becomes_text_start_and_text_end():
    quote = (
        "Rutte said more than 600,000 Russian soldiers have been killed or wounded since the "
        "full-scale invasion began."
    )
    assert cr.text_fragment(quote) == (
        ":~:text=Rutte%20said%20more%20than,the%20full%2Dscale%20invasion%20began."
    )


def test_fragment_replaces_the_urls_own_fragment():
    url = cr.url_with_text_fragment("https://news.example.org/a?x=1#comments", "a-b")
    assert url == "https://news.example.org/a?x=1#:~:text=a%2Db"


@pytest.mark.parametrize(
    ("verdict", "value", "label"),
    [
        ("true", 5, "True"),
        ("mostly_true", 4, "Mostly true"),
        ("mixed", 3, "Mixed"),
        ("mostly_false", 2, "Mostly false"),
        ("false", 1, "False"),
        ("misleading", None, "Misleading"),
        ("unproven", None, "Unproven"),
    ],
)
def test_review_rating(verdict, value, label):
    rating = cr.review_rating(verdict)
    assert rating["alternateName"] == label
    assert (rating["bestRating"], rating["worstRating"]) == (5, 1)
    assert rating.get("ratingValue") == value
    assert ("ratingValue" in rating) is (value is not None)


@pytest.mark.parametrize(
    ("claimant", "kind"),
    [
        ("Volodymyr Zelensky", "Person"),
        ("NATO", "Organization"),
        ("Ministry of Defence", "Organization"),
        ("the Kremlin", "Organization"),
        ("Mark Rutte", "Person"),
    ],
)
def test_claimant_type(claimant, kind):
    article = SimpleNamespace(byline="", publisher="")
    author = cr.claim_author(SimpleNamespace(claimant=claimant, article=article))
    assert author == {"@type": kind, "name": claimant}


def test_without_claimant_the_article_is_the_author():
    by_line = SimpleNamespace(claimant="", article=SimpleNamespace(byline="Jo Doe", publisher="P"))
    assert cr.claim_author(by_line) == {"@type": "Person", "name": "Jo Doe"}
    outlet = SimpleNamespace(claimant="", article=SimpleNamespace(byline="", publisher="Daily"))
    assert cr.claim_author(outlet) == {"@type": "Organization", "name": "Daily"}


def test_jsonld_is_built_from_plain_objects():
    when = datetime(2024, 11, 4, 12, tzinfo=UTC)
    article = SimpleNamespace(
        url="https://news.example.org/kursk",
        title="Kursk",
        byline="",
        publisher="News",
        published_at=when - timedelta(days=1),
    )
    claim = SimpleNamespace(
        pk="c1", claimant="Zelensky", summary="", exact="10,000 soldiers", article=article
    )
    review = SimpleNamespace(verdict="false", first_published_at=when, published_at=when)
    body = cr.claimreview_jsonld(
        claim=claim,
        review=review,
        organization_name="Desk",
        organization_url="https://desk.example",
    )
    assert body == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://desk.example/claims/c1/",
        "claimReviewed": "10,000 soldiers",
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "Zelensky"},
            "datePublished": "2024-11-03T12:00:00+00:00",
            "appearance": {
                "@type": "CreativeWork",
                "url": "https://news.example.org/kursk#:~:text=10%2C000%20soldiers",
                "headline": "Kursk",
                "publisher": {"@type": "Organization", "name": "News"},
            },
        },
        "author": {"@type": "Organization", "name": "Desk", "url": "https://desk.example"},
        "reviewRating": {
            "@type": "Rating",
            "alternateName": "False",
            "bestRating": 5,
            "worstRating": 1,
            "ratingValue": 1,
        },
        "datePublished": "2024-11-04T12:00:00+00:00",
    }


# --- the endpoints ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_claimreview_of_a_published_claim(client_for, published, settings):
    settings.FACTCHECK_ORGANIZATION_NAME = "Kursk Desk"
    settings.FACTCHECK_ORGANIZATION_URL = "https://desk.example.org/"
    response = client_for(None).get(f"/api/v1/claims/{published.pk}/claimreview/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    review = Review.objects.get(claim=published)
    assert body["@type"] == "ClaimReview"
    assert body["url"] == f"https://desk.example.org/claims/{published.pk}/"
    assert body["author"] == {
        "@type": "Organization",
        "name": "Kursk Desk",
        "url": "https://desk.example.org/",
    }
    assert body["claimReviewed"] == "North Korea is training 10,000 soldiers"
    assert body["reviewRating"]["ratingValue"] == 4
    assert datetime.fromisoformat(body["datePublished"]) == review.first_published_at
    assert "dateModified" not in body
    assert body["itemReviewed"]["appearance"]["url"] == (
        "https://news.example.org/2024/kursk#:~:text=North%20Korea%20is%20training%2010%2C000%20soldiers"
    )
    as_json = client_for(None).get(
        f"/api/v1/claims/{published.pk}/claimreview/", HTTP_ACCEPT="application/json"
    )
    assert as_json["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_feed_lists_published_claimreviews_with_cursor_and_since(
    client_for, article, reviewer, editor, published
):
    from annotations.services.evidence import evidence_attach
    from tests.factories import claim_create

    others = []
    for exact in ("North Korean troops", "600,000 Russian soldiers"):
        other = claim_create(article=article, by=reviewer, exact=exact)
        evidence_attach(claim=other, by=reviewer, url="https://example.org/e", stance="refutes")
        move(other, reviewer, "take")
        move(other, reviewer, "submit", verdict="misleading", rationale="Context missing.")
        move(other, editor, "approve")
        others.append(other)
    unpublished = claim_create(article=article, by=reviewer, exact="Kursk region")

    client = client_for(None)
    first = client.get("/api/v1/claimreviews/?page_size=2")
    assert first.status_code == 200
    urls = [item["url"] for item in first.data["results"]]
    assert urls == [
        f"http://localhost:8000/claims/{others[1].pk}/",
        f"http://localhost:8000/claims/{others[0].pk}/",
    ]
    assert "ratingValue" not in first.data["results"][0]["reviewRating"]
    second = client.get(first.data["next"])
    assert [item["url"] for item in second.data["results"]] == [
        f"http://localhost:8000/claims/{published.pk}/"
    ]
    assert str(unpublished.pk) not in str(first.data) + str(second.data)

    cutoff = Review.objects.get(claim=others[0]).published_at
    recent = client.get("/api/v1/claimreviews/", {"since": cutoff.isoformat()})
    assert {item["url"].rsplit("/", 2)[-2] for item in recent.data["results"]} == {
        str(others[0].pk),
        str(others[1].pk),
    }
    bad = client.get("/api/v1/claimreviews/?since=yesterday")
    assert bad.status_code == 400
    assert "since" in bad.data


@pytest.mark.django_db
def test_feed_query_count_does_not_grow(client_for, published, reviewer, editor, editor2):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.api.conftest import publish
    from tests.factories import ARTICLE_TEXT, article_create, claim_create

    client = client_for(None)

    def feed() -> tuple[int, int]:
        """(items on the page, queries it took)."""
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/claimreviews/")
        assert response.status_code == 200, response.data
        return len(response.data["results"]), len(queries)

    items, one = feed()
    assert items == 1
    for i in range(9):  # other articles, claimants and approving editors
        article = article_create(
            by=editor, url=f"https://news.example.org/feed/{i}", text=f"{ARTICLE_TEXT} ({i})"
        )
        claim = claim_create(
            article=article, by=reviewer, exact="North Korea is training", claimant=f"Source {i}"
        )
        publish(claim, reviewer=reviewer, editor=(editor, editor2)[i % 2])
    items, ten = feed()
    assert items == 10
    assert ten == one <= 2, f"{one} queries for one item, {ten} for ten"
