"""Archive now: a Save-Page-Now-style service asked for a copy of new evidence, against a fake
archive service on 127.0.0.1 (off unless ARCHIVE_NOW_URL is set)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from annotations.linkhealth import archive
from annotations.models import Evidence
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from tests.helpers import wait_for

PAGE = "<html><head><title>Q3</title></head><body><p>Unemployment was 12%.</p></body></html>"
STAMP = "20250301120000"


class FakeArchive:
    """Answers /save/<url> like the Wayback Machine: a 302 to /web/<timestamp>/<url>, which
    serves the copy. A URL containing "always-fails" gets 503 forever; `failures` more 503s
    come first for the others. Every request to /save/ is in `saves` (path, time)."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.saves: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(__import__("re").compile(".*")).respond_with_handler(
            self._handle
        )
        self.server.start()
        self.port: int = self.server.port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _handle(self, request: Request) -> Response:
        path = request.full_path.rstrip("?") if request.query_string else request.path
        if path.startswith("/web/"):
            return Response("<html><body>archived copy</body></html>", content_type="text/html")
        with self._lock:
            self.saves.append((path, time.monotonic()))
            failing = "always-fails" in path or self.failures > 0
            if failing and "always-fails" not in path:
                self.failures -= 1
        if failing:
            return Response("busy", status=503)
        if path.startswith("/api/save"):  # the {url} form: the copy named in Content-Location
            target = request.args["url"]
            return Response("ok", headers={"Content-Location": f"/web/{STAMP}/{target}"})
        target = path[len("/save/") :]
        return Response("", status=302, headers={"Location": f"/web/{STAMP}/{target}"})

    def close(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


@pytest.fixture
def fake_archive(local_site: Any, settings: Any) -> Iterator[FakeArchive]:
    service = FakeArchive()
    # The service passes the same egress guard as any page: its port is opened like the site's.
    settings.LINKCHECK_ALLOWED_PORTS = [local_site.port, service.port]
    settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = ""
    yield service
    service.close()


def _captured(local_site: Any, claim: Any, reviewer: Any, path: str = "/stats/q3") -> Evidence:
    url = local_site.page(path, PAGE)
    return evidence_attach(claim=claim, by=reviewer, url=url, stance="supports")


ARCHIVE_TASK = "annotations.linkhealth.tasks.evidence_archive_now"


@pytest.mark.django_db
def test_off_by_default_no_request_is_made(
    local_site: Any,
    fake_archive: FakeArchive,
    claim: Any,
    reviewer: Any,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.conf import settings as live

    assert live.ARCHIVE_NOW_URL == ""
    evidence = _captured(local_site, claim, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        snapshots.evidence_capture(evidence_id=evidence.pk)
    assert [name for name, _ in queued_tasks() if name == ARCHIVE_TASK] == []
    assert archive.evidence_archive_now(evidence_id=evidence.pk) == "off"
    assert fake_archive.saves == []
    evidence.refresh_from_db()
    assert evidence.archive_url == ""


@pytest.mark.django_db
def test_the_snapshot_asks_for_a_copy_and_the_copy_is_kept(
    local_site: Any,
    fake_archive: FakeArchive,
    claim: Any,
    reviewer: Any,
    settings: Any,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ARCHIVE_NOW_URL = fake_archive.url("/save/")
    evidence = _captured(local_site, claim, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        snapshots.evidence_capture(evidence_id=evidence.pk)
    assert (ARCHIVE_TASK, [str(evidence.pk)]) in queued_tasks()

    outcome = archive.evidence_archive_now(evidence_id=evidence.pk)
    copy = fake_archive.url(f"/web/{STAMP}/{evidence.url}")
    assert outcome == copy
    assert [path for path, _ in fake_archive.saves] == [f"/save/{evidence.url}"]
    evidence.refresh_from_db()
    assert evidence.archive_url == copy
    assert evidence.archive_checked_at is not None
    # Archived already: the service is not asked again.
    assert archive.evidence_archive_now(evidence_id=evidence.pk) == "already-archived"
    assert len(fake_archive.saves) == 1


@pytest.mark.django_db
def test_the_url_template_form_and_content_location(
    local_site: Any, fake_archive: FakeArchive, claim: Any, reviewer: Any, settings: Any
) -> None:
    settings.ARCHIVE_NOW_URL = fake_archive.url("/api/save?url={url}")
    evidence = _captured(local_site, claim, reviewer)
    encoded = evidence.url.replace(":", "%3A").replace("/", "%2F")
    assert archive.archive_now_request_url(url=evidence.url) == fake_archive.url(
        f"/api/save?url={encoded}"
    )
    outcome = archive.evidence_archive_now(evidence_id=evidence.pk)
    # The service read the evidence URL from its query (the one request it had).
    assert [path.partition("?")[0] for path, _ in fake_archive.saves] == ["/api/save"]
    evidence.refresh_from_db()
    assert evidence.archive_url == outcome == fake_archive.url(f"/web/{STAMP}/{evidence.url}")


@pytest.mark.django_db
def test_a_service_that_fails_or_is_refused_writes_nothing(
    local_site: Any, fake_archive: FakeArchive, claim: Any, reviewer: Any, settings: Any
) -> None:
    settings.ARCHIVE_NOW_URL = fake_archive.url("/save/")
    evidence = _captured(local_site, claim, reviewer, "/always-fails")
    with pytest.raises(archive.ArchiveNotYet):
        archive.evidence_archive_now(evidence_id=evidence.pk)
    evidence.refresh_from_db()
    assert (evidence.archive_url, evidence.archive_checked_at) == ("", None)

    # The task gives up without a later when run in-process, and writes nothing either.
    from annotations.linkhealth.tasks import evidence_archive_now

    assert evidence_archive_now.apply(args=[str(evidence.pk)]).get().startswith("gave up")
    evidence.refresh_from_db()
    assert (evidence.archive_url, evidence.archive_checked_at) == ("", None)

    # A service the egress policy refuses (a port not opened) is never fetched nor retried.
    saves = len(fake_archive.saves)
    settings.LINKCHECK_ALLOWED_PORTS = [local_site.port]
    assert archive.evidence_archive_now(evidence_id=evidence.pk) == "refused: unsafe"
    assert len(fake_archive.saves) == saves
    evidence.refresh_from_db()
    assert (evidence.archive_url, evidence.archive_checked_at) == ("", None)


@pytest.mark.worker
def test_a_worker_retries_a_failing_service_with_backoff(
    start_worker: Any, local_site: Any, make_user: Any, settings: Any
) -> None:
    from tests.factories import article_create, claim_create

    service = FakeArchive(failures=2)
    try:
        settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = ""
        worker = start_worker(
            extra_env={
                "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
                "LINKCHECK_ALLOWED_PORTS": f"{local_site.port},{service.port}",
                "LINKCHECK_ARCHIVE_AVAILABILITY_URL": "",
                "ARCHIVE_NOW_URL": service.url("/save/"),
                "ARCHIVE_NOW_RETRIES": "2",
                "ARCHIVE_NOW_RETRY_SECONDS": "0.4",
            }
        )
        reviewer = make_user("wendy", "reviewer")
        article = article_create(by=reviewer, text="Officials said unemployment was 12%.")
        claim = claim_create(article=article, by=reviewer, exact="unemployment was 12%")
        kept = evidence_attach(
            claim=claim, by=reviewer, url=local_site.page("/q3", PAGE), stance="supports"
        )
        lost = evidence_attach(
            claim=claim, by=reviewer, url=local_site.page("/always-fails", PAGE), stance="context"
        )

        def said() -> str:
            return worker.output()[-3000:]

        # Two 503s, then the copy: kept after the third request.
        wait_for(
            lambda: Evidence.objects.filter(pk=kept.pk).exclude(archive_url="").exists(),
            timeout=30,
            what=said,
        )
        kept.refresh_from_db()
        assert kept.archive_url == service.url(f"/web/{STAMP}/{kept.url}")
        times = [at for path, at in service.saves if path == f"/save/{kept.url}"]
        assert len(times) == 3
        # Backed off: the n-th retry waits at least half of 0.4 s x 2^n (jitter takes the rest).
        assert times[1] - times[0] >= 0.2
        assert times[2] - times[1] >= 0.4

        # A service that keeps failing: asked 1 + ARCHIVE_NOW_RETRIES times, then given up,
        # the evidence as it was.
        worker.wait_for(f"evidence {lost.pk} not archived", timeout=30)
        assert len([p for p, _ in service.saves if p == f"/save/{lost.url}"]) == 3
        lost.refresh_from_db()
        assert (lost.archive_url, lost.archive_checked_at) == ("", None)
    finally:
        service.close()
