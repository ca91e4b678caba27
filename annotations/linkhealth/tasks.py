"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from annotations.linkhealth import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    bind=True,
)
def check_link(self, link_id: int) -> str:  # type: ignore[no-untyped-def]
    # The delivery id keys the recorded check, so a redelivered task records nothing twice.
    return services.link_check_run(link_id=link_id, attempt_key=f"task:{self.request.id}")


@shared_task(acks_late=True)
def enqueue_due_links(limit: int | None = None) -> int:
    return len(services.links_enqueue_due(limit=limit))
