"""Claim selectors through the API: either selector fills in the other, bad input is a 400."""

import json

import pytest

from annotations.models import Claim
from reviews.models import Review
from tests.factories import article_create

pytestmark = pytest.mark.django_db

REPEATED = (
    "The mayor said taxes will fall. Critics said taxes will fall only for some.\n\n"
    "In March the council said taxes will fall again."
)


@pytest.fixture
def repeated(editor):
    return article_create(by=editor, text=REPEATED, url="https://news.example.org/taxes")


def mark(client, article, **body):
    return client.post(f"/api/v1/articles/{article.pk}/claims/", body, format="json")


def mark_raw(client, article, raw: str):
    return client.post(
        f"/api/v1/articles/{article.pk}/claims/", data=raw, content_type="application/json"
    )


def nothing_stored():
    return Claim.objects.count() == 0 and Review.objects.count() == 0


def test_offsets_alone_get_quote_and_context(client_for, reviewer, article):
    start = article.text.index("600,000")
    response = mark(client_for(reviewer), article, start=start, end=start + 7)
    assert response.status_code == 201, response.data
    data = response.data
    assert data["exact"] == "600,000"
    assert article.text.endswith(data["prefix"], 0, start) and len(data["prefix"]) == 32
    assert article.text.startswith(data["suffix"], start + 7) and len(data["suffix"]) == 32


def test_quote_alone_gets_offsets(client_for, reviewer, article):
    response = mark(client_for(reviewer), article, exact="Kursk region")
    assert response.status_code == 201, response.data
    start = article.text.index("Kursk region")
    assert (response.data["start"], response.data["end"]) == (start, start + 12)


def test_offsets_and_quote_together_must_agree(client_for, reviewer, article):
    start = article.text.index("Kursk")
    ok = mark(client_for(reviewer), article, start=start, end=start + 5, exact="Kursk")
    assert ok.status_code == 201, ok.data
    bad = mark(client_for(reviewer), article, start=start, end=start + 5, exact="Paris")
    assert bad.status_code == 400
    assert "'Kursk'" in bad.data["exact"][0], bad.data
    assert Claim.objects.count() == 1


def test_ambiguous_quote_says_how_many_places_match(client_for, reviewer, repeated):
    response = mark(client_for(reviewer), repeated, exact="taxes will fall")
    assert response.status_code == 400
    assert "3 times" in response.data["exact"][0]
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"prefix": "Critics said "}, "Critics said taxes will fall"),
        ({"suffix": " again"}, "council said taxes will fall"),
        ({"prefix": "mayor said ", "suffix": "."}, "The mayor said taxes will fall"),
    ],
)
def test_context_disambiguates_a_repeated_quote(client_for, reviewer, repeated, body, expected):
    response = mark(client_for(reviewer), repeated, exact="taxes will fall", **body)
    assert response.status_code == 201, response.data
    start = REPEATED.index(expected) + len(expected) - len("taxes will fall")
    assert response.data["start"] == start


def test_position_hint_disambiguates_after_context(client_for, reviewer, repeated):
    third = REPEATED.rindex("taxes will fall")
    response = mark(client_for(reviewer), repeated, exact="taxes will fall", start=third - 3)
    assert response.status_code == 201, response.data
    assert response.data["start"] == third
    # A UTF-16 hint works the same (this text is ASCII: the same number).
    first = REPEATED.index("taxes will fall")
    hinted = mark(client_for(reviewer), repeated, exact="taxes will fall", utf16_start=first + 2)
    assert hinted.status_code == 201, hinted.data
    assert hinted.data["start"] == first


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"exact": ""}, "exact"),
        ({"exact": "   "}, "exact"),
        ({"exact": "x" * 500}, "exact"),  # longer than the text
        ({"start": 0, "end": 100_000}, "end"),  # past the end
        ({"start": 100_000, "end": 100_001}, "start"),
        ({"start": -1, "end": 4}, "start"),
        ({"start": 0, "end": -4}, "end"),
        ({"start": 9, "end": 4}, "start"),  # reversed
        ({"start": 4, "end": 4}, "start"),  # empty
        ({"utf16_start": -1, "utf16_end": 4}, "utf16_start"),
        ({"utf16_start": 0, "utf16_end": 100_000}, "utf16_end"),
        ({"exact": "NATO\x00"}, "exact"),
        ({"exact": "NATO", "prefix": "\x00"}, "prefix"),
        ({"exact": "NATO", "prefix": "nowhere in the text "}, "prefix"),
        ({"exact": "NATO", "suffix": " nowhere in the text"}, "suffix"),
        ({"start": 0, "end": 4, "prefix": "not before"}, "prefix"),
        ({"exact": "North Korea", "start": True}, "start"),
        ({"start": 0, "end": 4, "utf16_start": 1}, "utf16_start"),  # offsets disagree
        ({"exact": ["NATO"]}, "exact"),
        ({"start": 1.5, "end": 4}, "start"),
    ],
)
def test_bad_selectors_are_a_clear_400_and_store_nothing(
    client_for, reviewer, article, body, field
):
    response = mark(client_for(reviewer), article, **body)
    assert response.status_code == 400, response.data
    assert field in response.data, response.data
    message = str(response.data[field])
    assert len(message) > 10, message  # says what is wrong, not just "invalid"
    assert nothing_stored()


def test_error_bodies_say_what_is_wrong(client_for, reviewer, article):
    client = client_for(reviewer)
    n = len(article.text)
    assert f"length {n}" in mark(client, article, start=0, end=n + 1).data["end"][0]
    assert "longer" in mark(client, article, exact="y" * (n + 1)).data["exact"][0]
    assert "before end" in mark(client, article, start=9, end=4).data["start"][0]
    assert "prefix" in mark(client, article, exact="NATO", prefix="zzz").data["prefix"][0]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"exact": "NATO \\ud800"}', "exact"),  # a lone high surrogate
        ('{"exact": "\\udc00NATO"}', "exact"),  # a lone low surrogate
        ('{"exact": "NATO", "suffix": "\\ud83d"}', "suffix"),
        ('{"exact": "NATO\\u0000"}', "exact"),
    ],
)
def test_lone_surrogates_and_nul_in_raw_json_are_a_400(client_for, reviewer, article, raw, field):
    json.loads(raw)  # valid JSON: the problem is the characters, not the syntax
    response = mark_raw(client_for(reviewer), article, raw)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert nothing_stored()


def test_article_text_with_lone_surrogate_or_nul_is_a_400(client_for, submitter):
    client = client_for(submitter)
    for raw in ('{"title": "T", "text": "a \\ud800 b"}', '{"title": "T", "text": "a \\u0000 b"}'):
        response = client.post("/api/v1/articles/", data=raw, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "text" in response.json()
    html = '{"title": "T", "html": "<p>a \\udfff b</p>"}'
    response = client.post("/api/v1/articles/", data=html, content_type="application/json")
    assert response.status_code == 400
    assert "html" in response.json()
