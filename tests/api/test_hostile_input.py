"""Hostile request bodies: deep nesting, oversized uploads. Always a 4xx, nothing stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig
from rest_framework.test import APIClient

from annotations.models import Article, ArticleRevision, Claim, Evidence, Link
from annotations.services.evidence import evidence_attach
from factcheck.models import ApiToken
from factcheck.parsers import JSONTooDeep, NDJSONParser, json_depth_check
from reviews.models import Review, WebhookSubscription
from reviews.webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

DEEP_ARRAYS = "[" * 1000 + "]" * 1000
DEEP_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000


def stored() -> dict[str, Any]:
    """Everything a write could have touched."""
    return {
        "articles": Article.objects.count(),
        "revisions": ArticleRevision.objects.count(),
        "claims": list(Claim.objects.values_list("pk", "version", "summary", "claimant")),
        "evidence": Evidence.objects.count(),
        "links": Link.objects.count(),
        "reviews": list(Review.objects.values_list("pk", "version", "state")),
        "webhooks": list(WebhookSubscription.objects.values_list("pk", "url", "events")),
        "tokens": ApiToken.objects.count(),
    }


def json_endpoints() -> list[tuple[str, str]]:
    """(method, path template) of every API operation that takes a JSON body, read from the
    OpenAPI schema: an endpoint added later is covered without touching this test."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                found.append((method, path))
    return found


@pytest.fixture
def superuser_client(admin_user: Any) -> APIClient:
    # A session (tokens are managed from a session) of a user every role check lets through,
    # so each view gets as far as reading its body.
    client = APIClient()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_deep_nesting_is_a_400_on_every_json_endpoint(
    superuser_client: APIClient, admin_user: Any, claim: Any, body: str
) -> None:
    assert len(body) < 8000
    webhook = webhook_create(
        owner=admin_user, url="https://hooks.example.org/in", events=["claim.published"]
    )
    evidence = evidence_attach(
        claim=claim, by=admin_user, url="https://example.org/source", stance="supports"
    )
    ids = {
        "articles": claim.article_id,
        "claims": claim.pk,
        "evidence": evidence.pk,
        "webhooks": webhook.pk,
    }
    endpoints = json_endpoints()
    assert len(endpoints) >= 9, endpoints
    before = stored()
    for method, template in endpoints:
        collection = template.split("/")[3]
        path = template.replace("{id}", str(ids[collection])) if "{id}" in template else template
        assert "{" not in path, f"no object for {template}: add one above"
        response = getattr(superuser_client, method)(
            path,
            data=body,
            content_type="application/json",
            HTTP_IF_MATCH=claim.review.etag,
        )
        assert response.status_code == 400, (method, path, response.content[:300])
        assert response.json()["code"] == "too_deep", (method, path)
        assert "nested deeper than 64 levels" in response.json()["detail"], (method, path)
    assert stored() == before


def test_nesting_up_to_the_limit_parses_and_strings_do_not_count(settings: Any) -> None:
    settings.JSON_MAX_DEPTH = 5
    json_depth_check("[[[[[1]]]]]")
    json_depth_check('["[[[[[[[[[[", {"a": "{{{{{{{{{{\\"[[[[[["}]')
    with pytest.raises(JSONTooDeep):
        json_depth_check("[[[[[[1]]]]]]")
    with pytest.raises(JSONTooDeep):
        json_depth_check('[{"a": [{"b": [{"c": 1}]}]}]')
    # An escaped backslash ends its string: the brackets after it are structure.
    with pytest.raises(JSONTooDeep):
        json_depth_check(r'["a\\", [[[[[1]]]]]]')
    json_depth_check(r'["a\\", [[[[1]]]]]')


def test_the_depth_limit_is_a_setting(client_for: Any, submitter: Any, settings: Any) -> None:
    settings.JSON_MAX_DEPTH = 2
    response = client_for(submitter).post(
        "/api/v1/articles/",
        data='{"title": "T", "text": "Some text.", "tags": [[1]]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "JSON parse error - JSON nested deeper than 2 levels is not accepted."
    )
    assert not Article.objects.exists()


def test_a_deep_ndjson_line_is_an_error_for_that_line_only(client_for: Any, submitter: Any) -> None:
    lines = ['{"title": "A", "text": "First article."}', DEEP_ARRAYS, DEEP_OBJECTS]
    response = client_for(submitter).post(
        "/api/v1/articles/bulk/", "\n".join(lines), content_type="application/x-ndjson"
    )
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error"]
    assert "nested deeper than 64 levels" in results[1]["errors"]["non_field_errors"][0]
    assert results[2]["errors"]["line"] == 3
    assert Article.objects.count() == 1


def _ndjson(size: int) -> bytes:
    """NDJSON of articles, exactly `size` bytes long (the last line may be cut short)."""
    line = b'{"title": "T", "text": "Text number %06d."}\n'
    return b"".join(line % i for i in range(size // len(line % 0) + 1))[:size]


def test_an_ndjson_body_over_the_upload_limit_is_a_413(
    client_for: Any, submitter: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = client_for(submitter)
    body = _ndjson(2001)
    assert len(body) == 2001
    response = client.post("/api/v1/articles/bulk/", body, content_type="application/x-ndjson")
    assert response.status_code == 413, response.content[:300]
    assert response.json()["code"] == "too_large"
    assert "2,000 bytes" in response.json()["detail"]
    assert not Article.objects.exists()
    # The same upload as a JSON array is refused the same way.
    response = client.post(
        "/api/v1/articles/bulk/",
        "[" + ",".join(['{"title": "T", "text": "Text."}'] * 100) + "]",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert not Article.objects.exists()
    # Just under the limit it is stored.
    response = client.post(
        "/api/v1/articles/bulk/", _ndjson(1999), content_type="application/x-ndjson"
    )
    assert response.status_code == 200
    assert Article.objects.exists()


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client_for: Any, submitter: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = client_for(submitter).generic(
        "POST",
        "/api/v1/articles/bulk/",
        _ndjson(500),
        content_type="application/x-ndjson",
        CONTENT_LENGTH="5000000",
    )
    assert response.status_code == 413
    assert not Article.objects.exists()


class _Request:
    META: dict[str, str] = {}  # no Content-Length (chunked upload)


def test_without_a_content_length_the_parser_reads_one_byte_past_the_limit(
    settings: Any,
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stream = io.BytesIO(_ndjson(50_000))
    with pytest.raises(RequestDataTooBig):
        NDJSONParser().parse(stream, parser_context={"request": _Request()})
    assert stream.tell() == 1001  # never the whole body


@pytest.mark.parametrize(
    "if_match",
    ['"' + "9" * 5000 + '"', "9" * 5000, 'W/"' + "1" * 30 + '"', '"-1"', '"1e3"'],
    ids=["5000-digits-quoted", "5000-digits", "30-digits-weak", "negative", "exponent"],
)
def test_an_absurd_if_match_on_a_review_transition_is_a_412(
    client_for: Any, reviewer: Any, claim: Any, if_match: str
) -> None:
    client = client_for(reviewer)
    before = stored()
    response = client.post(
        f"/api/v1/claims/{claim.pk}/review/transitions/",
        {"action": "take"},
        format="json",
        HTTP_IF_MATCH=if_match,
    )
    assert response.status_code == 412, response.content[:300]
    assert response.json()["code"] == "precondition_failed"
    assert len(response.json()["detail"]) < 200  # the header is not echoed whole
    assert stored() == before
