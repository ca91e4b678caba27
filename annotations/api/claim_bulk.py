"""POST /api/v1/claims/bulk/: one action on many claims, answered claim by claim
(`reviews.bulk.claims_bulk`: each claim through the service that acts on one)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factcheck.roles import EDITOR, REVIEWER
from factcheck.serializers import StrictInput
from reviews.bulk import ACTIONS, claims_bulk
from reviews.models import PRIORITY_BY_NAME


class ClaimBulkInput(StrictInput):
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        allow_empty=False,
        max_length=1000,
        help_text="The claims (at most CLAIM_BULK_MAX_IDS, 200 by default; repeats count once).",
    )
    action = serializers.ChoiceField(choices=ACTIONS)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="For `assign`: the reviewer's username.",
    )
    tag = serializers.CharField(
        max_length=50, required=False, help_text="For `tag` and `untag`: one tag."
    )
    note = serializers.CharField(
        max_length=5_000, required=False, help_text="For `mark_not_checkable` (required)."
    )
    priority = serializers.ChoiceField(
        choices=list(PRIORITY_BY_NAME), required=False, help_text="For `set_priority`."
    )
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="For `set_due`; null clears the deadline."
    )


class ClaimBulkItemOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=("updated", "unchanged", "error"),
        help_text="`updated`; `unchanged` (nothing to do); `error` (nothing changed).",
    )
    code = serializers.CharField(required=False, help_text="For `error`: as a single request's.")
    message = serializers.CharField(required=False)
    status_code = serializers.IntegerField(
        required=False, help_text="For `error`: the status the same request alone would get."
    )


class ClaimBulkCountsOutput(serializers.Serializer):
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class ClaimBulkOutput(serializers.Serializer):
    counts = ClaimBulkCountsOutput()
    results = ClaimBulkItemOutput(many=True)


def bulk_answer(results: list[Any]) -> dict[str, Any]:
    counts = dict.fromkeys(("updated", "unchanged", "error"), 0)
    for result in results:
        counts[result.status] += 1
    return {"counts": counts, "results": [r.as_dict() for r in results]}


class ClaimBulkView(APIView):
    write_roles = (REVIEWER, EDITOR)
    throttle_scope = "bulk"

    @extend_schema(
        request=ClaimBulkInput,
        responses={
            200: ClaimBulkOutput,
            400: OpenApiResponse(
                description="An unknown action, what it needs missing, no ids, or too many "
                "(nothing done)."
            ),
        },
        examples=[
            OpenApiExample(
                "Assign two claims",
                value={
                    "ids": [
                        "0b7f3c1e-9a53-4c43-9f5e-3f1c2f0a9d11",
                        "5d2e8a40-71c4-4e5b-8d0a-96b1e7f3c2a4",
                    ],
                    "action": "assign",
                    "assignee": "demo-reviewer",
                },
                request_only=True,
            )
        ],
        description="One action on many claims: `assign` (`assignee`), `tag` / `untag` "
        "(`tag`), `mark_not_checkable` (`note`), `set_priority` (`priority`), `set_due` "
        "(`due_at`, null clears). Each claim goes through the same service, permissions and "
        "checks as one request for it alone, in a transaction of its own; the answer is always "
        "200 with one result per claim, in order: `updated`, `unchanged` or `error` (with the "
        "code, message and status that request would have had; that claim is unchanged).",
    )
    def post(self, request: Request) -> Response:
        data = ClaimBulkInput(data=request.data)
        data.is_valid(raise_exception=True)
        results = claims_bulk(by=request.user, **data.validated_data)
        return Response(bulk_answer(results))
