"""factcheck.db: many rows with different values in one UPDATE, and their history rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.linkhealth.health import LinkHealth
from annotations.models import Claim, Link
from factcheck.db import history_record_rows, rows_update
from tests.factories import claim_create

pytestmark = pytest.mark.django_db

LINK_FIELDS = ("health", "last_status", "last_error", "last_checked_at", "consecutive_failures")


def _links(n: int) -> list[Link]:
    return [
        Link.objects.create(url=f"https://site{i}.example.org/page", host=f"site{i}.example.org")
        for i in range(n)
    ]


def test_rows_update_writes_each_rows_own_values_in_one_statement() -> None:
    assert connection.vendor == "postgresql"
    links = _links(3)
    untouched = Link.objects.create(url="https://other.example.org/", host="other.example.org")
    now = timezone.now()
    values: list[dict[str, Any]] = [
        # text (choices), smallint, varchar, timestamptz, int
        dict(
            health=LinkHealth.OK,
            last_status=200,
            last_error="",
            last_checked_at=now,
            consecutive_failures=0,
        ),
        # nulls among non-nulls, a text with quotes and braces (array literal syntax)
        dict(
            health=LinkHealth.ERROR,
            last_status=None,
            last_error="timed out {\"a\", b} \\ 'c'",
            last_checked_at=now - timedelta(hours=3),
            consecutive_failures=7,
        ),
        dict(
            health=LinkHealth.DEAD,
            last_status=404,
            last_error="gone",
            last_checked_at=None,
            consecutive_failures=2_000_000,
        ),
    ]
    for link, fields in zip(links, values, strict=True):
        for name, value in fields.items():
            setattr(link, name, value)
    # A field not named is not written, even when the object in hand differs.
    links[0].final_url = "https://never.example.org/"

    with CaptureQueriesContext(connection) as ctx:
        rows_update(Link, links, LINK_FIELDS)

    assert len(ctx.captured_queries) == 1
    assert "unnest" in ctx.captured_queries[0]["sql"]
    for link, fields in zip(links, values, strict=True):
        stored = Link.objects.values(*LINK_FIELDS, "final_url").get(pk=link.pk)
        assert stored == {**fields, "final_url": ""}
    assert Link.objects.values(*LINK_FIELDS).get(pk=untouched.pk) == {
        "health": LinkHealth.UNCHECKED,
        "last_status": None,
        "last_error": "",
        "last_checked_at": None,
        "consecutive_failures": 0,
    }


def test_rows_update_types_json_uuid_keys_foreign_keys_and_floats(
    article: Any, reviewer: Any
) -> None:
    first = claim_create(article=article, by=reviewer, exact="North Korean troops")
    second = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    first.tags, second.tags = ["a", {"nested": [1, None]}], []
    first.anchor_score, second.anchor_score = 0.25, 1.0
    first.summary, second.summary = "", "a summary"
    later = timezone.now() + timedelta(minutes=5)
    first.updated_at = second.updated_at = later
    fields = ("tags", "anchor_score", "summary", "revision", "updated_at")

    with CaptureQueriesContext(connection) as ctx:
        rows_update(Claim, [first, second], fields)

    assert len(ctx.captured_queries) == 1
    rows = {c["id"]: c for c in Claim.objects.values("id", *fields)}
    assert rows[first.pk] == {
        "id": first.pk,
        "tags": ["a", {"nested": [1, None]}],
        "anchor_score": 0.25,
        "summary": "",
        "revision": first.revision_id,
        "updated_at": later,
    }
    assert rows[second.pk] == {
        "id": second.pk,
        "tags": [],
        "anchor_score": 1.0,
        "summary": "a summary",
        "revision": second.revision_id,
        "updated_at": later,
    }


def test_rows_update_of_nothing_sends_nothing() -> None:
    with CaptureQueriesContext(connection) as ctx:
        rows_update(Link, [], LINK_FIELDS)
    assert ctx.captured_queries == []


def test_history_record_rows_records_the_rows_as_they_are_now(
    article: Any, reviewer: Any, editor: Any
) -> None:
    claims = [
        claim_create(article=article, by=reviewer, exact="North Korean troops"),
        claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers"),
    ]
    Claim.objects.filter(pk=claims[0].pk).update(summary="changed in the database")
    before = {c.pk: c.history.count() for c in claims}
    when = timezone.now()

    with CaptureQueriesContext(connection) as ctx:
        history_record_rows(Claim, [c.pk for c in claims], reason="x" * 150, by=editor, when=when)

    assert len(ctx.captured_queries) == 1
    for claim in claims:
        assert claim.history.count() == before[claim.pk] + 1
        record = claim.history.order_by("-history_id").first()
        assert record is not None
        assert (record.history_type, record.history_user_id, record.history_date) == (
            "~",
            editor.pk,
            when,
        )
        assert record.history_change_reason == "x" * 150  # kept in full (a text field)
    assert claims[0].history.order_by("-history_id").first().summary == "changed in the database"
    assert claims[1].history.order_by("-history_id").first().summary == ""
