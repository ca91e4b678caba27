from __future__ import annotations

import json
from typing import Any

from annotations.models import Article, ArticleRevision

URL = "/api/v1/articles/bulk/"


def item(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"https://news.example.org/b/{i}",
        "title": f"T{i}",
        "text": f"Text {i}.",
    } | extra


def test_json_array_answers_item_by_item(client_for: Any, submitter: Any) -> None:
    body = [
        item(0),
        {"title": "no text"},
        item(2, url="ftp://nope"),
        {"title": "html", "html": "<p>Hello <b>there</b></p><script>x()</script>"},
        "not an object",
        item(5, bogus=1),
    ]
    response = client_for(submitter).post(URL, body, format="json")
    assert response.status_code == 200, response.data
    results = response.data["results"]
    assert [r["status"] for r in results] == [
        "created",
        "error",
        "error",
        "created",
        "error",
        "error",
    ]
    assert [r["index"] for r in results] == list(range(6))
    assert results[1]["errors"] == {"text": ["Send the article as text or html, or its url alone."]}
    assert "url" in results[2]["errors"]
    assert results[4]["errors"]["non_field_errors"] == ["Expected a JSON object."]
    assert results[5]["errors"] == {"bogus": ["Unknown field."]}
    assert response.data["counts"] == {"created": 2, "unchanged": 0, "revised": 0, "error": 4}
    assert Article.objects.count() == 2
    assert Article.objects.get(pk=results[3]["id"]).text == "Hello there"


def test_ndjson_with_a_broken_line(client_for: Any, submitter: Any) -> None:
    lines = [json.dumps(item(0)), "{not json", "", json.dumps(item(1))]
    response = client_for(submitter).post(
        URL, "\n".join(lines) + "\n", content_type="application/x-ndjson"
    )
    assert response.status_code == 200, response.data
    statuses = [r["status"] for r in response.data["results"]]
    assert statuses == ["created", "error", "created"]
    assert response.data["results"][1]["errors"]["line"] == 2


def test_same_url_again_is_unchanged_or_a_new_revision(client_for: Any, submitter: Any) -> None:
    client = client_for(submitter)
    client.post(URL, [item(0), item(1)], format="json")
    again = [
        # Tracking parameters, upper-case host, default port, fragment: the same page.
        item(0, url="HTTPS://News.Example.org:443/b/0?utm_source=x&fbclid=y#top"),
        item(1, text="Text 1, corrected."),
    ]
    response = client.post(URL, again, format="json")
    assert [r["status"] for r in response.data["results"]] == ["unchanged", "revised"]
    assert Article.objects.count() == 2
    revised = Article.objects.get(url="https://news.example.org/b/1")
    assert revised.current_revision == 2
    assert ArticleRevision.objects.filter(article=revised).count() == 2


def test_same_text_without_url_is_the_same_article(client_for: Any, submitter: Any) -> None:
    client = client_for(submitter)
    first = client.post(URL, [{"title": "A", "text": "Same words."}], format="json")
    second = client.post(
        URL,
        [{"title": "B", "text": "Same words."}, {"title": "C", "text": "Other words."}],
        format="json",
    )
    assert first.data["results"][0]["status"] == "created"
    assert [r["status"] for r in second.data["results"]] == ["unchanged", "created"]
    assert second.data["results"][0]["id"] == first.data["results"][0]["id"]
    # The single submit endpoint follows the same rule.
    single = client.post("/api/v1/articles/", {"title": "D", "text": "Same words."}, format="json")
    assert single.status_code == 200
    assert single.data["status"] == "unchanged"
    assert Article.objects.count() == 2


def test_envelope_errors(client_for: Any, submitter: Any, settings: Any) -> None:
    client = client_for(submitter)
    assert client.post(URL, {"title": "x"}, format="json").status_code == 400
    empty = client.post(URL, [], format="json")
    assert empty.status_code == 400
    assert empty.data["non_field_errors"] == ["The upload holds no article."]
    settings.API_BULK_MAX_ITEMS = 3
    big = client.post(URL, [item(i) for i in range(4)], format="json")
    assert big.status_code == 400
    assert big.data["code"] == "too_many_items"
    assert Article.objects.count() == 0
    garbage = client.post(URL, b"\xff\xfe", content_type="application/x-ndjson")
    assert garbage.status_code == 400
    assert "detail" in garbage.data and "code" in garbage.data


def test_roles(client_for: Any, outsider: Any, reviewer: Any) -> None:
    assert client_for(None).post(URL, [item(0)], format="json").status_code == 401
    assert client_for(outsider).post(URL, [item(0)], format="json").status_code == 403
    assert client_for(reviewer).post(URL, [item(0)], format="json").status_code == 200
