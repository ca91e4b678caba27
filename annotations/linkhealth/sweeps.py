"""Sweeps over evidence that no single check decides: sources not verified for too long.

A link that never answers ok (it errors, or a bot wall blocks every check) is not broken, but a
verdict resting on it stands on nothing anyone saw for LINK_STALE_AFTER_DAYS. The daily sweep
announces such evidence (`signals.evidence_unverified`); a later successful check announces the
link recovered (recording), which clears what the sweep raised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotations import signals
from annotations.linkhealth.staleness import evidence_staleness_refresh
from annotations.models import STALE_HEALTHS, Evidence
from annotations.services.snapshots import evidence_request_capture

# How long after attaching a missing snapshot is still asked for (the page then is no longer
# the page as cited).
UNCAPTURED_ASKED_FOR_DAYS = 7


@transaction.atomic
def evidence_sweep_unverified(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Announce evidence older than LINK_STALE_AFTER_DAYS whose link had no successful check
    in that time (and is not stale for another reason, announced by the checks themselves).
    Returns how many evidence rows were announced (at most `limit` per run)."""
    now = now or timezone.now()
    # Time passing makes evidence stale with no check to say so: the stored flags catch up
    # here (and any drift is reconciled), once a day.
    evidence_staleness_refresh(now=now)
    cutoff = now - timedelta(days=settings.LINK_STALE_AFTER_DAYS)
    rows = list(
        Evidence.objects.filter(created_at__lt=cutoff)
        .filter(Q(link__last_ok_at__isnull=True) | Q(link__last_ok_at__lt=cutoff))
        .exclude(link__health__in=STALE_HEALTHS)
        .order_by("link_id")
        .values_list("claim_id", "link_id", "link__last_ok_at")[:limit]
    )
    if not rows:
        return 0
    links: dict[int, datetime | None] = {}
    claims: dict[Any, str] = {}
    for claim_id, link_id, last_ok_at in rows:
        links[link_id] = last_ok_at
        claims.setdefault(
            claim_id,
            f"evidence link not verified since {last_ok_at:%Y-%m-%d}"
            if last_ok_at
            else "evidence link never verified",
        )
    signals.evidence_unverified.send(sender=Evidence, links=links, claims=claims)
    return len(rows)


def evidence_sweep_uncaptured(*, now: datetime | None = None, limit: int = 500) -> int:
    """Ask again for the snapshot of evidence that has none (its capture could not be enqueued,
    during a broker outage, or gave up): evidence attached more than an hour ago whose link
    answered ok since, within UNCAPTURED_ASKED_FOR_DAYS of attaching. Returns how many captures
    were asked for."""
    now = now or timezone.now()
    ids = list(
        Evidence.objects.filter(
            created_at__lt=now - timedelta(hours=1),
            created_at__gte=now - timedelta(days=UNCAPTURED_ASKED_FOR_DAYS),
            snapshot__isnull=True,
        )
        .filter(link__last_ok_at__isnull=False)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for evidence_id in ids:
        evidence_request_capture(evidence_id=evidence_id)
    return len(ids)
