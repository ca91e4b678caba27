"""One webhook POST, through the egress layer's guard and pinned client. No ORM.

The URL is vetted by `factcheck.egress.guard.vet_url` (scheme, port, credentials, every
address the name resolves to, the egress allow-list) and the connection is pinned to the
vetted addresses by the egress client (`factcheck.egress.fetcher.make_client`: its only
resolver answers with what the guard vetted). Redirects are not followed: a receiver that
redirects has to be re-registered at its new address. The answer's body is read up to 1 KiB, for the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
import yarl

from factcheck.egress.fetcher import FetchConfig, make_client
from factcheck.egress.guard import (
    EgressPolicy,
    Resolver,
    UnsafeURL,
    default_resolver,
    vet_url,
)
from factcheck.egress.redact import redact_addresses

RESPONSE_SNIPPET_BYTES = 1024


@dataclass(frozen=True)
class PostResult:
    status_code: int | None = None
    error: str = ""
    # Refused before connecting (unsafe address): retrying will not help.
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def post_json(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: EgressPolicy,
    config: FetchConfig,
    resolver: Resolver = default_resolver,
) -> PostResult:
    """POST `body` to `url` under `policy`; never raises for anything the receiver does."""
    try:
        target = await asyncio.to_thread(vet_url, url, policy, resolver=resolver)
    except UnsafeURL as exc:
        return PostResult(error=f"unsafe: {exc.reason}: {exc.message}"[:500], permanent=True)
    client = make_client(config)
    try:
        if not target.host_is_ip:
            client.resolver.pin(target.host, target.all_ips or (target.ip,))
        request_headers = {
            "User-Agent": config.user_agent,
            "Content-Type": "application/json",
            **headers,
        }
        async with asyncio.timeout(config.total_timeout):
            async with client.session.post(
                yarl.URL(target.url),
                data=body,
                headers=request_headers,
                allow_redirects=False,
                proxy=None,
                auth=None,
            ) as response:
                status = response.status
                snippet = await response.content.read(RESPONSE_SNIPPET_BYTES)
    except TimeoutError:
        return PostResult(error=f"timeout: no answer within {config.total_timeout}s")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        # The receiver's owner sees this: not the address its name resolved to.
        return PostResult(error=redact_addresses(f"{type(exc).__name__}: {exc}", url)[:500])
    finally:
        await client.aclose()
    if 200 <= status < 300:
        return PostResult(status_code=status)
    text = snippet.decode("utf-8", "replace").replace("\x00", "").strip()
    detail = f"HTTP {status}" + (f": {text[:300]}" if text else "")
    if 300 <= status < 400:
        detail = f"HTTP {status}: redirects are not followed; register the final URL"
    return PostResult(status_code=status, error=detail[:500])


def post_json_sync(url: str, **kwargs: object) -> PostResult:
    """`post_json` for synchronous callers (Celery tasks)."""
    return asyncio.run(post_json(url, **kwargs))  # type: ignore[arg-type]
