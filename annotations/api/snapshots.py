"""The page as cited, for the desk: an evidence's snapshot, its WARC and what changed since.

Never public (desk roles only; the WARC for editors) and never served as the page's HTML on
this origin: the JSON carries the extracted text, the WARC is an attachment with a WARC media
type and `nosniff`, so a hostile page stored here can never run as this site (stored XSS).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors
from annotations.models import EvidenceSnapshot
from annotations.services.snapshots import latest_text
from annotations.textchange import compare, diff
from factcheck.errors import Forbidden, NotFound
from factcheck.roles import is_editor

ERRORS = {
    403: OpenApiResponse(description="Only editors download the WARC."),
    404: OpenApiResponse(description="No such evidence, or no snapshot of it yet."),
}


class SnapshotOutput(serializers.ModelSerializer):
    evidence = serializers.UUIDField(source="evidence_id", read_only=True, allow_null=True)

    class Meta:
        model = EvidenceSnapshot
        fields = (
            "id",
            "evidence",
            "url",
            "final_url",
            "status_code",
            "content_type",
            "captured_at",
            "sha256",
            "body_bytes",
            "truncated",
            "warc_bytes",
            "title",
            "text",
            "text_sha256",
            "problem",
            "message",
        )
        read_only_fields = fields


class ChangedValueOutput(serializers.Serializer):
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


class HunkOutput(serializers.Serializer):
    op = serializers.ChoiceField(choices=("equal", "delete", "insert", "replace"))
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)


class EvidenceDiffOutput(serializers.Serializer):
    cited_at = serializers.DateTimeField()
    latest_at = serializers.DateTimeField()
    changed = serializers.BooleanField()
    similarity = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.DictField())
    changed_numbers = ChangedValueOutput(many=True)
    changed_dates = ChangedValueOutput(many=True)
    hunks = HunkOutput(many=True)


def _snapshot_of(request: Request, pk: Any) -> EvidenceSnapshot:
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=pk)
    snapshot = EvidenceSnapshot.objects.filter(evidence=evidence).first()
    if snapshot is None:
        raise NotFound("This evidence has no snapshot yet (its page is captured by a worker).")
    return snapshot


class EvidenceSnapshotView(APIView):
    @extend_schema(responses={200: SnapshotOutput, **ERRORS})
    def get(self, request: Request, pk: Any) -> Response:
        return Response(SnapshotOutput(_snapshot_of(request, pk)).data)


class EvidenceSnapshotWarcView(APIView):
    @extend_schema(responses={(200, "application/warc"): OpenApiTypes.BINARY, **ERRORS})
    def get(self, request: Request, pk: Any) -> Any:
        snapshot = _snapshot_of(request, pk)
        if not is_editor(request.user):
            raise Forbidden("Only editors download the WARC of a snapshot.")
        response = FileResponse(
            snapshot.warc.open("rb"),
            as_attachment=True,
            filename=f"evidence-{pk}.warc.gz",
            content_type="application/warc",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


class EvidenceDiffView(APIView):
    @extend_schema(responses={200: EvidenceDiffOutput, **ERRORS})
    def get(self, request: Request, pk: Any) -> Response:
        snapshot = _snapshot_of(request, pk)
        latest = latest_text(link=snapshot.link)
        if latest is None or not snapshot.text:
            raise NotFound("There is no main text to compare (see the snapshot's message).")
        comparison = compare(snapshot.text, latest.text)
        return Response(
            {
                "cited_at": snapshot.captured_at,
                "latest_at": latest.last_seen_at,
                "changed": comparison.changed,
                "similarity": comparison.similarity,
                "reasons": [{"code": r.code, "message": r.message} for r in comparison.reasons],
                **diff(snapshot.text, latest.text),
            }
        )
