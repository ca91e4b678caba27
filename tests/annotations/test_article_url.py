"""Articles submitted by URL alone: fetched through the egress layer, extracted, stored (201),
or handed to a real worker when the request's budget runs out (202 `fetching`); bad pages are
a clear 4xx or a `failed` state, never a 500 or a revision of garbage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug import Response

from annotations.models import Article, ArticleRevision, Claim
from factcheck.egress.config import egress_policy
from factcheck.egress.guard import UnsafeURL, vet_url
from tests.annotations.pages import Pages, news_page
from tests.annotations.test_extraction import PARAGRAPHS, article_html, jsonld, make_pdf
from tests.helpers import wait_for

PDF_LINES = [
    "Unemployment fell to 4.1 percent in the fourth quarter of 2023,",
    "down from 4.5 percent a year earlier, according to the survey.",
    "The number of people in work rose by 120,000 over the same period,",
    "with most of the increase in part-time jobs in the service sector.",
]


@pytest.fixture
def pages(settings: Any) -> Iterator[Pages]:
    site = Pages()
    # Open exactly this loopback server to the guarded client; everything else stays refused.
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [site.port]
    yield site
    site.close()


def _nothing_stored() -> None:
    assert Article.objects.count() == 0
    assert ArticleRevision.objects.count() == 0


def test_a_url_alone_is_fetched_and_stored_with_the_page_metadata(
    db, pages, client_for, submitter, settings
):
    settings.ARTICLE_FETCH_USER_AGENT = "factcheck-articles-test/1.0"
    url = pages.page("/2025/03/libraries", news_page())
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert (body["status"], body["fetch_state"], body["text_source"]) == (
        "created",
        "ready",
        "fetched",
    )
    assert body["title"] == "Council raises library budget"
    assert body["byline"] == "Ada Lovelace"
    assert body["publisher"] == "The Gazette"
    assert body["language"] == "en-GB"
    assert body["published_at"] == "2025-03-04T08:30:00Z"
    assert body["current_revision"] == 1
    # The main text, paragraph breaks kept; no navigation, headline or footer.
    assert body["text"] == "\n\n".join(PARAGRAPHS)
    article = Article.objects.get()
    revision = article.revisions.get()
    assert (revision.number, revision.origin, revision.created_by) == (1, "fetched", submitter)
    assert revision.text == article.text
    assert article.next_fetch_at is not None and article.last_fetched_at is not None
    # One GET, with the configured User-Agent.
    assert [(m, p) for m, p, _ in pages.requests] == [("GET", "/2025/03/libraries")]
    assert pages.requests[0][2]["User-Agent"] == "factcheck-articles-test/1.0"


def test_what_the_client_sends_wins_over_the_page(db, pages, client_for, submitter):
    url = pages.page("/a", news_page())
    response = client_for(submitter).post(
        "/api/v1/articles/", {"url": url, "title": "Our own headline"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["title"] == "Our own headline"
    assert response.data["byline"] == "Ada Lovelace"


def test_a_text_sent_with_the_url_wins_and_nothing_is_fetched(db, pages, client_for, submitter):
    url = pages.page("/a", news_page())
    response = client_for(submitter).post(
        "/api/v1/articles/",
        {"url": url, "title": "Pasted", "text": "The council voted on Tuesday."},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["text"] == "The council voted on Tuesday."
    assert response.data["text_source"] == "submitted"
    assert pages.requests == []


def test_the_same_url_again_is_the_same_article_without_a_fetch(db, pages, client_for, submitter):
    url = pages.page("/a", news_page())
    client = client_for(submitter)
    first = client.post("/api/v1/articles/", {"url": url}, format="json")
    again = client.post("/api/v1/articles/", {"url": url + "#comments"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data["id"] == first.data["id"]
    assert again.data["status"] == "unchanged"
    assert pages.gets("/a") == 1
    assert ArticleRevision.objects.count() == 1


def test_an_idempotency_key_replays_the_first_answer(db, pages, client_for, submitter):
    url = pages.page("/a", news_page())
    client = client_for(submitter)
    first = client.post(
        "/api/v1/articles/", {"url": url}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/articles/", {"url": url}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == str(first.data["id"])
    assert pages.gets("/a") == 1


def test_a_pdf_is_accepted_as_an_article(db, pages, client_for, submitter):
    url = pages.page("/report.pdf", make_pdf(PDF_LINES), content_type="application/pdf")
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["text"] == "\n".join(PDF_LINES)
    assert response.data["title"] == "Labour force survey"


def test_a_broken_encoding_is_decoded_not_stored_as_garbage(db, pages, client_for, submitter):
    # Declared UTF-8, really windows-1252.
    page = article_html(paragraphs=[*PARAGRAPHS, "Le café coûte deux euros."])
    url = pages.page("/cafe", page.encode("cp1252"))
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["text"].endswith("Le café coûte deux euros.")
    assert "\ufffd" not in response.data["text"]


def test_json_ld_that_lies_is_not_stored(db, pages, client_for, submitter):
    lie = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Breaking " * 1250,
        "datePublished": "1900-01-01T00:00:00Z",
    }
    head = jsonld(lie) + '<meta property="og:title" content="Libraries get more money">'
    url = pages.page("/lie", article_html(head=head))
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["title"] == "Libraries get more money"
    assert response.data["published_at"] is None
    assert Article.objects.get().published_at is None


LOGIN = """<html><head><title>Sign in - The Gazette</title></head><body>
<form action="/login"><p>Sign in to continue reading this article.</p>
<input name="user"><input type="password" name="pw"><button>Log in</button></form>
</body></html>"""
CONSENT = """<html><head><title>Before you continue</title></head><body><div class="cmp">
<p>We use cookies and similar technologies to show personalised ads and measure traffic.
You can accept all cookies or manage options in the privacy settings at any time.</p>
<button>Accept all</button><button>Manage options</button></div></body></html>"""
PAYWALL = article_html(
    head=jsonld(
        {"@context": "https://schema.org", "@type": "NewsArticle", "isAccessibleForFree": False}
    ),
    paragraphs=[PARAGRAPHS[0], "Subscribe to continue reading. Already a subscriber? Log in."],
)
FRONT = (
    '<html lang="en"><head><title>The Gazette - news</title>'
    '<meta property="og:type" content="website"></head><body><main>'
    + "".join(
        f'<div class="teaser"><h2><a href="/news/{i}">Story number {i} about the city '
        f"council and its budget</a></h2></div>"
        for i in range(40)
    )
    + "</main></body></html>"
)


def _redirect(to: str) -> Any:
    return lambda request: Response(b"", status=302, headers={"Location": to})


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (lambda p: p.page("/gone", "<h1>Not here</h1>", status=404), "not_found"),
        (lambda p: p.page("/private", "<h1>No</h1>", status=403), "forbidden"),
        (
            lambda p: p.page("/img", b"\x89PNG\r\n\x1a\n" + bytes(256), content_type="image/png"),
            "not_html",
        ),
        (
            lambda p: p.page("/pdf", b"%PDF-1.4\n garbage", content_type="application/pdf"),
            "bad_pdf",
        ),
        (lambda p: p.handle("/story", _redirect(p.page("/login", LOGIN))), "login_wall"),
        (lambda p: p.handle("/story", _redirect(p.page("/consent", CONSENT))), "consent_wall"),
        (lambda p: p.page("/stub", PAYWALL), "paywall"),
        (lambda p: p.page("/", FRONT), "no_article"),
        (lambda p: p.page("/empty", "<html><body></body></html>"), "no_main_text"),
    ],
    ids=[
        "404",
        "403",
        "image",
        "broken-pdf",
        "login-wall",
        "consent-wall",
        "paywall",
        "front-page",
        "empty",
    ],
)
def test_a_page_that_is_no_article_is_a_422_and_stores_nothing(
    db, pages, client_for, submitter, setup, code
):
    url = setup(pages)
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 422, response.data
    assert response.data["code"] == code
    assert response.data["url"][0]
    _nothing_stored()


def test_a_50_mb_page_is_refused_without_reading_it_all(db, pages, client_for, submitter):
    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
    sent = []

    def huge(request: Any) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(800):  # 52 MB
                sent.append(len(chunk))
                yield chunk

        return Response(body(), headers={"Content-Type": "text/html"})

    url = pages.handle("/huge", huge)
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 422, response.data
    assert response.data["code"] == "too_large"
    _nothing_stored()
    # The fetch stopped at the cap (10 MB), far from the 52 MB on offer.
    assert sum(sent) < 20 * 1024 * 1024


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/news",
        "http://[::1]:8080/",
        "http://127.0.0.2/",
    ],
)
def test_a_hostile_url_is_refused_by_the_guard_before_any_connect(
    db, pages, client_for, submitter, url
):
    # The guard's own decision, made without resolving or connecting (literal addresses).
    with pytest.raises(UnsafeURL):
        vet_url(url, egress_policy(), resolver=lambda host, port: pytest.fail("no DNS"))
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 400, response.data
    assert response.data["code"] == "unsafe"
    _nothing_stored()


def test_a_redirect_to_a_private_address_is_refused_on_that_hop(db, pages, client_for, submitter):
    url = pages.handle("/jump", _redirect("http://10.1.2.3/admin"))
    response = client_for(submitter).post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 400, response.data
    assert response.data["code"] == "unsafe"
    _nothing_stored()


def test_nothing_at_all_is_a_400(db, client_for, submitter):
    response = client_for(submitter).post("/api/v1/articles/", {"title": "T"}, format="json")
    assert response.status_code == 400
    assert "text" in response.data
    response = client_for(submitter).post("/api/v1/articles/", {"url": "not a url"}, format="json")
    assert response.status_code == 400
    assert "url" in response.data
    _nothing_stored()


def test_a_bulk_item_with_a_url_alone_waits_for_a_worker(db, pages, client_for, submitter):
    url = pages.page("/a", news_page())
    response = client_for(submitter).post(
        "/api/v1/articles/bulk/",
        [{"url": url}, {"title": "B", "text": "Two."}],
        format="json",
    )
    assert response.status_code == 200, response.data
    first = response.data["results"][0]
    assert (first["status"], first["fetch_state"]) == ("created", "fetching")
    assert pages.requests == []  # not fetched in the request
    assert Article.objects.get(pk=first["id"]).text == ""


# --- The 202 path: a real worker finishes the fetch ---------------------------------------------


def _slow(seconds: float, body: str) -> Any:
    def handler(request: Any) -> Response:
        time.sleep(seconds)  # a slow site, not a wait for a condition
        return Response(body.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    return handler


@pytest.mark.worker
def test_a_slow_page_is_answered_202_and_a_worker_finishes_it(
    start_worker, pages, client_for, make_user, settings
):
    settings.ARTICLE_FETCH_REQUEST_BUDGET_SECONDS = 0.5
    reviewer = make_user("wendy", "reviewer")
    url = pages.handle("/slow", _slow(1.5, news_page()))
    worker = start_worker(
        extra_env={
            "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LINKCHECK_ALLOWED_PORTS": str(pages.port),
        }
    )
    client = client_for(reviewer)
    started = time.monotonic()
    response = client.post("/api/v1/articles/", {"url": url}, format="json")
    assert time.monotonic() - started < 1.4  # answered within the budget, not the fetch
    assert response.status_code == 202, response.data
    body = response.data
    assert (body["fetch_state"], body["text"], body["current_revision"]) == ("fetching", "", 0)
    assert body["claims"] == []
    article_id = body["id"]
    # No claim on an article without its text: a 409 that says why, nothing stored.
    refused = client.post(
        f"/api/v1/articles/{article_id}/claims/", {"exact": "twelve percent"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.data["code"] == "article_fetching"
    assert "being fetched" in refused.data["detail"]
    assert Claim.objects.count() == 0

    article = wait_for(
        lambda: Article.objects.filter(pk=article_id, fetch_state="ready").first(),
        timeout=30,
        what=lambda: f"the article ready; the worker said:\n{worker.output()[-3000:]}",
    )
    assert article.text == "\n\n".join(PARAGRAPHS)
    assert article.title == "Council raises library budget"
    assert (article.current_revision, article.revisions.get().origin) == (1, "fetched")
    detail = client.get(f"/api/v1/articles/{article_id}/")
    assert (detail.data["fetch_state"], detail.data["current_revision"]) == ("ready", 1)
    marked = client.post(
        f"/api/v1/articles/{article_id}/claims/", {"exact": "twelve percent"}, format="json"
    )
    assert marked.status_code == 201, marked.data


@pytest.mark.worker
def test_a_page_the_worker_cannot_use_leaves_the_article_failed_with_the_reason(
    start_worker, pages, client_for, make_user, settings
):
    settings.ARTICLE_FETCH_REQUEST_BUDGET_SECONDS = 0.5
    reviewer = make_user("wendy", "reviewer")
    calls = []

    def slow_then_gone(request: Any) -> Response:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(1.5)
            return Response(news_page().encode(), headers={"Content-Type": "text/html"})
        return Response(b"<h1>Gone</h1>", status=404, headers={"Content-Type": "text/html"})

    url = pages.handle("/story", slow_then_gone)
    worker = start_worker(
        extra_env={
            "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LINKCHECK_ALLOWED_PORTS": str(pages.port),
            "ARTICLE_FETCH_RETRIES": "0",
        }
    )
    client = client_for(reviewer)
    response = client.post("/api/v1/articles/", {"url": url}, format="json")
    assert response.status_code == 202, response.data
    article = wait_for(
        lambda: Article.objects.filter(pk=response.data["id"], fetch_state="failed").first(),
        timeout=30,
        what=lambda: f"the article failed; the worker said:\n{worker.output()[-3000:]}",
    )
    assert (article.fetch_error, article.text, article.current_revision) == ("not_found", "", 0)
    assert "404" in article.fetch_message
    assert ArticleRevision.objects.count() == 0
    detail = client.get(f"/api/v1/articles/{article.pk}/")
    assert (detail.data["fetch_state"], detail.data["fetch_error"]) == ("failed", "not_found")
    refused = client.post(
        f"/api/v1/articles/{article.pk}/claims/", {"exact": "twelve percent"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.data["code"] == "article_fetch_failed"
    assert Claim.objects.count() == 0
    # The desk reader shows the reason and no way to mark a claim.
    from django.test import Client

    desk = Client()
    desk.force_login(reviewer)
    page = desk.get(f"/articles/{article.pk}/")
    assert page.status_code == 200
    assert "could not be used as an article" in page.content.decode()
    assert 'id="mark-form"' not in page.content.decode()


# --- The web form -------------------------------------------------------------------------------


def test_the_desk_form_submits_by_url_through_the_same_service(db, pages, reviewer):
    from django.test import Client

    url = pages.page("/a", news_page())
    desk = Client()
    desk.force_login(reviewer)
    response = desk.post("/articles/new/", {"url": url, "format": "text"})
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert response["Location"].startswith(f"/articles/{article.pk}/")
    assert (article.fetch_state, article.title) == ("ready", "Council raises library budget")


def test_the_desk_form_names_a_bad_page_and_stores_nothing(db, pages, reviewer):
    from django.test import Client

    url = pages.page("/gone", "<h1>No</h1>", status=404)
    desk = Client()
    desk.force_login(reviewer)
    response = desk.post("/articles/new/", {"url": url, "format": "text"})
    assert response.status_code == 400
    assert "answered 404" in response.content.decode()
    empty = desk.post("/articles/new/", {"format": "text"})
    assert empty.status_code == 400
    assert "Give the article" in empty.content.decode()
    _nothing_stored()
