"""Recording checks: a check's row, the link's new health and next check, the evidence it
changes, and the announcements (`annotations.signals`) of stale or changed evidence.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotations import signals
from annotations.extraction import Extraction
from annotations.linkhealth import pagetext
from annotations.linkhealth.archive import evidence_request_archive
from annotations.linkhealth.classify import Classification
from annotations.linkhealth.fingerprint import fingerprint_changed, page_fingerprint
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.retention import check_days_add
from annotations.linkhealth.staleness import evidence_staleness_refresh
from annotations.models import STALE_HEALTHS, Evidence, Link, LinkCheck
from annotations.services.snapshots import evidence_title_fill
from factcheck.db import rows_update
from factcheck.egress.fetcher import FetchResult
from factcheck.urlmask import mask_url_secrets

OK_HEALTHS = (LinkHealth.OK, LinkHealth.REDIRECTED)


def _clean(text: str | None, limit: int) -> str:
    """Text from the remote side, fit for a varchar: no NUL, no lone surrogates, capped."""
    if not text:
        return ""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


@dataclass
class CheckEntry:
    """One fetched and classified link, to be recorded under its attempt key."""

    link_id: int
    result: FetchResult
    verdict: Classification
    attempt_key: str
    fingerprint: str | None = None  # computed on demand when None
    # The page's main text, for links with text snapshots (pagetext); read on demand when None.
    page: Extraction | None = None


def check_fingerprint(result: FetchResult, verdict: Classification) -> str:
    """The page's content fingerprint, for a healthy answer with a body ('' otherwise)."""
    if verdict.health in OK_HEALTHS and result.status_code != 304 and result.body:
        return page_fingerprint(result.body, result.headers.get("content-type", ""))
    return ""


def _next_check_at(
    *, health: str, failures: int, verdict: Classification, now: datetime
) -> datetime:
    hours: float
    if health in (LinkHealth.OK, LinkHealth.REDIRECTED, LinkHealth.DEAD):
        hours = 24 * 7
    elif health in (LinkHealth.BROKEN, LinkHealth.SOFT_404):
        # Confirm over days before calling a source dead.
        hours = 24
    elif health == LinkHealth.UNSAFE:
        hours = 24 * 30
    else:  # error, blocked: transient; back off from a quarter hour, doubling, up to 2 days
        hours = min(0.25 * 2 ** max(failures - 1, 0), 48)
    delay = timedelta(hours=hours)
    if verdict.retry_after_seconds:
        delay = max(delay, timedelta(seconds=verdict.retry_after_seconds))
    jitter = delay.total_seconds() * random.uniform(0, 0.1)
    return now + delay + timedelta(seconds=jitter)


def link_check_record(
    *,
    link_id: int,
    result: FetchResult,
    verdict: Classification,
    attempt_key: str,
    now: datetime | None = None,
) -> LinkCheck | None:
    """Store one check and the link's new health, once per attempt_key."""
    checks = checks_record([CheckEntry(link_id, result, verdict, attempt_key)], now=now)
    return checks[0] if checks else None


# What recording a check writes on its link (rows_update does not set auto_now: updated_at).
_LINK_FIELDS = (
    "health",
    "last_status",
    "last_error",
    "last_checked_at",
    "final_url",
    "consecutive_failures",
    "last_ok_at",
    "etag",
    "last_modified",
    "fingerprint",
    "next_check_at",
    "checking_until",
    "lease_owner",
    "updated_at",
)


@transaction.atomic
def checks_record(entries: list[CheckEntry], *, now: datetime | None = None) -> list[LinkCheck]:
    """Store checks and the links' new healths in one transaction; each attempt_key once.

    Rows are locked in id order, so two recorders never deadlock. Links found stale, and
    stale links found working again, are announced (`signals.evidence_went_stale`,
    `signals.evidence_recovered`) in this transaction.
    """
    now = now or timezone.now()
    ids = sorted({e.link_id for e in entries})
    links = {
        link.pk: link for link in Link.objects.select_for_update().filter(id__in=ids).order_by("id")
    }
    recorded = set(
        LinkCheck.objects.filter(attempt_key__in=[e.attempt_key for e in entries]).values_list(
            "attempt_key", flat=True
        )
    )
    checks: list[LinkCheck] = []
    fingerprints: dict[int, str] = {}
    stale: dict[int, str] = {}
    recovered: dict[int, str] = {}
    first_ok: list[CheckEntry] = []
    unverified_before = now - timedelta(days=settings.LINK_STALE_AFTER_DAYS)
    for entry in entries:
        link = links.get(entry.link_id)
        if link is None or entry.attempt_key in recorded:
            continue
        recorded.add(entry.attempt_key)
        result, verdict = entry.result, entry.verdict
        health = verdict.health
        ok = health in OK_HEALTHS
        not_modified = result.status_code == 304
        if ok and not_modified:
            fingerprint = link.fingerprint  # nothing changed: the page is what it was
        elif entry.fingerprint is not None:
            fingerprint = entry.fingerprint
        else:
            fingerprint = check_fingerprint(result, verdict)
        # Shown in the desk and the API: a redirect's signed URL keeps its secrets.
        reason = _clean(mask_url_secrets(verdict.reason or result.error_message), 500)
        final_url = _clean(result.final_url, 4096)
        checks.append(
            LinkCheck(
                link=link,
                checked_at=now,
                health=health,
                status_code=result.status_code if result.status_code is not None else None,
                final_url=final_url if final_url != link.url else "",
                latency_ms=result.latency_ms,
                error_class=_clean(result.error_class, 40),
                error_message=reason,
                fingerprint=fingerprint,
                attempt_key=entry.attempt_key,
            )
        )
        # Stale, or not verified for too long (what evidence_unverified announced): a working
        # answer resolves it.
        unverified = link.last_ok_at is None or link.last_ok_at < unverified_before
        if ok and (link.health in STALE_HEALTHS or unverified):
            recovered[link.pk] = health
        if ok and link.last_ok_at is None:
            first_ok.append(entry)
        link.health = health
        link.last_status = result.status_code
        link.last_error = "" if ok else reason
        link.last_checked_at = now
        link.final_url = final_url if health == LinkHealth.REDIRECTED else ""
        link.consecutive_failures = 0 if ok else link.consecutive_failures + 1
        if ok:
            link.last_ok_at = now
            # A 304 may omit the validators: keep the ones that earned it.
            etag = _clean(result.headers.get("etag"), 500)
            last_modified = _clean(result.headers.get("last-modified"), 100)
            if etag or not not_modified:
                link.etag = etag
            if last_modified or not not_modified:
                link.last_modified = last_modified
            if fingerprint:
                link.fingerprint = fingerprint
                fingerprints[link.pk] = fingerprint
        link.next_check_at = _next_check_at(
            health=health, failures=link.consecutive_failures, verdict=verdict, now=now
        )
        link.checking_until = None
        link.lease_owner = ""
        link.updated_at = now
        if health in STALE_HEALTHS:
            stale[link.pk] = health
    if not checks:
        return []
    LinkCheck.objects.bulk_create(checks)
    check_days_add(Counter((timezone.localdate(now), str(c.health)) for c in checks))
    rows_update(Link, [c.link for c in checks], _LINK_FIELDS)
    if fingerprints:
        pages = _pages(entries, set(fingerprints))
        _evidence_compare_fingerprints(fingerprints, read=set(pages))
        pagetext.evidence_compare_texts(pages, now=now)
    # The stored stale flags of these links' evidence and claims, in this transaction.
    evidence_staleness_refresh(link_ids={c.link_id for c in checks}, now=now)
    if first_ok:
        _evidence_titles_from_first_check(first_ok)
    if stale:
        rows = Evidence.objects.filter(link_id__in=list(stale)).values_list(
            "id", "claim_id", "link_id", "archive_url", "archive_checked_at"
        )
        claims: dict[Any, str] = {}
        for evidence_id, claim_id, link_id, archive_url, archive_checked_at in rows:
            claims.setdefault(claim_id, f"evidence link is {stale[link_id]}")
            if not archive_url and archive_checked_at is None:
                evidence_request_archive(evidence_id=evidence_id)
        signals.evidence_went_stale.send(sender=Evidence, links=stale, claims=claims)
    if recovered:
        signals.evidence_recovered.send(sender=Evidence, links=recovered)
    return checks


def _pages(entries: list[CheckEntry], link_ids: set[int]) -> dict[int, Extraction]:
    """The main text of each healthy page whose link has text snapshots (read here when the
    batch did not read it before recording)."""
    readable = {
        e.link_id: e for e in entries if e.link_id in link_ids and pagetext.readable(e.result)
    }
    pages = {lid: e.page for lid, e in readable.items() if e.page is not None}
    unread = [lid for lid, e in readable.items() if e.page is None]
    for link_id in pagetext.snapshot_links(unread) if unread else ():
        pages[link_id] = pagetext.page_text_extract(readable[link_id].result)
    return pages


def _evidence_titles_from_first_check(entries: list[CheckEntry]) -> None:
    """A link's first working answer names its page: evidence citing it without a typed
    title gets that title (the snapshot capture fills the same blank when it runs first).
    The page is read only for links with such evidence."""
    untitled = set(
        Evidence.objects.filter(link_id__in=[e.link_id for e in entries], title="").values_list(
            "link_id", flat=True
        )
    )
    titles: dict[Any, str] = {}
    for entry in entries:
        if entry.link_id not in untitled or not pagetext.readable(entry.result):
            continue
        page = entry.page or pagetext.page_text_extract(entry.result)
        if page.title:
            titles[entry.link_id] = page.title
    if titles:
        evidence_title_fill(titles=titles, by_link=True)


def _evidence_compare_fingerprints(fingerprints: dict[int, str], *, read: set[int]) -> None:
    # Evidence with a captured main text is compared by its text (pagetext) when this check
    # read the page's text (`read`); by SimHash otherwise (no snapshot text, or a page larger
    # than a check reads).
    by_text = Q(link_id__in=list(read)) & Q(snapshot__isnull=False) & ~Q(snapshot__text="")
    rows = list(
        Evidence.objects.filter(link_id__in=list(fingerprints))
        .exclude(by_text)
        .only("id", "claim_id", "link_id", "fingerprint_at_attach", "changed")
    )
    touched = []
    changed: dict[Any, str] = {}
    for evidence in rows:
        current = fingerprints[evidence.link_id]
        before = (evidence.fingerprint_at_attach, evidence.changed)
        # Evidence attached before the first check relies on the page as it is now.
        if not evidence.fingerprint_at_attach:
            evidence.fingerprint_at_attach = current
        evidence.changed = fingerprint_changed(evidence.fingerprint_at_attach, current)
        if (evidence.fingerprint_at_attach, evidence.changed) != before:
            touched.append(evidence)
            if evidence.changed:
                changed.setdefault(evidence.claim_id, "evidence page changed")
    if touched:
        # A queryset update, not save(): Evidence keeps history, and a check is not an edit.
        for evidence in touched:
            Evidence.objects.filter(pk=evidence.pk).update(
                fingerprint_at_attach=evidence.fingerprint_at_attach, changed=evidence.changed
            )
    if changed:
        signals.evidence_page_changed.send(sender=Evidence, claims=changed)


def links_give_up(*, link_ids: Sequence[int], attempt_prefix: str, deliveries: int) -> int:
    """Record an `error` check for each link a task could not finish (it kept killing its
    worker), once per attempt, and release the leases. Returns how many were recorded."""
    now = timezone.now()
    message = f"gave up after {deliveries} deliveries (the check kept crashing its worker)"
    entries = [
        CheckEntry(
            lid,
            FetchResult(url="", final_url="", error_class="crash", error_message=message),
            Classification(LinkHealth.ERROR, retryable=True, reason=message),
            f"{attempt_prefix}:{lid}"[:100],
        )
        for lid in link_ids
    ]
    return len(checks_record(entries, now=now))
