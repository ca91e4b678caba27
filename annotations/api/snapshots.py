"""The page as cited, for the desk: an evidence's snapshot, its WARC and what changed since.

Never public (desk roles only; the WARC and a claim's WACZ package for editors) and never served as the page's HTML on
this origin: the JSON carries the extracted text, the WARC is an attachment with a WARC media
type and `nosniff`, so a hostile page stored here can never run as this site (stored XSS).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from django.http import FileResponse
from django.utils import timezone
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
from annotations.wacz import WaczPage, wacz_write
from factcheck.errors import Forbidden, NotFound
from factcheck.roles import is_editor

ERRORS = {
    403: OpenApiResponse(description="Only editors download the WARC (and the WACZ)."),
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


def _attachment(stream: Any, filename: str, content_type: str) -> FileResponse:
    """A download that a browser never renders as this site's page (see the module)."""
    response = FileResponse(
        stream, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


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
        return _attachment(snapshot.warc.open("rb"), f"evidence-{pk}.warc.gz", "application/warc")


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
                **diff(snapshot.text, latest.text, comparison=comparison),
            }
        )


def _wacz_pages(snapshots: Any) -> Iterator[WaczPage]:
    for snapshot in snapshots:
        with snapshot.warc.open("rb") as stream:
            warc = stream.read()
        yield WaczPage(
            url=snapshot.final_url or snapshot.url,
            cited_url=snapshot.evidence.url if snapshot.evidence else snapshot.url,
            captured_at=snapshot.captured_at,
            title=snapshot.title,
            text=snapshot.text,
            warc=warc,
        )


class ClaimEvidenceWaczView(APIView):
    """The claim's evidence snapshots as one WACZ package (annotations.wacz), for editors, like
    the WARC of one snapshot. Evidence not captured yet is left out; none captured is a 404."""

    @extend_schema(
        responses={
            (200, "application/wacz"): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="Only editors download the WACZ."),
            404: OpenApiResponse(description="No such claim, or none of its evidence captured."),
        }
    )
    def get(self, request: Request, pk: Any) -> Any:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        if not is_editor(request.user):
            raise Forbidden("Only editors download the WACZ of a claim's evidence.")
        snapshots = selectors.snapshot_list_of_claim(claim=claim)
        if not snapshots.exists():
            raise NotFound("None of this claim's evidence has a snapshot yet.")
        # Spooled: a claim's few snapshots stay in memory, a large set goes to a temporary file.
        out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        wacz_write(
            out,
            _wacz_pages(snapshots.iterator(chunk_size=20)),
            title=f"Evidence of claim {claim.pk}",
            software="factcheck",
            now=timezone.now(),
        )
        out.seek(0)
        return _attachment(out, f"claim-{pk}-evidence.wacz", "application/wacz")
