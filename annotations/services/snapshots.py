"""Writes of evidence snapshots: the page as cited, and the versions of its main text.

`evidence_capture` runs in a worker (`annotations.tasks.capture_evidence`), enqueued when
evidence is attached: it fetches the page through the egress layer (the guard on every hop,
the allow-list, timeouts, a body cap), builds the WARC and the main text
(`annotations.snapshots`), stores the file through the `snapshots` storage and records the
snapshot and the first text version of the link's page, and asks the archive-now service (when
configured) for a copy. `page_text_record` stores a new text
version only when the main text changed (its hash), so storage grows with changes, not checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.linkhealth.archive import evidence_request_archive_now
from annotations.models import Evidence, EvidenceSnapshot, Link, PageText
from annotations.snapshots import Capture, capture_build, text_hash
from factcheck.broker import enqueue_on_commit
from factcheck.db import column_max_length
from factcheck.egress.config import egress_policy, snapshot_fetch_config
from factcheck.egress.fetcher import FetchResult, fetch_sync


class CaptureNotYet(Exception):
    """The page could not be fetched now (error, or an HTTP error status): try again later."""


class CaptureRefused(Exception):
    """The egress guard refuses this URL (unsafe, outside the allow-list, not a URL): a retry
    would be refused the same way."""


# Fetch failures that no retry changes.
_PERMANENT = frozenset({"unsafe", "invalid_url"})


def evidence_request_capture(*, evidence_id: Any) -> None:
    """Capture this evidence's page once the transaction that attached it commits."""
    from annotations.tasks import capture_evidence

    enqueue_on_commit(capture_evidence, str(evidence_id))


def evidence_capture(
    *, evidence_id: Any, fetched: FetchResult | None = None
) -> EvidenceSnapshot | None:
    """Capture the page of this evidence (once; a second call returns the first snapshot).

    Raises CaptureNotYet when the page cannot be fetched now, or answers with an error status:
    the snapshot is of the page as it was cited, so a failure is retried, never stored as it.
    Returns None when the evidence is gone.
    """
    evidence = Evidence.objects.select_related("link").filter(pk=evidence_id).first()
    if evidence is None:
        return None
    existing = EvidenceSnapshot.objects.filter(evidence_id=evidence.pk).first()
    if existing is not None:
        return existing
    config = snapshot_fetch_config()
    result = fetched or fetch_sync(
        evidence.link.url, policy=egress_policy(), config=config, want_body=True
    )
    if result.error_class in _PERMANENT:
        raise CaptureRefused(result.error_message or result.error_class)
    if not result.ok:
        raise CaptureNotYet(result.error_message or result.error_class or "no response")
    if result.status_code is None or result.status_code >= 400:
        raise CaptureNotYet(f"HTTP {result.status_code}")
    capture = capture_build(result, user_agent=config.user_agent, max_bytes=config.max_body_bytes)
    return _store(evidence, capture)


def _store(evidence: Evidence, capture: Capture) -> EvidenceSnapshot:
    now = timezone.now()
    snapshot = EvidenceSnapshot(
        evidence=evidence,
        link_id=evidence.link_id,
        url=capture.url[:4096],
        final_url=capture.final_url[:4096],
        status_code=capture.status_code,
        content_type=capture.content_type,
        captured_at=now,
        sha256=capture.sha256,
        body_bytes=capture.body_bytes,
        truncated=capture.truncated,
        warc_bytes=len(capture.warc),
        title=capture.title,
        text=capture.text,
        text_sha256=capture.text_sha256,
        problem=capture.problem,
        message=capture.message,
    )
    # The file first (its name goes in the row); removed again if the row is not written.
    snapshot.warc.save(f"{snapshot.pk}.warc.gz", ContentFile(capture.warc), save=False)
    try:
        with transaction.atomic():
            if not Evidence.objects.select_for_update().filter(pk=evidence.pk).exists():
                raise Evidence.DoesNotExist
            snapshot.save()
            # Evidence cited without a typed title is shown by the page's own.
            evidence_title_fill(titles={evidence.pk: capture.title})
            # A fresh archived copy beside the desk's own (off unless ARCHIVE_NOW_URL is set).
            evidence_request_archive_now(evidence_id=evidence.pk)
            if capture.text:
                page_text_record(
                    link_id=evidence.link_id, title=capture.title, text=capture.text, when=now
                )
    except (IntegrityError, Evidence.DoesNotExist):
        snapshot.warc.delete(save=False)
        # Another capture of the same evidence won the race (OneToOne), or it was removed.
        won = EvidenceSnapshot.objects.filter(evidence_id=evidence.pk).first()
        if won is None:
            raise
        return won
    return snapshot


def evidence_title_fill(*, titles: dict[Any, str], by_link: bool = False) -> int:
    """Give evidence without a typed title the page's title: `titles` maps evidence ids (or
    link ids, `by_link`) to the title a capture or a check read. A title someone typed is never
    replaced. A queryset update: the machine filling a blank is no edit in the history.
    Returns how many rows got one."""
    filled = 0
    for key, title in titles.items():
        title = " ".join((title or "").split())[: column_max_length(Evidence, "title")]
        if not title:
            continue
        rows = Evidence.objects.filter(title="")
        rows = rows.filter(link_id=key) if by_link else rows.filter(pk=key)
        filled += rows.update(title=title)
    return filled


def page_text_record(*, link_id: int, title: str, text: str, when: datetime) -> bool:
    """Note the page's main text as seen `when`. A version is stored once per distinct text
    (a page that goes back to an earlier text is seen again in that version). Returns whether
    the text differs from the one last seen."""
    digest = text_hash(text)
    latest = PageText.objects.filter(link_id=link_id).order_by("-last_seen_at", "-id").first()
    if latest is not None and latest.sha256 == digest:
        PageText.objects.filter(pk=latest.pk).update(last_seen_at=when)
        return False
    PageText.objects.update_or_create(
        link_id=link_id,
        sha256=digest,
        defaults={"last_seen_at": when},
        create_defaults={
            "title": title[:500],
            "text": text,
            "first_seen_at": when,
            "last_seen_at": when,
        },
    )
    return True


@dataclass
class SnapshotPruneOutcome:
    deleted: int = 0
    batches: int = 0


def snapshots_prune_removed(
    *,
    now: datetime | None = None,
    keep_days: int | None = None,
    batch: int | None = None,
    max_batches: int | None = None,
) -> SnapshotPruneOutcome:
    """Delete snapshots (rows and files) of evidence removed more than `keep_days`
    (EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS) ago, `batch` (EVIDENCE_SNAPSHOT_PRUNE_BATCH) rows per
    transaction, until none is left or after `max_batches`. Safe to run twice at once: a
    batch skips the rows another run holds."""
    days = settings.EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS if keep_days is None else keep_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    size = batch or settings.EVIDENCE_SNAPSHOT_PRUNE_BATCH
    outcome = SnapshotPruneOutcome()
    while max_batches is None or outcome.batches < max_batches:
        with transaction.atomic():
            rows = list(
                EvidenceSnapshot.objects.select_for_update(skip_locked=True)
                .filter(evidence__isnull=True, evidence_removed_at__lt=cutoff)
                .order_by("evidence_removed_at", "pk")
                .only("pk", "warc")[:size]
            )
            if not rows:
                break
            EvidenceSnapshot.objects.filter(pk__in=[row.pk for row in rows]).delete()
        # The files once their rows are gone: a failure in between leaves a file without a
        # row, never a row without its file.
        for row in rows:
            if row.warc.name:
                row.warc.storage.delete(row.warc.name)
        outcome.batches += 1
        outcome.deleted += len(rows)
    return outcome


def snapshot_mark_removed(*, evidence_id: Any) -> None:
    """Called when evidence is deleted: its snapshot stays, dated, for the retention period."""
    EvidenceSnapshot.objects.filter(evidence_id=evidence_id).update(
        evidence_removed_at=timezone.now()
    )


def latest_text(*, link: Link) -> PageText | None:
    return PageText.objects.filter(link=link).order_by("-last_seen_at", "-id").first()
