"""POST /api/v1/articles/bulk/: many articles in one request, answered item by item.

Each article is validated on its own and stored by
`annotations.services.articles.articles_submit_many` in its own transaction: one bad item
never takes the good ones down with it, and a retried upload (best with an Idempotency-Key)
finds the stored ones "unchanged".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.serializers import ArticleCreateInput
from annotations.services import articles
from factcheck.errors import DomainError
from factcheck.parsers import JSONParser, LineError, NDJSONParser
from factcheck.roles import EDITOR, REVIEWER, SUBMITTER

STATUSES = ("created", "unchanged", "revised", "error")


class BulkItemOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the upload (from 0).")
    status = serializers.ChoiceField(
        choices=STATUSES,
        help_text="`created`; `unchanged` (same URL or same text as a stored article); "
        "`revised` (same URL, new text: a new revision); `error` (nothing stored).",
    )
    id = serializers.UUIDField(required=False, help_text="The article (unless `error`).")
    url = serializers.CharField(required=False, allow_null=True)
    current_revision = serializers.IntegerField(required=False)
    fetch_state = serializers.CharField(
        required=False, help_text="`fetching` for an item sent by URL alone: a worker fetches it."
    )

    def get_fields(self) -> dict[str, Any]:
        # A field named `errors` declared on the class would shadow Serializer.errors.
        return {
            **super().get_fields(),
            "errors": serializers.DictField(
                required=False,
                help_text="For `error`: the same shape as a single submit's 400 body.",
            ),
        }


class BulkCountsOutput(serializers.Serializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    revised = serializers.IntegerField()
    error = serializers.IntegerField()


class BulkOutput(serializers.Serializer):
    counts = BulkCountsOutput()
    results = BulkItemOutput(many=True)


def _stored(index: int, outcome: articles.SubmitOutcome) -> dict[str, Any]:
    article = outcome.article
    return {
        "index": index,
        "status": outcome.status,
        "id": str(article.pk),
        "url": article.url,
        "current_revision": article.current_revision,
        "fetch_state": article.fetch_state,
    }


def _error(index: int, errors: Any) -> dict[str, Any]:
    return {"index": index, "status": "error", "errors": errors}


def bulk_run(*, items: list[Any], by: Any) -> list[dict[str, Any]]:
    """Validate every item here (one ArticleCreateInput for all: building a serializer's
    fields costs more than validating an article), then store the valid ones with
    `articles.articles_submit_many`; one result per item, in order."""
    shape = ArticleCreateInput()
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        if isinstance(item, LineError):
            results.append(_error(index, {"non_field_errors": [item.message], "line": item.line}))
            continue
        try:
            validated = shape.run_validation(item)
        except serializers.ValidationError as exc:
            results.append(_error(index, serializers.as_serializer_error(exc)))
            continue
        valid.append((index, validated))
    stored = articles.articles_submit_many(by=by, items=[item for _, item in valid])
    for (index, _), outcome in zip(valid, stored, strict=True):
        if isinstance(outcome, articles.SubmitRefused):
            results.append(_error(index, outcome.errors))
        else:
            results.append(_stored(index, outcome))
    return sorted(results, key=lambda r: r["index"])


class ArticleBulkView(APIView):
    write_roles = (SUBMITTER, REVIEWER, EDITOR)
    parser_classes = (JSONParser, NDJSONParser)
    throttle_scope = "bulk"

    @extend_schema(
        request={
            "application/json": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ArticleCreateInputRequest"},
                "minItems": 1,
                "maxItems": 500,
            },
            "application/x-ndjson": {"$ref": "#/components/schemas/ArticleCreateInputRequest"},
        },
        responses={
            200: BulkOutput,
            400: OpenApiResponse(
                description="Not a list, empty, or more than 500 items (nothing stored)."
            ),
        },
        examples=[
            OpenApiExample(
                "Two articles",
                value=[
                    {"url": "https://example.org/a", "title": "A", "text": "One."},
                    {"title": "B", "html": "<p>Two.</p>"},
                ],
                request_only=True,
            )
        ],
        description="Submit up to 500 articles as a JSON array, or as NDJSON "
        "(`application/x-ndjson`, one article object per line). Each is validated and stored "
        "on its own (one transaction per article); the answer is always 200 with one result "
        "per item, in order: `created`, `unchanged` (same canonical URL with the same text, "
        "or no URL and the text of a stored article), `revised` (same URL, new text: a new "
        "revision, claims re-anchored) or `error` with the messages a single submit would "
        "give. Send an Idempotency-Key to make a retried upload safe.",
    )
    def post(self, request: Request) -> Response:
        items = request.data
        limit = settings.API_BULK_MAX_ITEMS
        if not isinstance(items, list):
            raise DomainError(
                "Send a JSON array of articles, or NDJSON with one article per line.",
                field="non_field_errors",
            )
        if not items:
            raise DomainError("The upload holds no article.", field="non_field_errors")
        if len(items) > limit:
            raise DomainError(
                f"At most {limit} articles per request ({len(items)} sent); split the upload.",
                field="non_field_errors",
                code="too_many_items",
            )
        results = bulk_run(items=items, by=request.user)
        counts = dict.fromkeys(STATUSES, 0)
        for result in results:
            counts[result["status"]] += 1
        return Response({"counts": counts, "results": results})
