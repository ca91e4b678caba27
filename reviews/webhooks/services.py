"""Webhook subscriptions (create, change, delete) and one delivery attempt."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from factcheck.egress.config import egress_policy, webhook_fetch_config
from factcheck.egress.guard import UnsafeURL, check_address, parse_ipv4_literal
from factcheck.errors import DomainError
from factcheck.urlmask import mask_url_secrets
from factcheck.urlnorm import InvalidURL, canonical_url
from reviews.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from reviews.webhooks import signing
from reviews.webhooks.delivery import post_json_sync

MAX_SUBSCRIPTIONS_PER_OWNER = 20


def webhook_url_check(url: str) -> str:
    """The URL a subscription may be registered with (http/https, an allowed port, no
    credentials, not a refused address literal). Names are resolved and vetted again at
    every delivery, so one that later points inside is still refused then."""
    try:
        canonical = canonical_url(
            url, max_length=WebhookSubscription._meta.get_field("url").max_length or 2048
        )
    except InvalidURL as exc:
        raise DomainError(str(exc), field="url") from exc
    parts = urlsplit(canonical)
    if parts.username or parts.password:
        raise DomainError("Webhook URLs may not carry credentials.", field="url")
    policy = egress_policy()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if port not in policy.allowed_ports:
        allowed = ", ".join(str(p) for p in sorted(policy.allowed_ports))
        raise DomainError(f"Port {port} is not allowed (allowed: {allowed}).", field="url")
    host = (parts.hostname or "").strip("[]")
    try:
        literal: Any = parse_ipv4_literal(host) or (host if ":" in host else None)
        if literal is not None:
            check_address(literal, policy)
    except UnsafeURL as exc:
        raise DomainError(f"This address is refused: {exc.message}.", field="url") from exc
    return canonical


def _events_check(events: list[str]) -> list[str]:
    known = set(WebhookEvent.values)
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in known]
    if unknown or not chosen:
        raise DomainError(f"Choose events from: {', '.join(WebhookEvent.values)}.", field="events")
    return chosen


@transaction.atomic
def webhook_create(
    *, owner: Any, url: str, events: list[str], description: str = "", is_active: bool = True
) -> WebhookSubscription:
    if WebhookSubscription.objects.filter(owner=owner).count() >= MAX_SUBSCRIPTIONS_PER_OWNER:
        raise DomainError(
            f"At most {MAX_SUBSCRIPTIONS_PER_OWNER} webhooks per user.",
            field="non_field_errors",
        )
    return WebhookSubscription.objects.create(
        owner=owner,
        url=webhook_url_check(url),
        events=_events_check(events),
        description=description,
        is_active=is_active,
        secret=signing.secret_generate(),
    )


@transaction.atomic
def webhook_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    if url is not None:
        subscription.url = webhook_url_check(url)
    if events is not None:
        subscription.events = _events_check(events)
    if description is not None:
        subscription.description = description
    if is_active is not None:
        subscription.is_active = is_active
    subscription.save()
    return subscription


def webhook_delete(*, subscription: WebhookSubscription) -> None:
    # Pending deliveries go with it; their tasks find nothing and stop.
    subscription.delete()


@dataclass(frozen=True)
class AttemptOutcome:
    retry: bool = False
    attempts: int = 0
    status: str = ""


def webhook_backoff(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: exponential, capped, with full jitter."""
    base = settings.WEBHOOK_BACKOFF_SECONDS * (2 ** max(0, attempts - 1))
    return min(float(settings.CELERY_MAX_COUNTDOWN), base) * random.uniform(0.5, 1.0)


def webhook_attempt(*, delivery_id: Any) -> AttemptOutcome:
    """Try one delivery once; record what happened. Safe to call twice at once (a lease)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    taken = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=lease)
    )
    if not taken:
        return AttemptOutcome()
    delivery = WebhookDelivery.objects.select_related("subscription__owner").get(pk=delivery_id)
    subscription = delivery.subscription
    attempts = delivery.attempts + 1
    if not subscription.is_active:
        result_status, error, code, retry = DeliveryStatus.FAILED, "webhook disabled", None, False
    elif not subscription.owner.is_active:
        # Queued before its owner was deactivated: a former user's URL gets nothing more.
        result_status, error, code, retry = (
            DeliveryStatus.FAILED,
            "webhook owner deactivated",
            None,
            False,
        )
    else:
        body = delivery.body.encode("utf-8")
        headers = {
            signing.HEADER: signing.signature(
                secret=subscription.secret, body=body, timestamp=int(time.time())
            ),
            "X-Factcheck-Event": delivery.event,
            "X-Factcheck-Delivery": str(delivery.pk),
            "X-Factcheck-Event-Id": str(delivery.event_id),
        }
        result = post_json_sync(
            subscription.url,
            body=body,
            headers=headers,
            policy=egress_policy(),
            config=webhook_fetch_config(),
        )
        code, error = result.status_code, result.error
        if result.ok:
            result_status, retry = DeliveryStatus.SUCCEEDED, False
        elif result.permanent or attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            result_status, retry = DeliveryStatus.FAILED, False
        else:
            result_status, retry = DeliveryStatus.PENDING, True
    done = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=result_status,
        attempts=attempts,
        last_status_code=code,
        last_error=mask_url_secrets(error)[:500],
        locked_until=None,
        delivered_at=done if result_status == DeliveryStatus.SUCCEEDED else None,
        next_attempt_at=None,
    )
    return AttemptOutcome(retry=retry, attempts=attempts, status=result_status)


def webhook_schedule_retry(*, delivery_id: Any, countdown: float) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now() + timedelta(seconds=countdown)
    )
