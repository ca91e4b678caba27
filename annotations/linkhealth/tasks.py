"""Celery tasks: thin wrappers that take ids, count their deliveries and call one service.

Reliability (settings, "Celery"): acks_late + reject_on_worker_lost, so a task whose worker
dies is delivered again; prefetch 1; soft and hard time limits; a broker visibility timeout
longer than the hard limit plus any countdown. Recording is idempotent per delivery id
(LinkCheck.attempt_key), and a task delivered more than LINKCHECK_MAX_DELIVERIES times (it
keeps killing its worker) records an `error` check for its links and is acked, not looped.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations.linkhealth import archive, batches, leases, recording, retention, sweeps
from factcheck.broker import enqueue
from factcheck.egress.config import shared_limits

logger = logging.getLogger(__name__)

RETRYABLE = (OperationalError, InterfaceError)


def _time_budget() -> float:
    # Start no fetch that could still be running when the soft time limit strikes or the
    # batch's leases run out.
    soft = leases.fetch_time_budget(settings.CELERY_TASK_SOFT_TIME_LIMIT)
    return min(soft, leases.lease_time_budget())


def _delivery_count(task: Any) -> int:
    limits = shared_limits()
    if limits is None:
        return 1
    # Keyed by id and retry number: an autoretry is a new delivery on purpose, not a crash.
    return limits.delivery_count(f"{task.request.id}:{task.request.retries}")


def _enqueued_at(value: str | None) -> datetime | None:
    # Messages sent before batches carried their enqueue time have none: check every link.
    parsed = parse_datetime(value) if value else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _check(task: Any, link_ids: list[int], *, enqueued_at: str | None = None) -> dict[str, Any]:
    prefix = f"task:{task.request.id}"
    deliveries = _delivery_count(task)
    if deliveries > settings.LINKCHECK_MAX_DELIVERIES:
        recorded = recording.links_give_up(
            link_ids=link_ids, attempt_prefix=prefix, deliveries=deliveries - 1
        )
        logger.error("link check %s gave up after %s deliveries", task.request.id, deliveries - 1)
        return {"gave_up": recorded}
    outcome = batches.links_check_batch(
        link_ids=link_ids,
        attempt_prefix=prefix,
        time_budget=_time_budget(),
        enqueued_at=_enqueued_at(enqueued_at),
    )
    if outcome.deferred:
        # The hosts were full: come back shortly, as a new task, instead of holding this
        # worker slot while waiting. Should the broker be away, the links' leases run out
        # and a beat enqueues them again.
        countdown = settings.LINKCHECK_DEFER_COUNTDOWN * random.uniform(1.0, 2.0)
        enqueue(
            check_links_batch,
            outcome.deferred,
            countdown=countdown,
            enqueued_at=timezone.now().isoformat(),
        )
    return {
        "recorded": len(outcome.recorded),
        "deferred": len(outcome.deferred),
        "backed_off": len(outcome.backed_off),
        "skipped": len(outcome.skipped),
    }


_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**_TASK_OPTIONS)
def check_link(self, link_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return _check(self, [link_id])


@shared_task(**_TASK_OPTIONS)
def check_links_batch(  # type: ignore[no-untyped-def]
    self, link_ids: list[int], enqueued_at: str | None = None
) -> dict[str, Any]:
    """Check links of many hosts in one worker process, concurrently (fetch_many).

    `enqueued_at` (ISO 8601): when the batch was asked for. A batch delivered again long
    after (its worker died; acks_late) skips links that were checked since.
    """
    return _check(self, [int(i) for i in link_ids], enqueued_at=enqueued_at)


@shared_task(acks_late=True)
def enqueue_due_links(limit: int | None = None) -> int:
    return len(batches.links_enqueue_due(limit=limit))


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRYABLE,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def evidence_find_archive(evidence_id: str) -> str:
    return archive.evidence_find_archive(evidence_id=evidence_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRYABLE,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def evidence_archive_now(self, evidence_id: str) -> str:  # type: ignore[no-untyped-def]
    """Ask the archive-now service for a copy; a failing service is asked again
    ARCHIVE_NOW_RETRIES times, from ARCHIVE_NOW_RETRY_SECONDS, doubling, with jitter."""
    try:
        return archive.evidence_archive_now(evidence_id=evidence_id)
    except archive.ArchiveNotYet as exc:
        retries = self.request.retries
        if self.request.is_eager or retries >= settings.ARCHIVE_NOW_RETRIES:
            logger.info("evidence %s not archived: %s (gave up)", evidence_id, exc)
            return f"gave up: {exc}"
        delay = min(settings.ARCHIVE_NOW_RETRY_SECONDS * 2**retries, 6 * 3600)
        countdown = delay * random.uniform(0.5, 1.0)
        raise self.retry(
            exc=exc, countdown=countdown, max_retries=settings.ARCHIVE_NOW_RETRIES
        ) from exc


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3)
def prune_link_checks() -> int:
    """Daily: bounded batches, each its own transaction; safe to run twice."""
    return retention.link_checks_prune().deleted


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3)
def sweep_unverified_evidence() -> int:
    """Daily: evidence whose link had no successful check for LINK_STALE_AFTER_DAYS."""
    return sweeps.evidence_sweep_unverified()


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=True, max_retries=3)
def sweep_uncaptured_evidence() -> int:
    """Hourly: ask again for snapshots whose capture was never enqueued or gave up."""
    return sweeps.evidence_sweep_uncaptured()
