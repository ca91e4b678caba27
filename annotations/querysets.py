"""Visibility and common filters for the annotations models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from factcheck.roles import user_roles


def evidence_stale_q(*, now: datetime | None = None, prefix: str = "") -> Q:
    """Q for Evidence rows that are stale (DESIGN.md, "Link health"): the rule itself, which
    annotations.linkhealth.staleness stores as `Evidence.stale_since` and
    `Claim.has_stale_evidence`. Pages read those; this joins evidence with links.

    `prefix` lets the same rule filter from another model (e.g. "evidence__").
    """
    # Imported when called: models.py imports this module for its managers.
    from annotations.models import STALE_HEALTHS

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LINK_STALE_AFTER_DAYS)
    p = prefix
    never_verified = Q(**{f"{p}created_at__lt": cutoff}) & (
        Q(**{f"{p}link__last_ok_at__isnull": True}) | Q(**{f"{p}link__last_ok_at__lt": cutoff})
    )
    return (
        Q(**{f"{p}link__health__in": STALE_HEALTHS}) | Q(**{f"{p}changed": True}) | never_verified
    )


def evidence_is_stale(evidence: Any, *, now: datetime | None = None) -> bool:
    """The rule of `evidence_stale_q`, for an Evidence already loaded with its link."""
    from annotations.models import STALE_HEALTHS

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LINK_STALE_AFTER_DAYS)
    link = evidence.link
    if link.health in STALE_HEALTHS or evidence.changed:
        return True
    return evidence.created_at < cutoff and (link.last_ok_at is None or link.last_ok_at < cutoff)


class ClaimQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ClaimQuerySet:
        # Every role of the desk reads every claim; without a role nothing is visible.
        return self if user_roles(user) else self.none()

    def with_stale(self) -> ClaimQuerySet:
        # The stored fact (annotations.linkhealth.staleness keeps it): an index, not a join
        # of the claim's evidence and links per row.
        return self.annotate(is_stale=F("has_stale_evidence"))


class LinkQuerySet(models.QuerySet):
    def due(self, *, now: datetime | None = None) -> LinkQuerySet:
        """Links whose next check has come and that no worker holds a lease on."""
        now = now or timezone.now()
        return self.filter(
            Q(next_check_at__lte=now) | Q(next_check_at__isnull=True, health="unchecked"),
        ).filter(Q(checking_until__isnull=True) | Q(checking_until__lt=now))
