"""classify(): one fetch result in, one health out. Pure; results are built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest

from annotations.linkhealth.classify import (
    Classification,
    classify,
    parse_retry_after,
    soft404_probe_url,
)
from annotations.linkhealth.health import LinkHealth
from annotations.models import Link, LinkCheck
from factcheck.egress.fetcher import FetchResult

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
URL = "https://news.example/2026/03/story-about-things"

ARTICLE = (
    "<html><head><title>Council approves budget</title></head><body>"
    "<nav>Home World Sport</nav><article><h1>Council approves budget</h1>"
    + "".join(
        f"<p>The council voted on item {word} after a long debate about schools, roads, "
        f"parks and the library, with members arguing over {word} for hours.</p>"
        for word in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
    )
    + "</article><footer>Copyright</footer></body></html>"
).encode()

NOT_FOUND_PAGE = (
    "<html><head><title>News Example</title></head><body><main>"
    "<h1>Sorry, we could not find that</h1>"
    + "<p>The page you were looking for may have moved. Try the search box, browse our "
    "sections, read the latest headlines, or go back to the front page of the site.</p>"
    * 3
    + "</main></body></html>"
).encode()


def result(
    status: int | None = 200,
    *,
    url: str = URL,
    final_url: str | None = None,
    hops: list[tuple[str, int]] | None = None,
    permanent: bool = False,
    error_class: str = "",
    error_message: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> FetchResult:
    final = final_url or url
    return FetchResult(
        url=url,
        final_url=final,
        status_code=status,
        hops=hops if hops is not None else ([(final, status)] if status else []),
        permanent_redirect=permanent,
        latency_ms=12,
        error_class=error_class,
        error_message=error_message,
        headers=headers or {},
        body=body,
        method="GET" if body else "HEAD",
    )


def health(res: FetchResult, **kw: object) -> LinkHealth:
    return classify(res, now=NOW, **kw).health  # type: ignore[arg-type]


def test_health_values_match_the_design() -> None:
    assert {h.value for h in LinkHealth} == {
        "unchecked",
        "ok",
        "redirected",
        "broken",
        "dead",
        "error",
        "blocked",
        "soft_404",
        "unsafe",
    }


def test_verdicts_are_the_models_own_choices() -> None:
    # One enum: what the classifier returns is what the Link and LinkCheck columns hold.
    assert Link._meta.get_field("health").choices == LinkHealth.choices
    assert LinkCheck._meta.get_field("health").choices == LinkHealth.choices
    verdict = classify(result(200), now=NOW)
    assert type(verdict.health) is LinkHealth
    assert verdict.health == "ok"


@pytest.mark.parametrize("status", [200, 203, 204, 206, 304])
def test_success_is_ok(status: int) -> None:
    verdict = classify(result(status), now=NOW)
    assert verdict == Classification(LinkHealth.OK, reason=verdict.reason)
    assert not verdict.retryable


def test_permanent_redirect_to_other_url_is_redirected() -> None:
    res = result(
        200,
        final_url="https://news.example/2026/03/story-about-things/",
        hops=[(URL, 301), ("https://news.example/2026/03/story-about-things/", 200)],
        permanent=True,
    )
    verdict = classify(res, now=NOW)
    assert verdict.health == LinkHealth.REDIRECTED
    assert "story-about-things/" in verdict.reason


def test_permanent_redirect_to_same_url_modulo_normalisation_is_ok() -> None:
    res = result(
        200,
        url="HTTPS://News.Example:443/a",
        final_url="https://news.example/a",
        hops=[("https://news.example/a", 301), ("https://news.example/a", 200)],
        permanent=True,
    )
    assert health(res) == LinkHealth.OK


def test_temporary_redirect_is_judged_by_landing() -> None:
    res = result(
        200,
        final_url="https://news.example/2026/03/other",
        hops=[(URL, 302), ("https://news.example/2026/03/other", 200)],
        permanent=False,
    )
    assert health(res) == LinkHealth.OK


@pytest.mark.parametrize("status", [404, 410])
def test_gone_is_broken(status: int) -> None:
    verdict = classify(result(status), now=NOW)
    assert verdict.health == LinkHealth.BROKEN
    assert not verdict.retryable


@pytest.mark.parametrize(
    ("error_class", "expected"),
    [
        ("dns", LinkHealth.BROKEN),
        ("connect", LinkHealth.BROKEN),
        ("invalid_url", LinkHealth.BROKEN),
        ("unsafe", LinkHealth.UNSAFE),
        ("timeout", LinkHealth.ERROR),
        ("reset", LinkHealth.ERROR),
        ("too_many_redirects", LinkHealth.ERROR),
        ("redirect_loop", LinkHealth.ERROR),
        ("protocol", LinkHealth.ERROR),
    ],
)
def test_error_classes(error_class: str, expected: LinkHealth) -> None:
    verdict = classify(
        result(None, error_class=error_class, error_message="boom", hops=[]), now=NOW
    )
    assert verdict.health == expected
    assert verdict.retryable is (expected == LinkHealth.ERROR)


def test_broken_becomes_dead_after_three_checks_over_three_days() -> None:
    gone = result(404)
    # Two earlier broken checks, the first three days ago: dead.
    assert (
        health(gone, prior_broken_at=[NOW - timedelta(days=3), NOW - timedelta(days=1)])
        == LinkHealth.DEAD
    )
    # Three checks within one bad hour: still only broken.
    assert (
        health(gone, prior_broken_at=[NOW - timedelta(minutes=50), NOW - timedelta(minutes=5)])
        == LinkHealth.BROKEN
    )
    # Spread over days but only two checks in all: broken.
    assert health(gone, prior_broken_at=[NOW - timedelta(days=10)]) == LinkHealth.BROKEN
    # Just short of three days.
    assert (
        health(gone, prior_broken_at=[NOW - timedelta(days=2, hours=23), NOW - timedelta(days=1)])
        == LinkHealth.BROKEN
    )
    # DNS failures escalate the same way; naive datetimes are read as UTC.
    naive = [
        (NOW - timedelta(days=4)).replace(tzinfo=None),
        (NOW - timedelta(days=2)).replace(tzinfo=None),
    ]
    assert (
        health(result(None, error_class="dns", hops=[]), prior_broken_at=naive) == LinkHealth.DEAD
    )


def test_transient_errors_never_become_dead() -> None:
    prior = [NOW - timedelta(days=9), NOW - timedelta(days=5), NOW - timedelta(days=1)]
    assert health(result(503), prior_broken_at=prior) == LinkHealth.ERROR
    assert health(result(None, error_class="timeout"), prior_broken_at=prior) == LinkHealth.ERROR


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_retryable_errors(status: int) -> None:
    verdict = classify(result(status), now=NOW)
    assert verdict.health == LinkHealth.ERROR
    assert verdict.retryable


@pytest.mark.parametrize("status", [401, 403, 429, 451, 999])
def test_refusals_are_blocked_not_dead(status: int) -> None:
    prior = [NOW - timedelta(days=9), NOW - timedelta(days=5)]
    assert health(result(status), prior_broken_at=prior) == LinkHealth.BLOCKED


def test_429_retry_after_seconds() -> None:
    verdict = classify(result(429, headers={"retry-after": "120"}), now=NOW)
    assert verdict.health == LinkHealth.BLOCKED
    assert verdict.retryable
    assert verdict.retry_after_seconds == 120


def test_503_retry_after_http_date() -> None:
    when = format_datetime(NOW + timedelta(minutes=5), usegmt=True)
    verdict = classify(result(503, headers={"retry-after": when}), now=NOW)
    assert verdict.health == LinkHealth.ERROR
    assert verdict.retry_after_seconds == 300


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        (" 42 ", 42),
        ("99999999", 7 * 24 * 3600),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("Tue, 10 Mar 2026 11:00:00 GMT", 0),  # in the past
        ("Tue, 10 Mar 2026 12:01:00 GMT", 60),
    ],
)
def test_parse_retry_after(value: str | None, expected: int | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_cloudflare_challenge_is_blocked() -> None:
    res = result(503, headers={"cf-mitigated": "challenge", "server": "cloudflare"})
    assert health(res) == LinkHealth.BLOCKED
    challenge_200 = result(200, headers={"cf-mitigated": "challenge"}, body=b"<html></html>")
    assert health(challenge_200) == LinkHealth.BLOCKED


@pytest.mark.parametrize(
    "body",
    [
        b"<html><title>Just a moment...</title><body>Checking your browser</body></html>",
        b"<html><body><div id='px-captcha'></div></body></html>",
        b"<html><body>Please complete the CAPTCHA to continue</body></html>",
    ],
)
def test_bot_wall_bodies_on_errors_are_blocked(body: bytes) -> None:
    assert health(result(503, body=body)) == LinkHealth.BLOCKED
    assert health(result(400, body=body)) == LinkHealth.BLOCKED


def test_plain_503_is_not_a_bot_wall() -> None:
    assert health(result(503, body=b"<h1>Service Unavailable</h1>")) == LinkHealth.ERROR


def test_deep_link_redirected_to_front_page_is_soft_404() -> None:
    for landing in ("https://news.example/", "https://news.example", "https://news.example/en/"):
        res = result(200, final_url=landing, hops=[(URL, 301), (landing, 200)], permanent=True)
        verdict = classify(res, now=NOW)
        assert verdict.health == LinkHealth.SOFT_404, landing
        assert "front page" in verdict.reason


def test_front_page_redirected_to_front_page_is_fine() -> None:
    res = result(
        200,
        url="http://news.example/",
        final_url="https://news.example/",
        hops=[("http://news.example/", 301), ("https://news.example/", 200)],
        permanent=True,
    )
    assert health(res) == LinkHealth.REDIRECTED


@pytest.mark.parametrize(
    "title",
    [
        "Page not found",
        "404",
        "Error 404 - News Example",
        "404 | News Example",
        "Sorry, this page doesn't exist",
        "Seite nicht gefunden",
        "Página no encontrada",
    ],
)
def test_not_found_title_is_soft_404(title: str) -> None:
    body = f"<html><head><title>{title}</title></head><body>x</body></html>".encode()
    assert health(result(200, body=body, headers={"content-type": "text/html"})) == (
        LinkHealth.SOFT_404
    )


@pytest.mark.parametrize(
    "title", ["Route 4040 closed", "Council approves budget", "Found: the lost city"]
)
def test_ordinary_titles_are_not_soft_404(title: str) -> None:
    body = f"<html><head><title>{title}</title></head><body>x</body></html>".encode()
    assert health(result(200, body=body, headers={"content-type": "text/html"})) == LinkHealth.OK


def test_page_matching_random_path_probe_is_soft_404() -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    res = result(200, body=NOT_FOUND_PAGE, headers=html)
    probe = result(200, url=soft404_probe_url(URL), body=NOT_FOUND_PAGE, headers=html)
    verdict = classify(res, soft404_probe=probe, now=NOW)
    assert verdict.health == LinkHealth.SOFT_404
    assert "random missing path" in verdict.reason


def test_real_article_differs_from_probe() -> None:
    html = {"content-type": "text/html"}
    res = result(200, body=ARTICLE, headers=html)
    probe = result(200, url=soft404_probe_url(URL), body=NOT_FOUND_PAGE, headers=html)
    assert health(res, soft404_probe=probe) == LinkHealth.OK


def test_probe_that_404s_proves_nothing() -> None:
    html = {"content-type": "text/html"}
    res = result(200, body=NOT_FOUND_PAGE, headers=html)
    probe = result(404, url=soft404_probe_url(URL), body=NOT_FOUND_PAGE, headers=html)
    assert health(res, soft404_probe=probe) == LinkHealth.OK


def test_thin_pages_are_not_compared() -> None:
    # JavaScript apps serve the same empty shell for every path; that is not a soft 404.
    shell = b"<html><head><title>App</title></head><body><div id=root></div></body></html>"
    html = {"content-type": "text/html"}
    probe = result(200, url=soft404_probe_url(URL), body=shell, headers=html)
    assert health(result(200, body=shell, headers=html), soft404_probe=probe) == LinkHealth.OK


def test_other_client_errors_are_broken_and_odd_statuses_error() -> None:
    assert health(result(400)) == LinkHealth.BROKEN
    assert health(result(302, hops=[(URL, 302)])) == LinkHealth.ERROR  # redirect without Location
    assert health(result(None, hops=[])) == LinkHealth.ERROR


def test_soft404_probe_url_same_origin_random_path() -> None:
    first = soft404_probe_url("https://news.example:8443/2026/03/story?id=1#x")
    second = soft404_probe_url("https://news.example:8443/2026/03/story?id=1#x")
    assert first != second
    parts = urlsplit(first)
    assert (parts.scheme, parts.netloc) == ("https", "news.example:8443")
    assert parts.path.startswith("/2026/03/")
    assert parts.path != "/2026/03/story"
    assert not parts.query and not parts.fragment
    root = urlsplit(soft404_probe_url("http://example.com"))
    assert root.path.count("/") == 1 and len(root.path) > 8
