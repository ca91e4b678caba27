"""Staleness as a stored fact: `Evidence.stale_since` and `Claim.has_stale_evidence`.

The rule is `annotations.querysets.evidence_stale_q` (a dead, broken or soft-404 link, a page
changed since it was cited, no successful check within LINK_STALE_AFTER_DAYS). Evaluating it
at read time joins all evidence with all links, so the pages read the stored flags instead,
and whatever changes one of the rule's inputs refreshes them in its own transaction:
- recording checks (a link's health, its last working answer, an evidence's `changed`);
- the daily sweep (time passing: evidence no check verified for LINK_STALE_AFTER_DAYS);
- attaching and removing evidence.
A refresh re-evaluates the rule over the evidence it is given (by link, claim or id), so it is
exact for them and safe to run twice. Queryset updates, not save(): a check is not an edit
(no history row, no new version of the claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotations.models import Claim, Evidence, Link
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
    became = list(scope.filter(stale_since__isnull=True).filter(rule).values_list("pk", "claim_id"))
    cleared = list(
        scope.filter(stale_since__isnull=False).exclude(rule).values_list("pk", "claim_id")
    )
    last_ok = Subquery(Link.objects.filter(pk=OuterRef("link_id")).values("last_ok_at")[:1])
    for ids in _chunks(pk for pk, _ in became):
        # Stale since it was last known good: its link's last working answer, or its
        # attachment when the link never answered.
        Evidence.objects.filter(pk__in=ids).update(stale_since=Coalesce(last_ok, F("created_at")))
    for ids in _chunks(pk for pk, _ in cleared):
        Evidence.objects.filter(pk__in=ids).update(stale_since=None)
    claims = {claim_id for _, claim_id in became} | {claim_id for _, claim_id in cleared}
    claims_staleness_refresh(claim_ids=claims)
    return claims


def claims_staleness_refresh(*, claim_ids: Iterable[Any]) -> None:
    """Set each claim's `has_stale_evidence` from its evidence's `stale_since` (an index
    probe per claim)."""
    stale = Exists(Evidence.objects.filter(claim_id=OuterRef("pk"), stale_since__isnull=False))
    for ids in _chunks(claim_ids):
        Claim.objects.filter(pk__in=ids).update(has_stale_evidence=stale)
