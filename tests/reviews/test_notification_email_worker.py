"""Notification emails through a real worker process: enqueued on commit, sent once, opt-out.

The worker is another process, so it writes mail with Django's filebased backend into the
test's tmp_path (TEST_EMAIL_BACKEND, EMAIL_FILE_PATH), read back here.
"""

from __future__ import annotations

import email
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from factcheck.broker import enqueue
from reviews.models import Notification, NotificationSettings, Review
from reviews.tasks import notify_rereview, send_notification_email
from tests.helpers import broker_idle, wait_for
from tests.reviews.conftest import move

pytestmark = pytest.mark.worker

SEPARATOR = "-" * 79


def sent(directory: Path) -> list[Message]:
    """Every message the filebased backend wrote (one file per connection, separated)."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_text().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip() + "\n"))
    return messages


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


@pytest.fixture
def mail_worker(start_worker: Any, tmp_path: Path) -> Path:
    start_worker(
        extra_env={
            "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path),
            "FACTCHECK_DESK_URL": "https://desk.example.org/",
        }
    )
    return tmp_path


def test_a_submission_emails_each_editor_once_with_a_link_and_the_verdict_label(
    mail_worker: Path, claim: Any, reviewer: Any, editor: Any, editor2: Any
) -> None:
    NotificationSettings.objects.create(user=editor2, email=False)
    move(claim, reviewer, "take")
    move(claim, reviewer, "submit", verdict="mostly_false", rationale="MoD figures.")
    edna = Notification.objects.get(kind="submitted", recipient=editor)
    wait_for(
        lambda: Notification.objects.filter(pk=edna.pk, emailed_at__isnull=False).exists(),
        timeout=30,
        what="the editor's notification emailed",
    )
    wait_for(broker_idle(settings.REDIS_URL), timeout=30, what="the worker done")
    (message,) = sent(mail_worker)
    assert message["To"] == "edna@example.org"
    assert subject(message) == (
        "[factcheck] rita submitted Mostly false on “North Korea is training 10,000 soldiers” "
        "for approval"
    )
    text = body(message)
    link = f"https://desk.example.org/articles/{claim.article_id}/?claim={claim.pk}"
    assert f"Open it in the desk: {link}" in text
    assert "Verdict: Mostly false" in text
    # ed turned email off: notified in the desk, never mailed.
    ed = Notification.objects.get(kind="submitted", recipient=editor2)
    assert ed.emailed_at is None

    # A redelivered (or repeated) task sends nothing again.
    assert enqueue(send_notification_email, edna.pk)
    wait_for(broker_idle(settings.REDIS_URL), timeout=30, what="the repeat done")
    assert len(sent(mail_worker)) == 1


def test_the_rereview_task_keeps_its_name_and_writes_and_mails_notifications(
    mail_worker: Path, published: Any, reviewer: Any, editor: Any, editor2: Any
) -> None:
    # The publication's own notification (to rita) is mailed first: wait it out.
    wait_for(broker_idle(settings.REDIS_URL), timeout=30, what="the publication's tasks done")
    sent_before = len(sent(mail_worker))
    review = Review.objects.get(claim=published)
    Review.objects.filter(pk=review.pk).update(
        needs_rereview=True, rereview_reason="evidence link is dead"
    )
    assert notify_rereview.name == "reviews.tasks.notify_rereview"
    assert enqueue(notify_rereview, review.pk)
    wait_for(
        lambda: Notification.objects.filter(kind="rereview", emailed_at__isnull=False).count() == 3,
        timeout=30,
        what="three re-review notifications emailed",
    )
    wait_for(broker_idle(settings.REDIS_URL), timeout=30, what="the worker done")
    # Files are named by second and object id, not in order: pick the new ones by subject.
    messages = [m for m in sent(mail_worker) if "needs re-review" in subject(m)]
    assert len(sent(mail_worker)) == sent_before + 3
    assert sorted(m["To"] for m in messages) == [
        "ed@example.org",
        "edna@example.org",
        "rita@example.org",
    ]
    written = set(Notification.objects.filter(kind="rereview").values_list("message", flat=True))
    assert len(written) == 1
    (message_text,) = written
    assert "needs re-review: " in message_text
    assert [subject(m) for m in messages] == [f"[factcheck] {message_text}"] * 3
