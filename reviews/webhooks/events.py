"""events_emit: the one way a service announces an event to webhook subscribers.

Call inside the service's transaction. It stores one WebhookDelivery per subscribed,
active subscription of an active user (the exact body to POST) and enqueues their delivery with
`transaction.on_commit`: nothing is sent for a change that rolls back, and the request or
check that emitted never waits on a receiver. Costs one query when nobody subscribed.

Events and their `data`:
- `claim.published` / `claim.corrected` (subject: the Review just approved): the claim, its
  verdict and rationale, publication times, the correction's reason, API paths.
- `evidence.stale` (subject: {link id: health} of links that just went broken, dead or
  soft-404): one event per evidence citing them, once per stale episode of each evidence (a
  link that recovers and dies again is announced again).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils import timezone

from annotations.models import Evidence
from factcheck.broker import enqueue_on_commit
from reviews.models import WebhookDelivery, WebhookEvent, WebhookSubscription

PING = "ping"


def _body(*, event: str, event_id: uuid.UUID, data: dict[str, Any]) -> str:
    envelope = {
        "id": str(event_id),
        "type": event,
        "created": timezone.now().isoformat(),
        "data": data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def review_event_data(review: Any) -> dict[str, Any]:
    claim = review.claim
    return {
        "claim": {
            "id": str(claim.pk),
            "article": str(claim.article_id),
            "exact": claim.exact,
            "summary": claim.summary,
            "claimant": claim.claimant,
            "url": reverse("v1:claim-detail", kwargs={"pk": claim.pk}),
            "claimreview_url": reverse("v1:claim-claimreview", kwargs={"pk": claim.pk}),
        },
        "review": {
            "state": review.state,
            "verdict": review.verdict,
            "rationale": review.rationale,
            "version": review.version,
            "first_published_at": _iso(review.first_published_at),
            "published_at": _iso(review.published_at),
        },
        "correction": (
            {"reason": review.note} if review.first_published_at != review.published_at else None
        ),
    }


def _subscriptions(event: str) -> list[WebhookSubscription]:
    # A deactivated user's subscriptions get nothing (their delivery is refused again at
    # send time, for events stored before the deactivation).
    # Events filtered here rather than with a JSON lookup: SQLite (the embedded default) has
    # none, and subscriptions are few.
    active = WebhookSubscription.objects.filter(is_active=True, owner__is_active=True).only(
        "id", "owner_id", "events"
    )
    return [sub for sub in active if event in sub.events]


def _enqueue(deliveries: list[WebhookDelivery]) -> None:
    from reviews.webhooks.tasks import deliver_webhook

    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook, str(delivery.pk))


def _store(
    subscriptions: list[WebhookSubscription], items: list[tuple[str, str, dict[str, Any]]]
) -> int:
    """items: (event, dedupe key or "", data). One delivery per subscription and item."""
    keys = {key for _, key, _ in items if key}
    seen: set[tuple[Any, str]] = set()
    if keys:
        seen = set(
            WebhookDelivery.objects.filter(
                subscription__in=subscriptions, dedupe_key__in=keys
            ).values_list("subscription_id", "dedupe_key")
        )
    deliveries = []
    for event, key, data in items:
        event_id = uuid.uuid4()
        body = _body(event=event, event_id=event_id, data=data)
        for sub in subscriptions:
            if key and (sub.pk, key) in seen:
                continue
            deliveries.append(
                WebhookDelivery(
                    id=uuid.uuid4(),
                    subscription=sub,
                    event=event,
                    event_id=event_id,
                    body=body,
                    dedupe_key=key,
                )
            )
    if not deliveries:
        return 0
    # A concurrent emit of the same key loses quietly; its task finds no row and stops.
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    _enqueue(deliveries)
    return len(deliveries)


def events_emit(*, event: str, subject: Any) -> int:
    """Announce `event` about `subject` (see the module doc). Returns deliveries stored."""
    subscriptions = _subscriptions(event)
    if not subscriptions:
        return 0
    if event in (WebhookEvent.CLAIM_PUBLISHED, WebhookEvent.CLAIM_CORRECTED):
        return _store(subscriptions, [(event, "", review_event_data(subject))])
    if event == WebhookEvent.EVIDENCE_STALE:
        return _store(subscriptions, _stale_items(subject))
    raise ValueError(f"unknown event {event!r}")


def _stale_items(healths: Mapping[int, str]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = (
        Evidence.objects.filter(link_id__in=list(healths))
        .select_related("link", "claim")
        .only(
            "id",
            "url",
            "title",
            "stance",
            "claim_id",
            "claim__article_id",
            "link__id",
            "link__url",
            "link__health",
            "link__last_status",
            "link__last_checked_at",
            "link__last_ok_at",
        )
        .order_by("created_at", "pk")
    )
    items = []
    for evidence in rows:
        link = evidence.link
        episode = _iso(link.last_ok_at) or "never"
        data = {
            "evidence": {
                "id": str(evidence.pk),
                "url": evidence.url,
                "title": evidence.title,
                "stance": evidence.stance,
            },
            "claim": {
                "id": str(evidence.claim_id),
                "article": str(evidence.claim.article_id),
                "url": reverse("v1:claim-detail", kwargs={"pk": evidence.claim_id}),
            },
            "link": {
                "url": link.url,
                "health": healths.get(link.pk, link.health),
                "last_status": link.last_status,
                "last_checked_at": _iso(link.last_checked_at),
                "last_ok_at": _iso(link.last_ok_at),
            },
        }
        key = f"{WebhookEvent.EVIDENCE_STALE}:{evidence.pk}:{episode}"
        items.append((str(WebhookEvent.EVIDENCE_STALE), key, data))
    return items


def event_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A `ping` to one subscription (to test a receiver and its signature check)."""
    event_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event=PING,
        event_id=event_id,
        body=_body(event=PING, event_id=event_id, data={"subscription": str(subscription.pk)}),
    )
    _enqueue([delivery])
    return delivery
