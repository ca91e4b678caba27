"""The one safe HTTP fetcher for link checks.

Every hop is vetted by `guard.vet_url` and the connection is pinned to the vetted IP (the
request goes to the IP, the hostname travels in the Host header and TLS SNI), so a redirect
or a second DNS answer can never steer a check to an internal address. Redirects are followed
by hand, bodies are capped, and a total deadline bounds every check. `fetch` never raises for
anything the remote side does: failures come back as `FetchResult.error_class`.

Pure Python: no Django imports.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from annotations.linkhealth.guard import (
    EgressPolicy,
    Resolver,
    Target,
    UnsafeURL,
    default_resolver,
    vet_url,
)

KEPT_HEADERS = (
    "etag",
    "last-modified",
    "retry-after",
    "content-type",
    "content-length",
    "location",
    "server",
    "cf-mitigated",
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
# HEAD answers that often mean "this server does not do HEAD properly", not "the page is gone".
HEAD_FALLBACK_STATUSES = frozenset({403, 404, 405, 501})
# HEAD failures worth one GET: servers that hang up or choke on HEAD but serve GET.
HEAD_FALLBACK_ERRORS = frozenset({"timeout", "reset", "protocol"})
ERROR_CLASSES = (
    "unsafe",
    "dns",
    "connect",
    "timeout",
    "reset",
    "too_many_redirects",
    "redirect_loop",
    "protocol",
    "invalid_url",
)


@dataclass(frozen=True)
class FetchConfig:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_redirects: int = 10
    max_body_bytes: int = 256 * 1024
    user_agent: str = "factcheck-linkcheck/1.0 (+https://github.com/factcheck)"


@dataclass
class FetchResult:
    url: str
    final_url: str
    status_code: int | None = None
    hops: list[tuple[str, int]] = field(default_factory=list)
    # True only when there was at least one redirect and every one was 301/308.
    permanent_redirect: bool = False
    latency_ms: int = 0
    error_class: str = ""
    error_message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str = "HEAD"

    @property
    def ok(self) -> bool:
        return self.error_class == "" and self.status_code is not None


class _ChainError(Exception):
    """Ends a redirect chain with an error class (internal)."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message


def make_client(config: FetchConfig = FetchConfig()) -> httpx.AsyncClient:
    """A client fit for pinned requests.

    trust_env=False: a proxy from HTTP(S)_PROXY would resolve names itself and defeat pinning.
    No keep-alive: pooled connections are keyed by IP, and a TLS connection verified for one
    hostname must not be reused for another hostname on the same IP.
    """
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        http2=False,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        timeout=_timeout(config),
    )


def _timeout(config: FetchConfig) -> httpx.Timeout:
    return httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.read_timeout,
        pool=config.connect_timeout,
    )


def _classify_exception(exc: BaseException) -> tuple[str, str]:
    message = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return "timeout", message
    if isinstance(exc, httpx.ConnectError):
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ssl.SSLError):
                return "protocol", message
            cause = cause.__cause__ or cause.__context__
        return "connect", message
    if isinstance(exc, httpx.RemoteProtocolError):
        # "Server disconnected without sending a response": a hang-up, not garbage.
        if "disconnected" in str(exc).lower():
            return "reset", message
        return "protocol", message
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, ConnectionError)):
        return "reset", message
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return "invalid_url", message
    return "protocol", message


def _decode_body(raw: bytes, content_encoding: str, limit: int) -> bytes:
    """Undo gzip/deflate with an output cap (a 256 KiB gzip bomb must not become 256 MiB)."""
    encoding = content_encoding.strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 47 if encoding != "deflate" else zlib.MAX_WBITS
        try:
            return zlib.decompressobj(wbits).decompress(raw, limit)
        except zlib.error:
            if encoding == "deflate":  # raw deflate without zlib header, as some servers send
                try:
                    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, limit)
                except zlib.error:
                    return b""
            return b""
    return raw[:limit]


class _Cookies:
    """Per-check cookie memory, keyed by hostname, so cookie-then-redirect dances work.

    The client's own jar is never used: it is keyed by the pinned IP and shared across checks.
    """

    def __init__(self) -> None:
        self._by_host: dict[str, dict[str, str]] = {}

    def header(self, host: str) -> str:
        jar = self._by_host.get(host, {})
        return "; ".join(f"{k}={v}" for k, v in sorted(jar.items()))

    def absorb(self, host: str, response: httpx.Response) -> None:
        for value in response.headers.get_list("set-cookie"):
            try:
                parsed: SimpleCookie = SimpleCookie()
                parsed.load(value)
            except CookieError:
                continue
            jar = self._by_host.setdefault(host, {})
            for name, morsel in parsed.items():
                if len(jar) < 50 and len(morsel.value) < 4096:
                    jar[name] = morsel.value


@dataclass
class _State:
    """What the chain has seen so far; survives a cancellation by the total deadline."""

    url: str
    method: str
    final_url: str = ""
    hops: list[tuple[str, int]] = field(default_factory=list)
    redirect_statuses: list[int] = field(default_factory=list)

    def to_result(self, **kw: Any) -> FetchResult:
        return FetchResult(
            url=self.url,
            final_url=self.final_url or self.url,
            hops=list(self.hops),
            permanent_redirect=bool(self.redirect_statuses)
            and all(s in PERMANENT_STATUSES for s in self.redirect_statuses),
            method=self.method,
            **kw,
        )


def _build_request(
    target: Target,
    ip: str,
    *,
    method: str,
    config: FetchConfig,
    conditional: dict[str, str] | None,
    cookie: str,
) -> httpx.Request:
    headers = {
        "Host": target.netloc,
        "User-Agent": config.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        # Identity so the size cap counts real bytes; gzip anyway is decoded with a cap.
        "Accept-Encoding": "identity",
        "Connection": "close",
    }
    if cookie:
        headers["Cookie"] = cookie
    for name, value in (conditional or {}).items():
        # Only validators, and only values that cannot smuggle a header.
        is_validator = name.lower() in ("if-none-match", "if-modified-since")
        if is_validator and value and "\r" not in value and "\n" not in value:
            headers[name] = value
    extensions: dict[str, Any] = {"timeout": _timeout(config).as_dict()}
    if target.scheme == "https":
        extensions["sni_hostname"] = target.host
    # Built by hand and sent with client.send(): client.build_request would merge the shared
    # client's cookie jar (keyed by IP) into the request.
    return httpx.Request(method, target.pinned_url(ip), headers=headers, extensions=extensions)


async def _send(
    client: httpx.AsyncClient,
    target: Target,
    *,
    method: str,
    config: FetchConfig,
    conditional: dict[str, str] | None,
    cookies: _Cookies,
) -> tuple[httpx.Response, bytes]:
    """One request to the pinned IP (trying the other vetted IPs only if connecting fails)."""
    last_exc: Exception | None = None
    for ip in target.all_ips or (target.ip,):
        request = _build_request(
            target,
            ip,
            method=method,
            config=config,
            conditional=conditional,
            cookie=cookies.header(target.host),
        )
        try:
            # Explicit: a caller's client with follow_redirects=True would otherwise follow
            # redirects itself, past the guard.
            response = await client.send(request, stream=True, follow_redirects=False, auth=None)
        except httpx.ConnectError as exc:
            last_exc = exc
            continue
        try:
            raw = b""
            if method == "GET" and response.status_code not in REDIRECT_STATUSES:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= config.max_body_bytes:
                        break  # never read past the cap; closing drops the connection
                raw = b"".join(chunks)[: config.max_body_bytes]
        finally:
            await response.aclose()
        cookies.absorb(target.host, response)
        body = _decode_body(
            raw, response.headers.get("content-encoding", ""), config.max_body_bytes
        )
        return response, body
    assert last_exc is not None
    raise last_exc


async def _run_chain(
    state: _State,
    client: httpx.AsyncClient,
    *,
    policy: EgressPolicy,
    config: FetchConfig,
    resolver: Resolver,
    conditional: dict[str, str] | None,
) -> FetchResult:
    cookies = _Cookies()
    url = state.url
    seen: set[tuple[str, str]] = set()
    while True:
        state.final_url = url
        try:
            # Resolution may block for seconds; keep it off the event loop and under the
            # total deadline.
            target = await asyncio.to_thread(vet_url, url, policy, resolver=resolver)
        except UnsafeURL as exc:
            error_class = {"dns": "dns", "malformed": "invalid_url"}.get(exc.reason, "unsafe")
            raise _ChainError(error_class, f"{exc.reason}: {exc.message}") from exc
        state.final_url = target.url
        key = (target.url, cookies.header(target.host))
        if key in seen:
            raise _ChainError("redirect_loop", f"redirect loop at {target.url}")
        seen.add(key)

        response, body = await _send(
            client,
            target,
            method=state.method,
            config=config,
            conditional=conditional,
            cookies=cookies,
        )
        status = response.status_code
        state.hops.append((target.url, status))
        location = response.headers.get("location", "")
        if status in REDIRECT_STATUSES and location:
            if len(state.redirect_statuses) >= config.max_redirects:
                raise _ChainError(
                    "too_many_redirects", f"more than {config.max_redirects} redirects"
                )
            state.redirect_statuses.append(status)
            try:
                next_url = urljoin(target.url, location.strip())
            except ValueError as exc:
                raise _ChainError("invalid_url", f"bad Location {location!r}") from exc
            # The fragment never reaches the server; drop it so loops are recognised.
            url = next_url.split("#", 1)[0]
            continue
        headers = {
            name: response.headers[name][:1000] for name in KEPT_HEADERS if name in response.headers
        }
        return state.to_result(status_code=status, headers=headers, body=body)


async def _attempt(
    url: str,
    method: str,
    client: httpx.AsyncClient,
    *,
    policy: EgressPolicy,
    config: FetchConfig,
    resolver: Resolver,
    conditional: dict[str, str] | None,
    deadline: float,
) -> FetchResult:
    state = _State(url=url, method=method)
    remaining = deadline - time.monotonic()
    try:
        if remaining <= 0:
            raise TimeoutError
        return await asyncio.wait_for(
            _run_chain(
                state,
                client,
                policy=policy,
                config=config,
                resolver=resolver,
                conditional=conditional,
            ),
            timeout=remaining,
        )
    except _ChainError as exc:
        return state.to_result(error_class=exc.error_class, error_message=exc.message)
    except TimeoutError:
        return state.to_result(
            error_class="timeout",
            error_message=f"no complete answer within {config.total_timeout}s",
        )
    except Exception as exc:  # noqa: BLE001 - the remote side must never crash a check
        error_class, message = _classify_exception(exc)
        return state.to_result(error_class=error_class, error_message=message)


async def fetch(
    url: str,
    *,
    policy: EgressPolicy,
    config: FetchConfig = FetchConfig(),
    client: httpx.AsyncClient | None = None,
    resolver: Resolver = default_resolver,
    conditional: dict[str, str] | None = None,
    want_body: bool = False,
) -> FetchResult:
    """Check one URL: HEAD first (GET when HEAD is refused or fails), or GET if `want_body`.

    A passed-in `client` should come from `make_client` (no proxies from the environment,
    no keep-alive); its redirect and cookie settings are bypassed either way.
    """
    started = time.monotonic()
    deadline = started + config.total_timeout
    own_client = client is None
    active = client or make_client(config)
    try:
        kwargs: dict[str, Any] = {
            "policy": policy,
            "config": config,
            "resolver": resolver,
            "conditional": conditional,
            "deadline": deadline,
        }
        if want_body:
            result = await _attempt(url, "GET", active, **kwargs)
        else:
            result = await _attempt(url, "HEAD", active, **kwargs)
            head_refused = result.status_code in HEAD_FALLBACK_STATUSES and not result.error_class
            if (head_refused or result.error_class in HEAD_FALLBACK_ERRORS) and (
                time.monotonic() < deadline
            ):
                result = await _attempt(url, "GET", active, **kwargs)
    finally:
        if own_client:
            await active.aclose()
    result.latency_ms = int((time.monotonic() - started) * 1000)
    return result


def _host_key(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


async def fetch_many(
    urls: Sequence[str],
    *,
    policy: EgressPolicy,
    config: FetchConfig = FetchConfig(),
    per_host_limit: int = 2,
    global_limit: int = 50,
    resolver: Resolver = default_resolver,
    want_body: bool = False,
) -> list[FetchResult]:
    """Check many URLs with one client; results come back in the order of `urls`.

    At most `per_host_limit` checks hit one host at a time (politeness), and at most
    `global_limit` run at all.
    """
    global_sem = asyncio.Semaphore(global_limit)
    host_sems: dict[str, asyncio.Semaphore] = {}
    async with make_client(config) as client:

        async def one(url: str) -> FetchResult:
            host_sem = host_sems.setdefault(_host_key(url), asyncio.Semaphore(per_host_limit))
            async with host_sem, global_sem:
                return await fetch(
                    url,
                    policy=policy,
                    config=config,
                    client=client,
                    resolver=resolver,
                    want_body=want_body,
                )

        return list(await asyncio.gather(*(one(u) for u in urls)))


def fetch_sync(url: str, **kw: Any) -> FetchResult:
    """`fetch` for synchronous callers (Celery tasks). Not for use inside a running loop."""
    return asyncio.run(fetch(url, **kw))
