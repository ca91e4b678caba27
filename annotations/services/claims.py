"""Writes for claims: marking, re-anchoring onto a new revision, editing, deleting.

Who may edit or delete a claim, and what its review allows, are decided by the reviews
services that call these (`reviews.services.claim_edit`, `claim_remove`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from annotations import anchoring, signals
from annotations.linkhealth.staleness import claims_staleness_refresh, stale_hosts_refresh
from annotations.models import AnchorState, Article, ArticleRevision, Claim, Evidence, FetchState
from annotations.services.evidence import evidence_delete
from factcheck.db import history_record_rows, rows_update
from factcheck.errors import Conflict, DomainError, Forbidden, PreconditionFailed
from factcheck.roles import is_reviewer


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
    wording: dict[Any, dict[str, Any]] = {}
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
            wording[claim.pk] = {
                "code": "claim_orphaned",
                "before": claim.exact,
                "after": None,
                "revision": revision.number,
            }
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
            wording[claim.pk] = {
                "code": "wording_changed",
                "before": claim.exact,
                "after": span.exact,
                "revision": revision.number,
            }
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
            sender=Claim, reasons=reasons, changes=wording, by=revision.created_by
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
    if article.fetch_state == FetchState.FETCHING:
        raise Conflict(
            "The article is still being fetched from its URL; claims can be marked once its "
            "text is in.",
            code="article_fetching",
        )
    if article.fetch_state == FetchState.FAILED:
        raise Conflict(
            f"The article could not be fetched ({article.fetch_message or article.fetch_error}); "
            "it has no text to mark claims in.",
            code="article_fetch_failed",
        )
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


def claim_lock_with_article(*, claim_id: Any, expected_version: int | None) -> Claim:
    """The claim locked for update after its article's row (the order re-anchoring takes them,
    so a span edit never interleaves with a new revision). Call inside a transaction."""
    article_id = Claim.objects.filter(pk=claim_id).values_list("article_id", flat=True).first()
    if article_id is not None:
        Article.objects.select_for_update().filter(pk=article_id).exists()
    return claim_lock(claim_id=claim_id, expected_version=expected_version)


def claim_respan(
    *,
    claim: Claim,
    by: Any,
    start: int | None = None,
    end: int | None = None,
    utf16_start: int | None = None,
    utf16_end: int | None = None,
) -> Claim:
    """Move a claim's span within the article's current text, validated as a new claim's.

    An edge not given stays where it is. The quote and its context are read again from the
    text; a span another live claim holds is a 409, as when marking. An orphaned claim is
    refused: its offsets point into an older revision. Bumps the claim's version when the
    span moves; the same span again writes nothing.

    Call holding the article's and the claim's row locks (`claim_lock_with_article`). Who
    may, and whether the claim may still move (never once published), are decided by
    `reviews.services.claim_respan`, which calls this.
    """
    if claim.anchor_state == AnchorState.ORPHANED:
        raise Conflict(
            "This claim is orphaned: its quote is not in the article's current text, so its "
            "span cannot be adjusted. Mark the passage again as a new claim.",
            code="orphaned",
        )
    text = claim.article.text
    try:
        offsets = anchoring.OffsetMap(text)
        if utf16_start is not None:
            start = _same_point(
                start, offsets.to_codepoint(utf16_start, field="utf16_start"), "start"
            )
        if utf16_end is not None:
            end = _same_point(end, offsets.to_codepoint(utf16_end, field="utf16_end"), "end")
        span = anchoring.resolve_selectors(
            text,
            start=claim.start if start is None else start,
            end=claim.end if end is None else end,
        )
    except anchoring.AnchorError as exc:
        raise DomainError(str(exc), field=exc.field) from exc
    if (span.start, span.end) == (claim.start, claim.end):
        return claim
    if (
        Claim.objects.filter(article_id=claim.article_id, start=span.start, end=span.end)
        .exclude(anchor_state=AnchorState.ORPHANED)
        .exclude(pk=claim.pk)
        .exists()
    ):
        raise Conflict(
            f"A claim already marks characters {span.start}-{span.end} of this article.",
            code="duplicate_claim",
        )
    before = (claim.start, claim.end)
    claim.start, claim.end = span.start, span.end
    claim.exact, claim.prefix, claim.suffix = span.exact, span.prefix, span.suffix
    claim.version += 1
    claim._history_user = by  # type: ignore[attr-defined]
    claim._change_reason = (  # type: ignore[attr-defined]
        f"span adjusted: {before[0]}-{before[1]} -> {span.start}-{span.end}"
    )
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as exc:
        raise Conflict("This span is already marked as a claim.", code="duplicate_claim") from exc
    return claim


def _same_point(given: int | None, converted: int, field: str) -> int:
    if given is not None and given != converted:
        raise DomainError(
            f"{field} {given} and utf16_{field} point to different places.", field=f"utf16_{field}"
        )
    return converted


def claim_absorb(*, claim: Claim, other: Claim, by: Any) -> Claim:
    """Merge `other` into `claim`: its evidence moves over (a link both cite stays once, as
    `claim` cites it), an empty claimant or summary is taken from `other`, tags are joined;
    then `other` is deleted. Bumps `claim`'s version.

    Call holding both claims' row locks. What moves of the review (its comments and
    notifications) and whether the merge may happen at all (never once either was published)
    are decided by `reviews.services.claims_merge`, which calls this.
    """
    cited = set(claim.evidence.values_list("link_id", flat=True))
    for evidence in Evidence.objects.filter(claim=other).order_by("created_at", "pk"):
        if evidence.link_id in cited:
            evidence_delete(evidence=evidence, by=by)
            continue
        cited.add(evidence.link_id)
        evidence.claim = claim
        evidence._history_user = by  # type: ignore[attr-defined]
        evidence._change_reason = f"moved from merged claim {other.pk}"  # type: ignore[attr-defined]
        evidence.save(update_fields=["claim"])
    claim.claimant = claim.claimant or other.claimant
    claim.summary = claim.summary or other.summary
    claim.tags = _clean_tags([*claim.tags, *other.tags])
    claim.version += 1
    claim._history_user = by  # type: ignore[attr-defined]
    claim._change_reason = f"merged claim {other.pk} (“{other.exact[:60]}”) into this one"  # type: ignore[attr-defined]
    claim.save()
    # Stale evidence it took over makes it a stale claim (after save(), which writes the flag
    # as it was read).
    claims_staleness_refresh(claim_ids=[claim.pk])
    claim_delete(claim=other, by=by)
    return claim


def claim_delete(*, claim: Claim, by: Any) -> None:
    """Delete a claim with its review and evidence, recording who did.

    Whether it may go (nothing once published is erased) is decided by
    `reviews.services.claim_remove`, which calls this inside its transaction.
    """
    claim._history_user = by  # type: ignore[attr-defined]
    # Its stale evidence goes with it: the hosts' counts of stale evidence are recounted.
    hosts = set(
        Evidence.objects.filter(claim=claim, stale_since__isnull=False).values_list(
            "stale_host", flat=True
        )
    )
    claim.delete()
    if hosts:
        stale_hosts_refresh(hosts=hosts)
