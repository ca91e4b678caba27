"""Periodic housekeeping of the API's own rows."""

from __future__ import annotations

from celery import shared_task

from factcheck.idempotency import idempotency_purge


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_keys(limit: int = 5000) -> int:
    """Forget Idempotency-Keys past their 24 hours, a bounded batch per run."""
    return idempotency_purge(limit=limit)
