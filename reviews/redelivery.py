"""What a broker outage left unsent: webhook deliveries, notification emails and re-review
notices whose task never reached a worker.

`factcheck.broker.enqueue` swallows a broker error so that the write that asked for the work
commits; the rows say what is still owed. Every RESEND_SWEEP_SECONDS the beat runs
`undelivered_resend`, which enqueues it again once it is older than RESEND_GRACE_SECONDS (a
message still waiting in a busy queue is not doubled in the meantime):

- a pending webhook delivery nobody is attempting whose first attempt, or next retry, is
  that late (it is then marked as asked for, so the next sweep waits as long again);
- a notification email not sent yet, to a recipient who wants email, written in the last
  RESEND_WINDOW_HOURS (an older one is news no more);
- the re-review notice of an open reason of that window that no notification followed.

Each task is safe to run twice (a delivery's lease, an email's row lock and `emailed_at`, a
notice once per recipient and reason), so an early resend costs a no-op, never a duplicate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from factcheck.broker import enqueue
from reviews.models import (
    DeliveryStatus,
    Notification,
    NotificationKind,
    RereviewReason,
    WebhookDelivery,
)
from reviews.notifications import email_wanted_q


def _late(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.RESEND_GRACE_SECONDS)


def _window_start(now: datetime) -> datetime:
    return now - timedelta(hours=settings.RESEND_WINDOW_HOURS)


def webhook_deliveries_resend(*, now: datetime | None = None) -> int:
    """Enqueue the pending deliveries whose attempt is late (oldest first, a batch)."""
    from reviews.webhooks.tasks import deliver_webhook

    now = now or timezone.now()
    late = _late(now)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .filter(
                Q(next_attempt_at__isnull=True, created_at__lte=late) | Q(next_attempt_at__lte=late)
            )
            .order_by("created_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: settings.RESEND_BATCH]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for pk in ids:
        enqueue(deliver_webhook, str(pk))
    return len(ids)


def notification_emails_resend(*, now: datetime | None = None) -> int:
    """Enqueue the emails of the window's notifications not sent yet (oldest first, a batch)."""
    from reviews.tasks import send_notification_email

    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=_window_start(now),
            created_at__lte=_late(now),
        )
        .filter(email_wanted_q(prefix="recipient__"))
        .order_by("created_at")
        .values_list("pk", flat=True)[: settings.RESEND_BATCH]
    )
    for pk in ids:
        enqueue(send_notification_email, pk)
    return len(ids)


def rereview_notices_resend(*, now: datetime | None = None) -> int:
    """Enqueue the re-review notice of each review with an open reason of the window that no
    re-review notification of its claim followed."""
    from reviews.tasks import notify_rereview

    now = now or timezone.now()
    told = Notification.objects.filter(
        kind=NotificationKind.REREVIEW,
        claim_id=OuterRef("review__claim_id"),
        created_at__gte=OuterRef("created_at"),
    )
    reviews = list(
        RereviewReason.objects.filter(
            cleared_at__isnull=True,
            created_at__gte=_window_start(now),
            created_at__lte=_late(now),
        )
        .filter(~Exists(told))
        .order_by("review_id")
        .values_list("review_id", flat=True)
        .distinct()[: settings.RESEND_BATCH]
    )
    for review_id in reviews:
        enqueue(notify_rereview, review_id)
    return len(reviews)


def undelivered_resend(*, now: datetime | None = None) -> dict[str, int]:
    """The beat's sweep: what was enqueued again, by kind."""
    now = now or timezone.now()
    return {
        "webhook_deliveries": webhook_deliveries_resend(now=now),
        "notification_emails": notification_emails_resend(now=now),
        "rereview_notices": rereview_notices_resend(now=now),
    }
