"""The help page's bookmarklet and the quote it brings to the submit form."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.test import Client

from annotations.models import Article, Claim
from annotations.web.bookmarklet import bookmarklet_href, quote_in_text
from tests.factories import ARTICLE_TEXT
from tests.web.test_csp import assert_strict_policy, inline_code, inline_styles

pytestmark = pytest.mark.django_db


def root_of(response: Any) -> Any:
    return lxml.html.fromstring(response.content)


def submit(client: Client, **fields: str) -> Any:
    data = {"url": "", "title": "Kursk", "format": "text", "body": ARTICLE_TEXT, **fields}
    return client.post("/articles/new/", data)


# --- The help page ------------------------------------------------------------------------------


def test_the_help_page_shows_the_bookmarklet_without_inline_code(reviewer: Any, login: Any) -> None:
    client = login(reviewer)
    queue = root_of(client.get("/"))
    assert queue.xpath("//nav[@aria-label='Main']/a[@href='/help/']")[0].text_content() == "Help"
    response = client.get("/help/")
    assert response.status_code == 200
    assert_strict_policy(response)
    assert inline_styles(response.content) == []
    # The one javascript: URL is the bookmarklet, to be dragged away: the page itself runs
    # no inline code (its script is a file), and the policy stops the link running here.
    found = inline_code(response.content)
    assert len(found) == 1 and found[0].startswith("<a href='javascript:"), found
    root = root_of(response)
    link = root.xpath("//a[@data-bookmarklet]")[0]
    assert link.text_content() == "Send to the desk"
    href = link.get("href")
    assert href == bookmarklet_href("http://testserver/articles/new/")
    assert '"http://testserver/articles/new/"' in href
    assert "%" not in href  # browsers percent-decode a bookmarklet before running it
    assert root.xpath("//script[contains(@src, 'help.js')]")
    assert root.xpath("//a[@aria-current='page' and @href='/help/']")


def test_the_help_page_is_for_the_desk(outsider: Any, login: Any) -> None:
    assert Client().get("/help/")["Location"].startswith("/accounts/login/")
    assert login(outsider).get("/help/").status_code == 403


# --- The submit form with ?url=&quote= ----------------------------------------------------------


def test_the_bookmarklet_fills_the_submit_form(reviewer: Any, login: Any) -> None:
    page = login(reviewer).get(
        "/articles/new/",
        {"url": "http://127.0.0.1:9/news/kursk", "quote": "600,000 Russian soldiers"},
    )
    assert page.status_code == 200
    root = root_of(page)
    fields = root.xpath("//form//input[@name] | //form//textarea[@name]")
    names = [f.get("name") for f in fields if f.get("type") != "hidden"]
    assert names[:2] == ["url", "quote"]  # the URL first, then the claim to mark
    assert root.xpath("//input[@name='url']")[0].get("value") == "http://127.0.0.1:9/news/kursk"
    assert root.xpath("//textarea[@name='quote']")[0].text_content().strip() == (
        "600,000 Russian soldiers"
    )
    summary = root.xpath("//details[contains(@class, 'submit-more')]/summary")[0]
    assert "filled from the page" in summary.text_content()


def test_a_quote_in_the_text_is_marked_as_a_claim(reviewer: Any, login: Any) -> None:
    client = login(reviewer)
    # As a browser selection gives it: its own line breaks and spaces.
    response = submit(client, quote="  more than 600,000 Russian\n soldiers ")
    assert response.status_code == 302
    article = Article.objects.get()
    claim = Claim.objects.get(article=article)
    assert claim.exact == "more than 600,000 Russian soldiers"
    assert claim.created_by == reviewer
    assert response["Location"] == f"/articles/{article.pk}/?claim={claim.pk}"
    reader = client.get(response["Location"])
    assert b"The selected text is marked as a claim." in reader.content
    assert root_of(reader).xpath(f"//*[@id='claim-panel']//*[@data-open-claim='{claim.pk}']")


def test_a_quote_not_in_the_text_is_said_and_kept(reviewer: Any, login: Any) -> None:
    client = login(reviewer)
    response = submit(client, quote="Words the article never says")
    assert response.status_code == 302
    article = Article.objects.get()
    assert not Claim.objects.exists()
    assert response["Location"] == (f"/articles/{article.pk}/?quote=Words+the+article+never+says")
    reader = client.get(response["Location"])
    shown = root_of(reader).xpath("//*[@class='messages']")[0].text_content()
    assert "was not found in the article's text, so no claim was marked" in shown
    box = root_of(reader).xpath("//details[contains(@class, 'quote-mark')]")[0]
    assert box.get("open") is not None
    assert box.xpath(".//textarea[@name='exact']")[0].text_content() == (
        "Words the article never says"
    )


def test_a_quote_twice_in_the_text_is_not_guessed(reviewer: Any, login: Any) -> None:
    client = login(reviewer)
    response = submit(client, quote="North Korea")
    assert response.status_code == 302
    assert not Claim.objects.exists()
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"quote": ["North Korea"]}
    reader = client.get(response["Location"])
    assert b"The selected text was not marked as a claim:" in reader.content


def test_a_submitter_stores_the_article_but_marks_no_claim(submitter: Any, login: Any) -> None:
    client = login(submitter)
    response = submit(client, quote="600,000 Russian soldiers")
    assert response.status_code == 302
    assert Article.objects.count() == 1
    assert not Claim.objects.exists()
    assert "quote=" in response["Location"]


def test_a_refused_submit_stores_nothing_and_keeps_the_quote(reviewer: Any, login: Any) -> None:
    client = login(reviewer)
    response = submit(client, body="   ", quote="600,000 Russian soldiers")
    assert response.status_code == 400
    assert not Article.objects.exists() and not Claim.objects.exists()
    textarea = root_of(response).xpath("//textarea[@name='quote']")[0]
    assert textarea.text_content().strip() == "600,000 Russian soldiers"
    too_long = submit(client, quote="x" * 1001)
    assert too_long.status_code == 400
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("600,000 Russian soldiers", "600,000 Russian soldiers"),
        ("killed or\n\nwounded", "killed or wounded"),
        ("region. Rutte said", "region.\n\nRutte said"),
        ("   ", None),
        ("Russian  soldiers have died", None),
    ],
)
def test_quote_in_text(quote: str, found: str | None) -> None:
    assert quote_in_text(ARTICLE_TEXT, quote) == found


def test_a_page_sent_by_url_alone_gets_its_quote_marked(
    reviewer: Any, login: Any, local_site: Any
) -> None:
    """The bookmarklet's whole path: the URL fetched through the egress layer, its text
    extracted, then the selection marked in that text."""
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE_TEXT.split("\n\n"))
    url = local_site.page(
        "/news/kursk",
        body=(
            "<!doctype html><html lang='en'><head><title>Kursk | News</title>"
            "<meta property='og:title' content='NATO chief on Kursk'></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>NATO chief on Kursk</h1>{paragraphs}"
            "</article><footer>© News</footer></body></html>"
        ),
    )
    client = login(reviewer)
    response = client.post(
        "/articles/new/",
        {
            "url": url,
            "format": "text",
            "body": "",
            "title": "",
            "quote": "600,000 Russian soldiers",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    article = Article.objects.get()
    assert article.title == "NATO chief on Kursk"
    assert ("GET", "/news/kursk") in local_site.hits
    claim = Claim.objects.get(article=article)
    assert claim.exact == "600,000 Russian soldiers"
    assert response["Location"] == f"/articles/{article.pk}/?claim={claim.pk}"
