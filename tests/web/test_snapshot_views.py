"""The desk's evidence as cited: "What changed" in the panel and on the stale-sources page,
and the page as cited (sanitized text, never the captured HTML), through Django's client."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from annotations.linkhealth.batches import links_check_batch
from annotations.models import Evidence, EvidenceSnapshot, Link, PageText
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from tests.annotations.test_snapshots import _page as stats_page
from tests.web.test_csp import assert_strict_policy, inline_code

pytestmark = pytest.mark.django_db


def hx_get(client: Client, url: str) -> Any:
    return client.get(url, HTTP_HX_REQUEST="true")


def attach(claim: Any, by: Any, url: str) -> Evidence:
    return evidence_attach(claim=claim, by=by, url=url, stance="supports")


def check(evidence: Evidence, key: str) -> None:
    """One real link check of the evidence's link (fetched from the local site)."""
    Link.objects.filter(pk=evidence.link_id).update(etag="", last_modified="")
    outcome = links_check_batch(link_ids=[evidence.link_id], attempt_prefix=key, shared=False)
    assert evidence.link_id in outcome.recorded


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


@pytest.fixture
def changed(local_site: Any, claim: Any, reviewer: Any) -> Evidence:
    """Evidence whose statistics page moved from 12% to 24% and 9.4 to 10.9 million after it
    was cited, as a link check finds it."""
    evidence = attach(claim, reviewer, local_site.page("/stats/q3", stats_page()))
    snapshots.evidence_capture(evidence_id=evidence.pk)
    local_site.page("/stats/q3", stats_page(rate="24%", employed="10.9"))
    check(evidence, "moved")
    evidence.refresh_from_db()
    assert evidence.changed is True
    return evidence


@pytest.fixture
def steady(local_site: Any, claim: Any, reviewer: Any) -> Evidence:
    evidence = attach(claim, reviewer, local_site.page("/steady", stats_page()))
    snapshots.evidence_capture(evidence_id=evidence.pk)
    check(evidence, "steady")
    evidence.refresh_from_db()
    assert evidence.changed is False
    return evidence


def _state() -> list[Any]:
    """What a read must leave as it was: snapshots, text versions, changed flags."""
    return [
        sorted(EvidenceSnapshot.objects.values_list("pk", "sha256", "text_sha256")),
        sorted(PageText.objects.values_list("pk", "sha256", "last_seen_at")),
        sorted(Evidence.objects.values_list("pk", "changed")),
    ]


# --- The claim panel and the stale-sources page -------------------------------------------------


def test_the_panel_offers_what_changed_only_for_evidence_whose_page_changed(
    changed: Evidence, steady: Evidence, claim: Any, reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    panel = hx_get(client, f"/claims/{claim.pk}/panel/")
    assert panel.status_code == 200
    html = panel.content.decode()
    items = dict(re.findall(r'<li class="evidence" id="ev-([0-9a-f-]+)">(.*?)\n</li>', html, re.S))
    assert set(items) == {str(changed.pk), str(steady.pk)}
    assert 'class="what-changed"' in items[str(changed.pk)]
    assert 'class="what-changed"' not in items[str(steady.pk)]
    # Lazy: the panel carries the address of the diff, not the diff itself.
    assert f'hx-get="/evidence/{changed.pk}/changes/"' in items[str(changed.pk)]
    assert 'hx-trigger="toggle once"' in items[str(changed.pk)]
    assert "<del>" not in html
    # Both link to the page as cited.
    for ev in (changed, steady):
        assert f'href="/evidence/{ev.pk}/as-cited/"' in items[str(ev.pk)]


def test_the_stale_page_shows_what_changed_for_changed_evidence(
    changed: Evidence, steady: Evidence, reviewer: Any, login: Any
) -> None:
    page = login(reviewer).get("/stale/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'hx-get="/evidence/{changed.pk}/changes/"' in html
    assert f"/evidence/{steady.pk}/" not in html  # not stale: not listed
    assert "<del>" not in html  # the diff loads when the disclosure opens
    assert not inline_code(page.content)
    assert_strict_policy(page)


def test_what_changed_lists_the_numbers_first_then_marks_deletions_and_insertions(
    changed: Evidence, reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    fragment = hx_get(client, f"/evidence/{changed.pk}/changes/")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html  # a fragment for the disclosure
    numbers = re.search(r'<ul class="changed-values" data-kind="numbers">(.*?)</ul>', html, re.S)
    assert numbers is not None
    values = [text_of(li) for li in re.findall(r"<li>(.*?)</li>", numbers.group(1), re.S)]
    assert "12% → changed to 24%" in values
    assert "9.4 million → changed to 10.9 million" in values
    # The numbers come before the word diff.
    assert html.index('data-kind="numbers"') < html.index('<p class="diff">')
    # Deletions and insertions are marked, and say so in words (not by colour alone).
    diff = re.search(r'<p class="diff">(.*?)</p>', html, re.S)
    assert diff is not None
    marked = diff.group(1)
    assert '<del><span class="visually-hidden">[removed: </span>12%' in marked
    assert '<ins><span class="visually-hidden">[added: </span>24%' in marked
    assert '<del><span class="visually-hidden">[removed: </span>9.4' in marked
    assert "the third quarter" in marked  # context around the change
    # The numbers are the whole change: no other reason is listed beside them.
    assert "what-changed__reasons" not in html

    # Without JavaScript the disclosure's link opens the same on a page of its own.
    page = client.get(f"/evidence/{changed.pk}/changes/")
    assert page.status_code == 200
    assert "<h1>What changed</h1>" in page.content.decode()
    assert '<ul class="changed-values" data-kind="numbers">' in page.content.decode()
    assert_strict_policy(page)


def test_what_changed_says_so_when_there_is_nothing_to_compare(
    local_site: Any, claim: Any, reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    pending = attach(claim, reviewer, local_site.page("/pending", stats_page()))
    html = hx_get(client, f"/evidence/{pending.pk}/changes/").content.decode()
    assert "has not been captured yet" in html

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    local_site.routes["/chart.png"] = (200, {"Content-Type": "image/png"}, png)
    image = attach(claim, reviewer, local_site.url("/chart.png"))
    snapshots.evidence_capture(evidence_id=image.pk)
    answer = hx_get(client, f"/evidence/{image.pk}/changes/")
    assert answer.status_code == 200
    assert "The page is image/png, not HTML." in answer.content.decode()


# --- The page as cited ---------------------------------------------------------------------------

HOSTILE = """<!doctype html><html><head><meta charset="utf-8">
<title>Budget &lt;img src=x onerror=alert(1)&gt; figures</title></head><body><main><article>
<h1>Budget figures for the coming year</h1>
<p>The finance ministry said spending would rise by 4.2% next year, with most of the increase
going to health and pensions, according to the draft budget it published on Tuesday.</p>
<p>A reader quoted the code &lt;script&gt;alert(document.cookie)&lt;/script&gt; in a comment
on the draft, which the ministry reproduced in its summary of the consultation responses.</p>
<p>Opposition parties said the forecast relied on growth assumptions that independent
economists described as optimistic, and called for the figures to be reviewed by the office
for budget responsibility before the vote in parliament next month.</p>
</article></main></body></html>"""


def test_the_page_as_cited_is_its_text_escaped_never_its_html(
    local_site: Any, claim: Any, reviewer: Any, editor: Any, login: Any
) -> None:
    evidence = attach(claim, reviewer, local_site.page("/budget", HOSTILE))
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    # The extracted text holds the markup the page showed as text.
    assert "<script>alert(document.cookie)</script>" in snapshot.text
    assert "<img src=x onerror=alert(1)>" in snapshot.title

    page = login(reviewer).get(f"/evidence/{evidence.pk}/as-cited/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert not inline_code(page.content)
    assert_strict_policy(page)
    assert page["Cache-Control"] == "private, no-store"
    # What the desk needs to rely on it: title, addresses, time, hash, the text as paragraphs.
    assert snapshot.sha256 in html
    assert f'href="{snapshot.final_url}"' in html
    assert snapshot.captured_at.strftime("%Y-%m-%dT%H:%M:%S") in html
    main_text = html.split('id="snapshot-text-title"')[1].split("</section>")[0]
    paragraphs = re.findall(r"<p>(.*?)</p>", main_text, re.S)
    assert len(paragraphs) == len([p for p in snapshot.text.splitlines() if p.strip()])
    assert any("spending would rise by 4.2% next year" in p for p in paragraphs)
    # The WARC is for editors: a reviewer sees no link to it, an editor does.
    warc_url = f"/api/v1/evidence/{evidence.pk}/snapshot.warc"
    assert warc_url not in html
    assert warc_url in login(editor).get(f"/evidence/{evidence.pk}/as-cited/").content.decode()


def test_the_warc_link_works_with_the_desk_session_for_editors_only(
    changed: Evidence, reviewer: Any, editor: Any, login: Any
) -> None:
    warc_url = f"/api/v1/evidence/{changed.pk}/snapshot.warc"
    before = _state()
    download = login(editor).get(warc_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/warc"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert gzip.decompress(b"".join(download.streaming_content)).startswith(b"WARC/1.")
    assert login(reviewer).get(warc_url).status_code == 403
    assert Client().get(warc_url).status_code in (401, 403)
    assert _state() == before


def test_the_page_as_cited_says_why_there_is_no_text(
    local_site: Any, claim: Any, reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    pending = attach(claim, reviewer, local_site.page("/pending", stats_page()))
    page = client.get(f"/evidence/{pending.pk}/as-cited/")
    assert page.status_code == 200
    assert "has not been captured yet" in page.content.decode()

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    local_site.routes["/chart.png"] = (200, {"Content-Type": "image/png"}, png)
    image = attach(claim, reviewer, local_site.url("/chart.png"))
    snapshots.evidence_capture(evidence_id=image.pk)
    html = client.get(f"/evidence/{image.pk}/as-cited/").content.decode()
    assert "The page is image/png, not HTML." in html
    assert "No main text was kept of this page." in html


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["changes", "as-cited"])
def test_evidence_as_cited_is_never_public(
    view: str, changed: Evidence, outsider: Any, reviewer: Any, login: Any
) -> None:
    url = f"/evidence/{changed.pk}/{view}/"
    before = _state()
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(f"/accounts/login/?next={url}")
    assert Client().get(url, HTTP_HX_REQUEST="true").status_code == 302
    assert login(outsider).get(url).status_code == 403
    assert b"12%" not in login(outsider).get(url).content
    missing = login(reviewer).get(f"/evidence/00000000-0000-0000-0000-000000000000/{view}/")
    assert missing.status_code == 404
    assert login(reviewer).post(url).status_code == 405
    assert _state() == before


def test_reading_what_changed_changes_nothing(changed: Evidence, reviewer: Any, login: Any) -> None:
    before = _state()
    client = login(reviewer)
    assert hx_get(client, f"/evidence/{changed.pk}/changes/").status_code == 200
    assert client.get(f"/evidence/{changed.pk}/as-cited/").status_code == 200
    assert _state() == before
    # A later text version is shown, the snapshot stays the page as cited.
    snapshots.page_text_record(
        link_id=changed.link_id,
        title="",
        text=EvidenceSnapshot.objects.get(evidence=changed).text,
        when=timezone.now() + timedelta(days=2),
    )
    again = hx_get(client, f"/evidence/{changed.pk}/changes/").content.decode()
    assert "The main text is the same as when it was cited." in again
