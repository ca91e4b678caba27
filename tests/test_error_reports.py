"""Errors with DEBUG on stay JSON under /api/, and secrets carried in URLs are masked in
logs, stored error messages and Django's error reports."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.test import Client

from factcheck.urlmask import MaskUrlSecretsFilter, mask_url_secrets

SECRET = "s3cr3tvalue"


# --- mask_url_secrets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://user:pass@example.org/a", "https://***@example.org/a"),
        ("https://TOKEN@github.example/x", "https://***@github.example/x"),
        ("redis://:hunter2@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        ("https://x.example/?token=abc&page=2", "https://x.example/?token=***&page=2"),
        ("https://x.example/?page=2&api_key=abc#top", "https://x.example/?page=2&api_key=***#top"),
        (
            "https://b.example/o?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff00&X-Amz-Expires=60",
            "https://b.example/o?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60",
        ),
        ("https://x.example/cb?access_token=a&client_secret=b", None),
        ("https://x.example/?sig=1;password=2", "https://x.example/?sig=***;password=***"),
        ("token=abc&x=1", "token=***&x=1"),  # a bare query string (QUERY_STRING)
        ("http://t.example/a/?token=abc&page=1", "http://t.example/a/?token=***&page=1"),
        (
            "GET https://a:b@x.example/?key=1 failed: 'https://y.example/?secret=2'",
            "GET https://***@x.example/?key=*** failed: 'https://y.example/?secret=***'",
        ),
    ],
)
def test_secrets_in_urls_are_masked(text: str, masked: str | None) -> None:
    if masked is None:
        masked = "https://x.example/cb?access_token=***&client_secret=***"
    assert mask_url_secrets(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org/path?page=2&monkey=3&keyboard=4&author=x",
        "mail me@example.org about key=value pairs",
        "https://evil.example/@www.reuters.com/",
        "",
    ],
)
def test_what_is_not_a_secret_is_left_alone(text: str) -> None:
    assert mask_url_secrets(text) == text


def test_the_console_log_handler_masks_url_secrets() -> None:
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskUrlSecretsFilter) for f in h.filters)
    )
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logger = logging.getLogger("factcheck.test")
        logger.warning("fetching %s", f"https://u:{SECRET}@x.example/a?token={SECRET}")
        try:
            raise ValueError(f"cannot open https://x.example/?api_key={SECRET}")
        except ValueError:
            logger.exception("crashed")
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert "fetching https://***@x.example/a?token=***" in output
    assert "ValueError: cannot open https://x.example/?api_key=***" in output
    assert SECRET not in output


# --- stored error messages ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_checks_error_message_masks_the_url_it_names(local_site: Any) -> None:
    from annotations.linkhealth.batches import links_check_batch
    from annotations.linkhealth.links import link_get_or_create
    from annotations.models import LinkCheck

    bad = f"http://[::1?token={SECRET}"  # not a URL: the checker reports it as given
    url = local_site.page("/moved", status=302, Location=bad)
    link, _ = link_get_or_create(url=url)
    links_check_batch(link_ids=[link.pk], attempt_prefix="mask")
    link.refresh_from_db()
    check = LinkCheck.objects.get(link=link)
    assert "token=***" in check.error_message
    assert SECRET not in check.error_message
    assert SECRET not in link.last_error and link.last_error == check.error_message


@pytest.mark.django_db
def test_a_webhook_deliverys_last_error_masks_url_secrets(receiver: Any, submitter: Any) -> None:
    from reviews.models import WebhookDelivery
    from reviews.webhooks.events import event_ping
    from reviews.webhooks.services import webhook_attempt, webhook_create

    # The receiver names the URL it was posted to (secret included) in its error body.
    receiver.responder = lambda request: (
        500,
        f"no hook at http://127.0.0.1{request.full_path}".encode(),
    )
    subscription = webhook_create(
        owner=submitter,
        url=receiver.url(f"/hook?token={SECRET}"),
        events=["claim.published"],
    )
    delivery = event_ping(subscription=subscription)
    webhook_attempt(delivery_id=delivery.pk)
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500: no hook at http://127.0.0.1/hook?token=***"
    assert SECRET not in delivery.last_error


# --- DEBUG on: the API answers JSON ---------------------------------------------------------


def _crash(*args: Any, **kwargs: Any) -> Any:
    url = f"https://user:{SECRET}@db.example/?token={SECRET}"  # noqa: F841 - a frame variable
    raise RuntimeError(f"cannot reach https://user:{SECRET}@db.example/")


@pytest.fixture
def debug(settings: Any) -> Any:
    settings.DEBUG = True
    settings.REDIS_URL = f"redis://:{SECRET}@127.0.0.1:6379/13"
    return settings


def _is_plain_json_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code and set(body) == {"detail", "code"}
    text = response.content.decode()
    for leak in ("Traceback", "SECRET_KEY", "urlpatterns", SECRET, "RuntimeError"):
        assert leak not in text


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["*/*", "text/html", "application/json"])
def test_with_debug_an_unknown_api_url_is_a_json_404(debug: Any, accept: str) -> None:
    for path in ("/api/v1/nothing-here/", "/api/v1/claims/not-a-uuid/", "/api/nope"):
        response = Client().get(path, HTTP_ACCEPT=accept)
        _is_plain_json_error(response, 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["*/*", "application/json"])
def test_with_debug_an_api_crash_is_a_json_500(
    debug: Any, monkeypatch: Any, client_for: Any, editor: Any, accept: str
) -> None:
    from annotations import selectors

    monkeypatch.setattr(selectors, "article_list", _crash)
    client = client_for(editor)
    client.raise_request_exception = False
    response = client.get(f"/api/v1/articles/?token={SECRET}", HTTP_ACCEPT=accept)
    _is_plain_json_error(response, 500, "server_error")


@pytest.mark.django_db
def test_with_debug_a_bad_host_under_api_is_a_json_400(debug: Any) -> None:
    response = Client().get("/api/v1/articles/", HTTP_HOST="evil.example")
    _is_plain_json_error(response, 400, "bad_request")


@pytest.mark.django_db
def test_with_debug_api_errors_of_views_keep_their_own_body(
    debug: Any, client_for: Any, editor: Any
) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    response = client_for(editor).get(f"/api/v1/claims/{missing}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such claim.", "code": "not_found"}


@pytest.mark.django_db
def test_the_debug_error_page_masks_url_secrets(debug: Any, monkeypatch: Any, editor: Any) -> None:
    from annotations import selectors

    monkeypatch.setattr(selectors, "article_list_without_counts", _crash)
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = client.get(
        f"/articles/?token={SECRET}&page=1", HTTP_REFERER=f"https://x.example/?sig={SECRET}"
    )
    assert response.status_code == 500
    page = response.content.decode()
    assert "RuntimeError" in page and "Traceback" in page  # the technical page, for /articles/
    assert "redis://***@127.0.0.1:6379/13" in page  # REDIS_URL in the settings
    assert "cannot reach https://***@db.example/" in page  # the exception
    assert "token=***" in page  # the request URL and QUERY_STRING
    assert SECRET not in page
