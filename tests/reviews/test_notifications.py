"""Who is told what: the notifications of each workflow step, re-review, and their email."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from reviews.models import Notification, NotificationSettings
from reviews.notifications import notification_email_send, rereview_notify
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db


def told(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def test_each_step_tells_the_people_it_concerns_never_the_actor(
    with_evidence: Any, reviewer: Any, reviewer2: Any, editor: Any, editor2: Any
) -> None:
    claim = with_evidence
    move(claim, editor, "assign", assignee=reviewer)
    assert told("assigned") == ["rita"]
    move(claim, reviewer, "submit", verdict="mostly_false", rationale="MoD figures.")
    assert told("submitted") == ["ed", "edna"]  # every editor
    move(claim, editor, "return", note="Which year?")
    assert told("returned") == ["rita"]
    returned = Notification.objects.get(kind="returned")
    assert returned.message == (
        "edna returned “North Korea is training 10,000 soldiers”: Which year?"
    )
    assert returned.actor == editor
    move(claim, reviewer, "submit", verdict="mostly_false", rationale="MoD figures, 2024.")
    move(claim, editor2, "approve")
    published = Notification.objects.get(kind="published")
    assert published.recipient == reviewer
    assert published.message == (
        "ed published “North Korea is training 10,000 soldiers”: Mostly false"
    )
    assert not Notification.objects.filter(recipient=reviewer2).exists()


def test_taking_a_claim_or_assigning_yourself_tells_nobody(
    with_evidence: Any, reviewer: Any, editor: Any
) -> None:
    move(with_evidence, reviewer, "take")
    assert not Notification.objects.exists()


def test_inactive_users_are_not_told(
    with_evidence: Any, reviewer: Any, editor: Any, editor2: Any
) -> None:
    editor2.is_active = False
    editor2.save()
    move(with_evidence, reviewer, "take")
    move(with_evidence, reviewer, "submit", verdict="false", rationale="r")
    assert told("submitted") == ["edna"]


def test_rereview_tells_the_assignee_and_the_editors_once(
    published: Any, reviewer: Any, editor: Any, editor2: Any
) -> None:
    from reviews.models import Review

    review = Review.objects.get(claim=published)
    Review.objects.filter(pk=review.pk).update(
        needs_rereview=True, rereview_reason="evidence link is dead"
    )
    written = rereview_notify(review_id=review.pk)
    assert sorted(n.recipient.username for n in written) == ["ed", "edna", "rita"]
    note = Notification.objects.filter(kind="rereview").first()
    assert note is not None
    assert note.message == (
        "Mostly true on “North Korea is training 10,000 soldiers” needs re-review: "
        "evidence link is dead"
    )
    # A redelivered task writes nothing twice.
    assert rereview_notify(review_id=review.pk) == []
    assert Notification.objects.filter(kind="rereview").count() == 3


def test_the_email_has_a_full_link_and_the_verdict_label(
    published: Any, reviewer: Any, settings: Any
) -> None:
    settings.FACTCHECK_DESK_URL = "https://desk.example.org/"
    notification = Notification.objects.get(kind="published", recipient=reviewer)
    assert notification_email_send(notification_id=notification.pk) is True
    (message,) = mail.outbox
    assert message.to == ["rita@example.org"]
    assert message.subject == (
        "[factcheck] edna published “North Korea is training 10,000 soldiers”: Mostly true"
    )
    link = f"https://desk.example.org/articles/{published.article_id}/?claim={published.pk}"
    assert f"Open it in the desk: {link}" in message.body
    assert "Verdict: Mostly true" in message.body
    assert "State: published" in message.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # Once: a second delivery of the task sends nothing.
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_an_opted_out_user_or_one_without_an_address_gets_no_email(
    published: Any, reviewer: Any
) -> None:
    notification = Notification.objects.get(kind="published", recipient=reviewer)
    NotificationSettings.objects.create(user=reviewer, email=False)
    assert notification_email_send(notification_id=notification.pk) is False
    NotificationSettings.objects.filter(user=reviewer).update(email=True)
    type(reviewer).objects.filter(pk=reviewer.pk).update(email="")
    assert notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_emails_are_enqueued_on_commit_for_those_who_keep_email_on(
    with_evidence: Any,
    reviewer: Any,
    editor: Any,
    editor2: Any,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    NotificationSettings.objects.create(user=editor2, email=False)
    move(with_evidence, reviewer, "take")
    with django_capture_on_commit_callbacks(execute=True):
        move(with_evidence, reviewer, "submit", verdict="false", rationale="r")
    edna = Notification.objects.get(kind="submitted", recipient=editor)
    assert Notification.objects.filter(kind="submitted", recipient=editor2).exists()
    assert queued_tasks() == [("reviews.tasks.send_notification_email", [edna.pk])]
