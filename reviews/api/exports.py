"""Data-set exports of published fact checks (streamed)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from factcheck.errors import DomainError
from factcheck.renderers import NDJSONRenderer
from reviews.exports import fever_lines

FEVER_LINE_SCHEMA = {
    "type": "string",
    "description": "One JSON object per line: `id`, `verifiable` (`VERIFIABLE` | `NOT "
    "VERIFIABLE`), `label` (`SUPPORTS` | `REFUTES` | `NOT ENOUGH INFO`), `claim`, `quote`, "
    "`claimant`, `verdict`, `rationale`, `published_at`, `article` {id, url, title, "
    "publisher}, `evidence` [{url, title, stance, archive_url, health}]. The last line is "
    '`{"end_of_export": true, "lines": N}`: an export without it was cut short.',
}


class FeverExportView(APIView):
    renderer_classes = (JSONRenderer, NDJSONRenderer)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Only claims published (or corrected) at or after this time.",
            )
        ],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                response=FEVER_LINE_SCHEMA, description="JSON Lines, streamed."
            ),
            400: OpenApiResponse(description="`since` is not an ISO 8601 date-time."),
        },
        description="Every published claim as a FEVER-style JSON line, as it is published "
        "(its live publication, also while it is reopened for a correction): the label mapped from "
        "the verdict (true/mostly_true: SUPPORTS; false/mostly_false: REFUTES; mixed/"
        "misleading/unproven: NOT ENOUGH INFO) with the evidence links. Oldest publication "
        "first.",
    )
    def get(self, request: Request) -> Any:
        raw = request.query_params.get("since")
        since = None
        if raw:
            try:
                since = parse_datetime(raw)
            except ValueError:
                since = None
            if since is None:
                raise DomainError("since must be an ISO 8601 date-time.", field="since")
            try:
                # In UTC: the database stores no offset beyond +-16 hours, nor years below 1.
                since = (
                    timezone.make_aware(since) if timezone.is_naive(since) else since
                ).astimezone(UTC)
            except (OverflowError, ValueError) as exc:
                raise DomainError("since is out of range.", field="since") from exc
        response = StreamingHttpResponse(
            fever_lines(since=since), content_type="application/x-ndjson; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="fever.jsonl"'
        return response
