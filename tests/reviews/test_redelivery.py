"""What a broker outage left unsent is enqueued again (reviews.redelivery).

In these tests the on-commit callbacks that would enqueue a delivery, an email or a notice
never run (the test's transaction is never committed): the rows are left exactly as a broker
outage leaves them, written and never enqueued. The sweep then publishes to the test's real
Redis broker, and what reached it is read back from the queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from reviews.models import Notification, NotificationSettings, Review, WebhookDelivery
from reviews.notifications import notify
from reviews.redelivery import (
    notification_emails_resend,
    rereview_notices_resend,
    undelivered_resend,
    webhook_deliveries_resend,
)
from reviews.services import review_flag_rereview
from reviews.webhooks.services import webhook_create
from tests.api.conftest import publish

pytestmark = pytest.mark.django_db

DELIVER = "reviews.webhooks.tasks.deliver_webhook"
EMAIL = "reviews.tasks.send_notification_email"
NOTICE = "reviews.tasks.notify_rereview"


def _ago(minutes: float) -> Any:
    return timezone.now() - timedelta(minutes=minutes)


@pytest.fixture
def deliveries(claim: Any, reviewer: Any, editor: Any, editor2: Any) -> list[WebhookDelivery]:
    webhook_create(owner=editor, url="https://hooks.example.org/a", events=["claim.published"])
    webhook_create(owner=editor2, url="https://hooks.example.org/b", events=["claim.published"])
    publish(claim, reviewer=reviewer, editor=editor2)
    rows = list(WebhookDelivery.objects.order_by("subscription__url"))
    assert [(d.status, d.attempts) for d in rows] == [("pending", 0), ("pending", 0)]
    return rows


def test_a_delivery_never_enqueued_is_enqueued_once_it_is_late(
    deliveries: list[WebhookDelivery], queued_tasks: Any
) -> None:
    late, recent = deliveries
    WebhookDelivery.objects.filter(pk=late.pk).update(created_at=_ago(20))
    WebhookDelivery.objects.filter(pk=recent.pk).update(created_at=_ago(2))
    assert webhook_deliveries_resend() == 1
    assert queued_tasks() == [(DELIVER, [str(late.pk)])]
    # Marked as asked for: the next sweep waits as long again before asking twice.
    assert webhook_deliveries_resend() == 0
    assert queued_tasks() == [(DELIVER, [str(late.pk)])]
    assert webhook_deliveries_resend(now=timezone.now() + timedelta(minutes=16)) == 2
    assert sorted(queued_tasks()) == sorted(
        [(DELIVER, [str(late.pk)]), (DELIVER, [str(late.pk)]), (DELIVER, [str(recent.pk)])]
    )
    late.refresh_from_db()
    assert (late.status, late.attempts) == ("pending", 0)


def test_deliveries_done_held_or_not_yet_due_are_left_alone(
    deliveries: list[WebhookDelivery], queued_tasks: Any
) -> None:
    done, held = deliveries
    WebhookDelivery.objects.update(created_at=_ago(60))
    WebhookDelivery.objects.filter(pk=done.pk).update(status="succeeded", delivered_at=_ago(59))
    # A worker holds the other's lease; once the lease is over, its late retry goes again.
    WebhookDelivery.objects.filter(pk=held.pk).update(
        locked_until=timezone.now() + timedelta(minutes=1), attempts=1, next_attempt_at=_ago(30)
    )
    assert webhook_deliveries_resend() == 0
    # A retry scheduled in the future is the broker's to deliver.
    WebhookDelivery.objects.filter(pk=held.pk).update(
        locked_until=None, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert webhook_deliveries_resend() == 0
    WebhookDelivery.objects.filter(pk=held.pk).update(next_attempt_at=_ago(16))
    assert webhook_deliveries_resend() == 1
    assert queued_tasks() == [(DELIVER, [str(held.pk)])]


def test_unsent_emails_of_the_window_are_enqueued_for_those_who_want_email(
    claim: Any, editor: Any, editor2: Any, reviewer: Any, reviewer2: Any, queued_tasks: Any
) -> None:
    NotificationSettings.objects.create(user=editor2, email=False)
    reviewer2.email = ""
    reviewer2.save()
    written = notify(
        recipients=[editor, editor2, reviewer, reviewer2],
        kind="comment",
        claim=claim,
        actor=None,
        message="A comment",
    )
    assert len(written) == 4
    Notification.objects.update(created_at=_ago(20))
    by_user = {n.recipient_id: n for n in Notification.objects.all()}
    # The reviewer's went out already.
    Notification.objects.filter(pk=by_user[reviewer.pk].pk).update(emailed_at=_ago(19))
    assert notification_emails_resend() == 1
    assert queued_tasks() == [(EMAIL, [by_user[editor.pk].pk])]
    # Older than the window: news no more.
    Notification.objects.update(created_at=_ago(60 * 49))
    assert notification_emails_resend() == 0


def test_an_open_reason_no_notice_followed_is_noticed_again(
    claim: Any, reviewer: Any, editor: Any, editor2: Any, queued_tasks: Any
) -> None:
    publish(claim, reviewer=reviewer, editor=editor2)
    review = Review.objects.get(claim=claim)
    assert review_flag_rereview(claim_id=claim.pk, reason="The source moved")
    review.rereview_reasons.update(created_at=_ago(20))
    assert not Notification.objects.filter(kind="rereview").exists()
    assert rereview_notices_resend() == 1
    assert queued_tasks() == [(NOTICE, [review.pk])]
    # Once a notice followed the reason, read or not, nothing more is sent for it.
    from reviews.notifications import rereview_notify

    assert rereview_notify(review_id=review.pk)
    Notification.objects.filter(kind="rereview").update(read_at=timezone.now())
    assert rereview_notices_resend() == 0


def test_the_sweep_reports_each_kind(deliveries: list[WebhookDelivery], queued_tasks: Any) -> None:
    WebhookDelivery.objects.update(created_at=_ago(20))
    assert undelivered_resend() == {
        "webhook_deliveries": 2,
        "notification_emails": 0,
        "rereview_notices": 0,
    }
    assert sorted(args for name, args in queued_tasks() if name == DELIVER) == sorted(
        [[str(d.pk)] for d in deliveries]
    )
