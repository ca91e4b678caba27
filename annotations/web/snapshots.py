"""The desk's view of evidence as it was cited: what changed since, and the page as cited.

Both are desk pages (signed in, with a role; `desk_view`), never public. The page as cited
shows the snapshot's extracted main text, autoescaped, paragraph by paragraph: the captured
HTML is never rendered on this origin (a hostile page would run as this site). Editors
download the WARC from the API (`GET /api/v1/evidence/{id}/snapshot.warc`, session auth
works there), which serves it as an attachment with `nosniff` and a sandboxing CSP.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotations import selectors
from annotations.models import Evidence, EvidenceSnapshot
from annotations.services.snapshots import latest_text
from annotations.textchange import compare, diff
from annotations.web.views import _is_htmx, _reader_url, desk_view
from factcheck.roles import is_editor

NOT_CAPTURED = (
    "This page has not been captured yet: a worker keeps a copy of it after the evidence "
    "is attached, on the first successful fetch."
)
NO_TEXT = "There is no main text to compare."
LISTED_APART = frozenset({"number_changed", "date_changed"})


def _snapshot(evidence: Evidence) -> EvidenceSnapshot | None:
    return EvidenceSnapshot.objects.filter(evidence=evidence).first()


def _changes(evidence: Evidence) -> dict[str, Any]:
    """What the template of "What changed" reads: the changed numbers and dates, the reasons,
    the word hunks; or `problem`, when there is nothing to compare."""
    snapshot = _snapshot(evidence)
    if snapshot is None:
        return {"problem": NOT_CAPTURED}
    latest = latest_text(link=evidence.link)
    if latest is None or not snapshot.text:
        return {"snapshot": snapshot, "problem": snapshot.message or NO_TEXT}
    comparison = compare(snapshot.text, latest.text)
    words = diff(snapshot.text, latest.text, comparison=comparison)
    return {
        "snapshot": snapshot,
        "latest": latest,
        "changed": comparison.changed,
        "similarity": comparison.similarity,
        # Numbers and dates are listed on their own, first; the other reasons say the rest.
        "reasons": [r for r in comparison.reasons if r.code not in LISTED_APART],
        "changed_numbers": words["changed_numbers"],
        "changed_dates": words["changed_dates"],
        "hunks": words["hunks"],
        "identical": all(h["op"] == "equal" for h in words["hunks"]),
    }


@require_GET
@desk_view
def evidence_changes(request: HttpRequest, evidence_id: UUID) -> HttpResponse:
    """The word-level difference between the page as cited and its latest text: a fragment
    for the "What changed" disclosure (htmx), or a page of its own without JavaScript."""
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    context = {
        "ev": evidence,
        "reader_url": _reader_url(evidence.claim.article_id, evidence.claim_id),
        **_changes(evidence),
    }
    if _is_htmx(request):
        return render(request, "annotations/_what_changed_diff.html", context)
    return render(request, "annotations/what_changed.html", context)


def _web_url(url: str) -> str:
    """`url` when a browser may open it as a link (http or https), else ''."""
    return url if url.lower().startswith(("http://", "https://")) else ""


@require_GET
@desk_view
def evidence_snapshot(request: HttpRequest, evidence_id: UUID) -> HttpResponse:
    """The page as cited, as text: title, addresses, capture time, SHA-256 and main text."""
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    snapshot = _snapshot(evidence)
    text = snapshot.text if snapshot is not None else ""
    response = render(
        request,
        "annotations/snapshot.html",
        {
            "ev": evidence,
            "snapshot": snapshot,
            "paragraphs": [p for p in (line.strip() for line in text.splitlines()) if p],
            "final_url_link": _web_url(snapshot.final_url) if snapshot is not None else "",
            "reader_url": _reader_url(evidence.claim.article_id, evidence.claim_id),
            "may_download": snapshot is not None and is_editor(request.user),
            "not_captured": NOT_CAPTURED,
        },
    )
    # A copy of someone else's page: kept out of shared caches and search engines.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
