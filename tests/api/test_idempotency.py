from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotations.models import Article
from factcheck.idempotency import idempotency_begin, idempotency_purge
from factcheck.models import IdempotencyKey

URL = "/api/v1/articles/"
BODY = {"url": "https://news.example.org/idem", "title": "Idem", "text": "Once only."}


def post(client: Any, body: Any = BODY, key: str = "k-1", url: str = URL) -> Any:
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_replays_the_first_answer(client_for: Any, submitter: Any) -> None:
    client = client_for(submitter)
    first = post(client)
    again = post(client)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Article.objects.count() == 1
    # Without the key, the same body is an ordinary resubmit ("unchanged", 200).
    plain = client.post(URL, BODY, format="json")
    assert plain.status_code == 200
    assert plain.data["status"] == "unchanged"


def test_same_key_different_body_is_422(client_for: Any, submitter: Any) -> None:
    client = client_for(submitter)
    post(client)
    other = post(client, BODY | {"title": "Other"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    elsewhere = post(client, [BODY], url="/api/v1/articles/bulk/")
    assert elsewhere.status_code == 422


def test_keys_are_per_user(client_for: Any, submitter: Any, reviewer: Any) -> None:
    assert post(client_for(submitter)).status_code == 201
    theirs = post(client_for(reviewer))
    assert theirs.status_code == 200  # ran: the same article, unchanged
    assert "Idempotent-Replayed" not in theirs


def test_a_key_still_running_is_409(client_for: Any, submitter: Any) -> None:
    begin = idempotency_begin(user=submitter, key="k-1", fingerprint="x", method="POST", path=URL)
    assert begin.row is not None
    client = client_for(submitter)
    # The running one's fingerprint differs: 422 wins over "in progress"...
    assert post(client).status_code == 422
    # ...and the same request while it runs is a 409 with Retry-After.
    IdempotencyKey.objects.filter(pk=begin.row.pk).update(
        request_hash=_fingerprint_of(client, submitter)
    )
    busy = post(client)
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"
    assert busy["Retry-After"] == "1"
    assert Article.objects.count() == 0
    # A first request that died: once its lease ran out, a retry takes the key over.
    IdempotencyKey.objects.filter(pk=begin.row.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert post(client).status_code == 201


def _fingerprint_of(client: Any, user: Any) -> str:
    """The fingerprint the middleware computes for `post(client)`, read back from a key."""
    post(client, key="probe")
    row = IdempotencyKey.objects.get(user=user, key="probe")
    IdempotencyKey.objects.filter(pk=row.pk).delete()
    Article.objects.all().delete()
    return row.request_hash


def test_refusals_are_not_kept(client_for: Any, outsider: Any, submitter: Any) -> None:
    assert post(client_for(outsider)).status_code == 403
    assert not IdempotencyKey.objects.exists()
    invalid = post(client_for(submitter), {"title": "x"})
    assert invalid.status_code == 400
    # A 400 is the answer to this request: kept and replayed.
    assert post(client_for(submitter), {"title": "x"})["Idempotent-Replayed"] == "true"


def test_bad_keys(client_for: Any, submitter: Any) -> None:
    client = client_for(submitter)
    assert post(client, key="x" * 256).status_code == 400
    assert post(client, key="   ").status_code == 400
    assert post(client, key="k\u00e9").status_code == 400


def test_expired_keys_are_reused_and_purged(client_for: Any, submitter: Any) -> None:
    client = client_for(submitter)
    post(client)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    fresh = post(client, BODY | {"title": "New title"})
    assert fresh.status_code == 200  # ran again: the key had expired
    assert "Idempotent-Replayed" not in fresh
    post(client, key="k-2")
    IdempotencyKey.objects.filter(key="k-2").update(created_at=timezone.now() - timedelta(hours=30))
    assert idempotency_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-1"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_execute_once(client_for: Any, submitter: Any) -> None:
    """Eight clients send the same bulk upload with the same key at the same moment."""
    from factcheck.tokens import token_create

    _, key = token_create(user=submitter, name="cms", role="submitter", by=None)
    body = [BODY | {"url": f"https://news.example.org/c/{i}"} for i in range(20)]
    barrier = threading.Barrier(8)
    answers: list[tuple[int, bytes, bool]] = []

    def send() -> None:
        from django.db import connection
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        barrier.wait()
        response = client.post(
            "/api/v1/articles/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        answers.append(
            (response.status_code, response.content, response.has_header("Idempotent-Replayed"))
        )
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Article.objects.count() == 20
    executed = [a for a in answers if a[0] == 200 and not a[2]]
    assert len(executed) == 1
    created = executed[0][1]
    # The others, depending on when they arrived: a replay of that answer, or told the first
    # is still running.
    for status, content, replayed in (a for a in answers if a is not executed[0]):
        if status == 200:
            assert replayed and content == created
        else:
            assert status == 409, content
            assert json.loads(content)["code"] == "idempotency_in_progress"
