"""Checking links through the service path (lease -> fetch_many -> classify -> record), in
process, against real servers on 127.0.0.1; shared limits on the test Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from annotations.linkhealth import archive, batches, leases, recording
from annotations.linkhealth.classify import Classification
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.probes import ProbeCache
from annotations.models import Link, LinkCheck
from factcheck.egress import config as egress_config
from factcheck.egress.fetcher import FetchResult, origin_key
from factcheck.egress.limits import LimitConfig, RedisHostGate, SharedLimits

pytestmark = pytest.mark.django_db

ARTICLE = (
    "<html><head><title>Budget hearing</title></head><body><article><h1>Budget hearing</h1><p>"
    + " ".join(f"word{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(200))
    + "</p></article></body></html>"
)
SHELL = (
    "<html><head><title>Daily News</title></head><body><main><p>"
    + " ".join(f"shell{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(80))
    + "</p></main></body></html>"
)


class Site(ThreadingHTTPServer):
    """Routes by path prefix; counts requests in flight; unknown paths per `unknown`."""

    daemon_threads = True

    def __init__(self, unknown: tuple[int, str] = (404, "<h1>Not found</h1>")) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.unknown = unknown
        self.hits: list[str] = []
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0
        self.connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up (capped bodies, killed workers) are part of the tests


class SiteHandler(BaseHTTPRequestHandler):
    server: Site
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        srv = self.server
        with srv.lock:
            srv.hits.append(self.path)
            first = self.path not in srv.seen
            srv.seen.add(self.path)
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        try:
            time.sleep(srv.delay)
            self.route(first)
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def send(self, status: int, body: str = "", **headers: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def route(self, first: bool) -> None:
        path = self.path
        if path.startswith("/article"):
            self.send(200, ARTICLE, ETag='"a1"')
        elif path.startswith("/flaky"):
            self.send(503, "busy") if first else self.send(200, ARTICLE)
        elif path.startswith("/limited"):
            self.send(429, "slow", Retry_After="1") if first else self.send(200, ARTICLE)
        elif path.startswith("/gone"):
            self.send(404, "<h1>gone</h1>")
        elif path.startswith("/garbage"):
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nX-Bad: \xff\xfe\x00\x01\r\nContent-Length: 2\r\n\r\nok"
            )
        elif path.startswith("/huge"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(2 * 1024**3))
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(2 * 1024**3 // 65536):
                    self.wfile.write(b"<p>" + b"x" * 65533)
        elif path.startswith("/long/") or path.startswith("/caf"):
            self.send(200, ARTICLE)
        else:
            self.send(*self.server.unknown)


@pytest.fixture
def site(settings: Any) -> Iterator[Site]:
    srv = Site()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [srv.port]
    settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = ""
    yield srv
    srv.shutdown()
    srv.server_close()


def make_links(*urls: str) -> list[Link]:
    now = timezone.now()
    return [
        Link.objects.create(
            url=u, host=(u.split("/")[2].split(":")[0] if "//" in u else ""), next_check_at=now
        )
        for u in urls
    ]


def check(links: list[Link], prefix: str = "t1", **kw: Any) -> batches.BatchOutcome:
    return batches.links_check_batch(
        link_ids=[link.pk for link in links], attempt_prefix=prefix, **kw
    )


def test_batch_checks_many_links_and_records_each_once(site: Site) -> None:
    links = make_links(*(site.url(f"/article/{i}") for i in range(12)), site.url("/gone/1"))
    outcome = check(links)
    assert len(outcome.recorded) == 13 and not outcome.deferred
    healths = dict(Link.objects.values_list("url", "health"))
    assert healths[site.url("/gone/1")] == "broken"
    assert all(healths[site.url(f"/article/{i}")] == "ok" for i in range(12))
    assert all(link.fingerprint for link in Link.objects.filter(health="ok"))
    # Redelivered: the same attempt records nothing twice.
    again = check(links)
    assert set(again.skipped.values()) == {"already-recorded"}
    assert LinkCheck.objects.count() == 13
    assert not Link.objects.exclude(checking_until=None).exists()


def test_transient_503_and_one_429_are_never_broken(site: Site) -> None:
    flaky, limited = make_links(site.url("/flaky/1"), site.url("/limited/1"))
    check([flaky, limited])
    flaky.refresh_from_db()
    limited.refresh_from_db()
    assert (flaky.health, limited.health) == ("error", "blocked")
    # Honour Retry-After, and retry errors soon rather than in a week.
    assert limited.next_check_at > timezone.now()
    assert flaky.next_check_at < timezone.now() + timedelta(hours=1)
    check([flaky, limited], prefix="t2")
    assert set(Link.objects.values_list("health", flat=True)) == {"ok"}


def test_soft_404_probe_is_fetched_once_per_host_and_cached(settings: Any) -> None:
    srv = Site(unknown=(200, SHELL))  # a site that answers every path with its front page
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [srv.port]
    try:
        links = make_links(
            srv.url("/article/1"), srv.url("/story/gone-1"), srv.url("/story/gone-2")
        )
        check(links)
        healths = dict(Link.objects.values_list("url", "health"))
        assert healths[srv.url("/article/1")] == "ok"
        assert healths[srv.url("/story/gone-1")] == "soft_404"
        assert healths[srv.url("/story/gone-2")] == "soft_404"
        probes = [h for h in srv.hits if "factcheck-probe" in h]
        assert len(probes) == 1
        # Another batch (another process even: the probe is in Redis) does not probe again.
        ProbeCache._local.clear()
        check(links, prefix="t2")
        assert len([h for h in srv.hits if "factcheck-probe" in h]) == 1
    finally:
        srv.shutdown()
        srv.server_close()


def test_not_modified_keeps_the_fingerprint_and_validators(site: Site) -> None:
    (link,) = make_links(site.url("/article/1"))
    check([link])
    link.refresh_from_db()
    assert link.etag == '"a1"' and link.fingerprint
    before = link.fingerprint
    result = FetchResult(url=link.url, final_url=link.url, status_code=304, method="GET")
    check_row = recording.link_check_record(
        link_id=link.pk,
        result=result,
        verdict=Classification(LinkHealth.OK, reason="not modified"),
        attempt_key="t304",
    )
    link.refresh_from_db()
    assert check_row is not None and check_row.fingerprint == before
    assert (link.health, link.fingerprint, link.etag) == ("ok", before, '"a1"')


def test_changed_page_marks_evidence_changed(site: Site, reviewer: Any, monkeypatch: Any) -> None:
    from annotations.linkhealth import tasks
    from annotations.services.evidence import evidence_attach
    from tests.factories import article_create, claim_create

    monkeypatch.setattr(tasks.check_link, "delay", lambda *a: None)
    article = article_create(by=reviewer, text="Officials said 600,000 soldiers were wounded.")
    claim = claim_create(article=article, by=reviewer, exact="600,000 soldiers")
    evidence = evidence_attach(
        claim=claim, by=reviewer, url=site.url("/article/1"), stance="supports"
    )
    check([evidence.link])
    evidence.refresh_from_db()
    assert evidence.fingerprint_at_attach and not evidence.changed
    result = FetchResult(
        url=evidence.link.url, final_url=evidence.link.url, status_code=200, method="GET",
        headers={"content-type": "text/html"}, body=SHELL.encode(),
    )  # fmt: skip
    recording.link_check_record(
        link_id=evidence.link_id,
        result=result,
        verdict=Classification(LinkHealth.OK),
        attempt_key="t2",
    )
    evidence.refresh_from_db()
    assert evidence.changed


def test_bad_input_each_gets_a_health_and_a_message(site: Site, settings: Any) -> None:
    settings.LINKCHECK_TOTAL_TIMEOUT = 2.0
    settings.LINKCHECK_READ_TIMEOUT = 1.0
    settings.LINKCHECK_MAX_BODY_BYTES = 64 * 1024
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does) and never answers
    silent_port = silent.getsockname()[1]
    settings.LINKCHECK_ALLOWED_PORTS = [site.port, silent_port]
    long_url = site.url("/long/" + "a" * 2100)
    urls = [
        long_url,
        site.url("/café/ünïcode path"),
        site.url("/caf%C3%A9"),
        "http://xn--bcher-kva.example/",
        "http://bücher.example/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hi",
        "ftp://127.0.0.1/pub",
        f"http://user:secret@127.0.0.1:{site.port}/article/1",
        site.url("/garbage"),
        site.url("/huge"),
        f"http://127.0.0.1:{silent_port}/never",
        "http://[::1/",
        "",
    ]
    links = make_links(*urls)
    started = time.monotonic()
    outcome = check(links)
    silent.close()
    assert time.monotonic() - started < 20
    assert len(outcome.recorded) == len(urls)
    rows = {link.url: link for link in Link.objects.all()}
    # In the order of `urls`: what each became. Every one but the fetched pages says why.
    assert [rows[url].health for url in urls] == [
        "ok",  # long URL
        "unsafe",  # a raw space in the path
        "ok",  # percent-encoded
        "unsafe",  # port 80 is not on the allow-list
        "unsafe",
        "unsafe",  # javascript:, file:, data:, ftp:
        "unsafe",
        "unsafe",
        "unsafe",
        "unsafe",  # credentials in the URL
        "error",  # garbage headers
        "ok",  # huge body: capped
        "error",  # never answers
        "broken",  # not a URL
        "unsafe",  # empty
    ]
    for url in urls:
        assert (rows[url].last_error == "") == (rows[url].health == "ok"), url
    assert rows[long_url].health == "ok"
    assert any(len(hit) > 2100 for hit in site.hits)  # the full URL went out, not a prefix
    for url in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hi",
        "ftp://127.0.0.1/pub",
    ):
        assert rows[url].health == "unsafe", url
    assert rows[f"http://user:secret@127.0.0.1:{site.port}/article/1"].health == "unsafe"
    assert rows["http://bücher.example/"].health in ("unsafe", "broken")
    assert rows[site.url("/huge")].health == "ok"
    assert rows[f"http://127.0.0.1:{silent_port}/never"].health == "error"
    assert "timed out" in rows[f"http://127.0.0.1:{silent_port}/never"].last_error


def test_batch_skips_links_leased_elsewhere_or_deleted_and_says_which(site: Site) -> None:
    free, busy, doomed = make_links(*(site.url(f"/article/{i}") for i in range(3)))
    assert leases.links_lease(link_ids=[busy.pk], owner="another-worker")
    doomed_id = doomed.pk
    doomed.delete()
    outcome = batches.links_check_batch(link_ids=[free.pk, busy.pk, doomed_id], attempt_prefix="t1")
    assert outcome.recorded == {free.pk: "ok"}
    assert outcome.skipped == {busy.pk: "leased", doomed_id: "gone"}
    assert site.hits.count("/article/1") == 0  # the leased link was left to its holder


def test_batches_in_one_process_reuse_kept_alive_connections(site: Site) -> None:
    first = make_links(*(site.url(f"/article/{i}") for i in range(6)))
    assert len(check(first).recorded) == 6
    opened = site.connections
    assert 1 <= opened <= 2  # the per-host limit: at most two connections
    second = make_links(*(site.url(f"/article/{i}") for i in range(6, 12)))
    assert len(check(second, prefix="t2").recorded) == 6
    assert site.connections == opened  # the next batch (a next task) opened none


def test_shared_gate_serves_waiters_first_come_first_served(settings: Any) -> None:
    """A holder that gives its slot back and queues again, or a second lane looking for a
    spare slot, never jumps ahead of another process that is waiting for the host."""
    config = LimitConfig(per_host=1, global_limit=10, token_ttl_seconds=5.0, max_wait_seconds=3.0)

    import redis

    store = redis.Redis.from_url(settings.LINKCHECK_REDIS_URL)

    def queued() -> int:
        """How many wait in h.test's queue (a sorted set of waiting tokens)."""
        return sum(int(store.zcard(key)) for key in store.scan_iter("*:queue:h.test"))

    async def main() -> None:
        busy = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)
        patient = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)  # another process
        try:
            token = await busy.acquire("h.test")
            assert token
            before = queued()
            waiter = asyncio.create_task(patient.acquire("h.test"))
            deadline = time.monotonic() + 5
            while queued() == before:  # until the other process has its place in the queue
                assert time.monotonic() < deadline, "the waiter never joined the queue"
                await asyncio.sleep(0.01)
            assert not waiter.done()
            await busy.release("h.test", token)
            assert await busy.try_acquire("h.test") is None  # no jumping the queue
            again = asyncio.create_task(busy.acquire("h.test"))  # queues behind it
            got = await asyncio.wait_for(waiter, 2)
            assert got and not again.done()
            await patient.release("h.test", got)
            assert await asyncio.wait_for(again, 2)
        finally:
            await busy.aclose()
            await patient.aclose()

    asyncio.run(main())


def test_a_slot_freed_by_another_process_is_picked_up_mid_batch(site: Site, settings: Any) -> None:
    from tests.helpers import wait_for

    settings.LINKCHECK_PER_HOST_LIMIT = 2
    site.delay = 0.05
    config = egress_config.limit_config()
    other = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)  # another worker
    loop = asyncio.new_event_loop()
    token = loop.run_until_complete(other.acquire("127.0.0.1"))
    assert token

    def release_soon() -> None:
        # Mid-batch: a few pages were fetched through the one free slot.
        wait_for(lambda: len(site.hits) >= 4, timeout=20, what="the batch to start")
        loop.run_until_complete(other.release("127.0.0.1", token))
        loop.run_until_complete(other.aclose())

    links = make_links(*(site.url(f"/article/{i}") for i in range(30)))
    releaser = threading.Thread(target=release_soon)
    releaser.start()
    try:
        outcome = check(links)
    finally:
        releaser.join()
        loop.close()
    assert len(outcome.recorded) == 30 and not outcome.deferred
    assert site.max_in_flight == 2  # one slot at first, both once the other let go


def test_a_waiter_that_gives_up_leaves_the_queue(settings: Any) -> None:
    config = LimitConfig(per_host=1, global_limit=10, token_ttl_seconds=5.0, max_wait_seconds=0.2)

    async def main() -> None:
        one = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)
        two = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)
        try:
            token = await one.acquire("h.test")
            assert token
            assert await two.acquire("h.test") is None  # waited 0.2 s, gave up
            await one.release("h.test", token)
            # Nobody is queued any more: a caller without a place in the queue gets it.
            assert await one.try_acquire("h.test")
        finally:
            await one.aclose()
            await two.aclose()

    asyncio.run(main())


def test_shared_gate_holds_the_per_host_limit_and_defers_when_full(settings: Any) -> None:
    config = LimitConfig(per_host=2, global_limit=10, token_ttl_seconds=1.0, max_wait_seconds=0.05)

    async def main() -> None:
        gate = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)
        other = RedisHostGate(settings.LINKCHECK_REDIS_URL, config)  # "another machine"
        try:
            a = await gate.acquire("h.test")
            b = await other.acquire("h.test")
            assert a and b
            assert await gate.acquire("h.test") is None  # full: deferred, not waited on
            assert await gate.acquire("other.test")  # other hosts are not held up
            await gate.release("h.test", a)
            assert await other.acquire("h.test")
            gate.saturated.clear()
            other._held.clear()  # "other" dies holding two slots: it stops renewing them
            await asyncio.sleep(1.2)  # past the TTL: its slots are taken back
            assert await gate.acquire("h.test") and await gate.acquire("h.test")
            await asyncio.sleep(1.2)  # a live holder renews its slots past the TTL
            assert await gate.acquire("h.test") is None
        finally:
            await gate.aclose()
            await other.aclose()

    asyncio.run(main())


def test_breaker_opens_after_repeated_failures_and_backs_links_off(
    site: Site, settings: Any
) -> None:
    settings.LINKCHECK_BREAKER_THRESHOLD = 3
    limits = egress_config.shared_limits()
    assert isinstance(limits, SharedLimits)
    for _ in range(3):
        limits.record_origin_outcome(origin_key(site.url("/")), failed=True)
    (link,) = make_links(site.url("/article/1"))
    outcome = check([link])
    assert outcome.backed_off == [link.pk]
    assert not site.hits  # the host was left alone
    link.refresh_from_db()
    assert link.next_check_at > timezone.now() + timedelta(seconds=50)
    assert link.checking_until is None and not LinkCheck.objects.exists()
    limits.record_origin_outcome(origin_key(site.url("/")), failed=False)
    assert check([link], prefix="t2").recorded == {link.pk: "ok"}


def test_task_delivered_too_often_gives_up_with_an_error_check(site: Site, settings: Any) -> None:
    from annotations.linkhealth import tasks

    settings.LINKCHECK_MAX_DELIVERIES = 2
    (link,) = make_links(site.url("/article/1"))
    limits = egress_config.shared_limits()
    assert limits is not None
    # Two deliveries that died with their worker (counted, nothing recorded).
    limits.delivery_count("poison:0")
    limits.delivery_count("poison:0")
    result = tasks.check_links_batch.apply(args=([link.pk],), task_id="poison").get()
    assert result == {"gave_up": 1}
    check_row = LinkCheck.objects.get()
    assert check_row.health == "error" and "gave up after 2 deliveries" in check_row.error_message
    assert not site.hits


def test_archive_lookup_through_the_safe_fetcher(
    site: Site, local_site: Any, settings: Any, reviewer: Any, monkeypatch: Any
) -> None:
    from annotations.linkhealth import tasks
    from annotations.services.evidence import evidence_attach
    from tests.factories import article_create, claim_create

    availability = json.dumps(
        {"archived_snapshots": {"closest": {"available": True, "status": "200",
         "url": "http://web.archive.org/web/20240101000000/https://example.org/x",
         "timestamp": "20240101000000"}}}
    )  # fmt: skip
    wayback = local_site.page(
        "/wayback/available", availability, **{"Content-Type": "application/json"}
    )
    settings.LINKCHECK_ALLOWED_PORTS = [site.port, local_site.port]
    settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = wayback
    monkeypatch.setattr(tasks.check_link, "delay", lambda *a: None)
    article = article_create(by=reviewer, text="Officials said 600,000 soldiers were wounded.")
    claim = claim_create(article=article, by=reviewer, exact="600,000 soldiers")
    evidence = evidence_attach(
        claim=claim, by=reviewer, url="https://example.org/x", stance="supports"
    )
    outcome = archive.evidence_find_archive(evidence_id=evidence.pk)
    evidence.refresh_from_db()
    assert (
        evidence.archive_url == "https://web.archive.org/web/20240101000000/https://example.org/x"
    )
    assert outcome == evidence.archive_url and evidence.archive_checked_at
    from urllib.parse import parse_qs, urlsplit

    [(method, path)] = local_site.hits
    assert method == "GET"
    asked = parse_qs(urlsplit(path).query)
    assert asked["url"] == ["https://example.org/x"]
    assert asked["timestamp"][0] == evidence.created_at.strftime("%Y%m%d%H%M%S")
    assert archive.evidence_find_archive(evidence_id=evidence.pk) == "already-archived"


def test_archive_answers_without_a_snapshot() -> None:
    assert archive.parse_archive_availability(b'{"archived_snapshots": {}}') == ""
    assert archive.parse_archive_availability(b"not json") == ""
    assert (
        archive.parse_archive_availability(
            b'{"archived_snapshots": {"closest": {"available": true, "url": "javascript:x"}}}'
        )
        == ""
    )


def test_check_links_command_checks_some_links(site: Site, capsys: Any) -> None:
    make_links(site.url("/article/1"), site.url("/gone/1"), "ftp://files.test/x")
    call_command("check_links", "--host", "127.0.0.1", "--no-progress")
    out = capsys.readouterr().out
    assert "checked 2 links" in out and "broken=1" in out and "ok=1" in out
    assert Link.objects.get(url="ftp://files.test/x").health == "unchecked"
    call_command("check_links", "--health", "unchecked", "--limit", "5", "--no-progress")
    assert Link.objects.get(url="ftp://files.test/x").health == "unsafe"


@pytest.mark.parametrize("argv", [("--limit", "-1"), ("--limit", "0"), ("--batch", "x")])
def test_check_links_refuses_a_count_that_is_not_positive(argv: tuple[str, str]) -> None:
    from django.core.management.base import CommandError

    make_links("http://127.0.0.1:9/a")
    with pytest.raises(CommandError, match="whole number|at least 1"):
        call_command("check_links", *argv, "--no-progress")
    assert not LinkCheck.objects.exists()


def test_check_links_starts_no_fetch_its_lease_could_not_cover(
    site: Site, settings: Any, capsys: Any
) -> None:
    """Links not begun while their lease still covers a whole fetch wait for the next round
    (leased afresh) instead of being fetched under a lease that may already have run out."""
    settings.LINKCHECK_PER_HOST_LIMIT = 1
    settings.LINKCHECK_TOTAL_TIMEOUT = 1.0
    settings.LINKCHECK_LEASE_SECONDS = 16  # budget: max(5, 16 - 1 - 10) = 5 s per round
    site.delay = 0.5
    links = make_links(*(site.url(f"/article/{i}") for i in range(14)))
    call_command("check_links", "--no-progress")
    assert "checked 14 links" in capsys.readouterr().out
    keys = list(LinkCheck.objects.values_list("attempt_key", flat=True))
    assert len(keys) == len(links)  # each link checked once
    rounds = {key.split(":")[2] for key in keys}  # cli:<run>:<round>:<link>
    assert rounds == {"1", "2"}
    assert site.max_in_flight == 1


def test_links_list_loads_a_bounded_number_of_checks(
    client_for: Any, reviewer: Any, django_assert_max_num_queries: Any, settings: Any
) -> None:
    links = make_links(*(f"https://example.org/{i}" for i in range(4)))
    now = timezone.now()
    LinkCheck.objects.bulk_create(
        [
            LinkCheck(link=link, checked_at=now - timedelta(hours=h), health="ok")
            for link in links
            for h in range(30)
        ]
    )
    client = client_for(reviewer)
    client.get("/api/v1/links/")  # warm-up (token, content types)
    with django_assert_max_num_queries(6) as queries:
        response = client.get("/api/v1/links/")
    assert response.status_code == 200
    items = response.data["results"]
    assert len(items) == 4
    assert all(
        len(item["recent_checks"]) == settings.LINKCHECK_RECENT_CHECKS_SHOWN for item in items
    )
    prefetch = [q["sql"] for q in queries.captured_queries if "annotations_linkcheck" in q["sql"]]
    assert len(prefetch) == 1 and "ROW_NUMBER" in prefetch[0].upper()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once closed


def test_breaker_is_per_origin_not_per_host(site: Site, settings: Any) -> None:
    # A closed port of a host cited again and again pauses that port, not the whole host.
    settings.LINKCHECK_BREAKER_THRESHOLD = 3
    closed = _closed_port()
    settings.LINKCHECK_ALLOWED_PORTS = [site.port, closed]
    dead = make_links(*(f"http://127.0.0.1:{closed}/article/{i}" for i in range(3)))
    outcome = check(dead)
    assert set(outcome.recorded) == {link.pk for link in dead}
    assert {c.error_class for c in LinkCheck.objects.all()} == {"connect"}
    limits = egress_config.shared_limits()
    assert limits is not None
    assert limits.breaker_open_for(origin_key(dead[0].url)) > 0
    assert limits.breaker_open_for(origin_key(site.url("/"))) == 0

    (live,) = make_links(site.url("/article/9"))
    assert check([live], prefix="t2").recorded == {live.pk: "ok"}  # same host, other port
    (more,) = make_links(f"http://127.0.0.1:{closed}/article/more")
    assert check([more], prefix="t3").backed_off == [more.pk]  # the dead origin waits


class _ProbeHangs(SiteHandler):
    """Serves /article pages; the soft-404 probe (a random path) gets no answer in time."""

    def route(self, first: bool) -> None:
        if self.path.startswith("/article"):
            self.send(200, ARTICLE)
        else:
            time.sleep(1.5)  # past the check's total timeout


def test_a_failing_soft404_probe_does_not_feed_the_breaker(settings: Any) -> None:
    srv = Site()
    srv.RequestHandlerClass = _ProbeHangs
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [srv.port]
    settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = ""
    settings.LINKCHECK_BREAKER_THRESHOLD = 1  # one counted failure would open it
    settings.LINKCHECK_TOTAL_TIMEOUT = 0.5
    try:
        (link,) = make_links(srv.url("/article/1"))
        # The probe times out after the page answered: were it counted, it would be the
        # last word on the origin.
        assert check([link]).recorded == {link.pk: "ok"}
        assert any(not hit.startswith("/article") for hit in srv.hits)  # the probe was sent
        limits = egress_config.shared_limits()
        assert limits is not None
        assert limits.breaker_open_for(origin_key(link.url)) == 0
        (other,) = make_links(srv.url("/article/2"))
        assert check([other], prefix="t2").recorded == {other.pk: "ok"}
    finally:
        srv.shutdown()
        srv.server_close()


def test_batch_skips_links_checked_since_it_was_enqueued(site: Site) -> None:
    checked, waiting = make_links(site.url("/article/1"), site.url("/article/2"))
    enqueued_at = timezone.now()
    # A check of one of them lands after the batch was enqueued (a recheck, another batch).
    assert check([checked], prefix="elsewhere").recorded == {checked.pk: "ok"}
    outcome = check([checked, waiting], prefix="task:late", enqueued_at=enqueued_at)
    assert outcome.recorded == {waiting.pk: "ok"}
    assert outcome.skipped == {checked.pk: "checked-since-enqueued"}
    assert LinkCheck.objects.filter(link=checked).count() == 1
    assert not Link.objects.exclude(checking_until=None).exists()


def test_stored_refusal_never_shows_the_address_a_name_resolved_to(
    client_for: Any, reviewer: Any
) -> None:
    from annotations.linkhealth.classify import classify
    from factcheck.egress.fetcher import fetch_sync
    from factcheck.egress.guard import EgressPolicy, UnsafeURL, vet_url

    def intranet(host: str, port: int) -> list[str]:
        assert host == "intranet.example"
        return ["10.1.2.3"]

    policy = EgressPolicy(allowed_ports=frozenset({80}))  # the production block list
    url = "http://intranet.example/budget"
    with pytest.raises(UnsafeURL):  # refused before any connection could be made
        vet_url(url, policy, resolver=intranet)
    result = fetch_sync(url, policy=policy, resolver=intranet)
    assert (result.error_class, result.hops, result.status_code) == ("unsafe", [], None)
    (link,) = make_links(url)
    recording.link_check_record(
        link_id=link.pk,
        result=result,
        verdict=classify(result, now=timezone.now()),
        attempt_key="t1",
    )
    stored = LinkCheck.objects.get(link=link)
    link.refresh_from_db()
    assert stored.health == link.health == "unsafe"
    for text in (stored.error_message, link.last_error):
        assert "intranet.example resolves to a private address" in text
        assert "10.1.2.3" not in text
    shown = client_for(reviewer).get(f"/api/v1/links/{link.pk}/")
    assert shown.status_code == 200
    assert "10.1.2.3" not in shown.content.decode()
