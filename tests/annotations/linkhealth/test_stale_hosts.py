"""Stale evidence per host as a maintained count (`StaleHost`, `Evidence.stale_host`), the
indexes the desk's lists read, and pages whose query count does not grow with the archive."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from annotations.api.filters import LinkFilter
from annotations.linkhealth.classify import Classification
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.recording import link_check_record
from annotations.linkhealth.staleness import evidence_staleness_refresh
from annotations.models import Claim, Evidence, Link, StaleHost
from annotations.services.claims import claim_delete
from annotations.services.evidence import evidence_attach, evidence_delete
from factcheck.egress.fetcher import FetchResult
from tests.factories import article_create, claim_create

pytestmark = pytest.mark.django_db

EXACTS = ("North Korean troops", "600,000 Russian soldiers", "North Korea is training")


def _check(link: Link, health: LinkHealth, status: int, key: str) -> None:
    link_check_record(
        link_id=link.pk,
        result=FetchResult(url=link.url, final_url=link.url, status_code=status),
        verdict=Classification(health),
        attempt_key=key,
    )


def _counts() -> dict[str, int]:
    return dict(StaleHost.objects.values_list("host", "evidence_count"))


def _grow(n: int, *, by: Any, start: int = 0) -> list[Evidence]:
    """n articles of three claims, each claim citing a broken link of one of three hosts."""
    cited = []
    for i in range(start, start + n):
        article = article_create(by=by, url=f"https://news.example.org/{i}", title=f"A {i}")
        for k, exact in enumerate(EXACTS):
            claim = claim_create(article=article, by=by, exact=exact)
            evidence = evidence_attach(
                claim=claim,
                by=by,
                url=f"https://h{k}.example.org/{i}",
                stance="supports",
            )
            _check(Link.objects.get(pk=evidence.link_id), LinkHealth.BROKEN, 404, f"{i}:{k}")
            cited.append(evidence)
    return cited


def test_the_per_host_counts_follow_checks_removals_and_a_full_refresh(reviewer: Any) -> None:
    cited = _grow(2, by=reviewer)
    assert _counts() == {"h0.example.org": 2, "h1.example.org": 2, "h2.example.org": 2}
    first = Evidence.objects.get(pk=cited[0].pk)
    assert first.stale_host == "h0.example.org"
    row = StaleHost.objects.get(host="h0.example.org")
    oldest = min(
        Evidence.objects.filter(stale_host="h0.example.org").values_list("stale_since", flat=True)
    )
    assert row.oldest_stale_since == oldest
    # The link works again: the host counts one less, and the evidence no longer names it.
    _check(Link.objects.get(pk=first.link_id), LinkHealth.OK, 200, "ok")
    first.refresh_from_db()
    assert (first.stale_since, first.stale_host) == (None, "")
    assert _counts()["h0.example.org"] == 1
    # Removing stale evidence, and deleting a claim with stale evidence, count it out.
    evidence_delete(evidence=Evidence.objects.get(pk=cited[1].pk), by=reviewer)
    assert "h1.example.org" in _counts() and _counts()["h1.example.org"] == 1
    claim_delete(claim=Claim.objects.get(pk=cited[4].claim_id), by=reviewer)
    assert "h1.example.org" not in _counts()
    assert _counts() == {"h0.example.org": 1, "h2.example.org": 2}
    # Counts written behind the services' back: the full refresh (the daily sweep) rebuilds
    # every host's row from the evidence.
    StaleHost.objects.filter(host="h2.example.org").update(evidence_count=99)
    StaleHost.objects.create(host="gone.example.org", evidence_count=3, oldest_stale_since=oldest)
    evidence_staleness_refresh()
    assert _counts() == {"h0.example.org": 1, "h2.example.org": 2}


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_lists_read_the_indexes_of_their_order(editor: Any, reviewer: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL")
    from annotations.selectors import link_list
    from annotations.web.queries import _stale_rows, queue_claims

    _grow(1, by=reviewer)
    # The stale tab in its own order (the oldest stale claim first), not only its count.
    listed, _ = queue_claims(user=editor, bucket="stale")
    assert "claim_stale_recent" in _plan(listed[:25])
    # The stale-sources page: its hosts from the counts, each host's items one index range.
    assert "stalehost_oldest" in _plan(
        StaleHost.objects.order_by("oldest_stale_since", "host")[:21]
    )
    items = _stale_rows(editor).filter(stale_host="h0.example.org").order_by("stale_since", "pk")
    assert "evidence_stale_host" in _plan(items[:10])
    # The evidence admin: newest first on (created_at, id), a total order.
    evidence_admin = admin.site._registry[Evidence]
    request = RequestFactory().get("/admin/annotations/evidence/")
    ordering = evidence_admin.get_ordering(request)
    assert tuple(ordering) == ("-created_at", "-id")
    rows = evidence_admin.get_queryset(request).order_by(*ordering)
    assert "evidence_created" in _plan(rows[:100])
    # GET /api/v1/links/?health=broken: no DISTINCT, one index range in the cursor's order.
    links = LinkFilter({"health": ["broken"]}, queryset=link_list(user=editor)).qs
    links = links.order_by("-created_at", "-id")[:51]
    assert "DISTINCT" not in str(links.query)
    assert "link_health_recent" in _plan(links)


def _queries(client: Client, path: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content


@pytest.mark.parametrize("path", ["/", "/?tab=stale", "/?tab=all", "/stale/"])
def test_the_queue_and_the_stale_page_ask_as_much_at_two_sizes(
    path: str, editor: Any, reviewer: Any
) -> None:
    client = Client()
    client.force_login(editor)
    _grow(1, by=reviewer)
    small, _ = _queries(client, path)
    _grow(4, by=reviewer, start=1)
    large, content = _queries(client, path)
    assert large == small
    if path == "/stale/":
        # The larger archive is what the page shows: 15 stale items of three hosts.
        assert b"h2.example.org" in content
        assert sum(_counts().values()) == 15


def test_a_claim_that_takes_over_stale_evidence_by_a_merge_is_stale(reviewer: Any) -> None:
    from annotations.services.claims import claim_absorb

    cited = _grow(1, by=reviewer)
    kept = Claim.objects.get(pk=cited[0].claim_id)
    # The kept claim's own evidence works again; the merged one's is still broken.
    _check(Link.objects.get(pk=cited[0].link_id), LinkHealth.OK, 200, "ok")
    kept.refresh_from_db()
    assert kept.has_stale_evidence is False
    claim_absorb(claim=kept, other=Claim.objects.get(pk=cited[1].claim_id), by=reviewer)
    kept.refresh_from_db()
    assert kept.has_stale_evidence is True
    moved = Evidence.objects.get(pk=cited[1].pk)
    assert moved.claim_id == kept.pk and moved.stale_host == "h1.example.org"
    assert _counts() == {"h1.example.org": 1, "h2.example.org": 1}
