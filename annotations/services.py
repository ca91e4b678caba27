"""Writes for articles, claims and evidence. Views, admin, commands and tasks call these."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from annotations import anchoring
from annotations.linkhealth.services import link_get_or_create, link_request_check
from annotations.models import AnchorState, Article, ArticleRevision, Claim, Evidence
from annotations.urlnorm import InvalidURL, canonical_url
from factcheck.errors import Conflict, DomainError, Forbidden
from factcheck.roles import is_editor, is_reviewer


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
            canonical = canonical_url(url)
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
        existing = Article.objects.select_for_update().filter(url=canonical).first()
        if existing is not None:
            return _article_resubmit(article=existing, by=by, text=prepared, metadata=metadata)
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


def _article_resubmit(
    *, article: Article, by: Any, text: str, metadata: dict[str, Any]
) -> SubmitOutcome:
    # Call while holding the article's row lock.
    changed_meta = {k: v for k, v in metadata.items() if v not in ("", None)}
    for key, value in changed_meta.items():
        setattr(article, key, value)
    if _content_hash(text) == article.content_hash:
        article.save()
        return SubmitOutcome(article=article, status="unchanged")
    article_revise(article=article, by=by, text=text)
    return SubmitOutcome(article=article, status="revised")


def article_revise(*, article: Article, by: Any, text: str) -> ArticleRevision:
    """Store a new revision and re-anchor every claim. Call inside a transaction."""
    old_text = article.text
    article.current_revision += 1
    article.text = text
    article.content_hash = _content_hash(text)
    article.save()
    revision = ArticleRevision.objects.create(
        article=article,
        number=article.current_revision,
        text=text,
        content_hash=article.content_hash,
        created_by=by,
    )
    claims_reanchor(article=article, revision=revision, old_text=old_text)
    return revision


def claims_reanchor(*, article: Article, revision: ArticleRevision, old_text: str) -> None:
    """Move every live claim of the article onto the new revision (DESIGN: never lose a claim)."""
    from reviews.services import review_flag_rereview

    claims = list(article.claims.exclude(anchor_state=AnchorState.ORPHANED).order_by("start"))
    if not claims:
        return
    spans = [
        anchoring.Span(start=c.start, end=c.end, exact=c.exact, prefix=c.prefix, suffix=c.suffix)
        for c in claims
    ]
    results = anchoring.reanchor(old_text, revision.text, spans)
    taken: set[tuple[int, int]] = set()
    for claim, result in zip(claims, results, strict=True):
        claim.revision = revision
        span = result.span
        if span is None or (span.start, span.end) in taken:
            # The old quote stays on the claim so a person can place it again.
            claim.anchor_state = AnchorState.ORPHANED
            claim.anchor_score = 0.0
        else:
            taken.add((span.start, span.end))
            claim.start, claim.end = span.start, span.end
            claim.exact, claim.prefix, claim.suffix = span.exact, span.prefix, span.suffix
            claim.anchor_state = result.state
            claim.anchor_score = max(0.0, min(1.0, result.score))
        claim.save()
        if claim.anchor_state == AnchorState.ORPHANED or result.quote_changed:
            reason = "claim orphaned by a new revision" if span is None else "quoted words changed"
            review_flag_rereview(claim_id=claim.pk, reason=reason)


def _may_edit_claim(user: Any, claim: Claim) -> bool:
    if is_editor(user):
        return True
    if not is_reviewer(user):
        return False
    review = getattr(claim, "review", None)
    return claim.created_by_id == user.pk or (review is not None and review.assignee_id == user.pk)


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
    from reviews.services import review_create

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
    review_create(claim=claim)
    return claim


def _clean_tags(tags: list[str] | None) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags or []:
        tag = str(tag).strip().lower()
        if tag:
            seen.setdefault(tag[:50], None)
    return list(seen)


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    by: Any,
    claimant: str | None = None,
    summary: str | None = None,
    tags: list[str] | None = None,
) -> Claim:
    if not _may_edit_claim(by, claim):
        raise Forbidden("Only the claim's author, its assignee or an editor may edit it.")
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claimant is not None:
        claim.claimant = claimant
    if summary is not None:
        claim.summary = summary
    if tags is not None:
        claim.tags = _clean_tags(tags)
    claim.save()
    return claim


@transaction.atomic
def claim_delete(*, claim: Claim, by: Any) -> None:
    from reviews.workflow import State

    if not _may_edit_claim(by, claim):
        raise Forbidden("Only the claim's author, its assignee or an editor may delete it.")
    review = getattr(claim, "review", None)
    if review is not None and review.state == State.PUBLISHED:
        raise Conflict("A published claim cannot be deleted; reopen it first.")
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
    if not _may_edit_claim(by, claim):
        raise Forbidden("Only the claim's author, its assignee or an editor may add evidence.")
    try:
        canonical = canonical_url(url)
    except InvalidURL as exc:
        raise DomainError(str(exc), field="url") from exc
    if archive_url:
        try:
            archive_url = canonical_url(archive_url)
        except InvalidURL as exc:
            raise DomainError(str(exc), field="archive_url") from exc
    link, created = link_get_or_create(url=canonical)
    if Evidence.objects.filter(claim=claim, link=link).exists():
        raise Conflict("This link is already evidence for this claim.", code="duplicate_evidence")
    evidence = Evidence(
        claim=claim,
        link=link,
        url=url.strip(),
        title=title,
        stance=stance,
        note=note,
        added_by=by,
        archive_url=archive_url,
        # A link already checked tells what the page looks like as the reviewer relies on it.
        fingerprint_at_attach=link.fingerprint,
    )
    evidence.full_clean(exclude=["claim", "link", "added_by", "url"], validate_constraints=False)
    evidence.save()
    if created or link.health == "unchecked":
        link_request_check(link=link)
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence, by: Any) -> None:
    from reviews.workflow import State

    if not (is_editor(by) or evidence.added_by_id == by.pk):
        raise Forbidden("Only the person who added this evidence or an editor may remove it.")
    review = getattr(evidence.claim, "review", None)
    if review is not None and review.state == State.PUBLISHED:
        raise Conflict("Evidence of a published claim cannot be removed; reopen the claim first.")
    evidence.delete()
