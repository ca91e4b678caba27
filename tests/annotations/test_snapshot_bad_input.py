"""Capturing evidence from bad input: an endless body, a PDF, an image, an encoding lie, a page
with no main text. Each gives a snapshot with what could be kept and a message, never a crash
or a task that does not finish."""

from __future__ import annotations

import io
import socket
import socketserver
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from annotations.models import Evidence, EvidenceSnapshot, PageText
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from tests.annotations.test_extraction import make_pdf
from tests.annotations.test_snapshots import _check

pytestmark = pytest.mark.django_db

TWO_GB = 2 * 1024**3


class EndlessServer(socketserver.ThreadingTCPServer):
    """Answers every request with a 200 claiming a 2 GB body and streams HTML paragraphs until
    the client hangs up; `sent` counts the body bytes that went out."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.sent = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Endless)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Endless(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: EndlessServer = self.server  # type: ignore[assignment]
        self.request.recv(65536)
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {TWO_GB}\r\n\r\n<html><head><title>Endless</title></head><body>"
        )
        paragraph = (
            b"<p>The survey of 35,000 households found that unemployment was 12% in the "
            b"third quarter, the office said in its release on 14 November.</p>\n"
        ) * 100
        try:
            self.request.sendall(head.encode())
            while server.sent < TWO_GB:
                self.request.sendall(paragraph)
                with server.lock:
                    server.sent += len(paragraph)
        except OSError:
            return  # the client stopped reading: what it is meant to do


@pytest.fixture
def endless(settings: Any, local_site: Any) -> Iterator[EndlessServer]:
    server = EndlessServer()
    settings.LINKCHECK_ALLOWED_PORTS = [local_site.port, server.port]
    yield server
    server.shutdown()
    server.server_close()


def _attach(claim: Any, by: Any, url: str) -> Evidence:
    return evidence_attach(claim=claim, by=by, url=url, stance="supports")


def test_a_2_gb_body_is_cut_at_the_cap_and_the_task_finishes(
    endless: EndlessServer, claim: Any, reviewer: Any, settings: Any
) -> None:
    from annotations.tasks import capture_evidence

    cap = 2 * 1024 * 1024
    settings.EVIDENCE_SNAPSHOT_MAX_BYTES = cap
    evidence = _attach(claim, reviewer, f"http://127.0.0.1:{endless.port}/endless")

    tracemalloc.start()
    try:
        snapshot_id = capture_evidence.apply(args=[str(evidence.pk)]).get(timeout=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    snapshot = EvidenceSnapshot.objects.get(pk=snapshot_id)
    assert (snapshot.body_bytes, snapshot.truncated) == (cap, True)
    assert "first part was kept" in snapshot.message
    assert "unemployment was 12%" in snapshot.text
    # The fetch stopped at the cap: the server got nowhere near 2 GB out ...
    assert endless.sent < 64 * 1024 * 1024
    # ... and memory follows the cap, not the page: the body is read up to the cap and the
    # peak is the main-text extraction of those 2 MiB (lxml and trafilatura's copies of the
    # tree and text, about 22 x the cap as measured), nothing proportional to 2 GB.
    assert peak < 32 * cap
    with snapshot.warc.open("rb") as stream:
        records = list(ArchiveIterator(io.BytesIO(stream.read())))
    response = [r for r in records if r.rec_type == "response"][0]
    assert response.rec_headers.get_header("WARC-Truncated") == "length"
    assert response.http_headers.get_header("Content-Length") == str(cap)


def test_a_pdf_is_read_and_a_changed_number_in_it_is_changed(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    lines = [
        "Labour force survey, third quarter",
        "The unemployment rate among people aged 16 to 24 was 12 per cent.",
        "Employment rose to 9.4 million, the highest figure since the series began.",
    ]
    pdf = {"Content-Type": "application/pdf"}
    local_site.routes["/lfs.pdf"] = (200, pdf, make_pdf(lines))
    evidence = _attach(claim, reviewer, local_site.url("/lfs.pdf"))
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    assert snapshot.problem == ""
    assert snapshot.text == "\n".join(lines)
    assert snapshot.title == "Labour force survey"

    _check(evidence, "pdf-same")
    evidence.refresh_from_db()
    assert evidence.changed is False

    revised = [lines[0], lines[1].replace("12 per cent", "14 per cent"), lines[2]]
    local_site.routes["/lfs.pdf"] = (200, pdf, make_pdf(revised))
    _check(evidence, "pdf-revised")
    evidence.refresh_from_db()
    assert evidence.changed is True
    assert PageText.objects.filter(link=evidence.link).count() == 2


def test_an_image_keeps_its_bytes_and_says_why_there_is_no_text(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
    local_site.routes["/chart.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg)
    evidence = _attach(claim, reviewer, local_site.url("/chart.jpg"))
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    assert (snapshot.text, snapshot.problem, snapshot.body_bytes) == ("", "not_html", len(jpeg))
    assert snapshot.message == "The page is image/jpeg, not HTML."
    with snapshot.warc.open("rb") as stream:
        for record in ArchiveIterator(io.BytesIO(stream.read())):
            if record.rec_type == "response":
                assert record.content_stream().read() == jpeg
    # No text, so no text version, and link checks keep the fingerprint for it.
    assert not PageText.objects.filter(link=evidence.link).exists()


def test_an_encoding_lie_still_reads(local_site: Any, claim: Any, reviewer: Any) -> None:
    body = (
        "<html><head><title>Prix</title></head><body><main><article>"
        "<p>Le café coûte deux euros cinquante dans les gares, selon l'enquête publiée "
        "jeudi par l'office des statistiques, soit 12 % de plus qu'il y a un an.</p>"
        "<p>Les prix des billets de train ont augmenté de 4 % sur la même période, et "
        "ceux des abonnements régionaux sont restés stables dans la plupart des régions.</p>"
        "<p>L'enquête porte sur 1 200 points de vente répartis dans tout le pays et sera "
        "répétée chaque trimestre pour suivre l'évolution des prix à la consommation.</p>"
        "</article></main></body></html>"
    ).encode("cp1252")
    # The header says UTF-8; the bytes are windows-1252.
    local_site.routes["/prix"] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
    evidence = _attach(claim, reviewer, local_site.url("/prix"))
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    assert snapshot.problem == ""
    assert "Le café coûte deux euros cinquante" in snapshot.text
    assert "\ufffd" not in snapshot.text
    assert snapshot.body_bytes == len(body)


def test_a_page_with_no_main_text_keeps_its_warc_and_a_message(
    local_site: Any, claim: Any, reviewer: Any
) -> None:
    shell = (
        "<html><head><title>Loading…</title></head><body><nav><a href='/'>Home</a> "
        "<a href='/about'>About</a></nav><div id='app'></div>"
        "<script>render()</script></body></html>"
    )
    evidence = _attach(claim, reviewer, local_site.page("/app", shell))
    snapshot = snapshots.evidence_capture(evidence_id=evidence.pk)
    assert snapshot.text == ""
    assert snapshot.problem == "no_main_text"
    assert snapshot.message
    assert snapshot.body_bytes == len(shell.encode())
    assert snapshot.warc_bytes > 0

    # The empty body: kept, said.
    local_site.routes["/empty"] = (200, {"Content-Type": "text/html"}, b"")
    empty = _attach(claim, reviewer, local_site.url("/empty"))
    shot = snapshots.evidence_capture(evidence_id=empty.pk)
    assert (shot.problem, shot.message, shot.body_bytes) == ("empty", "The page sent no body.", 0)


def test_a_server_that_hangs_up_mid_body_is_tried_again_not_stored(
    claim: Any, reviewer: Any, settings: Any, local_site: Any
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    settings.LINKCHECK_ALLOWED_PORTS = [local_site.port, port]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<html><p>half")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        evidence = _attach(claim, reviewer, f"http://127.0.0.1:{port}/cut")
        with pytest.raises(snapshots.CaptureNotYet):
            snapshots.evidence_capture(evidence_id=evidence.pk)
        assert not EvidenceSnapshot.objects.filter(evidence=evidence).exists()
    finally:
        listener.close()
