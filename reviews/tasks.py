"""Celery tasks of the review workflow: thin, by id, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_rereview(review_id: int) -> None:
    # Email is sent here, never in the request or check that flagged the review.
    from reviews.services import rereview_notify

    rereview_notify(review_id=review_id)
