"""Staleness as a stored fact: `Evidence.stale_since` and `Claim.has_stale_evidence`.

The rule is `annotations.querysets.evidence_stale_q` (a dead, broken or soft-404 link, a page
changed since it was cited, no successful check within LINK_STALE_AFTER_DAYS). Evaluating it
at read time joins all evidence with all links, so the pages read the stored flags instead,
and whatever changes one of the rule's inputs refreshes them in its own transaction:
- recording checks (a link's health, its last working answer, an evidence's `changed`);
- the daily sweep (time passing: evidence no check verified for LINK_STALE_AFTER_DAYS);
- attaching and removing evidence.
Each stale row also carries its link's host (`Evidence.stale_host`), and `StaleHost` counts the
stale evidence of each host (with its oldest `stale_since`): refreshed for the hosts a refresh
touched, after locking their rows in host order, so concurrent refreshes of one host count in
turn; a full refresh rebuilds every host's row.
A refresh re-evaluates the rule over the evidence it is given (by link, claim or id), so it is
exact for them and safe to run twice. Queryset updates, not save(): a check is not an edit
(no history row, no new version of the claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotations.models import Claim, Evidence, Link, StaleHost
from annotations.querysets import evidence_stale_q

CHUNK = 1000


def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def evidence_staleness_refresh(
    *,
    link_ids: Iterable[int] | None = None,
    claim_ids: Iterable[Any] | None = None,
    evidence_ids: Iterable[Any] | None = None,
    now: datetime | None = None,
) -> set[Any]:
    """Re-evaluate the stale rule for the evidence of these links, claims or ids (any given
    scope; none given: every evidence row) and their claims' flags. Returns the claims whose
    evidence changed state."""
    now = now or timezone.now()
    scope: QuerySet[Evidence] = Evidence.objects.all()
    for field, values in (("link_id", link_ids), ("claim_id", claim_ids), ("pk", evidence_ids)):
        if values is not None:
            values = list(values)
            if not values:
                return set()
            scope = scope.filter(**{f"{field}__in": values})
    rule = evidence_stale_q(now=now)
    became = list(
        scope.filter(stale_since__isnull=True).filter(rule).values_list("pk", "claim_id", "link_id")
    )
    cleared = list(
        scope.filter(stale_since__isnull=False)
        .exclude(rule)
        .values_list("pk", "claim_id", "stale_host")
    )
    link = Link.objects.filter(pk=OuterRef("link_id"))
    for ids in _chunks(pk for pk, _, _ in became):
        # Stale since it was last known good: its link's last working answer, or its
        # attachment when the link never answered.
        Evidence.objects.filter(pk__in=ids).update(
            stale_since=Coalesce(Subquery(link.values("last_ok_at")[:1]), F("created_at")),
            stale_host=Subquery(link.values("host")[:1]),
        )
    for ids in _chunks(pk for pk, _, _ in cleared):
        Evidence.objects.filter(pk__in=ids).update(stale_since=None, stale_host="")
    claims = {claim_id for _, claim_id, _ in became} | {claim_id for _, claim_id, _ in cleared}
    claims_staleness_refresh(claim_ids=claims)
    if link_ids is None and claim_ids is None and evidence_ids is None:
        stale_hosts_refresh()
    else:
        hosts = {host for _, _, host in cleared}
        hosts |= set(
            Link.objects.filter(pk__in={link_id for _, _, link_id in became}).values_list(
                "host", flat=True
            )
        )
        stale_hosts_refresh(hosts=hosts)
    return claims


def stale_hosts_refresh(*, hosts: Iterable[str] | None = None) -> None:
    """Recount `StaleHost` for these hosts from their stale evidence (an index range of
    `evidence_stale_host` each), deleting the rows of hosts with none left; None: rebuild
    every host's row. Call inside the transaction that changed the evidence (the locks are
    held until it ends)."""
    with transaction.atomic():
        _stale_hosts_recount(hosts)


def _stale_hosts_recount(hosts: Iterable[str] | None) -> None:
    stale = Evidence.objects.filter(stale_since__isnull=False)
    if hosts is None:
        counted = {
            row["stale_host"]: row
            for row in stale.order_by()
            .values("stale_host")
            .annotate(n=Count("pk"), oldest=Min("stale_since"))
        }
        StaleHost.objects.exclude(host__in=list(counted)).delete()
        hosts = sorted(counted)
    else:
        hosts = sorted(set(hosts))
    for chunk in _chunks(hosts):
        # Rows to lock first (a host seen for the first time has none), then locked in host
        # order: a concurrent refresh of the same host waits and counts after this one.
        StaleHost.objects.bulk_create(
            [StaleHost(host=h, oldest_stale_since=timezone.now()) for h in chunk],
            ignore_conflicts=True,
        )
        list(
            StaleHost.objects.filter(host__in=chunk)
            .order_by("host")
            .select_for_update()
            .values_list("pk")
        )
        counted = {
            row["stale_host"]: row
            for row in stale.filter(stale_host__in=chunk)
            .order_by()
            .values("stale_host")
            .annotate(n=Count("pk"), oldest=Min("stale_since"))
        }
        StaleHost.objects.filter(host__in=[h for h in chunk if h not in counted]).delete()
        for host, row in counted.items():
            StaleHost.objects.filter(host=host).update(
                evidence_count=row["n"], oldest_stale_since=row["oldest"]
            )


def claims_staleness_refresh(*, claim_ids: Iterable[Any]) -> None:
    """Set each claim's `has_stale_evidence` from its evidence's `stale_since` (an index
    probe per claim)."""
    stale = Exists(Evidence.objects.filter(claim_id=OuterRef("pk"), stale_since__isnull=False))
    for ids in _chunks(claim_ids):
        Claim.objects.filter(pk__in=ids).update(has_stale_evidence=stale)
