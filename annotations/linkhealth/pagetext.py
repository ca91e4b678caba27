"""Change detection by main text: evidence with a snapshot is compared as a reader would.

Evidence whose page was captured with its main text (`annotations.snapshots`) is `changed` when
`annotations.textchange.compare` says the main text now differs materially from the text as
cited: a number, a date, a negation, a name, a paragraph added or removed, a correction note.
The SimHash fingerprint still decides for evidence without such a snapshot (pages captured
before snapshots existed, or whose text could not be extracted).

A check's page is read only for links that have such snapshots, outside the recording
transaction (`page_texts_extract`, called by the batch before recording); recording then stores
a new text version only when the text changed (`page_text_record`) and compares each cited text
with it once per new version.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings

from annotations import signals
from annotations.extraction import Extraction, extract
from annotations.models import Evidence, EvidenceSnapshot
from annotations.services.snapshots import page_text_record
from annotations.textchange import compare
from factcheck.egress.fetcher import FetchResult


def snapshot_links(link_ids: list[int]) -> set[int]:
    """Of these links, those with a captured main text of live evidence."""
    return set(
        EvidenceSnapshot.objects.filter(link_id__in=link_ids, evidence__isnull=False)
        .exclude(text="")
        .values_list("link_id", flat=True)
    )


def readable(result: FetchResult) -> bool:
    """Whether a check's answer holds the whole page (a body cut at the cap is not compared:
    its missing end would read as removed paragraphs)."""
    return (
        result.status_code == 200
        and bool(result.body)
        and len(result.body) < settings.LINKCHECK_MAX_BODY_BYTES
    )


def page_text_extract(result: FetchResult) -> Extraction:
    return extract(
        result.body,
        url=result.final_url or result.url,
        content_type=result.headers.get("content-type", ""),
    )


def evidence_compare_texts(pages: dict[int, Extraction], *, now: datetime) -> None:
    """Record each link's text now and decide its text-snapshotted evidence's `changed`.

    Call inside the recording transaction; `pages` maps link id -> the page's extraction.
    """
    usable = {lid: page for lid, page in pages.items() if page.text and not page.problem}
    if not usable:
        return
    cited: dict[int, list[tuple[Any, Any, str, bool]]] = defaultdict(list)
    rows = EvidenceSnapshot.objects.filter(link_id__in=list(usable), evidence__isnull=False)
    for evidence_id, claim_id, link_id, text, changed in rows.exclude(text="").values_list(
        "evidence_id", "evidence__claim_id", "link_id", "text", "evidence__changed"
    ):
        cited[link_id].append((evidence_id, claim_id, text, changed))
    newly_changed: dict[Any, str] = {}
    for link_id, page in usable.items():
        if not page_text_record(link_id=link_id, title=page.title, text=page.text, when=now):
            continue  # the text is the one last seen: each evidence was decided against it
        for evidence_id, claim_id, text, was_changed in cited.get(link_id, ()):
            comparison = compare(text, page.text)
            if comparison.changed == was_changed:
                continue
            # A queryset update, not save(): Evidence keeps history, and a check is no edit.
            Evidence.objects.filter(pk=evidence_id).update(changed=comparison.changed)
            if comparison.changed:
                first = comparison.reasons[0].message if comparison.reasons else "text changed"
                newly_changed.setdefault(claim_id, f"evidence page changed: {first}")
    if newly_changed:
        signals.evidence_page_changed.send(sender=Evidence, claims=newly_changed)
