"""Deadlines and priorities: set by editors (PATCH .../review/ with If-Match), the daily
reminders of what is due tomorrow and overdue, and the per-person workload."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from reviews.deadlines import reviews_notify_due, tomorrow_bounds, workload
from reviews.models import Notification, Priority, Review
from tests.factories import claim_create
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db


def review_url(claim: Any) -> str:
    return f"/api/v1/claims/{claim.pk}/review/"


def etag_of(claim: Any) -> str:
    return Review.objects.get(claim=claim).etag


def schedule(client: Any, claim: Any, body: dict[str, Any], etag: str | None = "") -> Any:
    headers = {} if etag is None else {"HTTP_IF_MATCH": etag or etag_of(claim)}
    return client.patch(review_url(claim), body, format="json", **headers)


def test_an_editor_sets_a_deadline_and_a_priority(client_for, editor, claim):
    due = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    before = Review.objects.get(claim=claim)
    response = schedule(client_for(editor), claim, {"due_at": due.isoformat(), "priority": "high"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["priority"] == "high"
    assert datetime.fromisoformat(body["due_at"]) == due
    assert body["state"] == before.state
    review = Review.objects.get(claim=claim)
    assert (review.due_at, review.priority, review.version) == (
        due,
        Priority.HIGH,
        before.version + 1,
    )
    assert response["ETag"] == review.etag
    assert review.history.first().history_change_reason.startswith("schedule: due ")
    # The claim list shows them too.
    row = client_for(editor).get("/api/v1/claims/").json()["results"][0]["review"]
    assert row["priority"] == "high" and row["due_at"]
    # null clears the deadline.
    response = schedule(client_for(editor), claim, {"due_at": None})
    assert response.status_code == 200 and response.json()["due_at"] is None


@pytest.mark.parametrize(
    ("who", "body", "etag", "status"),
    [
        ("reviewer", {"priority": "urgent"}, "", 403),
        ("editor", {"priority": "urgent"}, None, 428),
        ("editor", {"priority": "urgent"}, '"999"', 412),
        ("editor", {"priority": "soon"}, "", 400),
        ("editor", {"due_at": "tomorrow"}, "", 400),
        ("editor", {}, "", 400),
        ("editor", {"state": "published"}, "", 400),
        ("editor", {"due_at": "10000-01-01T00:00:00Z"}, "", 400),
    ],
)
def test_refusals_change_nothing(client_for, editor, reviewer, claim, who, body, etag, status):
    before = Review.objects.filter(claim=claim).values().get()
    user = {"editor": editor, "reviewer": reviewer}[who]
    response = schedule(client_for(user), claim, body, etag=etag)
    assert response.status_code == status, response.content
    assert Review.objects.filter(claim=claim).values().get() == before


def _assigned(claim: Any, editor: Any, reviewer: Any, due: datetime) -> Review:
    move(claim, editor, "assign", assignee=reviewer)
    Review.objects.filter(claim=claim).update(due_at=due)
    return Review.objects.get(claim=claim)


def test_the_daily_job_tells_assignees_once_per_deadline(editor, reviewer, reviewer2, article):
    now = timezone.now()
    start, _ = tomorrow_bounds(now)
    tomorrow = claim_create(article=article, by=reviewer, exact="North Korean troops were sent")
    late = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    later = claim_create(article=article, by=reviewer, exact="Zelensky has claimed")
    done = claim_create(article=article, by=reviewer, exact="NATO Secretary General")
    _assigned(tomorrow, editor, reviewer, start + timedelta(hours=10))
    _assigned(late, editor, reviewer2, now - timedelta(hours=3))
    _assigned(later, editor, reviewer, start + timedelta(days=3))
    _assigned(done, editor, reviewer, now - timedelta(days=1))
    move(done, editor, "mark_not_checkable", note="An opinion.")
    Notification.objects.all().delete()

    assert reviews_notify_due(now=now) == {"due_soon": 1, "overdue": 1}
    soon = Notification.objects.get(kind="due_soon")
    assert (soon.recipient, soon.claim_id) == (reviewer, tomorrow.pk)
    assert soon.message.startswith("Due tomorrow")
    overdue = Notification.objects.get(kind="overdue")
    assert (overdue.recipient, overdue.claim_id) == (reviewer2, late.pk)
    assert "Overdue since" in overdue.message
    # Safe to run twice: each deadline is announced once.
    assert reviews_notify_due(now=now + timedelta(hours=1)) == {"due_soon": 0, "overdue": 0}
    # A new deadline is news again.
    Review.objects.filter(claim=late).update(due_at=now + timedelta(hours=2))
    assert reviews_notify_due(now=now + timedelta(hours=3)) == {"due_soon": 0, "overdue": 1}
    assert Notification.objects.filter(kind="overdue", claim=late).count() == 2


def test_the_daily_job_works_in_bounded_batches(settings, editor, reviewer, editor2):
    from annotations.services.articles import article_submit

    settings.DEADLINE_NOTIFY_BATCH = 2
    now = timezone.now()
    words = [f"Claim number {i} is here." for i in range(5)]
    article = article_submit(by=editor, title="Many", text=" ".join(words)).article
    for i in range(5):
        claim = claim_create(article=article, by=reviewer, exact=f"Claim number {i} is here")
        _assigned(claim, editor, reviewer, now - timedelta(hours=1))
    assert reviews_notify_due(now=now)["overdue"] == 5
    settings.DEADLINE_NOTIFY_MAX_BATCHES = 1
    Notification.objects.filter(kind="overdue").delete()
    assert reviews_notify_due(now=now)["overdue"] == 2


def test_the_beat_runs_the_job(settings):
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["notify-due-reviews"]
    assert entry["task"] == "reviews.tasks.notify_due_reviews"
    assert isinstance(entry["schedule"], crontab)


def test_workload_per_person(client, editor, reviewer, reviewer2, article):
    now = timezone.now()
    a = claim_create(article=article, by=reviewer, exact="North Korean troops were sent")
    b = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    c = claim_create(article=article, by=reviewer, exact="Zelensky has claimed")
    _assigned(a, editor, reviewer, now - timedelta(hours=1))
    _assigned(b, editor, reviewer, now + timedelta(hours=5))
    _assigned(c, editor, reviewer2, now + timedelta(days=9))
    Review.objects.filter(claim=c).update(priority=Priority.URGENT)
    rows = {row.user.username: row for row in workload(user=editor, now=now)}
    assert (rows["rita"].open, rows["rita"].overdue, rows["rita"].due_soon) == (2, 1, 1)
    assert (rows["rob"].open, rows["rob"].urgent, rows["rob"].due_soon) == (1, 1, 0)
    assert rows["edna"].open == 0
    # Editors hold the reviewer role as well: counted once.
    assert list(rows)[:2] == ["rita", "rob"]

    client.force_login(editor)
    page = client.get("/workload/")
    assert page.status_code == 200
    assert b"rita" in page.content and b"overdue" in page.content
    client.force_login(reviewer)
    assert client.get("/workload/").status_code == 403
