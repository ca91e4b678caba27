"""How reviews answers what annotations announces (`annotations.signals`).

Connected in `ReviewsConfig.ready()`. Each receiver runs inside the transaction of the
annotations service that sent the signal and calls one reviews service, so a flag commits or
rolls back with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotations import signals
from reviews.services import (
    review_create,
    review_flag_rereview_many,
    reviews_flag_changed_evidence,
    reviews_flag_stale_evidence,
    reviews_flag_unverified_evidence,
    reviews_resolve_links,
)
from reviews.webhooks.events import events_emit


def on_claim_created(*, claim: Any, **_: Any) -> None:
    review_create(claim=claim)


def on_claims_wording_changed(
    *,
    reasons: Mapping[Any, str],
    changes: Mapping[Any, Mapping[str, Any]] | None = None,
    by: Any = None,
    **_: Any,
) -> int:
    return review_flag_rereview_many(reasons=reasons, changes=changes or {}, by=by)


def on_evidence_went_stale(
    *, links: Mapping[int, str], claims: Mapping[Any, str], **_: Any
) -> None:
    # One reason per claim and stale link, its code from the link's health.
    reviews_flag_stale_evidence(claim_ids=list(claims), links=links)
    events_emit(event="evidence.stale", subject=links)  # webhooks, once per stale episode


def on_evidence_page_changed(*, claims: Mapping[Any, str], **_: Any) -> None:
    reviews_flag_changed_evidence(claim_ids=list(claims))


def on_evidence_unverified(
    *, links: Mapping[int, Any], claims: Mapping[Any, str], **_: Any
) -> None:
    reviews_flag_unverified_evidence(claim_ids=list(claims), links=links)


def on_evidence_recovered(*, links: Mapping[int, str], **_: Any) -> None:
    reviews_resolve_links(link_ids=list(links))


def connect() -> None:
    """Called once from `ReviewsConfig.ready()`. dispatch_uid keeps a second call harmless."""
    signals.claim_created.connect(on_claim_created, dispatch_uid="reviews.claim_created")
    signals.claims_wording_changed.connect(
        on_claims_wording_changed, dispatch_uid="reviews.claims_wording_changed"
    )
    signals.evidence_went_stale.connect(
        on_evidence_went_stale, dispatch_uid="reviews.evidence_went_stale"
    )
    signals.evidence_page_changed.connect(
        on_evidence_page_changed, dispatch_uid="reviews.evidence_page_changed"
    )
    signals.evidence_recovered.connect(
        on_evidence_recovered, dispatch_uid="reviews.evidence_recovered"
    )
    signals.evidence_unverified.connect(
        on_evidence_unverified, dispatch_uid="reviews.evidence_unverified"
    )
