"""Celery tasks of the review workflow: thin, by id, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5
)
def notify_rereview(review_id: int) -> None:
    # Notifications (and their emails) are written here, never in the request or check that
    # flagged the review.
    from reviews.notifications import rereview_notify

    rereview_notify(review_id=review_id)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5
)
def send_notification_email(notification_id: int) -> None:
    # smtplib's errors are OSErrors: a mail server that is down is retried with backoff.
    from reviews.notifications import notification_email_send

    notification_email_send(notification_id=notification_id)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def notify_due_reviews() -> dict[str, int]:
    # Daily (beat): what is due tomorrow and what is overdue, to the assignees. Safe to run
    # twice: each deadline is announced once.
    from reviews.deadlines import reviews_notify_due

    return reviews_notify_due()


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def resend_undelivered() -> dict[str, int]:
    # Beat: webhook deliveries, notification emails and re-review notices that a broker
    # outage kept from a worker, enqueued again (reviews.redelivery). Safe to run twice.
    from reviews.redelivery import undelivered_resend

    return undelivered_resend()
