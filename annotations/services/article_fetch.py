"""Articles from the web: submit by URL, the first fetch, refetches and the watch.

Every page is fetched through the egress layer (`factcheck.egress`: the address guard on
every hop, the allow-list, the ports, timeouts, a body cap, the link checks' per-host limits
in Redis) and read by the one extraction module (`annotations.extraction`). A page is only
ever stored as a revision when it gave a usable main text: a fetch that failed, an HTTP
error, a wall, a paywalled stub, a front page or a too big page stores nothing but the
reason (`Article.fetch_error`, `fetch_message`).

    submit by URL -> fetch within ARTICLE_FETCH_REQUEST_BUDGET_SECONDS -> ready (201)
                  \\-> not in time, or a passing failure: `fetching` (202), task fetch_article
    beat -> articles_enqueue_due -> task refetch_articles -> articles_refetch_batch
         -> a changed text is a new revision (claims re-anchor: articles.article_revise)

Who calls what: the API and the desk call `article_submit` (annotations.services.articles,
which hands URL-only submissions here) and `article_request_refetch`; tasks call
`article_fetch_first`, `articles_refetch_batch` and `articles_enqueue_due`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations import extraction
from annotations.models import Article, ArticleRevision, FetchState, TextSource
from factcheck.broker import enqueue_on_commit
from factcheck.db import column_max_length
from factcheck.egress.config import article_fetch_config, egress_policy, limit_config
from factcheck.egress.fetcher import FetchConfig, FetchResult, fetch_many
from factcheck.egress.limits import RedisHostGate
from factcheck.egress.loop import FetchLoop, fetch_loop
from factcheck.errors import Conflict, DomainError, Forbidden
from factcheck.roles import is_reviewer
from factcheck.urlnorm import InvalidURL, canonical_url

logger = logging.getLogger(__name__)


class FetchError:
    """Codes of `Article.fetch_error` besides the extraction problems
    (`annotations.extraction.Problem`: too_large, not_html, login_wall, consent_wall, paywall,
    no_article, no_main_text, bad_pdf). Stable: clients switch on them."""

    UNSAFE = "unsafe"  # the guard refused the address (private, loopback, not allowed, port)
    INVALID_URL = "invalid_url"
    REDIRECTS = "too_many_redirects"  # or a redirect loop
    NOT_FOUND = "not_found"  # 404, 410
    FORBIDDEN = "forbidden"  # 401, 403
    HTTP_ERROR = "http_error"  # another error status
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # DNS, connect, reset, a broken answer
    BUSY = "busy"  # the host's shared slots stayed full: not fetched
    TOO_LONG = "too_long"  # the main text is above ARTICLE_MAX_TEXT_CHARS


# Failures a later attempt may not repeat: a worker tries again (backoff) before giving up.
TRANSIENT = frozenset({FetchError.TIMEOUT, FetchError.UNREACHABLE, FetchError.BUSY})
# Refused because of the URL itself (a 400), not because of what the page was (a 422).
URL_REFUSALS = frozenset({FetchError.UNSAFE, FetchError.INVALID_URL})


class PageRefused(DomainError):
    """The page was fetched (or refused by the guard) and gave no article: nothing stored."""

    status_code = 422
    default_code = "page_refused"


@dataclass(frozen=True)
class Page:
    """A fetched page read: its extraction when usable, else why not."""

    url: str
    extraction: extraction.Extraction | None = None
    text: str = ""  # the prepared text (articles.article_text_prepare) when usable
    error: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def transient(self) -> bool:
        return self.error in TRANSIENT


_UNREACHABLE = {"dns", "connect", "reset", "protocol"}


def page_read(url: str, result: FetchResult | None) -> Page:
    """What a fetch result says about the article at `url` (None: not fetched, host busy).
    Pure but for the settings it reads; never raises on content."""
    from annotations.services.articles import article_text_prepare

    if result is None:
        return Page(url, error=FetchError.BUSY, message="The site is busy; it is fetched later.")
    if result.error_class:
        detail = result.error_message or result.error_class
        if result.error_class == "unsafe":
            return Page(url, error=FetchError.UNSAFE, message=f"The address is refused: {detail}")
        if result.error_class == "invalid_url":
            return Page(url, error=FetchError.INVALID_URL, message=f"Not a fetchable URL: {detail}")
        if result.error_class in ("too_many_redirects", "redirect_loop"):
            return Page(url, error=FetchError.REDIRECTS, message=f"The page redirects: {detail}")
        if result.error_class == "timeout":
            return Page(url, error=FetchError.TIMEOUT, message=f"The page timed out: {detail}")
        return Page(url, error=FetchError.UNREACHABLE, message=f"The page is unreachable: {detail}")
    status = result.status_code or 0
    if status in (404, 410):
        return Page(url, error=FetchError.NOT_FOUND, message=f"The page answered {status}.")
    if status in (401, 403):
        return Page(url, error=FetchError.FORBIDDEN, message=f"The page answered {status}.")
    if status == 429 or status >= 500:
        return Page(url, error=FetchError.UNREACHABLE, message=f"The page answered {status}.")
    if not 200 <= status < 300:
        return Page(url, error=FetchError.HTTP_ERROR, message=f"The page answered {status}.")
    limit = settings.ARTICLE_FETCH_MAX_BYTES
    declared = result.headers.get("content-length", "")
    if len(result.body) > limit or (declared.isdigit() and int(declared) > limit):
        return Page(
            url,
            error=extraction.Problem.TOO_LARGE,
            message=f"The page is larger than {limit:,} bytes (ARTICLE_FETCH_MAX_BYTES).",
        )
    read = extraction.extract(
        result.body,
        url=result.final_url or url,
        content_type=result.headers.get("content-type"),
        max_bytes=limit,
    )
    if not read.ok:
        return Page(url, extraction=read, error=read.problem, message=read.message[:500])
    try:
        text = article_text_prepare(text=read.text, html=None)
    except DomainError as exc:
        code = FetchError.TOO_LONG if "limit" in exc.message else extraction.Problem.NO_TEXT
        return Page(url, extraction=read, error=code, message=exc.message[:500])
    return Page(url, extraction=read, text=text)


# --- Fetching on the process's fetch loop -----------------------------------------------------


def _pages(
    urls: Sequence[str], *, config: FetchConfig, shared: bool = True
) -> tuple[concurrent.futures.Future[Any], queue.Queue[Any]]:
    """Start fetching `urls` (fetch_many on this process's fetch loop, through the shared
    per-host gate when Redis is configured); results arrive in the queue as (index, result),
    then None. The future's cancel() stops what is still running."""
    results: queue.Queue[Any] = queue.Queue()
    limits_url = settings.LINKCHECK_REDIS_URL if shared else ""
    lconfig = limit_config()
    policy = egress_policy()

    async def run(loop: FetchLoop) -> None:
        gate = (
            RedisHostGate(limits_url, lconfig, client=loop.redis(limits_url))
            if limits_url
            else None
        )
        try:
            await fetch_many(
                list(urls),
                policy=policy,
                config=config,
                per_host_limit=lconfig.per_host,
                global_limit=lconfig.global_limit,
                want_body=True,
                gate=gate,
                on_result=lambda i, r: results.put((i, r)),
                client=loop.client(config),
            )
        finally:
            if gate is not None:
                await gate.aclose()
            results.put(None)

    return fetch_loop().submit(run), results


def page_fetch(url: str, *, budget: float | None = None) -> Page:
    """Fetch and read one article page. With a `budget` (seconds), give up when it runs out
    (a TIMEOUT page: the caller hands the article to a worker)."""
    config = article_fetch_config(total_timeout=budget)
    future, results = _pages([url], config=config)
    deadline = time.monotonic() + (budget if budget is not None else config.total_timeout + 30)
    result: FetchResult | None = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Page(url, error=FetchError.TIMEOUT, message="Not fetched in time.")
            try:
                item = results.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is None:
                break
            result = item[1]
    finally:
        future.cancel()
    return page_read(url, result)


def _stream_pages(urls: Sequence[str]) -> Iterator[tuple[int, Page]]:
    future, results = _pages(urls, config=article_fetch_config())
    try:
        while (item := results.get()) is not None:
            index, result = item
            yield index, page_read(urls[index], result)
    finally:
        future.cancel()


# --- The watch's schedule ---------------------------------------------------------------------


def watch_next_at(article: Article, *, now: datetime | None = None) -> datetime | None:
    """When the watch fetches this article next (None: it is not watched). Often while the
    article is young (ARTICLE_WATCH_INTERVALS by age), then ARTICLE_WATCH_LATE_INTERVAL; a
    tenth of jitter keeps a day's articles from all coming due at one moment."""
    if not settings.ARTICLE_WATCH_ENABLED or not article.url:
        return None
    if article.text_source != TextSource.FETCHED or article.fetch_state != FetchState.READY:
        return None
    now = now or timezone.now()
    born = article.published_at or article.created_at or now
    age = max(0.0, (now - born).total_seconds())
    stop = settings.ARTICLE_WATCH_STOP_AFTER
    if stop is not None and age > stop:
        return None
    interval = settings.ARTICLE_WATCH_LATE_INTERVAL
    for below, every in settings.ARTICLE_WATCH_INTERVALS:
        if age < below:
            interval = every
            break
    return now + timedelta(seconds=interval * random.uniform(0.9, 1.1))


# --- Submit by URL ----------------------------------------------------------------------------


def _canonical(url: str) -> str:
    try:
        return canonical_url(url, max_length=column_max_length(Article, "url"))
    except InvalidURL as exc:
        raise DomainError(str(exc), field="url") from exc


_META = ("title", "byline", "publisher", "published_at", "language")


def _metadata(given: dict[str, Any], page: Page, *, url: str) -> dict[str, Any]:
    """The article's metadata: what the client sent wins, the page fills the rest."""
    read = page.extraction or extraction.Extraction()
    found: dict[str, Any] = {
        "title": read.title,
        "byline": read.byline,
        "publisher": read.publisher,
        "published_at": read.published_at,
        "language": read.language,
    }
    merged = {k: given.get(k) or found[k] for k in found}
    merged["title"] = (merged["title"] or "").strip()[:500] or url[:500]
    return merged


def _refuse(page: Page) -> DomainError:
    error = DomainError if page.error in URL_REFUSALS else PageRefused
    return error(page.message or page.error, field="url", code=page.error)


def article_submit_url(
    *,
    by: Any,
    url: str,
    title: str = "",
    byline: str = "",
    publisher: str = "",
    published_at: datetime | None = None,
    language: str = "",
    budget: float | None = None,
) -> Any:
    """Submit an article by its URL alone (`articles.article_submit` hands these here).

    The same URL already stored: that article, as it is (status `unchanged`; a `failed` one is
    fetched again). Else the page is fetched within `budget` seconds (default
    ARTICLE_FETCH_REQUEST_BUDGET_SECONDS; 0: not here): a usable page stores the article and
    its first revision (`created`, state `ready`); no answer in time, or a passing failure
    (timeout, unreachable, 5xx, host busy), stores it `fetching` for a worker
    (`fetch_article`); any other failure raises (400 for the URL, 422 for the page) and
    stores nothing. Runs no transaction while fetching.
    """
    from annotations.services.articles import SubmitOutcome

    canonical = _canonical(url)
    given = {
        "title": (title or "").strip(),
        "byline": byline,
        "publisher": publisher,
        "published_at": published_at,
        "language": language,
    }
    existing = Article.objects.filter(url=canonical).first()
    if existing is not None and existing.fetch_state != FetchState.FAILED:
        return SubmitOutcome(article=existing, status="unchanged")
    if budget is None:
        budget = settings.ARTICLE_FETCH_REQUEST_BUDGET_SECONDS
    page = (
        page_fetch(canonical, budget=budget)
        if budget > 0
        else Page(canonical, error=FetchError.BUSY, message="Fetched by a worker.")
    )
    if not page.ok and not page.transient:
        if existing is not None:
            _record_failure(article_id=existing.pk, page=page, final=True)
        raise _refuse(page)
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(url=canonical).first()
        if article is not None and article.fetch_state != FetchState.FAILED:
            return SubmitOutcome(article=article, status="unchanged")
        if article is None:
            article = Article(url=canonical, created_by=by)
        try:
            with transaction.atomic():
                if page.ok:
                    _fill(article, page=page, given=given, by=by)
                else:
                    _wait_for_worker(article, given=given, page=page)
        except IntegrityError:
            # The same URL stored by a concurrent submit since we looked: that one stands.
            won = Article.objects.filter(url=canonical).first()
            if won is None:
                raise
            return SubmitOutcome(article=won, status="unchanged")
    return SubmitOutcome(article=article, status="created")


def _wait_for_worker(article: Article, *, given: dict[str, Any], page: Page) -> None:
    """Store the article `fetching` (no text yet) and have a worker fetch it once this
    transaction commits. The beat enqueues it again should that message be lost."""
    from annotations.tasks import fetch_article

    now = timezone.now()
    for key, value in _metadata(given, Page(article.url or ""), url=article.url or "").items():
        setattr(article, key, value)
    article.text = ""
    article.content_hash = ""
    article.current_revision = 0
    article.fetch_state = FetchState.FETCHING
    article.text_source = TextSource.FETCHED
    article.fetch_error = "" if page.error == FetchError.BUSY else page.error
    article.fetch_message = "" if page.error == FetchError.BUSY else page.message
    article.next_fetch_at = now + timedelta(seconds=settings.ARTICLE_WATCH_LEASE_SECONDS)
    article.save()
    enqueue_on_commit(fetch_article, str(article.pk))


def _fill(article: Article, *, page: Page, given: dict[str, Any], by: Any) -> ArticleRevision:
    """Give a new, fetching or failed article its first text (revision 1). Call inside a
    transaction, holding the article's row lock when it is stored already."""
    from annotations.services.articles import content_hash

    now = timezone.now()
    if article.fetch_state == FetchState.READY and article.pk and not article._state.adding:
        raise Conflict("The article has its text already.")
    # What the client sent (now, or with the URL while it was fetching) wins; a title that
    # only stood in for a missing one (the URL) gives way to the page's.
    keep = {key: given.get(key) or getattr(article, key, None) for key in _META}
    if keep["title"] == article.url:
        keep["title"] = ""
    for key, value in _metadata(keep, page, url=article.url or "").items():
        setattr(article, key, value)
    article.text = page.text
    article.content_hash = content_hash(page.text)
    article.current_revision = 1
    article.fetch_state = FetchState.READY
    article.text_source = TextSource.FETCHED
    article.fetch_error = ""
    article.fetch_message = ""
    article.last_fetch_attempt_at = now
    article.last_fetched_at = now
    article.fetch_lease_until = None
    article.fetch_lease_owner = ""
    article.next_fetch_at = None
    article.save()
    article.next_fetch_at = watch_next_at(article, now=now)
    Article.objects.filter(pk=article.pk).update(next_fetch_at=article.next_fetch_at)
    return ArticleRevision.objects.create(
        article=article,
        number=1,
        text=page.text,
        content_hash=article.content_hash,
        origin=TextSource.FETCHED,
        created_by=by,
    )


# --- The worker's first fetch -----------------------------------------------------------------


def article_fetch_first(*, article_id: Any, final: bool = True) -> str:
    """Fetch a `fetching` article's page and give it its text. Returns `ready`, `failed`,
    `retry` (a passing failure and not `final`: the caller tries again later) or `skipped`
    (gone, or not fetching any more: a text was submitted, another delivery finished it)."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None or article.fetch_state != FetchState.FETCHING or not article.url:
        return "skipped"
    page = page_fetch(article.url)
    if not page.ok:
        return _record_failure(article_id=article.pk, page=page, final=final or not page.transient)
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or article.fetch_state != FetchState.FETCHING:
            return "skipped"
        _fill(article, page=page, given={}, by=article.created_by)
    return "ready"


def _record_failure(*, article_id: Any, page: Page, final: bool) -> str:
    """Note a failed first fetch: `failed` when `final`, else still `fetching` (retried)."""
    now = timezone.now()
    updates: dict[str, Any] = {
        "fetch_error": page.error,
        "fetch_message": page.message[:500],
        "last_fetch_attempt_at": now,
    }
    if final:
        updates |= {"fetch_state": FetchState.FAILED, "next_fetch_at": None}
    else:
        # The beat leaves it alone while the task's retry is pending.
        updates["next_fetch_at"] = now + timedelta(seconds=2 * settings.ARTICLE_WATCH_LEASE_SECONDS)
    Article.objects.filter(pk=article_id).exclude(fetch_state=FetchState.READY).update(**updates)
    return "failed" if final else "retry"


# --- Refetch: asked for, and the watch --------------------------------------------------------


def article_request_refetch(*, article: Article, by: Any) -> Article:
    """Fetch the article's page again soon (a worker; the answer does not wait for it).

    Reviewers and editors. A `failed` article is fetched as at first; a `ready` one is
    compared with its current text (a new revision only when the text changed; a submitted
    text replaced by the page's main text becomes watched from then on).
    """
    from annotations.tasks import fetch_article, refetch_articles

    if not is_reviewer(by):
        raise Forbidden("Only reviewers and editors refetch articles.")
    if not article.url:
        raise Conflict("This article has no URL to fetch.", code="no_url")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.fetch_state == FetchState.READY:
            enqueue_on_commit(refetch_articles, [str(article.pk)], by=by.pk)
            return article
        article.fetch_state = FetchState.FETCHING
        article.next_fetch_at = timezone.now() + timedelta(
            seconds=settings.ARTICLE_WATCH_LEASE_SECONDS
        )
        article.save(update_fields=["fetch_state", "next_fetch_at", "updated_at"])
        enqueue_on_commit(fetch_article, str(article.pk))
    return article


def articles_enqueue_due(*, limit: int | None = None, now: datetime | None = None) -> list[Any]:
    """Enqueue a bounded batch of articles due for a fetch: watched ones (refetch_articles,
    ARTICLE_WATCH_TASK_BATCH_SIZE to a task) and `fetching` ones whose task was lost
    (fetch_article). Safe to run twice, or from two beats at once: each picked article's
    next_fetch_at moves past the lease (skip_locked keeps two beats off the same rows)."""
    from annotations.tasks import fetch_article, refetch_articles

    now = now or timezone.now()
    limit = limit or settings.ARTICLE_WATCH_BATCH_SIZE
    size = max(1, settings.ARTICLE_WATCH_TASK_BATCH_SIZE)
    with transaction.atomic():
        rows = list(
            Article.objects.filter(next_fetch_at__lte=now)
            .filter(
                Q(fetch_state=FetchState.FETCHING)
                | Q(fetch_state=FetchState.READY, text_source=TextSource.FETCHED)
            )
            .exclude(url=None)
            .order_by("next_fetch_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", "fetch_state")[:limit]
        )
        if not rows:
            return []
        ids = [pk for pk, _ in rows]
        Article.objects.filter(id__in=ids).update(
            next_fetch_at=now + timedelta(seconds=settings.ARTICLE_WATCH_LEASE_SECONDS)
        )
        watched = [str(pk) for pk, state in rows if state == FetchState.READY]
        stamp = timezone.now().isoformat()
        for i in range(0, len(watched), size):
            enqueue_on_commit(refetch_articles, watched[i : i + size], enqueued_at=stamp)
        for pk, state in rows:
            if state == FetchState.FETCHING:
                enqueue_on_commit(fetch_article, str(pk))
    return ids


@dataclass
class RefetchOutcome:
    revised: list[Any] = field(default_factory=list)
    unchanged: list[Any] = field(default_factory=list)
    failed: dict[Any, str] = field(default_factory=dict)  # article id -> fetch_error
    deferred: list[Any] = field(default_factory=list)  # host busy: due again shortly
    skipped: list[Any] = field(default_factory=list)  # leased by another, gone, fetched since


def _lease(
    *, article_ids: Sequence[Any], owner: str, now: datetime, unfetched_since: datetime | None
) -> list[Article]:
    articles = Article.objects.filter(
        id__in=list(article_ids), fetch_state=FetchState.READY
    ).exclude(url=None)
    articles = articles.filter(
        Q(fetch_lease_until__isnull=True)
        | Q(fetch_lease_until__lt=now)
        | Q(fetch_lease_owner=owner[:100])
    )
    if unfetched_since is not None:
        articles = articles.filter(
            Q(last_fetch_attempt_at__isnull=True) | Q(last_fetch_attempt_at__lte=unfetched_since)
        )
    with transaction.atomic():
        ids = list(articles.select_for_update(skip_locked=True).values_list("id", flat=True))
        Article.objects.filter(id__in=ids).update(
            fetch_lease_until=now + timedelta(seconds=settings.ARTICLE_WATCH_LEASE_SECONDS),
            fetch_lease_owner=owner[:100],
        )
    return list(Article.objects.filter(id__in=ids).only("id", "url"))


def articles_refetch_batch(
    *,
    article_ids: Sequence[Any],
    owner: str,
    by_id: int | None = None,
    enqueued_at: datetime | None = None,
) -> RefetchOutcome:
    """Lease, fetch and read a batch of `ready` articles, and store each changed text as a
    new revision (its claims re-anchor). `by_id`: the user who asked (None: the watch). An
    article fetched by anyone since `enqueued_at` is skipped (a late redelivery)."""
    outcome = RefetchOutcome()
    now = timezone.now()
    leased = _lease(article_ids=article_ids, owner=owner, now=now, unfetched_since=enqueued_at)
    taken = {str(a.pk) for a in leased}
    outcome.skipped = [pk for pk in article_ids if str(pk) not in taken]
    if not leased:
        return outcome
    by = get_user_model().objects.filter(pk=by_id).first() if by_id is not None else None
    lists = {
        "revised": outcome.revised,
        "unchanged": outcome.unchanged,
        "deferred": outcome.deferred,
        "skipped": outcome.skipped,
    }
    for index, page in _stream_pages([a.url or "" for a in leased]):
        article_id = leased[index].pk
        status = article_refetch_record(article_id=article_id, page=page, by=by, owner=owner)
        if status == "failed":
            outcome.failed[article_id] = page.error
        else:
            lists[status].append(article_id)
    return outcome


def article_refetch_record(*, article_id: Any, page: Page, by: Any, owner: str) -> str:
    """Record one refetch of a `ready` article and release its lease: `revised` (a new
    revision; claims re-anchored), `unchanged` (the same main text: nothing stored),
    `failed` (the reason noted, the text kept), `deferred` (not fetched: host busy) or
    `skipped` (not leased by `owner` any more)."""
    from annotations.services.articles import article_revise

    now = timezone.now()
    with transaction.atomic():
        article = (
            Article.objects.select_for_update()
            .filter(pk=article_id, fetch_lease_owner=owner[:100])
            .first()
        )
        if article is None:
            return "skipped"
        article.fetch_lease_until = None
        article.fetch_lease_owner = ""
        fields = ["fetch_lease_until", "fetch_lease_owner", "next_fetch_at", "updated_at"]
        if page.error == FetchError.BUSY:
            article.next_fetch_at = now + timedelta(seconds=60 * random.uniform(1.0, 2.0))
            article.save(update_fields=fields)
            return "deferred"
        article.last_fetch_attempt_at = now
        fields.append("last_fetch_attempt_at")
        if not page.ok:
            article.fetch_error = page.error
            article.fetch_message = page.message[:500]
            article.next_fetch_at = watch_next_at(article, now=now)
            article.save(update_fields=[*fields, "fetch_error", "fetch_message"])
            return "failed"
        article.fetch_error = ""
        article.fetch_message = ""
        article.last_fetched_at = now
        article.text_source = TextSource.FETCHED
        article.next_fetch_at = watch_next_at(article, now=now)
        article.save(
            update_fields=[
                *fields,
                "fetch_error",
                "fetch_message",
                "last_fetched_at",
                "text_source",
            ]
        )
        revision = article_revise(article=article, by=by, text=page.text, origin=TextSource.FETCHED)
    return "unchanged" if revision is None else "revised"
