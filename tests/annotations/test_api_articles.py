import json

import pytest

from annotations.models import Article, ArticleRevision

pytestmark = pytest.mark.django_db

TEXT = "The minister said unemployment fell to 4.1% in March.\n\nCritics disagree."


def submit(client, **body):
    return client.post("/api/v1/articles/", body, format="json")


def test_submitter_submits_an_article_and_reads_it_back(client_for, submitter):
    client = client_for(submitter)
    response = submit(
        client, url="https://News.Example.org/a?utm_source=x&id=7#top", title="Jobs", text=TEXT
    )
    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "created"
    assert body["url"] == "https://news.example.org/a?id=7"
    assert body["current_revision"] == 1
    detail = client.get(f"/api/v1/articles/{body['id']}/")
    assert detail.status_code == 200
    assert detail.data["text"] == TEXT
    assert detail.data["claims"] == []


def test_same_url_same_text_is_the_same_article(client_for, submitter):
    client = client_for(submitter)
    first = submit(client, url="https://example.org/a", title="A", text=TEXT)
    again = submit(client, url="https://example.org/a?utm_medium=email", title="A", text=TEXT)
    assert again.status_code == 200
    assert again.data["status"] == "unchanged"
    assert again.data["id"] == first.data["id"]
    assert Article.objects.count() == 1
    assert ArticleRevision.objects.count() == 1


def test_same_url_new_text_is_a_new_revision(client_for, submitter):
    client = client_for(submitter)
    first = submit(client, url="https://example.org/a", title="A", text=TEXT)
    revised = submit(client, url="https://example.org/a", title="A", text=TEXT + " Updated.")
    assert revised.status_code == 200
    assert revised.data["status"] == "revised"
    assert revised.data["current_revision"] == 2
    article = Article.objects.get(pk=first.data["id"])
    assert list(article.revisions.values_list("number", flat=True)) == [1, 2]
    assert article.revisions.get(number=1).text == TEXT


def test_html_is_sanitized_and_reduced_to_text(client_for, submitter):
    html = "<h1>Title</h1><p>First <b>bold</b> claim.</p><script>alert(1)</script><p>Second.</p>"
    response = submit(client_for(submitter), title="H", html=html)
    assert response.status_code == 201, response.data
    text = response.data["text"]
    assert "alert" not in text and "<" not in text
    assert "First bold claim." in text
    assert "\n\n" in text


def test_text_is_nfc_normalized_with_unix_line_ends(client_for, submitter):
    response = submit(client_for(submitter), title="N", text="Cafe\u0301 one.\r\nTwo.")
    assert response.status_code == 201
    assert response.data["text"] == "Caf\u00e9 one.\nTwo."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x"}, "text"),
        ({"title": "x", "text": "   "}, "text"),
        ({"text": "hello"}, "title"),
        ({"title": "x", "text": "hi", "url": "ftp://example.org/a"}, "url"),
        ({"title": "x", "text": "hi", "url": "javascript:alert(1)"}, "url"),
        ({"title": "x", "text": "hi", "colour": "red"}, "colour"),
        ({"title": "x", "text": "hi", "published_at": "yesterday"}, "published_at"),
        ({"title": "x", "text": "a\x00b"}, "text"),
        ({"title": "x", "text": "hi", "html": "<p>hi</p>"}, "non_field_errors"),
    ],
)
def test_bad_article_input_is_a_400_naming_the_field(client_for, submitter, body, field):
    response = submit(client_for(submitter), **body)
    assert response.status_code == 400, response.data
    assert field in response.data
    assert Article.objects.count() == 0


def test_malformed_json_is_a_400(client_for, submitter):
    response = client_for(submitter).post(
        "/api/v1/articles/", data='{"title": "x", "text": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.data["detail"]


def test_a_json_array_is_a_400(client_for, submitter):
    response = client_for(submitter).post(
        "/api/v1/articles/", data=json.dumps([1, 2]), content_type="application/json"
    )
    assert response.status_code == 400


def test_text_over_the_limit_is_refused(client_for, submitter, settings):
    settings.ARTICLE_MAX_TEXT_CHARS = 100
    response = submit(client_for(submitter), title="long", text="a" * 101)
    assert response.status_code == 400
    assert "limit is 100" in response.data["text"][0]
    assert Article.objects.count() == 0


def test_body_over_the_upload_limit_is_a_413(client_for, submitter, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = submit(client_for(submitter), title="big", text="a" * 5000)
    assert response.status_code == 413
    assert Article.objects.count() == 0


def test_reading_needs_a_role(client_for, outsider, article):
    assert client_for(None).get("/api/v1/articles/").status_code == 401
    assert client_for(outsider).get("/api/v1/articles/").status_code == 403
    assert client_for(outsider).get(f"/api/v1/articles/{article.pk}/").status_code == 403


def test_unknown_article_is_a_404(client_for, reviewer):
    response = client_for(reviewer).get("/api/v1/articles/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_list_filters_and_search(client_for, submitter):
    client = client_for(submitter)
    submit(client, title="Jobs report", text=TEXT, publisher="Daily")
    submit(client, title="Weather", text="Sunny days ahead.", publisher="Other")
    response = client.get("/api/v1/articles/?publisher=daily")
    assert [a["title"] for a in response.data["results"]] == ["Jobs report"]
    response = client.get("/api/v1/articles/?search=weather")
    assert [a["title"] for a in response.data["results"]] == ["Weather"]
    assert "next" in response.data  # cursor pagination


def test_article_list_query_count_does_not_grow(
    client_for, submitter, django_assert_max_num_queries
):
    client = client_for(submitter)
    for i in range(15):
        submit(client, title=f"A{i}", text=f"Text number {i}.")
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/articles/")
    assert len(response.data["results"]) == 15
