"""Archive look-ups: the archived copy (Wayback Machine's availability API, or one like it)
closest to when a reviewer attached the evidence, asked for through the egress layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from annotations.models import Evidence
from factcheck.broker import enqueue_on_commit
from factcheck.egress.config import egress_policy, fetch_config
from factcheck.egress.fetcher import fetch_sync
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
