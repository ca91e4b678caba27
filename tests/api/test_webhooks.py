from __future__ import annotations

import json
from typing import Any

import pytest

from reviews.models import WebhookDelivery, WebhookSubscription
from reviews.webhooks.signing import signature_verify
from tests.api.conftest import publish
from tests.helpers import wait_for

URL = "/api/v1/webhooks/"
EVENTS = ["claim.published", "claim.corrected", "evidence.stale"]


def subscribe(client: Any, url: str, events: list[str] = EVENTS) -> Any:
    response = client.post(URL, {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.data
    return response.data


def test_crud_is_owner_scoped(
    client_for: Any, submitter: Any, reviewer: Any, receiver: Any
) -> None:
    mine = client_for(submitter)
    created = subscribe(mine, receiver.url(), ["claim.published"])
    assert created["secret"].startswith("whsec_")
    hook = f"{URL}{created['id']}/"
    shown = mine.get(hook)
    assert shown.status_code == 200
    assert "secret" not in shown.data
    assert [h["id"] for h in mine.get(URL).data["results"]] == [created["id"]]
    theirs = client_for(reviewer)
    assert theirs.get(URL).data["results"] == []
    assert theirs.get(hook).status_code == 404
    assert theirs.delete(hook).status_code == 404
    changed = mine.patch(hook, {"events": ["evidence.stale"], "is_active": False}, format="json")
    assert changed.data["events"] == ["evidence.stale"]
    assert changed.data["is_active"] is False
    assert mine.delete(hook).status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/hook", "Only http and https"),
        ("http://10.0.0.7/hook", "refused"),
        ("http://169.254.169.254/latest", "refused"),
        ("http://[::1]:443/hook", "refused"),
        ("http://user:pw@example.org/hook", "credentials"),
        ("http://example.org:22/hook", "Port 22"),
    ],
)
def test_refused_urls(client_for: Any, submitter: Any, url: str, message: str) -> None:
    response = client_for(submitter).post(URL, {"url": url, "events": EVENTS}, format="json")
    assert response.status_code == 400
    assert message in response.data["url"][0]


def test_unknown_event(client_for: Any, submitter: Any) -> None:
    response = client_for(submitter).post(
        URL, {"url": "https://example.org/h", "events": ["claim.deleted"]}, format="json"
    )
    assert response.status_code == 400
    assert "events" in response.data


def test_publish_and_correct_are_delivered_signed(
    client_for: Any,
    submitter: Any,
    reviewer: Any,
    editor: Any,
    editor2: Any,
    claim: Any,
    receiver: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    created = subscribe(client_for(submitter), receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        publish(claim, reviewer=reviewer, editor=editor)
    assert len(receiver.received) == 1
    request = receiver.received[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert signature_verify(
        secret=created["secret"], body=request["body"], header=headers["x-factcheck-signature"]
    )
    assert not signature_verify(
        secret="whsec_wrong", body=request["body"], header=headers["x-factcheck-signature"]
    )
    event = json.loads(request["body"])
    assert event["type"] == "claim.published" == headers["x-factcheck-event"]
    assert event["data"]["claim"]["id"] == str(claim.pk)
    assert event["data"]["review"]["verdict"] == "false"
    assert event["data"]["correction"] is None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert headers["x-factcheck-delivery"] == str(delivery.pk)

    # Reopen, change the verdict, republish: a correction.
    from reviews.models import Review
    from reviews.services import review_transition

    def move(by: Any, action: str, **inputs: Any) -> None:
        review = Review.objects.get(claim=claim)
        review_transition(
            review_id=review.pk, by=by, action=action, expected_version=review.version, **inputs
        )

    from annotations.models import Link

    # The eager link check found example.org outside the test's egress allow-list (unsafe).
    Link.objects.update(health="ok")
    with django_capture_on_commit_callbacks(execute=True):
        move(editor2, "reopen", note="New figures")
        move(reviewer, "submit", verdict="mostly_false", rationale="Revised.")
        move(editor2, "approve", note="The ministry revised its figures.")
    corrected = receiver.events()[-1]
    assert corrected["type"] == "claim.corrected"
    assert corrected["data"]["correction"] == {"reason": "The ministry revised its figures."}
    log = client_for(submitter).get(f"{URL}{created['id']}/deliveries/")
    assert [d["event"] for d in log.data["results"]] == ["claim.corrected", "claim.published"]


def test_failures_are_retried_then_logged(
    client_for: Any,
    submitter: Any,
    receiver: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """Attempt by attempt (the task's retries are the worker test below)."""
    from reviews.webhooks.events import event_ping
    from reviews.webhooks.services import webhook_attempt

    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(client_for(submitter), receiver.url(), ["claim.published"])
    subscription = WebhookSubscription.objects.get()
    receiver.statuses.extend([500, 503])
    with django_capture_on_commit_callbacks() as enqueued:
        delivery = event_ping(subscription=subscription)
    assert len(enqueued) == 1
    outcomes = [webhook_attempt(delivery_id=delivery.pk) for _ in range(3)]
    assert [(o.retry, o.status) for o in outcomes] == [
        (True, "pending"),
        (True, "pending"),
        (False, "succeeded"),
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert len({r["body"] for r in receiver.received}) == 1  # the same event every time
    assert webhook_attempt(delivery_id=delivery.pk).status == ""  # done: nothing sent
    assert len(receiver.received) == 3

    receiver.statuses.extend([500, 500, 500])
    failing = event_ping(subscription=subscription)
    for _ in range(3):
        webhook_attempt(delivery_id=failing.pk)
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == ("failed", 3)
    assert failing.last_error == "HTTP 500: receiver says no"


# Seconds before the attempt after attempt n (1-based), at the two ends of the jitter, with
# WEBHOOK_BACKOFF_SECONDS=10 and CELERY_MAX_COUNTDOWN=300: doubling, at least half of each step.
BACKOFF_LOW = [5, 10, 20, 40, 80, 150, 150, 150]
BACKOFF_HIGH = [10, 20, 40, 80, 160, 300, 300, 300]


def test_backoff_doubles_per_attempt_with_jitter_up_to_the_cap(
    settings: Any, monkeypatch: Any
) -> None:
    import random

    from reviews.webhooks.services import webhook_backoff

    settings.WEBHOOK_BACKOFF_SECONDS = 10
    settings.CELERY_MAX_COUNTDOWN = 300
    attempts = range(1, len(BACKOFF_LOW) + 1)
    with monkeypatch.context() as m:  # the jitter's two ends, exactly
        m.setattr(random, "uniform", lambda low, high: low)
        assert [webhook_backoff(n) for n in attempts] == BACKOFF_LOW
        m.setattr(random, "uniform", lambda low, high: high)
        assert [webhook_backoff(n) for n in attempts] == BACKOFF_HIGH
    for n, low, high in zip(attempts, BACKOFF_LOW, BACKOFF_HIGH, strict=True):
        drawn = [webhook_backoff(n) for _ in range(200)]
        assert all(low <= d <= high for d in drawn), (n, min(drawn), max(drawn))
        assert len(set(drawn)) > 100  # jittered: retries of many deliveries spread out


def test_each_retry_is_scheduled_later_by_the_backoff(
    submitter: Any, receiver: Any, settings: Any, monkeypatch: Any
) -> None:
    """The task's retry countdown and the delivery's next_attempt_at follow the backoff."""
    from datetime import timedelta

    from celery.exceptions import Retry
    from django.utils import timezone

    from reviews.webhooks.events import event_ping
    from reviews.webhooks.services import webhook_create
    from reviews.webhooks.tasks import deliver_webhook

    settings.WEBHOOK_BACKOFF_SECONDS = 10
    settings.CELERY_MAX_COUNTDOWN = 300
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    subscription = webhook_create(owner=submitter, url=receiver.url(), events=["claim.published"])
    delivery = event_ping(subscription=subscription)  # never enqueued: no commit in this test
    receiver.statuses.extend([500, 502, 503, 500])
    countdowns: list[float] = []

    def retry(*, countdown: float, **kwargs: Any) -> Retry:
        countdowns.append(countdown)
        return Retry(when=countdown)

    monkeypatch.setattr(deliver_webhook, "retry", retry)
    for attempt in (1, 2, 3):
        asked = timezone.now()
        with pytest.raises(Retry):
            deliver_webhook(str(delivery.pk))
        done = timezone.now()
        delivery.refresh_from_db()
        countdown = countdowns[-1]
        assert BACKOFF_LOW[attempt - 1] <= countdown <= BACKOFF_HIGH[attempt - 1], attempt
        assert (delivery.status, delivery.attempts) == ("pending", attempt)
        wait = timedelta(seconds=countdown)
        assert asked + wait <= delivery.next_attempt_at <= done + wait
    assert countdowns == sorted(countdowns)  # each wait at least as long as the one before
    # The last attempt allowed fails for good: no retry, nothing scheduled.
    assert deliver_webhook(str(delivery.pk)) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)
    assert len(countdowns) == 3
    assert len(receiver.received) == 4


@pytest.mark.worker
def test_a_real_worker_retries_with_backoff(
    start_worker: Any, submitter: Any, receiver: Any
) -> None:
    from django.db import transaction

    from reviews.webhooks.events import event_ping
    from reviews.webhooks.services import webhook_create

    subscription = webhook_create(owner=submitter, url=receiver.url(), events=["claim.published"])
    start_worker(
        extra_env={
            "WEBHOOK_BACKOFF_SECONDS": "0.2",
            "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LINKCHECK_ALLOWED_PORTS": str(receiver.port),
        }
    )
    receiver.statuses.extend([500, 502])
    with transaction.atomic():
        delivery = event_ping(subscription=subscription)
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).status != "pending",
        timeout=30,
        what="the delivery to succeed or fail",
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert len(receiver.received) == 3
    # Each retry came no sooner than its backoff (0.2 s doubling, at least half of each step).
    first, second, third = (r["at"] for r in receiver.received)
    assert 0.1 <= second - first < 10
    assert 0.2 <= third - second < 10


def test_unsafe_destinations_are_never_contacted(
    client_for: Any,
    submitter: Any,
    receiver: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """A name that resolves to loopback is refused at delivery (the guard runs every time)."""
    created = subscribe(client_for(submitter), f"http://localhost:{receiver.port}/hook")
    settings.LINKCHECK_ALLOWED_NETWORKS = []
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(submitter).post(f"{URL}{created['id']}/ping/")
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("unsafe: blocked_address")
    assert receiver.received == []


def test_nothing_is_sent_for_a_rolled_back_change(
    client_for: Any,
    submitter: Any,
    reviewer: Any,
    editor: Any,
    claim: Any,
    receiver: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.db import transaction

    subscribe(client_for(submitter), receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                publish(claim, reviewer=reviewer, editor=editor)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_evidence_stale_once_per_episode(
    client_for: Any,
    submitter: Any,
    reviewer: Any,
    claim: Any,
    receiver: Any,
    local_site: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """A link check that finds the evidence gone announces it; the next failing check of the
    same outage does not; a recovery and a new outage do again."""
    from annotations.linkhealth.batches import links_check_batch
    from annotations.models import Link
    from annotations.services.evidence import evidence_attach

    settings.LINKCHECK_ALLOWED_PORTS = [local_site.port, receiver.port]
    subscribe(client_for(submitter), receiver.url(), ["evidence.stale"])
    page = local_site.page("/source", "<html><body><p>The figures, in full.</p></body></html>")
    evidence = evidence_attach(claim=claim, by=reviewer, url=page, stance="refutes")
    link = Link.objects.get(pk=evidence.link_id)

    def check(n: int) -> None:
        Link.objects.filter(pk=link.pk).update(checking_until=None, lease_owner="")
        with django_capture_on_commit_callbacks(execute=True):
            links_check_batch(link_ids=[link.pk], attempt_prefix=f"t{n}", time_budget=30)

    local_site.routes["/source"] = (404, {}, b"gone")
    check(1)
    check(2)
    stale = [e for e in receiver.events() if e["type"] == "evidence.stale"]
    assert len(stale) == 1
    assert stale[0]["data"]["evidence"]["id"] == str(evidence.pk)
    assert stale[0]["data"]["link"]["health"] == "broken"
    page = local_site.page("/source", "<html><body><p>The figures, in full.</p></body></html>")
    check(3)
    local_site.routes["/source"] = (410, {}, b"gone")
    check(4)
    assert len([e for e in receiver.events() if e["type"] == "evidence.stale"]) == 2


def _hook_row(subscription_id: Any) -> tuple[Any, ...]:
    return tuple(
        WebhookSubscription.objects.filter(pk=subscription_id).values_list(
            "url", "events", "is_active", "secret", "description", "owner_id"
        )[0]
    )


def test_nobody_but_the_owner_or_a_superuser_reaches_a_webhook(
    client_for: Any,
    make_user: Any,
    submitter: Any,
    reviewer: Any,
    receiver: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Staff status alone is not enough: another user, staff or not, gets a 404 for every
    operation and the subscription stays exactly as it was, with no ping sent."""
    created = subscribe(client_for(submitter), receiver.url(), ["claim.published"])
    hook = f"{URL}{created['id']}/"
    before = _hook_row(created["id"])
    staff = make_user("stella", "editor", is_staff=True)
    for other in (reviewer, staff):
        theirs = client_for(other)
        assert theirs.get(URL).data["results"] == []
        with django_capture_on_commit_callbacks(execute=True):
            answers = [
                theirs.get(hook),
                theirs.patch(
                    hook,
                    {
                        "url": "http://127.0.0.1:9/elsewhere",
                        "events": ["evidence.stale"],
                        "is_active": False,
                        "description": "mine now",
                    },
                    format="json",
                ),
                theirs.post(f"{hook}ping/"),
                theirs.get(f"{hook}deliveries/"),
                theirs.delete(hook),
            ]
        assert [a.status_code for a in answers] == [404] * 5, [a.data for a in answers]
        assert {a.data["code"] for a in answers} == {"not_found"}
        assert _hook_row(created["id"]) == before
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []

    root = client_for(make_user("root", is_superuser=True, is_staff=True))
    assert [h["id"] for h in root.get(URL).data["results"]] == [created["id"]]
    assert root.get(hook).data["owner"] == submitter.username
    assert root.get(f"{hook}deliveries/").status_code == 200


def _publish_with_hooks(
    client_for: Any, receiver: Any, *, leaving: Any, staying: Any
) -> tuple[Any, Any]:
    gone = subscribe(client_for(leaving), receiver.url("/leaving"), ["claim.published"])
    kept = subscribe(client_for(staying), receiver.url("/staying"), ["claim.published"])
    return gone, kept


def test_a_deactivated_users_webhooks_get_no_events(
    client_for: Any,
    make_user: Any,
    submitter: Any,
    reviewer: Any,
    editor: Any,
    claim: Any,
    receiver: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = make_user("sue", "submitter")
    gone, kept = _publish_with_hooks(client_for, receiver, leaving=submitter, staying=other)
    type(submitter).objects.filter(pk=submitter.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        publish(claim, reviewer=reviewer, editor=editor)
    assert [r["path"] for r in receiver.received] == ["/staying"]
    assert not WebhookDelivery.objects.filter(subscription_id=gone["id"]).exists()
    assert WebhookDelivery.objects.get(subscription_id=kept["id"]).status == "succeeded"


def test_a_delivery_queued_before_its_owner_was_deactivated_is_not_sent(
    client_for: Any,
    make_user: Any,
    submitter: Any,
    reviewer: Any,
    editor: Any,
    claim: Any,
    receiver: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The owner is checked again when the delivery is attempted, not only at fan-out."""
    other = make_user("sue", "submitter")
    gone, kept = _publish_with_hooks(client_for, receiver, leaving=submitter, staying=other)
    with django_capture_on_commit_callbacks() as enqueued:
        publish(claim, reviewer=reviewer, editor=editor)
    queued = WebhookDelivery.objects.get(subscription_id=gone["id"])
    assert queued.status == "pending"
    type(submitter).objects.filter(pk=submitter.pk).update(is_active=False)
    for callback in enqueued:
        callback()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == (
        "failed",
        1,
        "webhook owner deactivated",
    )
    assert [r["path"] for r in receiver.received] == ["/staying"]
