"""Writes for articles and their revisions: submit, resubmit, revise (re-anchoring the claims)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, connections, router, transaction
from django.db.models import Model

from annotations import anchoring
from annotations.models import Article, ArticleRevision, FetchState, TextSource
from annotations.services.claims import claims_reanchor
from factcheck.db import column_max_length
from factcheck.errors import DomainError
from factcheck.urlnorm import InvalidURL, canonical_url


def content_hash(text: str) -> str:
    """The SHA-256 of an article text: equal texts, and only those, share it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_content_hash = content_hash


def article_text_prepare(*, text: str | None, html: str | None) -> str:
    """The plain text claims point into: NFC, `\\n` line ends, sanitized if it came as HTML."""
    if text and html:
        raise DomainError("Send either text or html, not both.", field="non_field_errors")
    if html:
        raw = anchoring.html_to_text(html)
        field = "html"
    else:
        raw = text or ""
        field = "text"
    try:
        prepared = anchoring.normalize_text(raw)
    except anchoring.AnchorError as exc:
        raise DomainError(str(exc), field=field) from exc
    if not prepared.strip():
        raise DomainError("The article has no text.", field=field)
    limit = settings.ARTICLE_MAX_TEXT_CHARS
    if len(prepared) > limit:
        raise DomainError(
            f"The text is {len(prepared):,} characters long; the limit is {limit:,}.", field=field
        )
    return prepared


@dataclass(frozen=True)
class SubmitOutcome:
    article: Article
    status: str  # "created" | "unchanged" | "revised"


@dataclass(frozen=True)
class SubmitRefused:
    """An item of `articles_submit_many` that was not stored: the body a single submit's 4xx
    would carry."""

    errors: dict[str, Any]


def _submit_one(*, by: Any, item: Mapping[str, Any]) -> SubmitOutcome | SubmitRefused:
    try:
        # An item with a URL alone is fetched by a worker: a bulk upload waits for no page.
        return article_submit(by=by, fetch_budget=0, **item)
    except DomainError as exc:
        return SubmitRefused(exc.as_body())
    except IntegrityError:
        # A concurrent submit of the same URL won the race; its retry will say "unchanged".
        return SubmitRefused(
            {"detail": "Stored concurrently by another request; retry it.", "code": "conflict"}
        )


def articles_submit_many(
    *, by: Any, items: Sequence[Mapping[str, Any]]
) -> list[SubmitOutcome | SubmitRefused]:
    """Store every item (the keyword arguments of `article_submit`), each in its own
    transaction, and answer for each in order: one bad item never takes the good ones down.

    Items are stored by up to `API_BULK_THREADS` threads (one per 20 items), each with its own
    database connection: an article's transaction mostly waits for its commit, so several
    commit side by side. Inside an open transaction (tests, ATOMIC_REQUESTS) the other
    connections would not see its rows: then this thread does all.
    """
    threads = max(1, min(settings.API_BULK_THREADS, len(items) // 20))
    if threads == 1 or connection.in_atomic_block:
        return [_submit_one(by=by, item=item) for item in items]

    def stripe(start: int) -> list[tuple[int, SubmitOutcome | SubmitRefused]]:
        try:
            return [
                (i, _submit_one(by=by, item=items[i])) for i in range(start, len(items), threads)
            ]
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=threads) as pool:
        stripes = list(pool.map(stripe, range(threads)))
    return [outcome for _, outcome in sorted(pair for part in stripes for pair in part)]


def article_submit(
    *,
    by: Any,
    title: str = "",
    text: str | None = None,
    html: str | None = None,
    url: str | None = None,
    byline: str = "",
    publisher: str = "",
    published_at: datetime | None = None,
    language: str = "",
    fetch_budget: float | None = None,
) -> SubmitOutcome:
    """Create an article, or add a revision when the same URL comes back with new text.

    With a URL and neither text nor html, the page is fetched and its main text extracted
    (`article_fetch.article_submit_url`, waiting up to `fetch_budget` seconds; the article
    may come back `fetching`). A text or html sent wins: nothing is fetched.
    """
    if not text and not html and url:
        from annotations.services.article_fetch import article_submit_url

        return article_submit_url(  # type: ignore[no-any-return]
            by=by,
            url=url,
            title=title,
            byline=byline,
            publisher=publisher,
            published_at=published_at,
            language=language,
            budget=fetch_budget,
        )
    return _article_submit_text(
        by=by,
        title=title,
        text=text,
        html=html,
        url=url,
        byline=byline,
        publisher=publisher,
        published_at=published_at,
        language=language,
    )


@transaction.atomic
def _article_submit_text(
    *,
    by: Any,
    title: str,
    text: str | None,
    html: str | None,
    url: str | None,
    byline: str,
    publisher: str,
    published_at: datetime | None,
    language: str,
) -> SubmitOutcome:
    prepared = article_text_prepare(text=text, html=html)
    if not title or not title.strip():
        raise DomainError("The article needs a title.", field="title")
    canonical = None
    if url:
        try:
            canonical = canonical_url(url, max_length=column_max_length(Article, "url"))
        except InvalidURL as exc:
            raise DomainError(str(exc), field="url") from exc
    metadata = {
        "title": title.strip(),
        "byline": byline,
        "publisher": publisher,
        "published_at": published_at,
        "language": language,
    }
    if canonical:
        inserted = _article_insert_new(url=canonical, text=prepared, by=by, metadata=metadata)
        if inserted is not None:
            return SubmitOutcome(article=inserted, status="created")
        existing = Article.objects.select_for_update().filter(url=canonical).first()
        if existing is not None:
            return _article_resubmit(article=existing, by=by, text=prepared, metadata=metadata)
    else:
        # Without a URL the text is the article's identity: the same text again is the same
        # article (a retried submit, a second scraper). The lock serializes two at once.
        same_text = _article_with_text(prepared)
        if same_text is not None:
            return SubmitOutcome(article=same_text, status="unchanged")
    article = Article.objects.create(
        url=canonical,
        text=prepared,
        content_hash=_content_hash(prepared),
        created_by=by,
        current_revision=1,
        **metadata,
    )
    ArticleRevision.objects.create(
        article=article, number=1, text=prepared, content_hash=article.content_hash, created_by=by
    )
    return SubmitOutcome(article=article, status="created")


def _article_insert_new(
    *, url: str, text: str, by: Any, metadata: dict[str, Any]
) -> Article | None:
    """On PostgreSQL, store a new article with a URL and its first revision in one statement
    (``INSERT ... ON CONFLICT (url) DO NOTHING`` and the revision's INSERT in one query):
    the article, or None when the URL is stored already (or on another database), then the
    caller locks and resubmits. A concurrent insert of the same URL makes this wait for its
    transaction, so a race ends in "unchanged" rather than an IntegrityError. Article and
    ArticleRevision have no history or save signals to miss."""
    connection = connections[router.db_for_write(Article)]
    if connection.vendor != "postgresql":
        return None
    article = Article(
        url=url,
        text=text,
        content_hash=_content_hash(text),
        created_by=by,
        current_revision=1,
        **metadata,
    )
    revision = ArticleRevision(
        article=article, number=1, text=text, content_hash=article.content_hash, created_by=by
    )
    quote = connection.ops.quote_name

    def insert_values(obj: Model) -> tuple[list[str], list[Any]]:
        fields = [
            f
            for f in obj._meta.concrete_fields
            if not f.generated and f is not getattr(obj._meta, "auto_field", None)
        ]
        columns = [quote(str(f.column)) for f in fields]
        values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        return columns, values

    a_columns, a_values = insert_values(article)
    r_columns, r_values = insert_values(revision)
    a_placeholders = ", ".join(["%s"] * len(a_values))
    r_placeholders = ", ".join(["%s"] * len(r_values))
    sql = (
        f"WITH a AS (INSERT INTO {quote(Article._meta.db_table)} ({', '.join(a_columns)}) "  # noqa: S608
        f"VALUES ({a_placeholders}) ON CONFLICT ({quote('url')}) DO NOTHING RETURNING 1) "
        f"INSERT INTO {quote(ArticleRevision._meta.db_table)} ({', '.join(r_columns)}) "
        f"SELECT {r_placeholders} FROM a RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, a_values + r_values)
        row = cursor.fetchone()
    if row is None:
        return None
    article._state.adding = False
    article._state.db = connection.alias
    return article


def _article_with_text(text: str) -> Article | None:
    """The oldest article whose current text is `text`. Call inside a transaction: on
    PostgreSQL it holds a lock on the text's hash until commit."""
    content_hash = _content_hash(text)
    connection = connections[router.db_for_write(Article)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(content_hash[:15], 16)])
    return Article.objects.filter(content_hash=content_hash).order_by("created_at", "pk").first()


def _article_resubmit(
    *, article: Article, by: Any, text: str, metadata: dict[str, Any]
) -> SubmitOutcome:
    # Call while holding the article's row lock.
    changed_meta = {k: v for k, v in metadata.items() if v not in ("", None)}
    for key, value in changed_meta.items():
        setattr(article, key, value)
    article.save(update_fields=[*changed_meta, "updated_at"])
    if article.fetch_state != FetchState.READY:
        # Still being fetched, or its fetch failed: the text sent is its first one, and the
        # worker's fetch (if any) finds it ready and stops.
        article_revise(article=article, by=by, text=text)
        return SubmitOutcome(article=article, status="revised")
    if article_revise(article=article, by=by, text=text) is None:
        return SubmitOutcome(article=article, status="unchanged")
    return SubmitOutcome(article=article, status="revised")


@transaction.atomic
def article_revise(
    *, article: Article, by: Any, text: str, origin: str = TextSource.SUBMITTED
) -> ArticleRevision | None:
    """Store ``text`` (already prepared) as a new revision and re-anchor every claim.

    Returns None, storing nothing, when the text is the current one. ``article`` gets the new
    text, hash and revision number (and is `ready`: a fetching or failed article given a text
    has one); its other fields are not saved here. ``by`` None: the watch stored it;
    ``origin``: `submitted` or `fetched` (`TextSource`).
    """
    current = (
        Article.objects.select_for_update()
        .only("text", "content_hash", "current_revision")
        .get(pk=article.pk)
    )
    digest = content_hash(text)
    if digest == current.content_hash:
        return None
    article.text = text
    article.content_hash = digest
    article.current_revision = current.current_revision + 1
    fields = ["text", "content_hash", "current_revision", "updated_at"]
    if article.fetch_state != FetchState.READY:
        article.fetch_state = FetchState.READY
        article.text_source = origin
        article.fetch_error = article.fetch_message = ""
        article.next_fetch_at = None  # a fetched text's caller schedules the watch
        fields += ["fetch_state", "text_source", "fetch_error", "fetch_message", "next_fetch_at"]
    article.save(update_fields=fields)
    revision = ArticleRevision.objects.create(
        article=article,
        number=article.current_revision,
        text=text,
        content_hash=digest,
        origin=origin,
        created_by=by,
    )
    claims_reanchor(article=article, revision=revision, old_text=current.text)
    return revision
