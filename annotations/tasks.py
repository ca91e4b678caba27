"""Celery tasks of annotations outside link health: thin, by id, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotations.services import snapshots

logger = logging.getLogger(__name__)

# A capture that cannot fetch the page now tries again for about a day (backoff, jitter).
_CAPTURE_RETRIES = 8


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=_CAPTURE_RETRIES,
)
def capture_evidence(self, evidence_id: str) -> str:  # type: ignore[no-untyped-def]
    try:
        snapshot = snapshots.evidence_capture(evidence_id=evidence_id)
    except snapshots.CaptureRefused as exc:
        logger.info("evidence %s not captured: %s", evidence_id, exc)
        return ""
    except snapshots.CaptureNotYet as exc:
        if self.request.is_eager:  # run in-process (tests, scripts): no later to wait for
            return ""
        countdown = min(60 * 2**self.request.retries, 6 * 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return str(snapshot.pk) if snapshot else ""


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def prune_removed_snapshots() -> int:
    return snapshots.snapshots_prune_removed()
