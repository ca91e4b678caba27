"""Evidence as it was cited: the snapshot of the page, its WARC, text versions and the diff."""

from __future__ import annotations

import gzip
import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from warcio.archiveiterator import ArchiveIterator

from annotations.models import Evidence, EvidenceSnapshot, PageText
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from reviews.services import evidence_remove

pytestmark = pytest.mark.django_db

STATS_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Labour market overview, Q3 | Statistics Office</title></head><body>
<header><nav><a href="/">Home</a> <a href="/releases">Releases</a> <a href="/about">About us</a></nav>
<div class="cookie">We use cookies to improve this site. <button>Accept all</button></div></header>
<main><article><h1>Labour market overview, Q3</h1>
<p>The unemployment rate among people aged 16 to 24 was {rate} in the third quarter,
according to the Labour Force Survey published by the office on 14 November.</p>
<p>The number of people in employment rose to {employed} million, the highest figure since
the series began, while the number of vacancies fell for the ninth consecutive period.</p>
<p>Regional estimates show the largest increase in the North East, where employment grew
faster than in any other region over the same quarter of the previous year.</p>
<p>The survey samples around 35,000 households each quarter. Estimates for smaller groups,
such as young people in a single region, carry wider margins of uncertainty, and month-to-month
movements should be read with care. Revisions to the population weights used in the survey
were introduced with this release and apply to figures from the start of the series.</p>
<p>Economic inactivity, the share of people neither working nor looking for work, was little
changed on the quarter. Long-term sickness remained the most common reason given for
inactivity among people aged 50 to 64, and studying the most common among those aged 16 to 24.</p>
</article></main>
<aside><h2>Related releases</h2><ul><li><a href="/r/1">Earnings and hours worked</a></li>
<li><a href="/r/2">Vacancies and jobs in the UK</a></li></ul></aside>
<footer>Share this page: 1,204 shares. Contact us. Privacy.</footer></body></html>"""


def _page(rate: str = "12%", employed: str = "9.4") -> str:
    return STATS_PAGE.format(rate=rate, employed=employed)


def _records(snapshot: EvidenceSnapshot) -> dict[str, tuple[Any, bytes]]:
    """The snapshot's WARC records by type, each with its payload (read while iterating)."""
    with snapshot.warc.open("rb") as stream:
        return {
            record.rec_type: (record, record.content_stream().read())
            for record in ArchiveIterator(io.BytesIO(stream.read()))
        }


def _attach(claim: Any, by: Any, url: str) -> Evidence:
    return evidence_attach(claim=claim, by=by, url=url, stance="supports")


def test_the_page_as_cited_is_kept_as_a_warc_with_its_main_text(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    url = local_site.page("/stats/q3", _page(), **{"Content-Type": "text/html; charset=utf-8"})
    evidence = _attach(claim, reviewer, url)

    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)

    body = _page().encode()
    assert snapshot.sha256 == hashlib.sha256(body).hexdigest()
    assert (snapshot.status_code, snapshot.body_bytes, snapshot.truncated) == (
        200,
        len(body),
        False,
    )
    assert snapshot.final_url == url
    assert "The unemployment rate among people aged 16 to 24 was 12%" in snapshot.text
    assert "\n" in snapshot.text  # paragraphs kept
    for boilerplate in ("Accept all", "Related releases", "1,204 shares", "About us"):
        assert boilerplate not in snapshot.text
    assert snapshot.title.startswith("Labour market overview")
    # The WARC: a request and a response record whose payload is the body as received.
    records = _records(snapshot)
    assert sorted(records) == ["request", "response"]
    response, payload = records["response"]
    assert response.rec_headers.get_header("WARC-Target-URI") == url
    assert response.http_headers.get_statuscode() == "200"
    assert payload == body
    # The first text version of the link's page.
    versions = list(PageText.objects.filter(link=evidence.link))
    assert [v.sha256 for v in versions] == [snapshot.text_sha256]
    # Captured once: a second run returns the same snapshot and fetches nothing.
    hits = len(local_site.hits)
    assert snapshots.evidence_capture(evidence_id=evidence.pk).pk == snapshot.pk
    assert len(local_site.hits) == hits
    assert EvidenceSnapshot.objects.count() == 1


def test_a_new_text_version_is_stored_only_when_the_main_text_changed(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    url = local_site.page("/stats/q3", _page())
    evidence = _attach(claim, reviewer, url)
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    later = timezone.now() + timedelta(hours=1)
    same = snapshots.page_text_record(
        link_id=evidence.link_id, title="x", text=snapshot.text, when=later
    )
    assert same is False
    assert PageText.objects.get(link=evidence.link).last_seen_at == later
    changed = snapshots.page_text_record(
        link_id=evidence.link_id, title="x", text=snapshot.text.replace("12%", "24%"), when=later
    )
    assert changed is True
    assert PageText.objects.filter(link=evidence.link).count() == 2


def test_pages_that_are_not_html_or_fail_keep_what_can_be_kept(
    local_site: Any, claim: Any, reviewer: Any, settings: Any
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    image = _attach(
        claim, reviewer, local_site.page("/chart.png", "", **{"Content-Type": "image/png"})
    )
    local_site.routes["/chart.png"] = (200, {"Content-Type": "image/png"}, png)
    shot = snapshots.evidence_capture(evidence_id=image.pk)
    assert (shot.text, shot.problem) == ("", "not_html")
    assert shot.sha256 == hashlib.sha256(png).hexdigest()
    assert shot.message == "The page is image/png, not HTML."

    missing = _attach(claim, reviewer, local_site.url("/gone"))
    with pytest.raises(snapshots.CaptureNotYet):
        snapshots.evidence_capture(evidence_id=missing.pk)
    assert not EvidenceSnapshot.objects.filter(evidence=missing).exists()

    settings.EVIDENCE_SNAPSHOT_MAX_BYTES = 2048
    big = _attach(
        claim, reviewer, local_site.page("/big", _page() + "<p>" + "word " * 5000 + "</p>")
    )
    shot = snapshots.evidence_capture(evidence_id=big.pk)
    assert (shot.body_bytes, shot.truncated) == (2048, True)
    response, _ = _records(shot)["response"]
    assert response.rec_headers.get_header("WARC-Truncated") == "length"


def test_a_url_the_guard_refuses_is_never_fetched_nor_retried(
    claim: Any, reviewer: Any, settings: Any
) -> None:
    settings.LINKCHECK_EGRESS_ALLOWLIST = ["127.0.0.0/8"]
    evidence = _attach(claim, reviewer, "https://example.org/report")
    with pytest.raises(snapshots.CaptureRefused):
        snapshots.evidence_capture(evidence_id=evidence.pk)
    assert not EvidenceSnapshot.objects.exists()


def test_removed_evidence_keeps_its_snapshot_for_the_retention_period(
    local_site: Any, claim: Any, reviewer: Any, editor: Any, settings: Any
) -> None:
    evidence = _attach(claim, reviewer, local_site.page("/stats/q3", _page()))
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    path = snapshot.warc.path
    evidence_remove(evidence=Evidence.objects.get(pk=evidence.pk), by=editor)
    snapshot.refresh_from_db()
    assert snapshot.evidence_id is None
    assert snapshot.evidence_removed_at is not None
    settings.EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS = 30
    assert snapshots.snapshots_prune_removed(now=timezone.now() + timedelta(days=29)).deleted == 0
    assert EvidenceSnapshot.objects.filter(pk=snapshot.pk).exists()
    assert snapshots.snapshots_prune_removed(now=timezone.now() + timedelta(days=31)).deleted == 1
    assert not EvidenceSnapshot.objects.filter(pk=snapshot.pk).exists()
    with pytest.raises(FileNotFoundError):
        open(path, "rb")  # noqa: SIM115


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def captured(local_site: Any, claim: Any, reviewer: Any) -> Evidence:
    evidence = _attach(claim, reviewer, local_site.page("/stats/q3", _page()))
    snapshots.evidence_capture(evidence_id=evidence.pk)
    return evidence


def test_the_snapshot_is_for_the_desk_and_the_warc_for_editors(
    captured: Evidence, client_for: Any, reviewer: Any, editor: Any, outsider: Any
) -> None:
    from rest_framework.test import APIClient

    base = f"/api/v1/evidence/{captured.pk}"
    answer = client_for(reviewer).get(f"{base}/snapshot/")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"text", "title", "sha256", "captured_at", "final_url"}
    assert "was 12% in the third quarter" in body["text"]
    assert APIClient().get(f"{base}/snapshot/").status_code == 401
    assert client_for(outsider).get(f"{base}/snapshot/").status_code == 403

    assert client_for(reviewer).get(f"{base}/snapshot.warc").status_code == 403
    warc = client_for(editor).get(f"{base}/snapshot.warc")
    assert warc.status_code == 200
    assert warc["Content-Type"] == "application/warc"
    assert warc["Content-Disposition"].startswith("attachment")
    assert warc["X-Content-Type-Options"] == "nosniff"
    data = b"".join(warc.streaming_content)
    assert gzip.decompress(data).startswith(b"WARC/1.")


def test_the_diff_lists_changed_numbers_and_marks_words(
    captured: Evidence, client_for: Any, reviewer: Any
) -> None:
    cited = EvidenceSnapshot.objects.get(evidence=captured).text
    now = cited.replace("12%", "24%").replace("9.4 million", "10.9 million")
    snapshots.page_text_record(
        link_id=captured.link_id, title="", text=now, when=timezone.now() + timedelta(days=1)
    )
    answer = client_for(reviewer).get(f"/api/v1/evidence/{captured.pk}/diff/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["changed"] is True
    assert {"before": "12%", "after": "24%"} in body["changed_numbers"]
    assert {"before": "9.4 million", "after": "10.9 million"} in body["changed_numbers"]
    changes = [h for h in body["hunks"] if h["op"] != "equal"]
    assert any(h["before"] == "12%" and h["after"] == "24%" for h in changes)


def test_no_snapshot_yet_is_a_404_with_a_message(
    claim: Any, reviewer: Any, client_for: Any, local_site: Any
) -> None:
    evidence = _attach(claim, reviewer, local_site.page("/p", _page()))
    answer = client_for(reviewer).get(f"/api/v1/evidence/{evidence.pk}/snapshot/")
    assert answer.status_code == 404
    assert "no snapshot yet" in answer.json()["detail"]


# --- Link checks compare the main text as cited ------------------------------------------------


def _check(evidence: Evidence, key: str) -> None:
    from annotations.linkhealth.batches import links_check_batch

    Link = type(evidence.link)
    Link.objects.filter(pk=evidence.link_id).update(etag="", last_modified="")
    outcome = links_check_batch(link_ids=[evidence.link_id], attempt_prefix=key, shared=False)
    assert evidence.link_id in outcome.recorded


def test_a_check_flags_changed_numbers_that_simhash_would_miss(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    evidence = _attach(claim, reviewer, local_site.page("/stats/q3", _page()))
    snapshots.evidence_capture(evidence_id=evidence.pk)
    _check(evidence, "first")
    evidence.refresh_from_db()
    assert evidence.changed is False

    # Only the page around the text changes (related links, share counter): not a change.
    local_site.page(
        "/stats/q3", _page().replace("1,204 shares", "1,377 shares").replace("Earnings", "Pay")
    )
    _check(evidence, "boilerplate")
    evidence.refresh_from_db()
    assert evidence.changed is False
    assert PageText.objects.filter(link=evidence.link).count() == 1

    # The figures move. The page's SimHash does not see it (digits are not in it) ...
    from annotations.linkhealth.fingerprint import fingerprint_changed, page_fingerprint

    html = "text/html; charset=utf-8"
    before = page_fingerprint(_page().encode(), html)
    after = page_fingerprint(_page(rate="24%", employed="10.9").encode(), html)
    assert fingerprint_changed(before, after) is False
    # ... the main text does: changed, and a new text version.
    local_site.page("/stats/q3", _page(rate="24%", employed="10.9"))
    _check(evidence, "numbers")
    evidence.refresh_from_db()
    assert evidence.changed is True
    assert PageText.objects.filter(link=evidence.link).count() == 2

    # Back to the words as cited: no longer changed.
    local_site.page("/stats/q3", _page())
    _check(evidence, "back")
    evidence.refresh_from_db()
    assert evidence.changed is False


def test_a_page_larger_than_a_check_reads_is_still_compared_by_its_fingerprint(
    local_site: Any, claim: Any, reviewer: Any, settings: Any
) -> None:
    evidence = _attach(claim, reviewer, local_site.page("/stats/q3", _page()))
    snapshots.evidence_capture(evidence_id=evidence.pk)
    settings.LINKCHECK_MAX_BODY_BYTES = 1500  # checks read only the start of this page
    _check(evidence, "first")
    evidence.refresh_from_db()
    assert evidence.changed is False
    other = "<html><body><main>" + "<p>Completely different report about fisheries.</p>" * 60
    local_site.page("/stats/q3", other + "</main></body></html>")
    _check(evidence, "rewritten")
    evidence.refresh_from_db()
    assert evidence.changed is True
    # The text versions are the snapshot's only: a cut page is never read as a new text.
    assert PageText.objects.filter(link=evidence.link).count() == 1


def test_a_capture_lost_in_a_broker_outage_is_asked_for_again(
    claim: Any,
    reviewer: Any,
    local_site: Any,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from annotations.linkhealth.sweeps import evidence_sweep_uncaptured
    from annotations.models import Link

    evidence = _attach(claim, reviewer, local_site.page("/stats/q3", _page()))
    queued_tasks()  # what attaching enqueued is not what this test is about
    hour_ago = timezone.now() - timedelta(hours=2)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=hour_ago)
    # Not asked for while its link was never seen working.
    assert evidence_sweep_uncaptured() == 0
    Link.objects.filter(pk=evidence.link_id).update(last_ok_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_sweep_uncaptured() == 1
    assert queued_tasks() == [("annotations.tasks.capture_evidence", [str(evidence.pk)])]
    snapshots.evidence_capture(evidence_id=evidence.pk)
    assert evidence_sweep_uncaptured() == 0
