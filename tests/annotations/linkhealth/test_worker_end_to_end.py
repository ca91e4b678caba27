"""A real worker process on Redis checks links that the API's evidence enqueued."""

import pytest

from annotations.models import EvidenceSnapshot, Link, LinkCheck
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker]


def test_worker_records_the_health_of_new_evidence(
    start_worker, local_site, client_for, make_user, settings
):
    from tests.factories import article_create, claim_create

    reviewer = make_user("wendy", "reviewer")
    page = local_site.page("/report", "<html><body><p>Casualty estimates rose.</p></body></html>")
    missing = local_site.url("/gone")
    worker = start_worker(
        extra_env={
            "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LINKCHECK_ALLOWED_PORTS": str(local_site.port),
        }
    )
    article = article_create(by=reviewer, text="Officials said 600,000 soldiers were wounded.")
    claim = claim_create(article=article, by=reviewer, exact="600,000 soldiers")
    client = client_for(reviewer)
    for url in (page, missing, "https://www.example.com/public-page"):
        response = client.post(
            f"/api/v1/claims/{claim.pk}/evidence/",
            {"url": url, "stance": "supports"},
            format="json",
        )
        assert response.status_code == 201, response.data

    wait_for(
        lambda: LinkCheck.objects.count() == 3,
        timeout=30,
        what=lambda: f"three link checks; the worker said:\n{worker.output()[-3000:]}",
    )
    healths = dict(Link.objects.values_list("url", "health"))
    assert healths[page] == "ok"
    assert healths[missing] == "broken"
    # Outside the egress allow-list: refused, never fetched.
    assert healths["https://www.example.com/public-page"] == "unsafe"
    ok = Link.objects.get(url=page)
    assert ok.last_status == 200 and ok.fingerprint and ok.last_ok_at is not None
    assert ok.evidence.get().fingerprint_at_attach == ok.fingerprint
    # The worker also captured the page as cited (its snapshot, a GET of its own).
    wait_for(
        lambda: EvidenceSnapshot.objects.filter(url=page).exists(),
        timeout=30,
        what=lambda: f"a snapshot of {page}; the worker said:\n{worker.output()[-3000:]}",
    )
    snapshot = EvidenceSnapshot.objects.get(url=page)
    assert (snapshot.status_code, snapshot.body_bytes) == (
        200,
        len(local_site.routes["/report"][2]),
    )
    # A first check reads the page (its fingerprint): one GET, no HEAD before it; the
    # capture is the other GET.
    assert [hit for hit in local_site.hits if hit[1] == "/report"] == [("GET", "/report")] * 2
