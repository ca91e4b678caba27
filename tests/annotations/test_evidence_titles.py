"""Evidence without a typed title is shown by the page's own: from its snapshot or first check."""

from __future__ import annotations

from typing import Any

import pytest

from annotations.linkhealth import batches
from annotations.models import Evidence
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach

pytestmark = pytest.mark.django_db

PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Troops in Kursk | Wire</title>"
    "</head><body><main><article><h1>Troops in Kursk</h1>"
    + "<p>North Korean troops were sent to the Kursk region, officials said on Monday.</p>" * 8
    + "</article></main></body></html>"
)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_the_snapshot_gives_an_untitled_evidence_its_page_title(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    url = local_site.page("/kursk", PAGE, **HTML)
    evidence = evidence_attach(claim=claim, by=reviewer, url=url, stance="supports")
    history = Evidence.history.filter(id=evidence.pk).count()
    snapshots.evidence_capture(evidence_id=evidence.pk)
    evidence.refresh_from_db()
    assert evidence.title == "Troops in Kursk | Wire"
    # The machine filling a blank is no edit of the desk's.
    assert Evidence.history.filter(id=evidence.pk).count() == history


def test_a_typed_title_is_never_replaced(local_site: Any, claim: Any, reviewer: Any) -> None:
    url = local_site.page("/kursk", PAGE, **HTML)
    evidence = evidence_attach(
        claim=claim, by=reviewer, url=url, stance="supports", title="Wire report"
    )
    snapshots.evidence_capture(evidence_id=evidence.pk)
    batches.links_check_batch(link_ids=[evidence.link_id], attempt_prefix="t", shared=False)
    evidence.refresh_from_db()
    assert evidence.title == "Wire report"


def test_the_first_check_titles_untitled_evidence(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    url = local_site.page("/kursk", PAGE, **HTML)
    evidence = evidence_attach(claim=claim, by=reviewer, url=url, stance="supports")
    batches.links_check_batch(link_ids=[evidence.link_id], attempt_prefix="t", shared=False)
    evidence.refresh_from_db()
    assert evidence.link.health == "ok"
    assert evidence.title == "Troops in Kursk | Wire"
