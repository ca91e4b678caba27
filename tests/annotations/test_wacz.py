"""A claim's evidence exported as one WACZ package: GET /api/v1/claims/{id}/evidence.wacz."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from rest_framework.test import APIClient
from warcio.archiveiterator import ArchiveIterator

from annotations.models import EvidenceSnapshot
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from annotations.wacz import surt

pytestmark = pytest.mark.django_db

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<nav><a href="/">Home</a></nav><main><article><h1>{title}</h1>
<p>The unemployment rate among people aged 16 to 24 was {rate} in the third quarter, according
to the Labour Force Survey published by the office on 14 November.</p>
<p>The number of people in employment rose to 9.4 million, the highest figure since the series
began, while the number of vacancies fell for the ninth consecutive period.</p>
<p>Regional estimates show the largest increase in the North East, where employment grew faster
than in any other region over the same quarter of the previous year.</p>
</article></main></body></html>"""


def _zip_of(response: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def cited(local_site: Any, claim: Any, reviewer: Any) -> list[str]:
    urls = [
        local_site.page("/stats/q3", PAGE.format(title="Labour market, Q3", rate="12%")),
        local_site.page("/stats/q2?region=ne", PAGE.format(title="Labour market, Q2", rate="11%")),
    ]
    for url in urls:
        evidence = evidence_attach(claim=claim, by=reviewer, url=url, stance="supports")
        snapshots.evidence_capture(evidence_id=evidence.pk)
    # Attached, not captured yet: left out of the package.
    evidence_attach(claim=claim, by=reviewer, url=local_site.url("/later"), stance="context")
    return urls


def test_the_claims_evidence_is_one_wacz_package(
    cited: list[str], claim: Any, client_for: Any, editor: Any
) -> None:
    answer = client_for(editor).get(f"/api/v1/claims/{claim.pk}/evidence.wacz")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/wacz"
    assert answer["Content-Disposition"].startswith("attachment")
    assert answer["X-Content-Type-Options"] == "nosniff"
    package = _zip_of(answer)
    assert package.testzip() is None
    assert set(package.namelist()) == {
        "archive/data.warc.gz",
        "indexes/index.cdx",
        "pages/pages.jsonl",
        "datapackage.json",
        "datapackage-digest.json",
    }
    # The WARCs are stored as they are (already gzip per record), not deflated again.
    assert package.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED

    manifest_bytes = package.read("datapackage.json")
    manifest = json.loads(manifest_bytes)
    assert manifest["wacz_version"] == "1.1.1"
    assert manifest["profile"] == "data-package"
    assert {r["path"] for r in manifest["resources"]} == {
        "archive/data.warc.gz",
        "indexes/index.cdx",
        "pages/pages.jsonl",
    }
    for resource in manifest["resources"]:
        data = package.read(resource["path"])
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
    digest = json.loads(package.read("datapackage-digest.json"))
    assert digest == {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(manifest_bytes).hexdigest(),
    }

    # The WARC holds a request and a response per snapshot, their bodies as captured.
    warc = package.read("archive/data.warc.gz")
    records = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc))
    ]
    responses = {url: body for kind, url, body in records if kind == "response"}
    assert [kind for kind, _, _ in records].count("request") == 2
    assert set(responses) == set(cited)
    shots = {s.url: s for s in EvidenceSnapshot.objects.filter(evidence__claim=claim)}
    for url, body in responses.items():
        assert hashlib.sha256(body).hexdigest() == shots[url].sha256

    # The index points at each response record: its offset in data.warc.gz reads it back.
    lines = package.read("indexes/index.cdx").decode().splitlines()
    assert len(lines) == 2
    assert lines == sorted(lines)
    for line in lines:
        key, stamp, fields_json = line.split(" ", 2)
        fields = json.loads(fields_json)
        assert key == surt(fields["url"])
        assert len(stamp) == 14
        assert (fields["status"], fields["mime"], fields["filename"]) == (
            "200",
            "text/html",
            "data.warc.gz",
        )
        offset, length = int(fields["offset"]), int(fields["length"])
        record = next(iter(ArchiveIterator(io.BytesIO(warc[offset : offset + length]))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]

    # The pages: the header line, then each cited page with its title and main text.
    header, *pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
    assert header["format"] == "json-pages-1.0"
    assert [p["url"] for p in pages] == cited
    assert [p["title"] for p in pages] == ["Labour market, Q3", "Labour market, Q2"]
    assert "was 12% in the third quarter" in pages[0]["text"]
    assert all(p["ts"].endswith("Z") for p in pages)
    assert manifest["mainPageURL"] == cited[0]


def test_the_wacz_is_for_editors(
    cited: list[str],
    claim: Any,
    client_for: Any,
    reviewer: Any,
    submitter: Any,
    outsider: Any,
) -> None:
    url = f"/api/v1/claims/{claim.pk}/evidence.wacz"
    before = list(EvidenceSnapshot.objects.order_by("pk").values_list("pk", "sha256", "warc"))
    assert APIClient().get(url).status_code == 401
    assert client_for(outsider).get(url).status_code == 403
    for desk in (reviewer, submitter):
        answer = client_for(desk).get(url)
        assert answer.status_code == 403
        assert "Only editors" in answer.json()["detail"]
    after = list(EvidenceSnapshot.objects.order_by("pk").values_list("pk", "sha256", "warc"))
    assert after == before


def test_no_claim_or_no_snapshot_is_a_404(
    claim: Any, client_for: Any, editor: Any, reviewer: Any, local_site: Any
) -> None:
    import uuid

    missing = client_for(editor).get(f"/api/v1/claims/{uuid.uuid4()}/evidence.wacz")
    assert missing.status_code == 404
    evidence_attach(claim=claim, by=reviewer, url=local_site.url("/p"), stance="supports")
    none_yet = client_for(editor).get(f"/api/v1/claims/{claim.pk}/evidence.wacz")
    assert none_yet.status_code == 404
    assert "snapshot" in none_yet.json()["detail"]


def test_surt_keys() -> None:
    assert surt("https://www.Example.org/Stats/Q3?b=2") == "org,example)/stats/q3?b=2"
    assert surt("http://127.0.0.1:8123/x") == "1,0,0,127:8123)/x"
    assert surt("http://example.org") == "org,example)/"
