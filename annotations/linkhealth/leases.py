"""Leases: which worker checks a link now, and for how long.

A lease (`Link.checking_until`, `lease_owner`) keeps two workers (or two beats) off the same
link; it runs out by itself after LINKCHECK_LEASE_SECONDS, so a worker that died frees its
links. A batch starts no fetch that could outlast its leases (`lease_time_budget`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotations.models import Link


def fetch_time_budget(limit_seconds: float) -> float:
    """Seconds within `limit_seconds` in which a fetch may still begin and end in time."""
    return max(5.0, limit_seconds - settings.LINKCHECK_TOTAL_TIMEOUT - 10)


def lease_time_budget() -> float:
    """Seconds a batch may keep starting fetches: its leases outlast the last one begun."""
    return fetch_time_budget(settings.LINKCHECK_LEASE_SECONDS)


def links_lease(
    *,
    link_ids: Sequence[int],
    owner: str,
    now: datetime | None = None,
    unchecked_since: datetime | None = None,
) -> list[Link]:
    """Take the lease on these links for one check each; returns the links taken.

    A link leased by someone else (and not expired) is left out. The same owner (a redelivered
    task) takes its own lease again. With `unchecked_since`, a link checked after that time
    is left out too (its check is already newer than the request for one).
    """
    now = now or timezone.now()
    links = Link.objects.filter(id__in=list(link_ids)).filter(
        Q(checking_until__isnull=True) | Q(checking_until__lt=now) | Q(lease_owner=owner)
    )
    if unchecked_since is not None:
        links = links.filter(
            Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=unchecked_since)
        )
    with transaction.atomic():
        ids = list(links.select_for_update(skip_locked=True).values_list("id", flat=True))
        Link.objects.filter(id__in=ids).update(
            checking_until=now + timedelta(seconds=settings.LINKCHECK_LEASE_SECONDS),
            lease_owner=owner[:100],
        )
    return list(Link.objects.filter(id__in=ids))


def link_lease(*, link_id: int, owner: str, now: datetime | None = None) -> bool:
    """Take the lease on a link for one check. False when another worker holds it."""
    return bool(links_lease(link_ids=[link_id], owner=owner, now=now))


def links_release(*, link_ids: Iterable[int], owner: str, next_check_at: datetime | None) -> None:
    """Give leases back without a check (deferred), optionally moving the next check."""
    updates: dict[str, Any] = {"checking_until": None, "lease_owner": ""}
    if next_check_at is not None:
        updates["next_check_at"] = next_check_at
    Link.objects.filter(id__in=list(link_ids), lease_owner=owner[:100]).update(**updates)
