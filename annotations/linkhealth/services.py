"""Link health writes: leases, checks in batches, recording, scheduling, archive look-ups.

The fetcher has no ORM; this module is where fetch results meet the database. One path checks
links everywhere — the Celery tasks (one link or a batch) and `manage.py check_links` — so the
limits, the classification and the recording are the same whoever runs them:

    links_check_batch -> lease -> fetch_many (on the process's fetch loop, async, limited per
    host through Redis) -> classify (with the host's cached soft-404 probe) -> _record_many (bulk, once
    per attempt_key)
"""

from __future__ import annotations

import logging
import queue
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations import signals
from annotations.linkhealth.classify import (
    Classification,
    classify,
    soft404_probe_url,
)
from annotations.linkhealth.fingerprint import fingerprint_changed, page_fingerprint
from annotations.linkhealth.health import LinkHealth
from annotations.models import STALE_HEALTHS, Evidence, Link, LinkCheck
from factcheck.broker import enqueue_on_commit
from factcheck.db import rows_update
from factcheck.egress.config import egress_policy, fetch_config, limit_config, shared_limits
from factcheck.egress.fetcher import (
    FetchResult,
    fetch_many,
    fetch_sync,
    origin_key,
)
from factcheck.egress.limits import RedisHostGate, SharedLimits
from factcheck.egress.loop import FetchLoop, fetch_loop
from factcheck.errors import Forbidden
from factcheck.parsers import json_loads
from factcheck.roles import is_reviewer
from factcheck.urlmask import mask_url_secrets
from factcheck.urlnorm import InvalidURL, browser_url, url_host

logger = logging.getLogger(__name__)

BROKEN_HEALTHS = (LinkHealth.BROKEN, LinkHealth.DEAD)
OK_HEALTHS = (LinkHealth.OK, LinkHealth.REDIRECTED)
# Failures that say the origin itself is unreachable, not that one page is unwell: they feed
# its breaker. HTTP answers (503, 429) do not: the host is up and talking, each link backs off on
# its own (error backoff, Retry-After), and one flaky section must not silence a whole site.
HOST_FAILURE_ERRORS = frozenset({"connect", "timeout", "reset"})
# Results are recorded in chunks of this many while the rest of a batch is still fetching.
RECORD_CHUNK = 200
FLUSH_SECONDS = 0.5


def _clean(text: str | None, limit: int) -> str:
    """Text from the remote side, fit for a varchar: no NUL, no lone surrogates, capped."""
    if not text:
        return ""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    except ValueError:
        return ""


def _fetchable(url: str) -> bool:
    return _origin(url).startswith(("http://", "https://"))


# --- Links: create, request a check, enqueue, lease -----------------------------------------


def link_get_or_create(*, url: str) -> tuple[Link, bool]:
    """The one Link of a canonical URL. Safe against two requests creating it at once."""
    link = Link.objects.filter(url=url).first()
    if link is not None:
        return link, False
    try:
        with transaction.atomic():
            return Link.objects.create(
                url=url, host=url_host(url), next_check_at=timezone.now()
            ), True
    except IntegrityError:
        return Link.objects.get(url=url), False


def link_request_check(*, link: Link, by: Any) -> None:
    """`by` asks for this link to be checked now: reviewers and editors may.

    The one rule of who may recheck a link, for the API, the desk and the admin's action.
    """
    if not is_reviewer(by):
        raise Forbidden("Only reviewers and editors may ask for a recheck.")
    link_schedule_check(link=link)


def link_schedule_check(*, link: Link) -> None:
    """Check this link soon: enqueued once the surrounding transaction commits.

    For the system's own scheduling (a link cited for the first time); a person asking goes
    through `link_request_check`.
    """
    from annotations.linkhealth.tasks import check_link

    Link.objects.filter(pk=link.pk).update(next_check_at=timezone.now())
    # Should the broker be away, the link stays due and the next beat enqueues it.
    enqueue_on_commit(check_link, link.pk)


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
        ids = list(
            Link.objects.due(now=now)
            .order_by("next_check_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
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


def fetch_time_budget(limit_seconds: float) -> float:
    """Seconds within `limit_seconds` in which a fetch may still begin and end in time."""
    return max(5.0, limit_seconds - settings.LINKCHECK_TOTAL_TIMEOUT - 10)


def lease_time_budget() -> float:
    """Seconds a batch may keep starting fetches: its leases outlast the last one begun."""
    return fetch_time_budget(settings.LINKCHECK_LEASE_SECONDS)


def links_lease(
    *,
    link_ids: Sequence[int],
    owner: str,
    now: datetime | None = None,
    unchecked_since: datetime | None = None,
) -> list[Link]:
    """Take the lease on these links for one check each; returns the links taken.

    A link leased by someone else (and not expired) is left out. The same owner (a redelivered
    task) takes its own lease again. With `unchecked_since`, a link checked after that time
    is left out too (its check is already newer than the request for one).
    """
    now = now or timezone.now()
    links = Link.objects.filter(id__in=list(link_ids)).filter(
        Q(checking_until__isnull=True) | Q(checking_until__lt=now) | Q(lease_owner=owner)
    )
    if unchecked_since is not None:
        links = links.filter(
            Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=unchecked_since)
        )
    with transaction.atomic():
        ids = list(links.select_for_update(skip_locked=True).values_list("id", flat=True))
        Link.objects.filter(id__in=ids).update(
            checking_until=now + timedelta(seconds=settings.LINKCHECK_LEASE_SECONDS),
            lease_owner=owner[:100],
        )
    return list(Link.objects.filter(id__in=ids))


def link_lease(*, link_id: int, owner: str, now: datetime | None = None) -> bool:
    """Take the lease on a link for one check. False when another worker holds it."""
    return bool(links_lease(link_ids=[link_id], owner=owner, now=now))


def links_release(*, link_ids: Iterable[int], owner: str, next_check_at: datetime | None) -> None:
    """Give leases back without a check (deferred), optionally moving the next check."""
    updates: dict[str, Any] = {"checking_until": None, "lease_owner": ""}
    if next_check_at is not None:
        updates["next_check_at"] = next_check_at
    Link.objects.filter(id__in=list(link_ids), lease_owner=owner[:100]).update(**updates)


# --- Checking ---------------------------------------------------------------------------------


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


class _ProbeCache:
    """Each host's answer for a path that cannot exist, per process and shared in Redis."""

    _local: dict[str, tuple[float, FetchResult | None]] = {}

    def __init__(self, limits: SharedLimits | None) -> None:
        self.limits = limits
        self.ttl = settings.LINKCHECK_SOFT404_PROBE_TTL

    def get(self, origin: str) -> tuple[bool, FetchResult | None]:
        hit = self._local.get(origin)
        if hit and hit[0] > time.monotonic():
            return True, hit[1]
        if self.limits is not None:
            data = self.limits.probe_get(origin)
            if data is not None:
                probe = self._from_data(origin, data)
                self._local[origin] = (time.monotonic() + min(self.ttl, 300), probe)
                return True, probe
        return False, None

    def put(self, origin: str, probe: FetchResult | None) -> None:
        if len(self._local) > 10_000:
            self._local.clear()
        self._local[origin] = (time.monotonic() + self.ttl, probe)
        if self.limits is not None:
            data: dict[str, Any] = {
                "status": None,
                "content_type": "",
                "body": b"",
                "error_class": "none",
            }
            if probe is not None:
                data = {
                    "status": probe.status_code,
                    "content_type": probe.headers.get("content-type", ""),
                    "body": probe.body,
                    "error_class": probe.error_class,
                }
            self.limits.probe_set(origin, data, self.ttl)

    @staticmethod
    def _from_data(origin: str, data: dict[str, Any]) -> FetchResult | None:
        if data.get("error_class") == "none":
            return None
        return FetchResult(
            url=f"{origin}/",
            final_url=f"{origin}/",
            status_code=data.get("status"),
            error_class=data.get("error_class", ""),
            headers={"content-type": data.get("content_type", "")},
            body=data.get("body", b""),
            method="GET",
        )


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
    probes = _ProbeCache(limits)
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
        entry = _Entry(link.pk, result, verdict, keys[link.pk])
        # Now, while the page's parse is still cached from classifying it.
        entry.fingerprint = _fingerprint_of(result, verdict)
        entries.append(entry)
    for check in _record_many(entries, now=now):
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


def links_give_up(*, link_ids: Sequence[int], attempt_prefix: str, deliveries: int) -> int:
    """Record an `error` check for each link a task could not finish (it kept killing its
    worker), once per attempt, and release the leases. Returns how many were recorded."""
    now = timezone.now()
    message = f"gave up after {deliveries} deliveries (the check kept crashing its worker)"
    entries = [
        _Entry(
            lid,
            FetchResult(url="", final_url="", error_class="crash", error_message=message),
            Classification(LinkHealth.ERROR, retryable=True, reason=message),
            f"{attempt_prefix}:{lid}"[:100],
        )
        for lid in link_ids
    ]
    return len(_record_many(entries, now=now))


# --- Recording --------------------------------------------------------------------------------


@dataclass
class _Entry:
    link_id: int
    result: FetchResult
    verdict: Classification
    attempt_key: str
    fingerprint: str | None = None  # computed on demand when None


def _fingerprint_of(result: FetchResult, verdict: Classification) -> str:
    if verdict.health in OK_HEALTHS and result.status_code != 304 and result.body:
        return page_fingerprint(result.body, result.headers.get("content-type", ""))
    return ""


def _next_check_at(
    *, health: str, failures: int, verdict: Classification, now: datetime
) -> datetime:
    hours: float
    if health in (LinkHealth.OK, LinkHealth.REDIRECTED, LinkHealth.DEAD):
        hours = 24 * 7
    elif health in (LinkHealth.BROKEN, LinkHealth.SOFT_404):
        # Confirm over days before calling a source dead.
        hours = 24
    elif health == LinkHealth.UNSAFE:
        hours = 24 * 30
    else:  # error, blocked: transient; back off from a quarter hour, doubling, up to 2 days
        hours = min(0.25 * 2 ** max(failures - 1, 0), 48)
    delay = timedelta(hours=hours)
    if verdict.retry_after_seconds:
        delay = max(delay, timedelta(seconds=verdict.retry_after_seconds))
    jitter = delay.total_seconds() * random.uniform(0, 0.1)
    return now + delay + timedelta(seconds=jitter)


def link_check_record(
    *,
    link_id: int,
    result: FetchResult,
    verdict: Classification,
    attempt_key: str,
    now: datetime | None = None,
) -> LinkCheck | None:
    """Store one check and the link's new health, once per attempt_key."""
    checks = _record_many([_Entry(link_id, result, verdict, attempt_key)], now=now)
    return checks[0] if checks else None


# What recording a check writes on its link (rows_update does not set auto_now: updated_at).
_LINK_FIELDS = (
    "health",
    "last_status",
    "last_error",
    "last_checked_at",
    "final_url",
    "consecutive_failures",
    "last_ok_at",
    "etag",
    "last_modified",
    "fingerprint",
    "next_check_at",
    "checking_until",
    "lease_owner",
    "updated_at",
)


@transaction.atomic
def _record_many(entries: list[_Entry], *, now: datetime | None = None) -> list[LinkCheck]:
    """Store checks and the links' new healths in one transaction; each attempt_key once.

    Rows are locked in id order, so two recorders never deadlock. Links found stale are
    announced (`signals.evidence_went_stale`) in this transaction.
    """
    now = now or timezone.now()
    ids = sorted({e.link_id for e in entries})
    links = {
        link.pk: link for link in Link.objects.select_for_update().filter(id__in=ids).order_by("id")
    }
    recorded = set(
        LinkCheck.objects.filter(attempt_key__in=[e.attempt_key for e in entries]).values_list(
            "attempt_key", flat=True
        )
    )
    checks: list[LinkCheck] = []
    fingerprints: dict[int, str] = {}
    stale: dict[int, str] = {}
    for entry in entries:
        link = links.get(entry.link_id)
        if link is None or entry.attempt_key in recorded:
            continue
        recorded.add(entry.attempt_key)
        result, verdict = entry.result, entry.verdict
        health = verdict.health
        ok = health in OK_HEALTHS
        not_modified = result.status_code == 304
        if ok and not_modified:
            fingerprint = link.fingerprint  # nothing changed: the page is what it was
        elif entry.fingerprint is not None:
            fingerprint = entry.fingerprint
        else:
            fingerprint = _fingerprint_of(result, verdict)
        # Shown in the desk and the API: a redirect's signed URL keeps its secrets.
        reason = _clean(mask_url_secrets(verdict.reason or result.error_message), 500)
        final_url = _clean(result.final_url, 4096)
        checks.append(
            LinkCheck(
                link=link,
                checked_at=now,
                health=health,
                status_code=result.status_code if result.status_code is not None else None,
                final_url=final_url if final_url != link.url else "",
                latency_ms=result.latency_ms,
                error_class=_clean(result.error_class, 40),
                error_message=reason,
                fingerprint=fingerprint,
                attempt_key=entry.attempt_key,
            )
        )
        link.health = health
        link.last_status = result.status_code
        link.last_error = "" if ok else reason
        link.last_checked_at = now
        link.final_url = final_url if health == LinkHealth.REDIRECTED else ""
        link.consecutive_failures = 0 if ok else link.consecutive_failures + 1
        if ok:
            link.last_ok_at = now
            # A 304 may omit the validators: keep the ones that earned it.
            etag = _clean(result.headers.get("etag"), 500)
            last_modified = _clean(result.headers.get("last-modified"), 100)
            if etag or not not_modified:
                link.etag = etag
            if last_modified or not not_modified:
                link.last_modified = last_modified
            if fingerprint:
                link.fingerprint = fingerprint
                fingerprints[link.pk] = fingerprint
        link.next_check_at = _next_check_at(
            health=health, failures=link.consecutive_failures, verdict=verdict, now=now
        )
        link.checking_until = None
        link.lease_owner = ""
        link.updated_at = now
        if health in STALE_HEALTHS:
            stale[link.pk] = health
    if not checks:
        return []
    LinkCheck.objects.bulk_create(checks)
    rows_update(Link, [c.link for c in checks], _LINK_FIELDS)
    if fingerprints:
        _evidence_compare_fingerprints(fingerprints)
    if stale:
        rows = Evidence.objects.filter(link_id__in=list(stale)).values_list(
            "id", "claim_id", "link_id", "archive_url", "archive_checked_at"
        )
        claims: dict[Any, str] = {}
        for evidence_id, claim_id, link_id, archive_url, archive_checked_at in rows:
            claims.setdefault(claim_id, f"evidence link is {stale[link_id]}")
            if not archive_url and archive_checked_at is None:
                evidence_request_archive(evidence_id=evidence_id)
        signals.evidence_went_stale.send(sender=Evidence, links=stale, claims=claims)
    return checks


def _evidence_compare_fingerprints(fingerprints: dict[int, str]) -> None:
    rows = list(
        Evidence.objects.filter(link_id__in=list(fingerprints)).only(
            "id", "claim_id", "link_id", "fingerprint_at_attach", "changed"
        )
    )
    touched = []
    changed: dict[Any, str] = {}
    for evidence in rows:
        current = fingerprints[evidence.link_id]
        before = (evidence.fingerprint_at_attach, evidence.changed)
        # Evidence attached before the first check relies on the page as it is now.
        if not evidence.fingerprint_at_attach:
            evidence.fingerprint_at_attach = current
        evidence.changed = fingerprint_changed(evidence.fingerprint_at_attach, current)
        if (evidence.fingerprint_at_attach, evidence.changed) != before:
            touched.append(evidence)
            if evidence.changed:
                changed.setdefault(evidence.claim_id, "evidence page changed")
    if touched:
        # A queryset update, not save(): Evidence keeps history, and a check is not an edit.
        for evidence in touched:
            Evidence.objects.filter(pk=evidence.pk).update(
                fingerprint_at_attach=evidence.fingerprint_at_attach, changed=evidence.changed
            )
    if changed:
        signals.evidence_page_changed.send(sender=Evidence, claims=changed)


# --- Archive look-ups -------------------------------------------------------------------------


def evidence_request_archive(*, evidence_id: Any) -> None:
    """Look for an archived copy of this evidence's page once the transaction commits."""
    from annotations.linkhealth.tasks import evidence_find_archive

    if not settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL:
        return
    enqueue_on_commit(evidence_find_archive, str(evidence_id))


def archive_lookup_url(*, url: str, when: datetime) -> str:
    """The availability-API query for `url` near `when` (Wayback Machine's format)."""
    base = settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL
    query = urlencode({"url": url, "timestamp": when.strftime("%Y%m%d%H%M%S")})
    return f"{base}{'&' if '?' in base else '?'}{query}"


def parse_archive_availability(body: bytes) -> str:
    """The closest available snapshot's URL from an availability answer ('' when none)."""
    try:
        data = json_loads(body.decode("utf-8", "replace"))  # depth-limited: remote input
        closest = data["archived_snapshots"]["closest"]
    except (ValueError, KeyError, TypeError):
        return ""
    if not isinstance(closest, dict) or closest.get("available") is False:
        return ""
    status = str(closest.get("status", "200"))
    snapshot = closest.get("url")
    if not isinstance(snapshot, str) or not status.startswith(("2", "3")):
        return ""
    snapshot = snapshot.strip()
    if snapshot.startswith("http://archive.org/") or snapshot.startswith("http://web.archive.org/"):
        snapshot = "https://" + snapshot[len("http://") :]
    try:
        # Kept as a browser reads it, like every URL the desk shows (factcheck.urlnorm).
        return browser_url(snapshot)
    except InvalidURL:
        return ""


def evidence_find_archive(*, evidence_id: Any) -> str:
    """Ask the availability endpoint (through the safe fetcher) for the snapshot closest to
    when the evidence was attached, and keep it as the evidence's archive_url.

    Returns what happened, for logs. Does nothing when an archive URL is already set.
    """
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return "gone"
    if evidence.archive_url:
        return "already-archived"
    lookup = archive_lookup_url(url=evidence.url, when=evidence.created_at)
    result = fetch_sync(lookup, policy=egress_policy(), config=fetch_config(), want_body=True)
    now = timezone.now()
    snapshot = ""
    if not result.error_class and result.status_code == 200:
        snapshot = parse_archive_availability(result.body)
    updated = Evidence.objects.filter(pk=evidence.pk, archive_url="").update(
        archive_url=snapshot, archive_checked_at=now
    )
    if not updated:
        return "already-archived"
    if result.error_class or result.status_code != 200:
        return f"lookup failed: {result.error_class or result.status_code}"
    return snapshot or "no-snapshot"
