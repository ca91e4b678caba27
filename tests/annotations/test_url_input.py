"""URLs through the API and the desk: read as a browser reads them, refused with a message
when they cannot be stored, and never a 500 or a half-written row."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Article, Evidence, Link

pytestmark = pytest.mark.django_db

BACKSLASH = "https://evil.example\\@www.reuters.com/"


@pytest.fixture(autouse=True)
def _no_background_work(monkeypatch: Any) -> None:
    from annotations.linkhealth import tasks

    monkeypatch.setattr(tasks.check_link, "delay", lambda *a, **k: None)
    monkeypatch.setattr(tasks.evidence_find_archive, "delay", lambda *a, **k: None)


def add(client: Any, claim: Any, **body: Any) -> Any:
    return client.post(f"/api/v1/claims/{claim.pk}/evidence/", body, format="json")


def desk(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nothing_stored(claim: Any) -> bool:
    return not Evidence.objects.filter(claim=claim).exists() and not Link.objects.exists()


def test_a_backslash_url_is_stored_shown_and_checked_as_the_browser_opens_it(
    client_for: Any, reviewer: Any, claim: Any
) -> None:
    response = add(client_for(reviewer), claim, url=BACKSLASH, stance="supports")
    assert response.status_code == 201, response.data
    assert response.data["url"] == "https://evil.example/@www.reuters.com/"
    assert response.data["link"]["url"] == "https://evil.example/@www.reuters.com/"
    link = Link.objects.get()
    assert link.host == "evil.example"
    panel = desk(reviewer).get(reverse("web:claim", args=[claim.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert 'href="https://evil.example/@www.reuters.com/"' in html
    assert re.search(r'class="evidence__host muted">\s*evil\.example\s*<', html)
    assert ">www.reuters.com<" not in html


def test_an_article_url_with_a_backslash_is_the_page_a_browser_opens(
    client_for: Any, submitter: Any
) -> None:
    response = client_for(submitter).post(
        "/api/v1/articles/", {"url": BACKSLASH, "title": "T", "text": "Text."}, format="json"
    )
    assert response.status_code == 201, response.data
    assert Article.objects.get().url == "https://evil.example/@www.reuters.com/"


def test_international_hosts_are_idna_2008(client_for: Any, reviewer: Any, claim: Any) -> None:
    response = add(client_for(reviewer), claim, url="https://straße.de/bericht", stance="context")
    assert response.status_code == 201, response.data
    assert Link.objects.get().host == "xn--strae-oqa.de"
    assert response.data["link"]["url"] == "https://xn--strae-oqa.de/bericht"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "https://💩.la/"),
        ("url", "https://xn--a.example/"),
        ("url", "https://a_b.example/"),
        ("archive_url", "https://a_b.example/"),
        ("archive_url", "https://💩.la/"),
    ],
)
def test_invalid_hosts_are_a_400_with_a_message(
    client_for: Any, reviewer: Any, claim: Any, field: str, value: str
) -> None:
    body = {"url": "https://example.org/source", "stance": "supports", field: value}
    response = add(client_for(reviewer), claim, **body)
    assert response.status_code == 400, response.data
    assert "not a valid" in response.data[field][0]
    assert nothing_stored(claim)


def test_an_underscore_archive_url_on_the_desk_form_is_a_400_with_a_message(
    reviewer: Any, claim: Any
) -> None:
    response = desk(reviewer).post(
        reverse("web:evidence-add", args=[claim.pk]),
        {
            "url": "https://example.org/source",
            "stance": "supports",
            "archive_url": "https://a_b.example/",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert b"is not a valid domain name" in response.content
    assert b'class="field-error"' in response.content
    assert nothing_stored(claim)


@pytest.mark.parametrize(
    ("field", "url"),
    [
        # 700 characters typed, 4,220 once percent-encoded: past Link.url and Evidence.url.
        ("url", "https://example.org/" + "é" * 700),
        # An international host and path that grow past 4,096 characters once encoded.
        ("url", "https://bücher.example/" + "ü" * 680),
        ("archive_url", "https://web.archive.org/web/2024/" + "é" * 700),
    ],
)
def test_urls_that_outgrow_their_column_once_normalized_are_a_400(
    client_for: Any, reviewer: Any, claim: Any, field: str, url: str
) -> None:
    assert len(url) < 1000
    body = {"url": "https://example.org/source", "stance": "supports", field: url}
    response = add(client_for(reviewer), claim, **body)
    assert response.status_code == 400, response.data
    assert "once normalized" in response.data[field][0]
    assert "limit is 4,096" in response.data[field][0]
    assert nothing_stored(claim)


def test_an_article_url_that_outgrows_its_column_is_a_400(client_for: Any, submitter: Any) -> None:
    url = "https://news.example.org/" + "ж" * 400  # 425 typed, 2,425 encoded; the column is 2,048
    response = client_for(submitter).post(
        "/api/v1/articles/", {"url": url, "title": "T", "text": "Text."}, format="json"
    )
    assert response.status_code == 400, response.data
    assert "limit is 2,048" in response.data["url"][0]
    assert not Article.objects.exists()
    form = desk(submitter).post(
        reverse("web:article-submit"),
        {"url": url, "title": "T", "format": "text", "body": "Text."},
    )
    assert form.status_code == 400
    assert "limit is 2,048" in form.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "claim_param",
    ["garbage", "1 OR 1=1", "%00", "9" * 5000, "00000000-0000-0000-0000-00000000000g"],
)
def test_the_reader_ignores_a_claim_param_that_is_not_a_claim_id(
    reviewer: Any, claim: Any, claim_param: str
) -> None:
    response = desk(reviewer).get(
        reverse("web:article", args=[claim.article_id]), {"claim": claim_param}
    )
    assert response.status_code == 200
    assert claim.article.title.encode() in response.content


def test_the_reader_says_so_for_a_claim_of_another_article(
    reviewer: Any, editor: Any, claim: Any
) -> None:
    from tests.factories import article_create

    other = article_create(
        by=editor, url="https://news.example.org/other", title="Other", text="Another story."
    )
    response = desk(reviewer).get(reverse("web:article", args=[other.pk]), {"claim": claim.pk})
    assert response.status_code == 200
    assert b"That claim is not in this article any more." in response.content
    assert claim.exact.encode() not in response.content


def test_a_row_stored_before_browser_parsing_shows_the_host_its_link_opens(
    reviewer: Any, claim: Any
) -> None:
    """Evidence stored as typed, with the host urllib read from it: the desk names the host
    the link's href really opens."""
    from annotations.services.evidence import evidence_attach

    evidence = evidence_attach(
        claim=claim, by=reviewer, url="https://www.reuters.com/world/", stance="supports"
    )
    Evidence.objects.filter(pk=evidence.pk).update(url=BACKSLASH)
    Link.objects.filter(pk=evidence.link_id).update(host="www.reuters.com")
    panel = desk(reviewer).get(reverse("web:claim", args=[claim.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert re.search(r'class="evidence__host muted">\s*evil\.example\s*<', html)
    assert ">www.reuters.com<" not in html
