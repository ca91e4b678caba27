"""Webhook delivery task: takes a delivery id, makes one attempt, retries with backoff.

acks_late + reject_on_worker_lost: a worker that dies mid-attempt leaves the message to be
delivered again (receivers deduplicate on X-Factcheck-Delivery: at-least-once). The
attempt's lease keeps a retry and a redelivery from posting at the same time.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from reviews.webhooks import services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=50,
)
def deliver_webhook(self: Any, delivery_id: str) -> str:
    outcome = services.webhook_attempt(delivery_id=delivery_id)
    if outcome.retry and outcome.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        countdown = services.webhook_backoff(outcome.attempts)
        services.webhook_schedule_retry(delivery_id=delivery_id, countdown=countdown)
        raise self.retry(countdown=countdown)
    return outcome.status
