"""Celery tasks of annotations outside link health: thin, by id, safe to run twice."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.dateparse import parse_datetime

from annotations.services import article_fetch, snapshots

logger = logging.getLogger(__name__)

# A capture that cannot fetch the page now tries again for about a day: 11 retries, the
# countdown doubling from a minute up to six hours.
_CAPTURE_RETRIES = 11


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
    """Daily: bounded batches, each its own transaction; safe to run twice."""
    return snapshots.snapshots_prune_removed().deleted


# --- Articles from the web (annotations.services.article_fetch) -------------------------------


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=10,
)
def fetch_article(self, article_id: str) -> str:  # type: ignore[no-untyped-def]
    """The first fetch of an article submitted by URL (answered 202 `fetching`)."""
    retries = self.request.retries
    final = self.request.is_eager or retries >= settings.ARTICLE_FETCH_RETRIES
    outcome = article_fetch.article_fetch_first(article_id=article_id, final=final)
    if outcome == "retry":
        countdown = min(30 * 2**retries, 3600) * random.uniform(1.0, 1.5)
        raise self.retry(countdown=countdown, max_retries=settings.ARTICLE_FETCH_RETRIES)
    return outcome


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def refetch_articles(  # type: ignore[no-untyped-def]
    self, article_ids: list[str], enqueued_at: str | None = None, by: int | None = None
) -> dict[str, int]:
    """Fetch watched (or asked-for) articles again; a changed text is a new revision.
    `enqueued_at` (ISO 8601): a batch delivered again long after skips articles fetched since."""
    stamp = parse_datetime(enqueued_at) if enqueued_at else None
    outcome = article_fetch.articles_refetch_batch(
        article_ids=article_ids,
        owner=f"task:{self.request.id}",
        by_id=by,
        enqueued_at=stamp if stamp is not None and stamp.tzinfo is not None else None,
    )
    return {
        "revised": len(outcome.revised),
        "unchanged": len(outcome.unchanged),
        "failed": len(outcome.failed),
        "deferred": len(outcome.deferred),
        "skipped": len(outcome.skipped),
    }


@shared_task(acks_late=True)
def enqueue_due_articles(limit: int | None = None) -> int:
    return len(article_fetch.articles_enqueue_due(limit=limit))
