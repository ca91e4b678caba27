"""Guessing token keys is throttled per client address; X-Forwarded-For counts only from
trusted proxies, for that counter and for the request throttles alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from factcheck.clientip import client_ip

pytestmark = pytest.mark.django_db

BAD_KEY = "fct_" + "x" * 40


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.API_TOKEN_FAILURE_LIMIT = 3
    settings.API_TOKEN_FAILURE_WINDOW_SECONDS = 120
    settings.TRUSTED_PROXIES = []


def get(key: str, **extra: Any) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/claims/", **extra)


def test_after_the_limit_every_token_from_that_address_waits(
    token_client: Any, editor: Any
) -> None:
    from factcheck.tokens import token_create

    _, good = token_create(user=editor, name="cms", role="editor", by=None)
    assert get(good).status_code == 200
    assert [get(BAD_KEY).status_code for _ in range(3)] == [401, 401, 401]
    # Past the limit: a 429, before the key is even looked up, for a good key too.
    with CaptureQueriesContext(connection) as queries:
        refused = get(BAD_KEY)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 120
    assert not any("factcheck_apitoken" in q["sql"] for q in queries.captured_queries)
    assert get(good).status_code == 429
    # Another address is not affected.
    assert get(good, REMOTE_ADDR="203.0.113.50").status_code == 200


def test_keys_of_other_schemes_count_as_failures() -> None:
    for key in ("a" * 40, "Basic", BAD_KEY):  # a DRF-style key, garbage, a wrong fct_ key
        assert get(key).status_code == 401
    assert get(BAD_KEY).status_code == 429


def test_a_keyed_post_with_a_bad_token_is_one_failure() -> None:
    """The idempotency middleware authenticates before the view: still one failure each."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {BAD_KEY}")
    statuses = [
        client.post(
            "/api/v1/articles/",
            {"title": "t", "text": "x"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"k-{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 401]
    assert get(BAD_KEY).status_code == 429


def test_rotating_x_forwarded_for_does_not_reset_the_failure_count() -> None:
    statuses = [get(BAD_KEY, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.1.2.3"}
    statuses = [
        get(BAD_KEY, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7", **proxy).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert get(BAD_KEY, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 401


def test_rotating_x_forwarded_for_does_not_reset_the_anonymous_rate(
    settings: Any, published_claims: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100/min", "anon": "2/min", "bulk": "1/min"},
    }
    anon = APIClient()
    statuses = [
        anon.get("/api/v1/claimreviews/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    # Behind a trusted proxy, the forwarded address is the client.
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxied = {"REMOTE_ADDR": "10.0.0.9"}
    statuses = [
        anon.get(
            "/api/v1/claimreviews/", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7", **proxied
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert (
        anon.get("/api/v1/claimreviews/", HTTP_X_FORWARDED_FOR="203.0.113.8", **proxied).status_code
        == 200
    )


class _Req:
    def __init__(self, remote: str, xff: str | None = None) -> None:
        self.META = {"REMOTE_ADDR": remote}
        if xff is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = xff


@pytest.mark.parametrize(
    ("trusted", "remote", "xff", "expected"),
    [
        ([], "203.0.113.1", "198.51.100.1", "203.0.113.1"),
        (["10.0.0.0/8"], "203.0.113.1", "198.51.100.1", "203.0.113.1"),  # not from a proxy
        (["10.0.0.0/8"], "10.0.0.1", None, "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # Two proxies: skip every trusted hop from the right.
        (
            ["10.0.0.0/8", "172.16.0.0/12"],
            "10.0.0.1",
            "6.6.6.6, 198.51.100.1, 172.16.0.4",
            "198.51.100.1",
        ),
        (["10.0.0.0/8"], "10.0.0.1", "10.0.0.7, 10.0.0.8", "10.0.0.7"),  # all trusted
        (["10.0.0.0/8"], "10.0.0.1", "6.6.6.6, not-an-ip", "10.0.0.1"),  # garbage: the proxy
        (["10.0.0.0/8"], "10.0.0.1", "198.51.100.1:5555", "198.51.100.1"),
        (["2001:db8::/32"], "2001:db8::1", "[2001:db8:ffff::1]:443, 2001:db9::5", "2001:db9::5"),
        (["10.0.0.0/8"], "::ffff:10.0.0.1", "198.51.100.1", "198.51.100.1"),
    ],
)
def test_client_ip(
    settings: Any, trusted: list[str], remote: str, xff: str | None, expected: str
) -> None:
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_Req(remote, xff)) == expected


def test_axes_and_the_throttles_share_the_rule(settings: Any) -> None:
    from axes.helpers import get_client_ip_address

    from factcheck.throttling import TokenRateThrottle

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = _Req("10.0.0.1", "6.6.6.6, 198.51.100.1")
    assert get_client_ip_address(request) == "198.51.100.1"  # type: ignore[arg-type]
    assert TokenRateThrottle().get_ident(request) == "198.51.100.1"
