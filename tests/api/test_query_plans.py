"""Every page and list of the desk is index-backed: EXPLAIN of each query a page runs finds an
index for every table that grows with the archive.

The pages are requested for real (the desk with a session, the API with a token, the admin
as a superuser) and every SELECT they ran is explained with sequential scans priced out
(`enable_seqscan = off`): on a test database the planner would scan small tables anyway, so
what this asserts is that an index *can* serve each read. A query on a growing table that no
index serves still shows `Seq Scan` then. What it cannot tell is an index walked to a LIMIT
from one walked whole: bench/scale times the pages at two sizes of archive for that.

The admin's searches (`?q=`, substring matches) are not here: a substring of a URL or a title
is read from the rows, up to the page's LIMIT.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.linkhealth.classify import Classification
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.recording import link_check_record
from annotations.models import Evidence
from annotations.services.evidence import evidence_attach
from factcheck.egress.fetcher import FetchResult
from tests.api.conftest import publish
from tests.factories import article_create, claim_create

pytestmark = pytest.mark.django_db

# Tables that grow with the archive (rows per article, claim, link or check). Lookup
# tables (users, groups, sessions, tokens, the per-host and per-day counts) may be scanned.
GROWING = {
    "annotations_article",
    "annotations_articlerevision",
    "annotations_claim",
    "annotations_evidence",
    "annotations_link",
    "annotations_linkcheck",
    "annotations_pagetext",
    "annotations_evidencesnapshot",
    "reviews_review",
    "reviews_publication",
    "reviews_rereviewreason",
    "reviews_comment",
    "reviews_notification",
}

PAGES = [
    ("session", "/"),
    ("session", "/?tab=unassigned"),
    ("session", "/?tab=in_review"),
    ("session", "/?tab=all"),
    ("session", "/?tab=stale"),
    ("session", "/?tab=all&q=soldiers"),
    ("session", "/articles/"),
    ("session", "/stale/"),
    ("token", "/api/v1/claims/?search=soldiers"),
    ("token", "/api/v1/claims/?claimant=okonkwo"),
    ("token", "/api/v1/claims/?page_size=50"),
    ("token", "/api/v1/links/?health=broken"),
    ("anon", "/api/v1/claimreviews/"),
    ("admin", "/admin/annotations/linkcheck/"),
    ("admin", "/admin/annotations/linkcheck/?error_class=dns"),
    ("admin", "/admin/annotations/claim/"),
    ("admin", "/admin/annotations/claim/?stale=yes"),
    ("admin", "/admin/annotations/evidence/"),
    ("admin", "/admin/annotations/link/"),
    ("admin", "/admin/annotations/article/"),
    ("admin", "/admin/annotations/articlerevision/"),
    ("admin", "/admin/reviews/review/"),
    ("admin", "/admin/reviews/correction/"),
    ("token", "/api/v1/articles/"),
    ("token", "/api/v1/articles/?search=zz"),
    ("token", "/api/v1/links/?search=zz"),
    ("token", "/api/v1/links/"),
]

_SCANNED = re.compile(r"Seq Scan on (\w+)")


def _scanned_tables(sql: str, params: Any) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
    return set(_SCANNED.findall(plan)) & GROWING


@pytest.fixture
def archive(editor: Any, reviewer: Any, editor2: Any) -> None:
    """A small archive with every kind of row the pages read: published and open claims,
    evidence on working and broken links, their checks."""
    for i in range(3):
        article = article_create(
            by=editor,
            url=f"https://news.example.org/plans/{i}",
            text=f"North Korea is training 10,000 soldiers, said Okonkwo ({i}).",
        )
        claim = claim_create(
            article=article,
            by=reviewer,
            exact="North Korea is training 10,000 soldiers",
            claimant="Chidi Okonkwo",
        )
        if i == 0:
            publish(claim, reviewer=reviewer, editor=editor2)
        evidence = evidence_attach(
            claim=claim, by=reviewer, url=f"https://source.example.org/r/{i}", stance="supports"
        )
        for n, (health, status) in enumerate(
            [(LinkHealth.OK, 200), (LinkHealth.BROKEN, 404) if i else (LinkHealth.OK, 200)]
        ):
            link_check_record(
                link_id=evidence.link_id,
                result=FetchResult(url=evidence.url, final_url=evidence.url, status_code=status),
                verdict=Classification(health),
                attempt_key=f"{i}-{n}",
            )
    assert Evidence.objects.filter(stale_since__isnull=False).exists()


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_every_query_of_the_page_reads_an_index(
    archive: Any, who: str, path: str, client: Any, client_for: Any, editor: Any, make_user: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL")
    if who == "token":
        requester = client_for(editor)
    elif who == "session":
        client.force_login(editor)
        requester = client
    elif who == "admin":
        client.force_login(make_user("root", is_superuser=True, is_staff=True))
        requester = client
    else:
        requester = client
    with CaptureQueriesContext(connection) as ran:
        response = requester.get(path)
    assert response.status_code == 200, (path, response.status_code)
    reads = [
        q["sql"] for q in ran.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert reads, path
    scans = {}
    for sql in reads:
        # The captured SQL has its parameters in place already.
        tables = _scanned_tables(sql.replace("%", "%%"), ())
        if tables:
            scans[sql[:300]] = sorted(tables)
    assert scans == {}, (path, scans)
