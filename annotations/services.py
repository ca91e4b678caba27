"""Writes for articles, claims and evidence. Views, admin, commands and tasks call these."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Field, Model
from django.utils import timezone

from annotations import anchoring, signals
from annotations.linkhealth.services import (
    evidence_request_archive,
    link_get_or_create,
    link_schedule_check,
)
from annotations.models import AnchorState, Article, ArticleRevision, Claim, Evidence, Link
from factcheck.db import history_record_rows, rows_update
from factcheck.errors import Conflict, DomainError, Forbidden, PreconditionFailed
from factcheck.roles import is_reviewer
from factcheck.urlnorm import InvalidURL, browser_url, canonical_url


def _max_length(model: type[Model], field: str) -> int:
    """The column length a normalized URL must fit (checked before any row is written)."""
    column = model._meta.get_field(field)
    assert isinstance(column, Field) and column.max_length is not None
    return column.max_length


def _content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


@transaction.atomic
def article_submit(
    *,
    by: Any,
    title: str,
    text: str | None = None,
    html: str | None = None,
    url: str | None = None,
    byline: str = "",
    publisher: str = "",
    published_at: datetime | None = None,
    language: str = "",
) -> SubmitOutcome:
    """Create an article, or add a revision when the same URL comes back with new text."""
    prepared = article_text_prepare(text=text, html=html)
    if not title or not title.strip():
        raise DomainError("The article needs a title.", field="title")
    canonical = None
    if url:
        try:
            canonical = canonical_url(url, max_length=_max_length(Article, "url"))
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
    if article_revise(article=article, by=by, text=text) is None:
        return SubmitOutcome(article=article, status="unchanged")
    return SubmitOutcome(article=article, status="revised")


@transaction.atomic
def article_revise(*, article: Article, by: Any, text: str) -> ArticleRevision | None:
    """Store ``text`` (already prepared) as a new revision and re-anchor every claim.

    Returns None, storing nothing, when the text is the current one. ``article`` gets the new
    text, hash and revision number; its other fields are not saved here.
    """
    current = (
        Article.objects.select_for_update()
        .only("text", "content_hash", "current_revision")
        .get(pk=article.pk)
    )
    content_hash = _content_hash(text)
    if content_hash == current.content_hash:
        return None
    article.text = text
    article.content_hash = content_hash
    article.current_revision = current.current_revision + 1
    article.save(update_fields=["text", "content_hash", "current_revision", "updated_at"])
    revision = ArticleRevision.objects.create(
        article=article,
        number=article.current_revision,
        text=text,
        content_hash=content_hash,
        created_by=by,
    )
    claims_reanchor(article=article, revision=revision, old_text=current.text)
    return revision


@dataclass(frozen=True)
class ReanchorOutcome:
    anchored: int = 0
    reanchored: int = 0
    orphaned: int = 0
    flagged: int = 0


# Fields a re-anchoring writes (bulk_update does not set auto_now, hence updated_at).
_ANCHOR_FIELDS = (
    "revision",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "anchor_state",
    "anchor_score",
    "updated_at",
)


def claims_reanchor(
    *, article: Article, revision: ArticleRevision, old_text: str
) -> ReanchorOutcome:
    """Move the article's claims onto ``revision`` (DESIGN: a claim is never lost).

    Live claims are re-anchored from ``old_text``; orphaned ones are tried again from the text
    of the revision they were last anchored in, so a passage that comes back brings its claims
    back. A claim that cannot be placed, or that lands on the span another claim holds, is
    orphaned: it keeps its last quote and offsets and the revision they point into. Claims whose
    quoted words changed, and newly orphaned claims, are announced for re-review
    (`signals.claims_wording_changed`, in this transaction).

    Call inside a transaction, holding the article's row lock. Cost: one diff per source text
    and a handful of statements whatever the number of claims (rows_update,
    history_record_rows), so a 1,000-claim article re-anchors within a request.
    """
    claims = list(article.claims.select_related(None).order_by("created_at", "pk"))
    if not claims:
        return ReanchorOutcome()
    live = [c for c in claims if c.anchor_state != AnchorState.ORPHANED]
    orphans = [c for c in claims if c.anchor_state == AnchorState.ORPHANED]
    placed: list[tuple[Claim, anchoring.Anchoring]] = []
    if live:
        placed += zip(live, anchoring.reanchor(old_text, revision.text, _spans(live)), strict=True)
    if orphans:
        by_revision: dict[int, list[Claim]] = {}
        for claim in orphans:
            by_revision.setdefault(claim.revision_id, []).append(claim)
        texts = dict(ArticleRevision.objects.filter(pk__in=by_revision).values_list("pk", "text"))
        for revision_id, group in by_revision.items():
            results = anchoring.reanchor(texts[revision_id], revision.text, _spans(group))
            placed += [(c, r) for c, r in zip(group, results, strict=True) if r.span is not None]

    # Two claims may land on one span (the words between them were deleted); the span allows
    # one live claim. Exact anchors win over approximate ones, then live claims over revived
    # orphans, then the older claim.
    placed.sort(key=lambda cr: (cr[1].span is None, -cr[1].score))
    taken: dict[tuple[int, int], Claim] = {}
    now = timezone.now()
    reasons: dict[Any, str] = {}
    changed: list[Claim] = []
    moving: list[Any] = []
    counts = {AnchorState.ANCHORED: 0, AnchorState.REANCHORED: 0, AnchorState.ORPHANED: 0}
    for claim, result in placed:
        span = result.span
        was_orphaned = claim.anchor_state == AnchorState.ORPHANED
        holder = taken.get((span.start, span.end)) if span is not None else None
        if span is None or holder is not None:
            counts[AnchorState.ORPHANED] += 1
            if was_orphaned:
                continue  # still nowhere: nothing to write
            # Offsets, quote and revision stay as they were: they still point into the text
            # the claim was last anchored in, where a person can see what it marked.
            claim.anchor_state = AnchorState.ORPHANED
            claim.anchor_score = 0.0
            reasons[claim.pk] = (
                f"the quoted passage is gone from revision {revision.number}"
                if holder is None
                else f"revision {revision.number} merged its quote into another claim's span"
            )
            moving.append(claim.pk)
            changed.append(claim)
            continue
        taken[(span.start, span.end)] = claim
        state = AnchorState.REANCHORED if was_orphaned else AnchorState(result.state)
        counts[state] += 1
        if was_orphaned or (claim.start, claim.end) != (span.start, span.end):
            moving.append(claim.pk)
        if claim.exact.split() != span.exact.split():
            reasons[claim.pk] = _quote_changed_reason(revision.number, claim.exact, span.exact)
        claim.revision = revision
        claim.start, claim.end = span.start, span.end
        claim.exact, claim.prefix, claim.suffix = span.exact, span.prefix, span.suffix
        claim.anchor_state = state
        claim.anchor_score = max(0.0, min(1.0, result.score))
        changed.append(claim)
    for claim in changed:
        claim.updated_at = now
    if moving:
        # The span-unique index holds live claims only. Take every claim that moves or leaves
        # out of it first, so that claims trading places never collide mid-update.
        Claim.objects.filter(pk__in=moving).update(anchor_state=AnchorState.ORPHANED)
    rows_update(Claim, changed, _ANCHOR_FIELDS)
    # Counted by the database, not from the rows read above: an edit committed since then
    # (claim_update holds the claim's row lock, not the article's) keeps its own bump.
    Claim.objects.filter(pk__in=[c.pk for c in changed]).update(version=F("version") + 1)
    history_record_rows(
        Claim,
        [c.pk for c in changed],
        reason=f"re-anchored onto revision {revision.number}",
        by=revision.created_by,
        when=now,
    )
    flagged = 0
    if reasons:
        # Receivers answer with how many claims they flagged.
        responses: list[tuple[Any, Any]] = signals.claims_wording_changed.send(
            sender=Claim, reasons=reasons, by=revision.created_by
        )
        flagged = sum(count for _, count in responses if isinstance(count, int))
    return ReanchorOutcome(
        anchored=counts[AnchorState.ANCHORED],
        reanchored=counts[AnchorState.REANCHORED],
        orphaned=counts[AnchorState.ORPHANED],
        flagged=flagged,
    )


def _spans(claims: list[Claim]) -> list[anchoring.Span]:
    return [
        anchoring.Span(start=c.start, end=c.end, exact=c.exact, prefix=c.prefix, suffix=c.suffix)
        for c in claims
    ]


def _quote_changed_reason(number: int, old: str, new: str) -> str:
    def short(s: str) -> str:
        return s if len(s) <= 100 else s[:99] + "…"

    return f"revision {number} changed the quoted words: “{short(old)}” → “{short(new)}”"


@transaction.atomic
def claim_create(
    *,
    article: Article,
    by: Any,
    start: int | None = None,
    end: int | None = None,
    exact: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
    utf16_start: int | None = None,
    utf16_end: int | None = None,
    claimant: str = "",
    summary: str = "",
    tags: list[str] | None = None,
) -> Claim:
    """Mark a claim in the article's current text; the claim's review is created by the
    receivers of `signals.claim_created`, in this transaction."""
    if not is_reviewer(by):
        raise Forbidden("Only reviewers and editors mark claims.")
    article = Article.objects.select_for_update().get(pk=article.pk)
    text = article.text
    try:
        if utf16_start is not None or utf16_end is not None:
            offsets = anchoring.OffsetMap(text)
            if utf16_start is not None:
                converted = offsets.to_codepoint(utf16_start, field="utf16_start")
                if start is not None and start != converted:
                    raise DomainError(
                        f"start {start} and utf16_start {utf16_start} point to different places.",
                        field="utf16_start",
                    )
                start = converted
            if utf16_end is not None:
                converted = offsets.to_codepoint(utf16_end, field="utf16_end")
                if end is not None and end != converted:
                    raise DomainError(
                        f"end {end} and utf16_end {utf16_end} point to different places.",
                        field="utf16_end",
                    )
                end = converted
        span = anchoring.resolve_selectors(
            text, start=start, end=end, exact=exact, prefix=prefix, suffix=suffix
        )
    except anchoring.AnchorError as exc:
        raise DomainError(str(exc), field=exc.field) from exc
    if (
        Claim.objects.filter(article=article, start=span.start, end=span.end)
        .exclude(anchor_state=AnchorState.ORPHANED)
        .exists()
    ):
        raise Conflict(
            f"A claim already marks characters {span.start}-{span.end} of this article.",
            code="duplicate_claim",
        )
    revision = article.revisions.get(number=article.current_revision)
    claim = Claim(
        article=article,
        revision=revision,
        start=span.start,
        end=span.end,
        exact=span.exact,
        prefix=span.prefix,
        suffix=span.suffix,
        claimant=claimant,
        summary=summary,
        tags=_clean_tags(tags),
        created_by=by,
    )
    claim.full_clean(exclude=["article", "revision", "created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as exc:
        raise Conflict("This span is already marked as a claim.", code="duplicate_claim") from exc
    signals.claim_created.send(sender=Claim, claim=claim)
    return claim


def _clean_tags(tags: list[str] | None) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags or []:
        tag = str(tag).strip().lower()
        if tag:
            seen.setdefault(tag[:50], None)
    return list(seen)


def claim_lock(*, claim_id: Any, expected_version: int | None) -> Claim:
    """The claim, locked for update. Call inside a transaction.

    `expected_version` is the claim's version the caller last read (the API's If-Match, the
    version the web form rendered); a stale one is refused (412) before anything is written,
    so two editors never overwrite each other unseen. None only for callers that read the
    claim in this same transaction.
    """
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if expected_version is not None and expected_version != claim.version:
        raise PreconditionFailed(
            f"The claim changed since you loaded it (your version {expected_version}, now "
            f"{claim.version}); reload and try again.",
            extra={"current": {"version": claim.version}},
        )
    return claim


def claim_changes(
    *,
    claim: Claim,
    claimant: str | None = None,
    summary: str | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """What an edit would change: {field: new value}, empty when nothing would."""
    changes: dict[str, Any] = {}
    if claimant is not None and claimant != claim.claimant:
        changes["claimant"] = claimant
    if summary is not None and summary != claim.summary:
        changes["summary"] = summary
    if tags is not None and _clean_tags(tags) != claim.tags:
        changes["tags"] = _clean_tags(tags)
    return changes


def claim_update(
    *,
    claim: Claim,
    by: Any,
    claimant: str | None = None,
    summary: str | None = None,
    tags: list[str] | None = None,
) -> Claim:
    """Edit a claim's claimant, summary or tags; every edit bumps the claim's version.

    Call holding the claim's row lock (`claim_lock`). Who may edit, and what the claim's
    review allows, are decided by `reviews.services.claim_edit`, which calls this.
    """
    changes = claim_changes(claim=claim, claimant=claimant, summary=summary, tags=tags)
    if not changes:
        return claim
    for name, value in changes.items():
        setattr(claim, name, value)
    claim.version += 1
    claim._history_user = by  # type: ignore[attr-defined]
    claim.save()
    return claim


def claim_delete(*, claim: Claim, by: Any) -> None:
    """Delete a claim with its review and evidence, recording who did.

    Whether it may go (nothing once published is erased) is decided by
    `reviews.services.claim_remove`, which calls this inside its transaction.
    """
    claim._history_user = by  # type: ignore[attr-defined]
    claim.delete()


@transaction.atomic
def evidence_attach(
    *,
    claim: Claim,
    by: Any,
    url: str,
    stance: str,
    title: str = "",
    note: str = "",
    archive_url: str = "",
) -> Evidence:
    """Cite `url` as evidence for the claim, and have its link checked and archived.

    Who may, and the review's lock: `reviews.services.evidence_add` calls this.
    """
    try:
        canonical = canonical_url(url, max_length=_max_length(Link, "url"))
        # Stored as the browser reads it: the link shown opens the page that is checked.
        url = browser_url(url, max_length=_max_length(Evidence, "url"))
    except InvalidURL as exc:
        raise DomainError(str(exc), field="url") from exc
    if archive_url:
        try:
            archive_url = canonical_url(
                archive_url, max_length=_max_length(Evidence, "archive_url")
            )
        except InvalidURL as exc:
            raise DomainError(str(exc), field="archive_url") from exc
    link, created = link_get_or_create(url=canonical)
    if Evidence.objects.filter(claim=claim, link=link).exists():
        raise Conflict("This link is already evidence for this claim.", code="duplicate_evidence")
    evidence = Evidence(
        claim=claim,
        link=link,
        url=url,
        title=title,
        stance=stance,
        note=note,
        added_by=by,
        archive_url=archive_url,
        # A link already checked tells what the page looks like as the reviewer relies on it.
        fingerprint_at_attach=link.fingerprint,
    )
    try:
        evidence.full_clean(
            exclude=["claim", "link", "added_by", "url"], validate_constraints=False
        )
    except ValidationError as exc:
        # One error type for every caller (the web form shows it beside its field).
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), field=field) from exc
    evidence.save()
    if created or link.health == "unchecked":
        link_schedule_check(link=link)
    if not archive_url:
        # Keep a record of the page as the reviewer relied on it, found by the archive.
        evidence_request_archive(evidence_id=evidence.pk)
    return evidence


def evidence_delete(*, evidence: Evidence, by: Any) -> None:
    """Remove evidence, recording who did. Who may, and whether the claim's review allows
    it, are decided by `reviews.services.evidence_remove`, which calls this."""
    evidence._history_user = by  # type: ignore[attr-defined]
    evidence.delete()
