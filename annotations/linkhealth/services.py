"""Link health writes: leases, recording checks, scheduling. The fetcher itself has no ORM."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations.linkhealth.classify import Classification, classify
from annotations.linkhealth.fetcher import FetchConfig, FetchResult, fetch_sync
from annotations.linkhealth.fingerprint import fingerprint_changed, page_fingerprint
from annotations.linkhealth.guard import EgressPolicy
from annotations.models import Evidence, Link, LinkCheck, LinkHealth
from annotations.urlnorm import url_host

logger = logging.getLogger(__name__)

BROKEN_HEALTHS = (LinkHealth.BROKEN, LinkHealth.DEAD)


def egress_policy() -> EgressPolicy:
    return EgressPolicy.from_strings(
        allowed_networks=settings.LINKCHECK_ALLOWED_NETWORKS,
        egress_allowlist=settings.LINKCHECK_EGRESS_ALLOWLIST or None,
        allowed_ports=settings.LINKCHECK_ALLOWED_PORTS,
    )


def fetch_config() -> FetchConfig:
    return FetchConfig(
        connect_timeout=settings.LINKCHECK_CONNECT_TIMEOUT,
        read_timeout=settings.LINKCHECK_READ_TIMEOUT,
        total_timeout=settings.LINKCHECK_TOTAL_TIMEOUT,
        max_redirects=settings.LINKCHECK_MAX_REDIRECTS,
        max_body_bytes=settings.LINKCHECK_MAX_BODY_BYTES,
        user_agent=settings.LINKCHECK_USER_AGENT,
    )


def link_get_or_create(*, url: str) -> tuple[Link, bool]:
    """The one Link of a canonical URL. Safe against two requests creating it at once."""
    link = Link.objects.filter(url=url).first()
    if link is not None:
        return link, False
    try:
        with transaction.atomic():
            return Link.objects.create(
                url=url, host=url_host(url), next_check_at=timezone.now()
            ), True
    except IntegrityError:
        return Link.objects.get(url=url), False


def link_request_check(*, link: Link) -> None:
    """Check this link soon: enqueued once the surrounding transaction commits."""
    from annotations.linkhealth.tasks import check_link

    Link.objects.filter(pk=link.pk).update(next_check_at=timezone.now())
    link_id = link.pk
    transaction.on_commit(lambda: check_link.delay(link_id))


def links_enqueue_due(*, limit: int | None = None, now: datetime | None = None) -> list[int]:
    """Enqueue a bounded batch of due links. Safe to run twice, or from two beats at once:
    each picked link's next_check_at moves past the lease, so nobody picks it again."""
    from annotations.linkhealth.tasks import check_link

    now = now or timezone.now()
    limit = limit or settings.LINKCHECK_BATCH_SIZE
    with transaction.atomic():
        ids = list(
            Link.objects.due(now=now)
            .order_by("next_check_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Link.objects.filter(id__in=ids).update(
                next_check_at=now + timedelta(seconds=settings.LINKCHECK_LEASE_SECONDS)
            )
            transaction.on_commit(lambda: [check_link.delay(i) for i in ids])
    return ids


def link_lease(*, link_id: int, owner: str, now: datetime | None = None) -> bool:
    """Take the lease on a link for one check. False when another worker holds it."""
    now = now or timezone.now()
    taken = (
        Link.objects.filter(pk=link_id)
        .filter(Q(checking_until__isnull=True) | Q(checking_until__lt=now) | Q(lease_owner=owner))
        .update(
            checking_until=now + timedelta(seconds=settings.LINKCHECK_LEASE_SECONDS),
            lease_owner=owner,
        )
    )
    return taken == 1


def link_check_run(*, link_id: int, attempt_key: str) -> str:
    """Lease, fetch, classify and record one link. Returns what happened, for logs."""
    if LinkCheck.objects.filter(attempt_key=attempt_key).exists():
        return "already-recorded"
    link = Link.objects.filter(pk=link_id).first()
    if link is None:
        return "gone"
    if not link_lease(link_id=link_id, owner=attempt_key):
        return "leased"
    conditional = {}
    if link.etag:
        conditional["If-None-Match"] = link.etag
    if link.last_modified:
        conditional["If-Modified-Since"] = link.last_modified
    # A GET (capped) on every check: each successful check stores a fingerprint of the page.
    result = fetch_sync(
        link.url,
        policy=egress_policy(),
        config=fetch_config(),
        conditional=conditional or None,
        want_body=True,
    )
    now = timezone.now()
    # Only the unbroken run of failures since the last good check counts towards "dead".
    checks = link.checks.all()
    if link.last_ok_at is not None:
        checks = checks.filter(checked_at__gt=link.last_ok_at)
    prior_broken = list(
        checks.filter(health__in=BROKEN_HEALTHS)
        .order_by("-checked_at")
        .values_list("checked_at", flat=True)[:10]
    )
    verdict = classify(result, prior_broken_at=prior_broken, now=now)
    link_check_record(
        link_id=link_id, result=result, verdict=verdict, attempt_key=attempt_key, now=now
    )
    return verdict.health


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
    else:  # error, blocked: transient; back off, growing with each failure
        hours = min(2 ** max(failures - 1, 0), 48)
    delay = timedelta(hours=hours)
    if verdict.retry_after_seconds:
        delay = max(delay, timedelta(seconds=verdict.retry_after_seconds))
    jitter = delay.total_seconds() * random.uniform(0, 0.1)
    return now + delay + timedelta(seconds=jitter)


@transaction.atomic
def link_check_record(
    *,
    link_id: int,
    result: FetchResult,
    verdict: Classification,
    attempt_key: str,
    now: datetime | None = None,
) -> LinkCheck | None:
    """Store one check and the link's new health, once per attempt_key."""
    from reviews.services import review_flag_rereview

    now = now or timezone.now()
    link = Link.objects.select_for_update().get(pk=link_id)
    if LinkCheck.objects.filter(attempt_key=attempt_key).exists():
        return None
    health = verdict.health
    fingerprint = ""
    if health in (LinkHealth.OK, LinkHealth.REDIRECTED) and result.body:
        fingerprint = page_fingerprint(result.body, result.headers.get("content-type", ""))
    check = LinkCheck.objects.create(
        link=link,
        checked_at=now,
        health=health,
        status_code=result.status_code,
        final_url=result.final_url[:4096] if result.final_url != link.url else "",
        latency_ms=result.latency_ms,
        error_class=result.error_class,
        error_message=(verdict.reason or result.error_message)[:500],
        fingerprint=fingerprint,
        attempt_key=attempt_key,
    )
    ok = health in (LinkHealth.OK, LinkHealth.REDIRECTED)
    link.health = health
    link.last_status = result.status_code
    link.last_error = "" if ok else (verdict.reason or result.error_message)[:500]
    link.last_checked_at = now
    link.final_url = result.final_url if health == LinkHealth.REDIRECTED else ""
    link.consecutive_failures = 0 if ok else link.consecutive_failures + 1
    if ok:
        link.last_ok_at = now
        link.etag = result.headers.get("etag", "")[:500]
        link.last_modified = result.headers.get("last-modified", "")[:100]
        if fingerprint:
            link.fingerprint = fingerprint
    link.next_check_at = _next_check_at(
        health=health, failures=link.consecutive_failures, verdict=verdict, now=now
    )
    link.checking_until = None
    link.lease_owner = ""
    link.save()
    if fingerprint:
        _evidence_compare_fingerprints(link=link, fingerprint=fingerprint)
    if health in (LinkHealth.BROKEN, LinkHealth.DEAD, LinkHealth.SOFT_404):
        for claim_id in link.evidence.values_list("claim_id", flat=True).distinct():
            review_flag_rereview(claim_id=claim_id, reason=f"evidence link is {health}")
    return check


def _evidence_compare_fingerprints(*, link: Link, fingerprint: str) -> None:
    from reviews.services import review_flag_rereview

    # Evidence attached before the first check relies on the page as it is now.
    Evidence.objects.filter(link=link, fingerprint_at_attach="").update(
        fingerprint_at_attach=fingerprint
    )
    for evidence in Evidence.objects.filter(link=link).only(
        "id", "claim_id", "fingerprint_at_attach", "changed"
    ):
        changed = fingerprint_changed(evidence.fingerprint_at_attach, fingerprint)
        if changed != evidence.changed:
            Evidence.objects.filter(pk=evidence.pk).update(changed=changed)
            if changed:
                review_flag_rereview(claim_id=evidence.claim_id, reason="evidence page changed")
