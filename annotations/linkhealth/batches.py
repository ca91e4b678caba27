"""Checks in batches: enqueue the due links, then lease, fetch, classify and record a batch.

One path checks links everywhere — the Celery tasks (one link or a batch) and `manage.py
check_links` — so the limits, the classification and the recording are the same whoever runs
them:

    links_check_batch -> lease -> fetch_many (on the process's fetch loop, async, limited per
    host through Redis) -> classify (with the host's cached soft-404 probe) -> checks_record
    (bulk, once per attempt_key)
"""

from __future__ import annotations

import queue
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotations.linkhealth import pagetext
from annotations.linkhealth.classify import classify, soft404_probe_url
from annotations.linkhealth.health import BROKEN_HEALTHS
from annotations.linkhealth.leases import links_lease, links_release
from annotations.linkhealth.probes import ProbeCache
from annotations.linkhealth.recording import CheckEntry, check_fingerprint, checks_record
from annotations.models import Link, LinkCheck
from factcheck.broker import enqueue_on_commit
from factcheck.egress.config import egress_policy, fetch_config, limit_config, shared_limits
from factcheck.egress.fetcher import FetchResult, fetch_many, origin_key
from factcheck.egress.limits import RedisHostGate, SharedLimits
from factcheck.egress.loop import FetchLoop, fetch_loop

# Failures that say the origin itself is unreachable, not that one page is unwell: they feed
# its breaker. HTTP answers (503, 429) do not: the host is up and talking, each link backs off on
# its own (error backoff, Retry-After), and one flaky section must not silence a whole site.
HOST_FAILURE_ERRORS = frozenset({"connect", "timeout", "reset"})
# Results are recorded in chunks of this many while the rest of a batch is still fetching.
RECORD_CHUNK = 200
FLUSH_SECONDS = 0.5


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    except ValueError:
        return ""


def _fetchable(url: str) -> bool:
    return _origin(url).startswith(("http://", "https://"))


def links_enqueue_due(*, limit: int | None = None, now: datetime | None = None) -> list[int]:
    """Enqueue a bounded batch of due links, as batch tasks of many hosts each.

    Safe to run twice, or from two beats at once: each picked link's next_check_at moves past
    the lease, so nobody picks it again (and skip_locked keeps two beats off the same rows).
    """
    from annotations.linkhealth.tasks import check_links_batch

    now = now or timezone.now()
    limit = limit or settings.LINKCHECK_BATCH_SIZE
    size = max(1, settings.LINKCHECK_TASK_BATCH_SIZE)
    with transaction.atomic():
        # Two index range reads rather than one OR (which scans the whole next_check_at index
        # when fewer than `limit` links are due): links whose time came, oldest first, then
        # links never checked (link_unchecked_due), as ORDER BY next_check_at puts NULLs last.
        free = Q(checking_until__isnull=True) | Q(checking_until__lt=now)
        ids = list(
            Link.objects.filter(next_check_at__lte=now)
            .filter(free)
            .order_by("next_check_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if len(ids) < limit:
            ids += list(
                Link.objects.filter(next_check_at__isnull=True, health="unchecked")
                .filter(free)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[: limit - len(ids)]
            )
        if ids:
            Link.objects.filter(id__in=ids).update(
                next_check_at=now + timedelta(seconds=settings.LINKCHECK_LEASE_SECONDS)
            )
            # Each batch carries when it was enqueued: delivered again much later (a worker
            # died), it skips links that were checked in the meantime.
            stamp = timezone.now().isoformat()
            for i in range(0, len(ids), size):
                enqueue_on_commit(check_links_batch, ids[i : i + size], enqueued_at=stamp)
    return ids


@dataclass
class BatchOutcome:
    recorded: dict[int, str] = field(default_factory=dict)  # link id -> health
    # Not checked because the host was full: check again soon (re-queue).
    deferred: list[int] = field(default_factory=list)
    # Not checked because the host's breaker is open: moved to when it closes.
    backed_off: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # link id -> why


def _conditional(link: Link) -> dict[str, str] | None:
    conditional = {}
    if link.etag:
        conditional["If-None-Match"] = link.etag
    if link.last_modified:
        conditional["If-Modified-Since"] = link.last_modified
    return conditional or None


def _needs_probe(result: FetchResult) -> bool:
    status = result.status_code or 0
    return not result.error_class and 200 <= status < 300 and bool(result.body)


def _host_failed(result: FetchResult) -> bool:
    return result.error_class in HOST_FAILURE_ERRORS


def _stream_fetches(
    urls: list[str],
    conditionals: list[dict[str, str] | None],
    *,
    shared: bool,
    deadline: float | None,
) -> Iterator[tuple[int, FetchResult | None]]:
    """Run fetch_many on this process's fetch loop; yield (index, result) as they end, and
    (-1, None) when nothing ended for FLUSH_SECONDS.

    The caller's thread keeps the database connection (and, in tests, the test transaction)
    and records results while the rest are still being fetched. Should the caller stop early
    (an error, a soft time limit), the fetches still running are cancelled.
    """
    results: queue.Queue[tuple[int, FetchResult | None] | BaseException | None] = queue.Queue()
    limits_url = settings.LINKCHECK_REDIS_URL if shared else ""
    lconfig = limit_config()
    policy, config = egress_policy(), fetch_config()

    async def run(loop: FetchLoop) -> None:
        inner = None
        if limits_url:
            inner = RedisHostGate(limits_url, lconfig, client=loop.redis(limits_url))
        gate = _DeadlineGate(inner, deadline)
        try:
            await fetch_many(
                urls,
                policy=policy,
                config=config,
                per_host_limit=lconfig.per_host,
                global_limit=lconfig.global_limit,
                want_body=True,
                conditionals=conditionals,
                gate=gate,
                on_result=lambda i, r: results.put((i, r)),
                client=loop.client(config),
            )
        except BaseException as exc:  # handed to the caller's thread
            results.put(exc)
            raise
        finally:
            await gate.aclose()
            results.put(None)

    future = fetch_loop().submit(run)
    try:
        while True:
            try:
                item = results.get(timeout=FLUSH_SECONDS)
            except queue.Empty:
                yield -1, None  # a tick: time to record what has come in so far
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        future.cancel()


class _DeadlineGate:
    """Defers every URL not started by `deadline`; otherwise asks the shared gate, if any."""

    def __init__(self, inner: RedisHostGate | None, deadline: float | None) -> None:
        self.inner = inner
        self.deadline = deadline

    @property
    def open_for(self) -> dict[str, float]:
        return self.inner.open_for if self.inner is not None else {}

    def _expired(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    async def _take(self, host: str, *, wait: bool) -> str | None:
        if self._expired():
            return None
        if self.inner is None:
            return ""
        return await (self.inner.acquire if wait else self.inner.try_acquire)(host)

    async def acquire(self, host: str) -> str | None:
        return await self._take(host, wait=True)

    async def try_acquire(self, host: str) -> str | None:
        return await self._take(host, wait=False)

    def keep(self, host: str, token: str, held_for: float) -> bool:
        if self._expired():
            return False
        return self.inner is None or self.inner.keep(host, token, held_for)

    async def release(self, host: str, token: str) -> None:
        if self.inner is not None and token:
            await self.inner.release(host, token)

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()


def links_check_batch(
    *,
    link_ids: Sequence[int],
    attempt_prefix: str,
    shared: bool = True,
    time_budget: float | None = None,
    on_progress: Callable[[int, str], None] | None = None,
    enqueued_at: datetime | None = None,
) -> BatchOutcome:
    """Lease, fetch, classify and record a batch of links (of any hosts). Idempotent: a link
    already recorded under `attempt_prefix` (a redelivered task) is not checked again, nor
    is one checked (by anyone) after `enqueued_at`, when the batch was asked for.

    `shared`: honour the per-host/global limits and breakers in Redis (when configured).
    `time_budget`: seconds after which URLs not yet started are deferred rather than begun.
    `on_progress(link_id, health)` is called as each link is recorded or set aside.
    """
    outcome = BatchOutcome()
    keys = {lid: f"{attempt_prefix}:{lid}"[:100] for lid in link_ids}
    done = set(
        LinkCheck.objects.filter(attempt_key__in=list(keys.values())).values_list(
            "link_id", flat=True
        )
    )
    for lid in done:
        outcome.skipped[lid] = "already-recorded"
    links = links_lease(
        link_ids=[lid for lid in link_ids if lid not in done],
        owner=attempt_prefix,
        unchecked_since=enqueued_at,
    )
    leased = {link.pk for link in links}
    missed = [lid for lid in link_ids if lid not in done and lid not in leased]
    if missed:  # checked or leased by someone else, or deleted since they were enqueued
        existing = dict(Link.objects.filter(id__in=missed).values_list("id", "last_checked_at"))
        for lid in missed:
            checked_at = existing.get(lid)
            if lid not in existing:
                outcome.skipped[lid] = "gone"
            elif enqueued_at is not None and checked_at is not None and checked_at > enqueued_at:
                outcome.skipped[lid] = "checked-since-enqueued"
            else:
                outcome.skipped[lid] = "leased"
    if not links:
        return outcome

    limits = shared_limits() if shared else None
    probes = ProbeCache(limits)
    probe_for: dict[str, FetchResult | None] = {}
    probe_origins: list[str] = []
    for link in links:
        origin = _origin(link.url)
        if not _fetchable(link.url) or origin in probe_for or origin in probe_origins:
            continue
        cached, probe = probes.get(origin)
        if cached:
            probe_for[origin] = probe
        else:
            probe_origins.append(origin)
    urls = [soft404_probe_url(f"{o}/") for o in probe_origins] + [link.url for link in links]
    conditionals = [None] * len(probe_origins) + [_conditional(link) for link in links]
    n_probes = len(probe_origins)
    deadline = time.monotonic() + time_budget if time_budget else None

    waiting: dict[str, list[tuple[Link, FetchResult]]] = {o: [] for o in probe_origins}
    chunk: list[tuple[Link, FetchResult]] = []
    host_outcomes: list[tuple[str, bool]] = []

    last_flush = [time.monotonic()]

    def flush() -> None:
        last_flush[0] = time.monotonic()
        if chunk:
            _check_chunk(chunk, probe_for=probe_for, keys=keys, outcome=outcome)
            if on_progress is not None:
                for link, _ in chunk:
                    on_progress(link.pk, outcome.recorded.get(link.pk, ""))
            chunk.clear()
        if limits is not None and host_outcomes:
            _feed_breakers(limits, host_outcomes)
            host_outcomes.clear()

    set_aside: list[Link] = []
    for index, result in _stream_fetches(
        urls, conditionals, shared=limits is not None, deadline=deadline
    ):
        if index < 0:
            flush()
            continue
        if index < n_probes:
            origin = probe_origins[index]
            probe = result if result is not None and not result.error_class else None
            if result is not None:
                probes.put(origin, probe)
            probe_for[origin] = probe
            chunk.extend(waiting.pop(origin, []))
        else:
            link = links[index - n_probes]
            if result is None:
                set_aside.append(link)
                continue
            # Only link checks feed the breakers: a probe is ours, not a link's health.
            host_outcomes.append((origin_key(link.url), _host_failed(result)))
            origin = _origin(link.url)
            if _needs_probe(result) and origin in waiting:
                waiting[origin].append((link, result))
                continue
            chunk.append((link, result))
        if len(chunk) >= RECORD_CHUNK or time.monotonic() - last_flush[0] > FLUSH_SECONDS:
            flush()
    for pending in waiting.values():  # probe never came back: judge without it
        chunk.extend(pending)
    flush()
    _set_aside(set_aside, owner=attempt_prefix, outcome=outcome)
    if on_progress is not None:
        for link in set_aside:
            on_progress(link.pk, "deferred")
    return outcome


def _feed_breakers(limits: SharedLimits, outcomes: list[tuple[str, bool]]) -> None:
    # Per origin, in order: a success resets the breaker, failures after it count.
    by_origin: dict[str, tuple[bool, int]] = {}
    for origin, failed in outcomes:
        if not origin:
            continue
        succeeded, failures = by_origin.get(origin, (False, 0))
        by_origin[origin] = (succeeded, failures + 1) if failed else (True, 0)
    for origin, (succeeded, failures) in by_origin.items():
        if succeeded:
            limits.record_origin_outcome(origin, failed=False)
        for _ in range(min(failures, limits.config.breaker_threshold)):
            limits.record_origin_outcome(origin, failed=True)


def _set_aside(links: list[Link], *, owner: str, outcome: BatchOutcome) -> None:
    """Links not fetched: host full (re-queue soon) or breaker open (wait for it)."""
    if not links:
        return
    limits = shared_limits()
    now = timezone.now()
    full: list[int] = []
    for link in links:
        open_for = 0.0
        if limits is not None:
            open_for = limits.breaker_open_for(origin_key(link.url))
        if open_for > 0:
            outcome.backed_off.append(link.pk)
            when = now + timedelta(seconds=open_for * random.uniform(1.0, 1.2))
            links_release(link_ids=[link.pk], owner=owner, next_check_at=when)
        else:
            full.append(link.pk)
    outcome.deferred.extend(full)
    # Re-queued by the caller; should that message be lost, a beat picks them up after the
    # lease time, as for any enqueued link.
    links_release(
        link_ids=full,
        owner=owner,
        next_check_at=now + timedelta(seconds=settings.LINKCHECK_LEASE_SECONDS),
    )


def _check_chunk(
    items: list[tuple[Link, FetchResult]],
    *,
    probe_for: dict[str, FetchResult | None],
    keys: dict[int, str],
    outcome: BatchOutcome,
) -> None:
    now = timezone.now()
    maybe_broken = [link for link, result in items if not _needs_probe(result)]
    prior = _prior_broken(maybe_broken)
    entries = []
    for link, result in items:
        verdict = classify(
            result,
            soft404_probe=probe_for.get(_origin(link.url)),
            prior_broken_at=prior.get(link.pk, ()),
            now=now,
        )
        entry = CheckEntry(link.pk, result, verdict, keys[link.pk])
        # Now, while the page's parse is still cached from classifying it.
        entry.fingerprint = check_fingerprint(result, verdict)
        entries.append(entry)
    # Main texts are read before the recording transaction (it holds the links' row locks).
    readable = [e.link_id for e in entries if e.fingerprint and pagetext.readable(e.result)]
    with_texts = pagetext.snapshot_links(readable) if readable else set()
    for entry in entries:
        if entry.link_id in with_texts:
            entry.page = pagetext.page_text_extract(entry.result)
    for check in checks_record(entries, now=now):
        outcome.recorded[check.link_id] = check.health


def _prior_broken(links: list[Link]) -> dict[int, list[datetime]]:
    """When each link was found broken since it was last ok (newest first, at most 10)."""
    if not links:
        return {}
    last_ok = {link.pk: link.last_ok_at for link in links}
    prior: dict[int, list[datetime]] = {}
    rows = (
        LinkCheck.objects.filter(link_id__in=list(last_ok), health__in=BROKEN_HEALTHS)
        .order_by("link_id", "-checked_at")
        .values_list("link_id", "checked_at")
    )
    for link_id, checked_at in rows:
        ok_at = last_ok[link_id]
        if (ok_at is None or checked_at > ok_at) and len(prior.setdefault(link_id, [])) < 10:
            prior[link_id].append(checked_at)
    return prior
