"""The fetcher against real HTTP servers on 127.0.0.1.

Nothing here may reach beyond loopback: every policy carries egress_allowlist=127.0.0.0/8,
names are resolved by fake resolvers, and the tests that redirect to private or metadata
addresses assert that no request to them ever reached the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest

from annotations.linkhealth.classify import classify
from annotations.linkhealth.health import LinkHealth
from factcheck.egress.fetcher import (
    Client,
    FetchConfig,
    FetchResult,
    fetch,
    fetch_many,
    fetch_sync,
    make_client,
)
from factcheck.egress.guard import EgressPolicy, UnsafeURL

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
FAST = FetchConfig(connect_timeout=1.0, read_timeout=0.5, total_timeout=3.0, max_body_bytes=4096)
PAGE = b"<html><head><title>Hello</title></head><body><p>hello world</p></body></html>"


def policy_for(*ports: int) -> EgressPolicy:
    return EgressPolicy(
        allowed_networks=(LOOPBACK,),
        egress_allowlist=(LOOPBACK,),
        allowed_ports=frozenset(ports),
    )


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolver must not be called (asked for {host})")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AppServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, status: int, location: str) -> None:
        self._send(status, headers={"Location": location})

    def do_HEAD(self) -> None:
        self.route()

    def do_GET(self) -> None:
        self.route()

    def route(self) -> None:
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        path = self.path
        port = self.server.server_address[1]
        if path in ("/", "/ok"):
            self._send(200, PAGE, {"Content-Type": "text/html", "ETag": '"v1"'})
        elif path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, headers={"ETag": '"v1"'})
            else:
                self._send(200, PAGE, {"Content-Type": "text/html", "ETag": '"v1"'})
        elif path == "/nohead":
            if self.command == "HEAD":
                self._send(405)
            else:
                self._send(200, PAGE, {"Content-Type": "text/html"})
        elif path == "/moved":
            self._redirect(301, "/moved-2")
        elif path == "/moved-2":
            self._redirect(308, f"http://127.0.0.1:{port}/final")
        elif path == "/final":
            self._send(200, PAGE, {"Content-Type": "text/html"})
        elif path == "/temporary":
            self._redirect(302, "/final")
        elif path == "/mixed":
            self._redirect(301, "/temporary")
        elif path == "/deep/article-that-is-gone":
            self._redirect(302, "/")
        elif path == "/loop-a":
            self._redirect(302, "/loop-b")
        elif path == "/loop-b":
            self._redirect(302, "/loop-a")
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            if n == 0:
                self._send(200, PAGE, {"Content-Type": "text/html"})
            else:
                self._redirect(302, f"/chain/{n - 1}")
        elif path == "/to-metadata":
            self._redirect(302, f"http://169.254.169.254:{port}/latest/meta-data/")
        elif path == "/to-private":
            self._redirect(302, f"http://10.0.0.1:{port}/admin")
        elif path == "/to-private-name":
            self._redirect(302, f"http://intranet.test:{port}/")
        elif path == "/to-ftp":
            self._redirect(302, "ftp://127.0.0.1/")
        elif path == "/cookie-dance":
            if "seen=1" in self.headers.get("Cookie", ""):
                self._send(200, PAGE, {"Content-Type": "text/html"})
            else:
                self._send(302, headers={"Location": "/cookie-dance", "Set-Cookie": "seen=1"})
        elif path == "/host":
            self._send(200, self.headers.get("Host", "").encode(), {"Content-Type": "text/plain"})
        elif path == "/503":
            self._send(503, b"down for maintenance", {"Content-Type": "text/plain"})
        elif path == "/429":
            self._send(429, b"slow down", {"Retry-After": "120"})
        elif path == "/gone":
            self._send(404, b"not here", {"Content-Type": "text/plain"})
        elif path == "/huge":
            self._huge()
        elif path.startswith("/slow"):
            with self.server.lock:
                self.server.in_flight += 1
                self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            time.sleep(0.15)
            with self.server.lock:
                self.server.in_flight -= 1
            self._send(200, PAGE, {"Content-Type": "text/html"})
        else:
            self._send(404)

    def _huge(self) -> None:
        # "2 GB" of body, announced and streamed; the client must hang up long before.
        total = 2 * 1024**3
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        if self.command == "HEAD":
            return
        chunk = b"x" * 65536
        try:
            while self.server.huge_sent < total:
                self.wfile.write(chunk)
                self.server.huge_sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.server.huge_done.set()


class AppServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.huge_sent = 0
        self.huge_done = threading.Event()  # the huge body's writer stopped
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[AppServer]:
    srv = AppServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@contextlib.contextmanager
def raw_server(on_connection: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that hands each connection to `on_connection`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=on_connection, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()


def read_request(conn: socket.socket) -> bytes:
    conn.settimeout(2)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


def run(coro_factory: Callable[[Client], object]) -> tuple[FetchResult, list]:
    """Run a fetch with a recording client; return the result and where each request went.

    Each entry is (address connected to, Host header, method): the address is the URL's IP
    literal, or what the client's pinned resolver answered for its hostname.
    """
    seen: list[tuple[str, str | None, str]] = []

    async def main() -> FetchResult:
        client = make_client(FAST)

        async def on_headers_sent(session: object, ctx: object, params: object) -> None:
            url = params.url  # type: ignore[attr-defined]
            pins = client.resolver._pins.get(url.host, (url.host,))
            seen.append((pins[0], params.headers.get("Host"), params.method))  # type: ignore[attr-defined]

        trace = aiohttp.TraceConfig()
        trace.on_request_headers_sent.append(on_headers_sent)
        trace.freeze()
        client.session._trace_configs.append(trace)
        async with client:
            return await coro_factory(client)  # type: ignore[misc]

    return asyncio.run(main()), seen


def test_200_ok_with_head(server: AppServer) -> None:
    result = fetch_sync(server.url("/ok"), policy=policy_for(server.port), config=FAST)
    assert result.error_class == ""
    assert result.status_code == 200
    assert result.method == "HEAD"
    assert result.final_url == server.url("/ok")
    assert result.hops == [(server.url("/ok"), 200)]
    assert result.headers["etag"] == '"v1"'
    assert result.headers["content-type"] == "text/html"
    assert result.body == b""
    assert result.latency_ms >= 0
    assert server.requests[0][0] == "HEAD"
    assert server.requests[0][2]["User-Agent"] == FAST.user_agent
    assert classify(result, now=_now()).health == LinkHealth.OK


def test_want_body_gets_the_page(server: AppServer) -> None:
    result = fetch_sync(
        server.url("/ok"), policy=policy_for(server.port), config=FAST, want_body=True
    )
    assert result.method == "GET"
    assert result.body == PAGE
    assert [r[0] for r in server.requests] == ["GET"]


def test_head_405_falls_back_to_get(server: AppServer) -> None:
    result = fetch_sync(server.url("/nohead"), policy=policy_for(server.port), config=FAST)
    assert result.status_code == 200
    assert result.method == "GET"
    assert result.body == PAGE
    assert [r[0] for r in server.requests] == ["HEAD", "GET"]


def test_permanent_chain_is_redirected_with_final_url(server: AppServer) -> None:
    result = fetch_sync(server.url("/moved"), policy=policy_for(server.port), config=FAST)
    assert result.status_code == 200
    assert result.final_url == server.url("/final")
    assert result.hops == [
        (server.url("/moved"), 301),
        (server.url("/moved-2"), 308),
        (server.url("/final"), 200),
    ]
    assert result.permanent_redirect is True
    verdict = classify(result, now=_now())
    assert verdict.health == LinkHealth.REDIRECTED
    assert server.url("/final") in verdict.reason


def test_temporary_redirect_is_judged_by_landing(server: AppServer) -> None:
    result = fetch_sync(server.url("/temporary"), policy=policy_for(server.port), config=FAST)
    assert result.status_code == 200
    assert result.final_url == server.url("/final")
    assert result.permanent_redirect is False
    assert classify(result, now=_now()).health == LinkHealth.OK
    # One temporary hop anywhere on the chain makes the whole move non-permanent.
    mixed = fetch_sync(server.url("/mixed"), policy=policy_for(server.port), config=FAST)
    assert mixed.permanent_redirect is False
    assert classify(mixed, now=_now()).health == LinkHealth.OK


def test_deep_link_redirected_to_front_page_is_soft_404(server: AppServer) -> None:
    result = fetch_sync(
        server.url("/deep/article-that-is-gone"), policy=policy_for(server.port), config=FAST
    )
    assert result.final_url == server.url("/")
    assert classify(result, now=_now()).health == LinkHealth.SOFT_404


def test_redirect_loop(server: AppServer) -> None:
    result = fetch_sync(server.url("/loop-a"), policy=policy_for(server.port), config=FAST)
    assert result.error_class == "redirect_loop"
    assert [status for _, status in result.hops] == [302, 302]
    verdict = classify(result, now=_now())
    assert verdict.health == LinkHealth.ERROR
    assert verdict.retryable


def test_cookie_then_redirect_to_self_is_not_a_loop(server: AppServer) -> None:
    result = fetch_sync(server.url("/cookie-dance"), policy=policy_for(server.port), config=FAST)
    assert result.error_class == ""
    assert result.status_code == 200


def test_ten_redirects_are_followed_eleven_are_too_many(server: AppServer) -> None:
    ten = fetch_sync(server.url("/chain/10"), policy=policy_for(server.port), config=FAST)
    assert ten.status_code == 200
    assert len(ten.hops) == 11
    eleven = fetch_sync(server.url("/chain/11"), policy=policy_for(server.port), config=FAST)
    assert eleven.error_class == "too_many_redirects"
    assert len(eleven.hops) == 11  # ten followed, the eleventh refused
    assert classify(eleven, now=_now()).health == LinkHealth.ERROR


@pytest.mark.parametrize(
    ("path", "refused_host"),
    [("/to-metadata", "169.254.169.254"), ("/to-private", "10.0.0.1")],
)
def test_redirect_to_blocked_address_is_refused_without_connecting(
    server: AppServer, path: str, refused_host: str
) -> None:
    result, seen = run(
        lambda client: fetch(
            server.url(path),
            policy=policy_for(server.port),
            config=FAST,
            client=client,
            resolver=no_dns,
        )
    )
    assert result.error_class == "unsafe"
    assert "not_in_allowlist" in result.error_message
    assert refused_host in result.final_url
    assert result.hops == [(server.url(path), 302)]
    # Only the loopback server was ever contacted.
    assert seen and all(host == "127.0.0.1" for host, _, _ in seen)
    assert classify(result, now=_now()).health == LinkHealth.UNSAFE


def test_redirect_to_blocked_address_is_refused_by_block_list_too(server: AppServer) -> None:
    # Without an allow-list the block list alone must stop the hop.
    policy = EgressPolicy(allowed_networks=(LOOPBACK,), allowed_ports=frozenset({server.port}))
    result, seen = run(
        lambda client: fetch(
            server.url("/to-metadata"), policy=policy, config=FAST, client=client, resolver=no_dns
        )
    )
    assert result.error_class == "unsafe"
    assert "blocked_address" in result.error_message
    assert all(host == "127.0.0.1" for host, _, _ in seen)


def test_redirect_to_name_resolving_private_is_refused(server: AppServer) -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        if host == "intranet.test":
            return ["10.1.2.3"]
        raise UnsafeURL("dns", f"unknown {host}")

    policy = EgressPolicy(allowed_networks=(LOOPBACK,), allowed_ports=frozenset({server.port}))
    result, seen = run(
        lambda client: fetch(
            server.url("/to-private-name"),
            policy=policy,
            config=FAST,
            client=client,
            resolver=resolver,
        )
    )
    assert result.error_class == "unsafe"
    assert "blocked_address" in result.error_message
    assert asked == ["intranet.test"]
    assert all(host == "127.0.0.1" for host, _, _ in seen)


def test_redirect_to_other_scheme_is_unsafe(server: AppServer) -> None:
    result = fetch_sync(server.url("/to-ftp"), policy=policy_for(server.port), config=FAST)
    assert result.error_class == "unsafe"
    assert "scheme" in result.error_message


def test_connection_is_pinned_to_the_vetted_ip(server: AppServer) -> None:
    calls: list[str] = []
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])  # a rebinding resolver

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    result, seen = run(
        lambda client: fetch(
            f"http://site.test:{server.port}/host",
            policy=policy_for(server.port),
            config=FAST,
            client=client,
            resolver=rebinding,
            want_body=True,
        )
    )
    assert result.status_code == 200
    assert calls == ["site.test"]  # resolved once, never again
    assert seen == [("127.0.0.1", f"site.test:{server.port}", "GET")]
    assert result.body == f"site.test:{server.port}".encode()
    assert result.final_url == f"http://site.test:{server.port}/host"


def test_public_name_with_loopback_allowlist_never_resolves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("getaddrinfo must not be called")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    result = fetch_sync("https://www.reuters.com/world/", policy=policy_for(443), config=FAST)
    assert result.error_class == "unsafe"
    assert "not_in_allowlist" in result.error_message
    assert classify(result, now=_now()).health == LinkHealth.UNSAFE


def test_dns_failure_is_its_own_outcome() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise UnsafeURL("dns", f"cannot resolve {host}")

    result = fetch_sync(
        "http://missing.test/", policy=policy_for(80), config=FAST, resolver=failing
    )
    assert result.error_class == "dns"
    assert classify(result, now=_now()).health == LinkHealth.BROKEN


def test_server_that_never_answers_times_out() -> None:
    hold = threading.Event()

    def silent(conn: socket.socket) -> None:
        read_request(conn)
        hold.wait(10)

    with raw_server(silent) as port:
        started = time.monotonic()
        result = fetch_sync(f"http://127.0.0.1:{port}/", policy=policy_for(port), config=FAST)
        elapsed = time.monotonic() - started
        hold.set()
    assert result.error_class == "timeout"
    assert elapsed < FAST.total_timeout + 1.0
    verdict = classify(result, now=_now())
    assert verdict.health == LinkHealth.ERROR
    assert verdict.retryable


def test_slow_drip_body_hits_total_timeout() -> None:
    # Each byte arrives well within the read timeout; only the total deadline can stop it.
    hold = threading.Event()

    def drip(conn: socket.socket) -> None:
        read_request(conn)
        with contextlib.suppress(OSError):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while not hold.is_set():
                conn.sendall(b"x")
                time.sleep(0.05)

    config = FetchConfig(read_timeout=0.5, total_timeout=1.0, max_body_bytes=10**6)
    with raw_server(drip) as port:
        started = time.monotonic()
        result = fetch_sync(
            f"http://127.0.0.1:{port}/", policy=policy_for(port), config=config, want_body=True
        )
        elapsed = time.monotonic() - started
        hold.set()
    assert result.error_class == "timeout"
    assert elapsed < 2.0


def test_huge_body_is_capped(server: AppServer) -> None:
    config = FetchConfig(read_timeout=2.0, total_timeout=5.0, max_body_bytes=64 * 1024)
    result = fetch_sync(
        server.url("/huge"), policy=policy_for(server.port), config=config, want_body=True
    )
    assert result.status_code == 200
    assert result.error_class == ""
    assert len(result.body) == 64 * 1024
    assert server.huge_done.wait(10), "the server never noticed the client hang up"
    # The client hung up: only socket buffers' worth was ever sent, not 2 GB.
    assert server.huge_sent < 64 * 1024 * 1024


def test_garbage_headers_give_protocol_error() -> None:
    def garbage(conn: socket.socket) -> None:
        read_request(conn)
        with contextlib.suppress(OSError):
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nX-Bad\x00\x01: \xff\xfe\r\n"
                b"this line has no colon at all\r\n\r\nbody"
            )
            conn.close()

    with raw_server(garbage) as port:
        result = fetch_sync(f"http://127.0.0.1:{port}/", policy=policy_for(port), config=FAST)
    assert result.error_class == "protocol"
    assert result.status_code is None
    assert classify(result, now=_now()).health == LinkHealth.ERROR


def test_not_http_at_all_gives_protocol_error() -> None:
    def ssh_banner(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            read_request(conn)
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n")
            conn.close()

    with raw_server(ssh_banner) as port:
        result = fetch_sync(f"http://127.0.0.1:{port}/", policy=policy_for(port), config=FAST)
    assert result.error_class == "protocol"


def test_reset_connection() -> None:
    def reset(conn: socket.socket) -> None:
        read_request(conn)
        # SO_LINGER 0: close() sends RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    with raw_server(reset) as port:
        result = fetch_sync(f"http://127.0.0.1:{port}/", policy=policy_for(port), config=FAST)
    assert result.error_class == "reset"
    assert classify(result, now=_now()).retryable


def test_503_is_error(server: AppServer) -> None:
    result = fetch_sync(server.url("/503"), policy=policy_for(server.port), config=FAST)
    assert result.status_code == 503
    verdict = classify(result, now=_now())
    assert verdict.health == LinkHealth.ERROR
    assert verdict.retryable


def test_429_with_retry_after(server: AppServer) -> None:
    result = fetch_sync(server.url("/429"), policy=policy_for(server.port), config=FAST)
    assert result.status_code == 429
    assert result.headers["retry-after"] == "120"
    verdict = classify(result, now=_now())
    assert verdict.health == LinkHealth.BLOCKED
    assert verdict.retry_after_seconds == 120


def test_404_falls_back_to_get_and_is_broken(server: AppServer) -> None:
    result = fetch_sync(server.url("/gone"), policy=policy_for(server.port), config=FAST)
    assert result.status_code == 404
    assert result.method == "GET"
    assert classify(result, now=_now()).health == LinkHealth.BROKEN


def test_connection_refused() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    result = fetch_sync(f"http://127.0.0.1:{port}/", policy=policy_for(port), config=FAST)
    assert result.error_class == "connect"
    assert classify(result, now=_now()).health == LinkHealth.BROKEN


def test_conditional_request_304_is_ok(server: AppServer) -> None:
    result = fetch_sync(
        server.url("/etag"),
        policy=policy_for(server.port),
        config=FAST,
        conditional={"If-None-Match": '"v1"', "X-Evil": "no"},
    )
    assert result.status_code == 304
    assert result.error_class == ""
    assert classify(result, now=_now()).health == LinkHealth.OK
    sent = server.requests[0][2]
    assert sent["If-None-Match"] == '"v1"'
    assert "X-Evil" not in sent


def test_unsafe_start_url_never_connects() -> None:
    result, seen = run(
        lambda client: fetch(
            "http://0x7f.1:22/", policy=policy_for(80), config=FAST, client=client, resolver=no_dns
        )
    )
    assert result.error_class == "unsafe"
    assert seen == []


def test_malformed_url_is_invalid_url() -> None:
    result = fetch_sync("http://[::1/", policy=policy_for(80), config=FAST, resolver=no_dns)
    assert result.error_class == "invalid_url"


def test_a_shared_client_cannot_bypass_the_guard(server: AppServer) -> None:
    async def main() -> FetchResult:
        async with make_client(FAST) as client:
            first = await fetch(server.url("/ok"), policy=policy_for(server.port), client=client)
            assert first.status_code == 200
            return await fetch(
                server.url("/to-metadata"),
                policy=policy_for(server.port),
                config=FAST,
                client=client,
                resolver=no_dns,
            )

    result = asyncio.run(main())
    assert result.error_class == "unsafe"


def test_client_refuses_names_the_guard_never_vetted() -> None:
    async def main() -> None:
        async with make_client(FAST) as client:
            with pytest.raises(OSError, match="not vetted"):
                await client.resolver.resolve("metadata.google.internal", 80)

    asyncio.run(main())


def test_fetch_many_keeps_order_and_per_host_limit(server: AppServer) -> None:
    urls = [server.url(f"/slow/{i}") for i in range(6)] + [server.url("/gone")]
    started = time.monotonic()
    results = asyncio.run(
        fetch_many(urls, policy=policy_for(server.port), config=FAST, per_host_limit=2)
    )
    assert [r.url for r in results] == urls
    assert [r.status_code for r in results] == [200] * 6 + [404]
    assert server.max_in_flight <= 2
    assert time.monotonic() - started < 5


def test_make_client_ignores_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")

    async def main() -> None:
        async with make_client() as client:
            assert client.session.trust_env is False
            assert client.session.auto_decompress is False

    asyncio.run(main())


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def tls_server(tmp_path: object) -> Iterator[tuple[int, list[str]]]:
    """A TLS server on 127.0.0.1 with a self-signed certificate; records the SNI it is sent."""
    import ssl
    import subprocess
    from pathlib import Path

    folder = Path(str(tmp_path))
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=secure.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name or "")  # type: ignore[assignment,misc,return-value]

    def handle(conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            context.wrap_socket(conn, server_side=True).recv(1)

    with raw_server(handle) as port:
        yield port, sni


def test_https_is_pinned_with_sni_and_verified_for_the_hostname(
    tls_server: tuple[int, list[str]],
) -> None:
    port, sni = tls_server
    asked: list[str] = []

    def resolver(host: str, p: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    result = fetch_sync(
        f"https://Secure.Test:{port}/a?b=1#frag",
        policy=policy_for(port),
        config=FAST,
        resolver=resolver,
        want_body=True,
    )
    assert asked == ["secure.test"]
    # The hostname travelled as SNI to the pinned address, and the self-signed certificate
    # was refused: TLS is verified for the name, not skipped because of pinning.
    assert sni and sni[0] == "secure.test"
    assert result.error_class == "protocol"
    assert result.final_url == f"https://secure.test:{port}/a?b=1"


def test_connection_errors_name_the_host_not_the_address_it_resolved_to() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now

    def intranet(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    result = fetch_sync(
        f"http://intranet.test:{port}/", policy=policy_for(port), config=FAST, resolver=intranet
    )
    assert result.error_class == "connect"
    assert f"intranet.test:{port}" in result.error_message
    assert "127.0.0.1" not in result.error_message
    assert "127.0.0.1" not in classify(result, now=_now()).reason
    # An address the user typed is theirs to see.
    typed = fetch_sync(f"http://127.0.0.1:{port}/", policy=policy_for(port), config=FAST)
    assert f"127.0.0.1:{port}" in typed.error_message
