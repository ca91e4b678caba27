"""Archived copies of evidence, asked for through the egress layer: the look-up (Wayback
Machine's availability API, or one like it) of the copy closest to when a reviewer attached the
evidence, and "archive now" (a Save-Page-Now-style service, off unless ARCHIVE_NOW_URL is set)
asking for a fresh copy once the evidence's snapshot is taken."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from django.conf import settings
from django.utils import timezone

from annotations.models import Evidence
from factcheck.broker import enqueue_on_commit
from factcheck.db import column_max_length
from factcheck.egress.config import archive_now_fetch_config, egress_policy, fetch_config
from factcheck.egress.fetcher import FetchResult, fetch_sync
from factcheck.parsers import json_loads
from factcheck.urlnorm import InvalidURL, browser_url


def evidence_request_archive(*, evidence_id: Any) -> None:
    """Look for an archived copy of this evidence's page once the transaction commits."""
    from annotations.linkhealth.tasks import evidence_find_archive

    if not settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL:
        return
    enqueue_on_commit(evidence_find_archive, str(evidence_id))


def archive_lookup_url(*, url: str, when: datetime) -> str:
    """The availability-API query for `url` near `when` (Wayback Machine's format)."""
    base = settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL
    query = urlencode({"url": url, "timestamp": when.strftime("%Y%m%d%H%M%S")})
    return f"{base}{'&' if '?' in base else '?'}{query}"


def parse_archive_availability(body: bytes) -> str:
    """The closest available snapshot's URL from an availability answer ('' when none)."""
    try:
        data = json_loads(body.decode("utf-8", "replace"))  # depth-limited: remote input
        closest = data["archived_snapshots"]["closest"]
    except (ValueError, KeyError, TypeError):
        return ""
    if not isinstance(closest, dict) or closest.get("available") is False:
        return ""
    status = str(closest.get("status", "200"))
    snapshot = closest.get("url")
    if not isinstance(snapshot, str) or not status.startswith(("2", "3")):
        return ""
    snapshot = snapshot.strip()
    if snapshot.startswith("http://archive.org/") or snapshot.startswith("http://web.archive.org/"):
        snapshot = "https://" + snapshot[len("http://") :]
    try:
        # Kept as a browser reads it, like every URL the desk shows (factcheck.urlnorm).
        return browser_url(snapshot)
    except InvalidURL:
        return ""


def evidence_find_archive(*, evidence_id: Any) -> str:
    """Ask the availability endpoint (through the safe fetcher) for the snapshot closest to
    when the evidence was attached, and keep it as the evidence's archive_url.

    Returns what happened, for logs. Does nothing when an archive URL is already set.
    """
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return "gone"
    if evidence.archive_url:
        return "already-archived"
    lookup = archive_lookup_url(url=evidence.url, when=evidence.created_at)
    result = fetch_sync(lookup, policy=egress_policy(), config=fetch_config(), want_body=True)
    now = timezone.now()
    snapshot = ""
    if not result.error_class and result.status_code == 200:
        snapshot = parse_archive_availability(result.body)
    updated = Evidence.objects.filter(pk=evidence.pk, archive_url="").update(
        archive_url=snapshot, archive_checked_at=now
    )
    if not updated:
        return "already-archived"
    if result.error_class or result.status_code != 200:
        return f"lookup failed: {result.error_class or result.status_code}"
    return snapshot or "no-snapshot"


# --- Archive now --------------------------------------------------------------------------------


class ArchiveNotYet(Exception):
    """The archive service failed for now (5xx, 429, timeout, reset): ask again later."""


# Fetch failures of the service that no retry changes (the egress guard refuses its address).
_REFUSED = frozenset({"unsafe", "invalid_url"})


def evidence_request_archive_now(*, evidence_id: Any) -> None:
    """Ask the archive-now service for a copy of this evidence's page once the transaction
    commits (nothing when ARCHIVE_NOW_URL is empty)."""
    from annotations.linkhealth.tasks import evidence_archive_now

    if not settings.ARCHIVE_NOW_URL:
        return
    enqueue_on_commit(evidence_archive_now, str(evidence_id))


def archive_now_request_url(*, url: str) -> str:
    """The service's request for `url`: ARCHIVE_NOW_URL with `{url}` replaced by the URL,
    percent-encoded, or with the URL appended as it is (web.archive.org/save/<url>)."""
    base = settings.ARCHIVE_NOW_URL
    if "{url}" in base:
        return base.replace("{url}", quote(url, safe=""))
    return base + url


def archive_now_answer(result: FetchResult) -> str:
    """The archived copy's URL from a successful answer: where its redirects ended (the Wayback
    Machine redirects to /web/<timestamp>/<url>), else its Content-Location; '' when neither."""
    if len(result.hops) > 1:
        found = result.final_url
    else:
        location = result.headers.get("content-location", "").strip()
        if not location:
            return ""
        try:
            found = urljoin(result.final_url or result.url, location)
        except ValueError:
            return ""
    if not found.startswith(("https://", "http://")):
        return ""
    try:
        archived = browser_url(found)
    except InvalidURL:
        return ""
    return archived if len(archived) <= column_max_length(Evidence, "archive_url") else ""


def evidence_archive_now(*, evidence_id: Any) -> str:
    """Ask the archive-now service for a copy of the evidence's page and keep its URL as the
    evidence's archive_url, unless one is set by then (a look-up or a reviewer may have won).

    Raises ArchiveNotYet when the service fails for now: nothing is written, the task asks
    again. Returns what happened, for logs.
    """
    if not settings.ARCHIVE_NOW_URL:
        return "off"
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return "gone"
    if evidence.archive_url:
        return "already-archived"
    request = archive_now_request_url(url=evidence.url)
    result = fetch_sync(
        request, policy=egress_policy(), config=archive_now_fetch_config(), want_body=True
    )
    if result.error_class in _REFUSED:
        return f"refused: {result.error_class}"
    status = result.status_code
    if result.error_class or status is None or status >= 500 or status == 429:
        raise ArchiveNotYet(result.error_message or result.error_class or f"HTTP {status}")
    if status >= 400:
        return f"the service refused: HTTP {status}"
    archived = archive_now_answer(result)
    if not archived:
        return "no archive URL in the answer"
    updated = Evidence.objects.filter(pk=evidence.pk, archive_url="").update(
        archive_url=archived, archive_checked_at=timezone.now()
    )
    return archived if updated else "already-archived"
