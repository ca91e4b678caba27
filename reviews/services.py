"""The one service that moves a review through the workflow, and its neighbours."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import UNPUBLISHABLE_HEALTHS, Claim, Evidence
from annotations.services.claims import (
    claim_absorb,
    claim_changes,
    claim_delete,
    claim_lock,
    claim_lock_with_article,
    claim_update,
)
from annotations.services.claims import claim_respan as annotations_claim_respan
from annotations.services.evidence import (
    evidence_attach,
    evidence_changes,
    evidence_delete,
    evidence_revise,
)
from factcheck.broker import enqueue_on_commit
from factcheck.db import history_record_rows, rows_update
from factcheck.errors import Conflict, DomainError, Forbidden, NotFound, PreconditionFailed
from factcheck.roles import is_editor, is_reviewer
from reviews import discussion
from reviews.models import (
    Comment,
    Correction,
    Notification,
    PublicationKind,
    RereviewCode,
    RereviewReason,
    Review,
)
from reviews.publishing import (
    HEALTH_CODES,
    LINK_CODES,
    Reason,
    link_subject,
    publication_write,
    reasons_clear,
    reasons_raise,
    reasons_raise_many,
    reasons_sync,
    reasons_sync_many,
)
from reviews.selectors import claim_may_edit, claims_ever_published
from reviews.tasks import notify_rereview
from reviews.webhooks.events import events_emit
from reviews.workflow import (
    TRANSITION_INPUTS,
    Action,
    State,
    Verdict,
    available_actions,
    transition_for,
)

logger = logging.getLogger(__name__)


def review_create(*, claim: Any) -> Review:
    review = Review(claim=claim)
    # Whoever marked the claim opened its review (token requests have no history user).
    review._history_user = claim.created_by  # type: ignore[attr-defined]
    review.save()
    return review


def _require(value: str | None, field: str, message: str) -> str:
    if value is None or not str(value).strip():
        raise DomainError(message, field=field)
    return str(value).strip()


def review_current(review: Review) -> dict[str, Any]:
    """What a client needs to retry after a 412: the review as it is now."""
    return {
        "state": review.state,
        "verdict": review.verdict,
        "assignee": review.assignee.username if review.assignee_id else None,  # type: ignore[union-attr]
        "needs_rereview": review.needs_rereview,
        "version": review.version,
        "etag": review.etag,
    }


@transaction.atomic
def review_transition(
    *,
    review_id: int,
    by: Any,
    action: str,
    expected_version: int | None,
    verdict: str | None = None,
    rationale: str | None = None,
    assignee: Any | None = None,
    note: str | None = None,
    evidence: Sequence[Mapping[str, Any]] | None = None,
) -> Review:
    """Apply one workflow action (see `reviews.workflow`).

    `evidence` is what an `update` changes in the sources of a published check (see
    `_update_evidence`).

    Holds the review's row lock, so concurrent actions serialize and exactly one of two racing
    approvals wins (the other sees a stale version: 412). `expected_version` is the version
    the caller last read (the API's If-Match); None only for callers that read the row in
    this same transaction. Every refusal raises before anything is written.
    """
    # No join to the assignee: a request that waited for this lock gets the review row as
    # the winner left it, but a joined row as it was before (PostgreSQL re-reads only the
    # locked row), so a just-taken review would come back with no assignee. It is loaded
    # after the lock, as it is now.
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("claim")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise NotFound("No such review.")
    if expected_version is not None and expected_version != review.version:
        raise PreconditionFailed(
            f"The review changed since you loaded it (your version {expected_version}, "
            f"now {review.version}); reload and try again.",
            extra={"current": review_current(review)},
        )
    transition = transition_for(action)
    if transition is None:
        raise DomainError(
            f"Unknown action {action!r}. Valid actions: {', '.join(a.value for a in Action)}.",
            field="action",
        )
    given = {
        "verdict": verdict,
        "rationale": rationale,
        "assignee": assignee,
        "note": note,
        "evidence": evidence,
    }
    for name in TRANSITION_INPUTS:
        if given[name] not in (None, "", []) and name not in transition.accepts:
            raise DomainError(f"{action} does not take a {name}.", field=name)
    if review.state not in transition.sources:
        valid = available_actions(review=review, user=by)
        raise Conflict(
            f"Cannot {action} a review that is {review.state}."
            + (f" Valid now: {', '.join(valid)}." if valid else ""),
            code="invalid_transition",
            extra={"current": review_current(review)},
        )
    if not transition.who(by, review):
        if (
            action == Action.APPROVE
            and is_editor(by)
            and review.submitted_by_id == getattr(by, "pk", None)
        ):
            raise Forbidden("You submitted this verdict; another editor must approve it.")
        raise Forbidden(f"Only {transition.who_label} may {action} this review.")
    if transition.when is not None and not transition.when(review):
        raise Conflict(
            transition.when_refusal,
            code="invalid_transition",
            extra={"current": review_current(review)},
        )

    old_state = review.state
    target = transition.target if transition.target is not None else review.state
    if action == Action.TAKE:
        review.assignee = by
    elif action == Action.ASSIGN:
        if assignee is None:
            raise DomainError("Choose the reviewer to assign.", field="assignee")
        if not is_reviewer(assignee):
            raise DomainError(f"{assignee} does not have the reviewer role.", field="assignee")
        review.assignee = assignee
    elif action == Action.SUBMIT:
        chosen = _require(verdict or review.verdict, "verdict", "A verdict is required.")
        if chosen not in Verdict.values:
            raise DomainError(
                f"{chosen!r} is not a verdict. Choose one of: {', '.join(Verdict.values)}.",
                field="verdict",
            )
        review.verdict = chosen
        review.rationale = _require(
            rationale if rationale is not None else review.rationale,
            "rationale",
            "A rationale is required.",
        )
        review.submitted_by = by
    elif action == Action.APPROVE:
        _check_publishable(review)
        now = timezone.now()
        corrected = review.first_published_at is not None
        if corrected:
            # Published before and reopened since: this publication is a correction.
            note = _require(note, "note", "Publishing again is a correction: give the reason.")
            previous = (
                review.live_publication.verdict
                if review.live_publication is not None
                else _last_published_verdict(review)
            )
            Correction.objects.create(
                review=review,
                previous_verdict=previous or review.verdict,
                new_verdict=review.verdict,
                reason=note,
                by=by,
            )
        else:
            review.first_published_at = now
        review.published_at = now
        review.approved_by = by
        publication_write(
            review=review,
            by=by,
            kind=PublicationKind.CORRECTION if corrected else PublicationKind.FIRST,
            note=(note or "").strip(),
            when=now,
        )
        # An approval answers every open reason: the editor published what they saw.
        reasons_clear(review=review, how="republished", by=by)
        reasons_sync(review)
    elif action in (Action.RETURN, Action.MARK_NOT_CHECKABLE, Action.REOPEN):
        note = _require(note, "note", f"Say why when you {action.replace('_', ' ')}.")
        if action == Action.REOPEN and review.assignee_id is None:
            target = State.UNASSIGNED
    elif action == Action.DISMISS_REREVIEW:
        note = _require(note, "note", "Say why the re-review is not needed.")
        reasons_clear(review=review, how="dismissed", by=by)
        reasons_sync(review)
    elif action == Action.UPDATE:
        note = _require(note, "note", "Say what this update changes (it is logged).")
        _update(review=review, by=by, verdict=verdict, rationale=rationale, evidence=evidence)
        now = timezone.now()
        review.published_at = now
        publication_write(
            review=review, by=by, kind=PublicationKind.UPDATE, note=note.strip(), when=now
        )
    elif action == Action.PUBLISH_NOTICE:
        review.notice = (note or "").strip()
        review.notice_published_at = timezone.now() if review.notice else None
    review.state = target
    if note is not None:
        review.note = note.strip()
    review.version += 1
    reason = f"{action}: {old_state} -> {target}" + (f" ({review.note})" if note else "")
    review._change_reason = reason  # type: ignore[attr-defined]
    # Token-authenticated API requests are invisible to the history middleware.
    review._history_user = by  # type: ignore[attr-defined]
    review.save()
    # The note in full in the claim's thread, and the notifications of this transition.
    discussion.transition_recorded(
        review=review, action=action, by=by, note=note, old_state=old_state
    )
    if action == Action.APPROVE:  # a correction keeps its first publication date
        corrected = review.first_published_at != review.published_at
        events_emit(event="claim.corrected" if corrected else "claim.published", subject=review)
    return review


def _update(
    *,
    review: Review,
    by: Any,
    verdict: str | None,
    rationale: str | None,
    evidence: Sequence[Mapping[str, Any]] | None,
) -> None:
    """What an `update` changes: the rationale (a typo), the sources; never the verdict.

    Call holding the review's row lock; a refusal raises before the publication is written
    and the transaction undoes any evidence change made before it.
    """
    live = review.live_publication
    if verdict and verdict != (live.verdict if live is not None else review.verdict):
        raise DomainError(
            "An update cannot change the verdict: reopen the review and publish a correction "
            "with its reason.",
            field="verdict",
        )
    changed = False
    if rationale is not None and rationale.strip() and rationale.strip() != review.rationale:
        review.rationale = rationale.strip()
        changed = True
    if evidence:
        _update_evidence(review=review, by=by, changes=evidence)
        changed = True
    if not changed:
        raise DomainError(
            "An update changes the rationale or the evidence; nothing here would change.",
            field="evidence",
        )
    _check_publishable(review, archived_counts=True)


def _update_evidence(*, review: Review, by: Any, changes: Sequence[Mapping[str, Any]]) -> None:
    """Apply an update's evidence changes, in order. Each item is one of:

    - `{"url", "stance", "title"?, "archive_url"?}`: attach a new source;
    - `{"id", "archive_url"?, "title"?, "stance"?, "note"?}`: revise a source;
    - `{"id", "remove": true}`: remove a source (with a new one: a replacement).
    """
    claim = review.claim
    for item in changes:
        try:
            if item.get("id"):
                found = Evidence.objects.filter(claim=claim, pk=item["id"]).first()
                if found is None:
                    raise DomainError(f"No evidence {item['id']} on this claim.")
                if item.get("remove"):
                    evidence_delete(evidence=found, by=by)
                else:
                    evidence_revise(
                        evidence=found,
                        by=by,
                        archive_url=item.get("archive_url"),
                        title=item.get("title"),
                        stance=item.get("stance"),
                        note=item.get("note"),
                    )
            else:
                evidence_attach(
                    claim=claim,
                    by=by,
                    url=str(item.get("url") or ""),
                    stance=str(item.get("stance") or ""),
                    title=str(item.get("title") or ""),
                    archive_url=str(item.get("archive_url") or ""),
                )
        except DomainError as exc:
            # One field for the whole list: the message names what was wrong.
            raise DomainError(exc.message, field="evidence") from exc


def _check_publishable(review: Review, *, archived_counts: bool = False) -> None:
    """Call while holding the review's row lock: evidence edits take the same lock first.

    `archived_counts`: for an update, a source whose link died but that has an archived copy
    still stands (archiving a dead source is what such an update is for).
    """
    if not review.verdict:
        raise DomainError("Publishing needs a verdict.", field="verdict")
    if not review.rationale.strip():
        raise DomainError("Publishing needs a rationale.", field="rationale")
    sources = list(review.claim.evidence.values_list("link__health", "archive_url"))
    if not sources:
        raise DomainError("Publishing needs at least one evidence link.", field="evidence")
    if all(
        health in UNPUBLISHABLE_HEALTHS and not (archived_counts and archive_url)
        for health, archive_url in sources
    ):
        raise DomainError(
            "Every evidence link is broken, dead or a soft 404; attach a working source"
            + (" or an archived copy." if archived_counts else "."),
            field="evidence",
        )


def _last_published_verdict(review: Review) -> str | None:
    record = (
        review.history.filter(state=State.PUBLISHED).order_by("-history_date").first()  # type: ignore[attr-defined]
    )
    return record.verdict if record else None


def review_claim_changed(*, claim_id: Any, expected_version: int | None = None) -> Review | None:
    """Call inside the transaction that edits a claim or its evidence, before the edit.

    Locks the claim's review (a concurrent transition waits for the edit, and the other way
    round) and bumps its version: the review's ETag covers what is reviewed, so an editor's
    approval never publishes a claim or evidence that changed after they loaded it (412).
    `expected_version`, when the caller sends the review's ETag, must still be current (412).
    Returns the locked review with its current state, or None for a claim without one.
    """
    # No join to the assignee under the lock (see review_transition).
    review = Review.objects.select_for_update().filter(claim_id=claim_id).first()
    if review is None:
        return None
    if expected_version is not None and expected_version != review.version:
        raise PreconditionFailed(
            "The claim's review changed since you loaded it; reload and try again.",
            extra={"current": review_current(review)},
        )
    # A queryset update: the version moves without a history record of its own (the edit of
    # the claim or evidence is recorded in their history).
    Review.objects.filter(pk=review.pk).update(version=F("version") + 1)
    review.version += 1
    return review


@transaction.atomic
def review_flag_rereview(
    *,
    claim_id: Any,
    reason: str,
    code: str = RereviewCode.EVIDENCE_UNVERIFIED,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> bool:
    """Raise one re-review reason on a published review and tell the people who own it.

    Only reviews with a live publication (published, or reopened while their published
    version stays online) get evidence reasons: work never published is looked at anyway.
    The verdict stays published (and visible), marked `needs_rereview` while a reason is
    open. A reason already open (same code and subject) is the same episode: nothing is
    written and nobody is told again. Returns whether the reason was new.
    """
    return review_raise_reasons(
        claim_id=claim_id,
        reasons=[Reason(code=code, message=reason, subject=subject, details=dict(details or {}))],
    )


def _on_record(review: Review) -> bool:
    """Published, or reopened while its published version stays online."""
    return review.state == State.PUBLISHED or review.live_publication_id is not None


def review_raise_reasons(*, claim_id: Any, reasons: Sequence[Reason]) -> bool:
    """`review_flag_rereview` for several reasons of one claim. Call inside a transaction."""
    review = Review.objects.select_for_update().filter(claim_id=claim_id).first()
    if review is None or not _on_record(review):
        return False
    new = reasons_raise(review=review, reasons=reasons)
    if not new:
        return False
    reasons_sync(review)
    review.version += 1
    review._change_reason = "needs re-review: " + "; ".join(r.message for r in new)  # type: ignore[attr-defined]
    review.save()
    enqueue_on_commit(notify_rereview, review.pk)
    return True


@transaction.atomic
def reviews_flag_stale_evidence(*, claim_ids: Iterable[Any], links: Mapping[int, str]) -> int:
    """Raise a reason per stale evidence link on the claims citing it (`evidence_broken`,
    `evidence_dead`, `evidence_soft_404`; subject the link). Returns how many reviews got one.
    """
    rows = Evidence.objects.filter(claim_id__in=list(claim_ids), link_id__in=list(links))
    per_claim: dict[Any, list[Reason]] = {}
    for claim_id, link_id, url in rows.order_by("created_at").values_list(
        "claim_id", "link_id", "url"
    ):
        health = links[link_id]
        per_claim.setdefault(claim_id, []).append(
            Reason(
                code=HEALTH_CODES.get(health, RereviewCode.EVIDENCE_UNVERIFIED),
                message=f"evidence link is {health}",
                subject=link_subject(link_id),
                details={"url": url, "health": health},
            )
        )
    return sum(review_raise_reasons(claim_id=c, reasons=r) for c, r in per_claim.items())


@transaction.atomic
def reviews_flag_unverified_evidence(*, claim_ids: Iterable[Any], links: Mapping[int, Any]) -> int:
    """Raise `evidence_unverified` per evidence link not verified for LINK_STALE_AFTER_DAYS
    (`annotations.signals.evidence_unverified`; subject the link, so once per episode).
    Returns how many reviews got one."""
    rows = Evidence.objects.filter(claim_id__in=list(claim_ids), link_id__in=list(links))
    per_claim: dict[Any, list[Reason]] = {}
    for claim_id, link_id, url in rows.order_by("created_at").values_list(
        "claim_id", "link_id", "url"
    ):
        last_ok = links[link_id]
        per_claim.setdefault(claim_id, []).append(
            Reason(
                code=RereviewCode.EVIDENCE_UNVERIFIED,
                message=(
                    f"evidence link not verified since {last_ok:%Y-%m-%d}"
                    if last_ok
                    else "evidence link never verified"
                ),
                subject=link_subject(link_id),
                details={"url": url, "last_ok_at": last_ok.isoformat() if last_ok else None},
            )
        )
    return sum(review_raise_reasons(claim_id=c, reasons=r) for c, r in per_claim.items())


@transaction.atomic
def reviews_flag_changed_evidence(*, claim_ids: Iterable[Any]) -> int:
    """Raise `evidence_changed` for each evidence whose page changed since it was attached."""
    rows = Evidence.objects.filter(claim_id__in=list(claim_ids), changed=True)
    per_claim: dict[Any, list[Reason]] = {}
    for claim_id, link_id, url in rows.order_by("created_at").values_list(
        "claim_id", "link_id", "url"
    ):
        per_claim.setdefault(claim_id, []).append(
            Reason(
                code=RereviewCode.EVIDENCE_CHANGED,
                message="evidence page changed",
                subject=link_subject(link_id),
                details={"url": url},
            )
        )
    return sum(review_raise_reasons(claim_id=c, reasons=r) for c, r in per_claim.items())


@transaction.atomic
def reviews_resolve_links(*, link_ids: Iterable[int]) -> int:
    """Links that work again: clear the open link reasons (broken, dead, soft 404,
    unverified) they raised, as resolved. Returns how many reviews changed."""
    subjects = [link_subject(link_id) for link_id in link_ids]
    review_ids = set(
        RereviewReason.objects.filter(
            subject__in=subjects, code__in=LINK_CODES, cleared_at__isnull=True
        ).values_list("review_id", flat=True)
    )
    reviews = list(Review.objects.select_for_update().filter(pk__in=review_ids).order_by("pk"))
    for review in reviews:
        for subject in subjects:
            reasons_clear(review=review, how="resolved", codes=LINK_CODES, subject=subject)
        reasons_sync(review)
        review.version += 1
        review._change_reason = "re-review reason resolved: the evidence link works again"  # type: ignore[attr-defined]
        review.save()
    return len(reviews)


def review_flag_rereview_many(
    *,
    reasons: Mapping[Any, str],
    changes: Mapping[Any, Mapping[str, Any]] | None = None,
    by: Any = None,
) -> int:
    """Raise a wording reason on the reviews of several claims in one pass.

    For a new article revision that changed the words a claim quotes (`wording_changed`,
    with the words before and after) or left them nowhere (`claim_orphaned`): `reasons` is
    claim id -> the message, `changes` claim id -> {"code", "before", "after", "revision"}
    (`annotations.signals.claims_wording_changed`). Reviews in any state get the reason, since
    the reviewer may be checking words the article no longer says, also when they were
    flagged for something else already; the published version keeps the words it was checked
    on. Owners of published verdicts are told of each new reason. Returns how many reviews got
    a new reason.
    """
    if not reasons:
        return 0
    changes = changes or {}
    reviews = list(
        Review.objects.select_for_update().filter(claim_id__in=list(reasons)).order_by("pk")
    )
    items: list[tuple[Review, Reason]] = []
    for review in reviews:
        change = changes.get(review.claim_id, {})
        code = change.get("code") or RereviewCode.WORDING_CHANGED
        items.append(
            (
                review,
                Reason(
                    code=code,
                    message=reasons[review.claim_id],
                    subject="wording" if code == RereviewCode.WORDING_CHANGED else "anchor",
                    details={k: change[k] for k in ("before", "after", "revision") if k in change},
                ),
            )
        )
    raised = {reason.review_id for reason in reasons_raise_many(items=items)}
    flagged = [review for review in reviews if review.pk in raised]
    reasons_sync_many(flagged)
    now = timezone.now()
    for review in flagged:
        review.version += 1
        review.updated_at = now  # rows_update skips auto_now
    rows_update(Review, flagged, ("needs_rereview", "rereview_reason", "version", "updated_at"))
    history_record_rows(
        Review, [r.pk for r in flagged], reason="needs re-review: anchor changed", by=by, when=now
    )
    for review in flagged:
        if _on_record(review):  # a new reason is news, flagged or not
            enqueue_on_commit(notify_rereview, review.pk)
    return len(flagged)


# --- Edits of a claim and its evidence, under the review's lock --------------------------------
# The interface (API, web desk, admin) edits claims through these: they decide who may and
# what the review allows, take the review's row lock, then call the annotations service.


@transaction.atomic
def claim_edit(
    *,
    claim: Claim,
    by: Any,
    claimant: str | None = None,
    summary: str | None = None,
    tags: list[str] | None = None,
    expected_version: int | None = None,
    start: int | None = None,
    end: int | None = None,
    utf16_start: int | None = None,
    utf16_end: int | None = None,
) -> Claim:
    """Edit a claim's claimant, summary or tags (`annotations.services.claims.claim_update`),
    and its span when `start`/`end` (or their UTF-16 forms) are given (`claim_respan`, first,
    in the same transaction).

    `expected_version` is the claim's version the caller last read (see
    `annotations.services.claims.claim_lock`: a stale one is a 412 before anything is written).
    Every edit bumps the claim's version, and locks and bumps the review's (its ETag covers
    what is reviewed): an approval sent with the review's old ETag gets a 412, so it never
    publishes words the approver never saw. Locks are taken claim first, then review, as
    re-anchoring takes them.
    A published claim's claimant and summary are part of the published fact check: they
    cannot change silently. Reopen the review, edit, and republish with a reason (that
    publication is a correction). Tags are desk metadata and stay editable.
    """
    if not claim_may_edit(by, claim):
        raise Forbidden(
            "Only the claim's assignee, its author while unassigned, or an editor may edit it."
        )
    span = {"start": start, "end": end, "utf16_start": utf16_start, "utf16_end": utf16_end}
    if any(value is not None for value in span.values()):
        claim = claim_respan(claim=claim, by=by, expected_version=expected_version, **span)
        expected_version = claim.version
    claim = claim_lock(claim_id=claim.pk, expected_version=expected_version)
    changes = claim_changes(claim=claim, claimant=claimant, summary=summary, tags=tags)
    if not changes:
        return claim
    review = review_claim_changed(claim_id=claim.pk)
    public = {"claimant", "summary"} & set(changes)
    if review is not None and review.state == State.PUBLISHED and public:
        raise Conflict(
            f"The {' and '.join(sorted(public))} of a published claim cannot change "
            "silently: reopen the review, edit, and republish with the reason (a correction).",
            code="published",
        )
    return claim_update(claim=claim, by=by, **changes)


@transaction.atomic
def claim_remove(*, claim: Claim, by: Any) -> None:
    """Delete a claim that was never published (with its review and evidence).

    Nothing once published is erased: a claim whose verdict was ever published is refused
    whatever its review does now (reopened, in progress again), by the one rule
    `reviews.selectors.claims_ever_published`. Its corrections are PROTECTed as well.
    """
    if not claim_may_edit(by, claim):
        raise Forbidden(
            "Only the claim's assignee, its author while unassigned, or an editor may delete it."
        )
    # The review's row lock: a concurrent approval either lands first (then this refuses)
    # or waits and finds nothing to publish.
    review_claim_changed(claim_id=claim.pk)
    if claims_ever_published(claim_ids=[claim.pk]):
        raise Conflict(
            "This claim's verdict was published, and a published fact check is never "
            "deleted: reopen it and publish a correction instead.",
            code="published",
        )
    claim_delete(claim=claim, by=by)


@transaction.atomic
def claim_respan(
    *,
    claim: Claim,
    by: Any,
    start: int | None = None,
    end: int | None = None,
    utf16_start: int | None = None,
    utf16_end: int | None = None,
    expected_version: int | None = None,
) -> Claim:
    """Adjust a claim's span before publication (`annotations.services.claims.claim_respan`:
    validated as a new claim is).

    The words of a claim whose verdict was ever published are the words it was checked on:
    refused (409) whatever its review does now, by `claims_ever_published`. Locks the article,
    the claim (`expected_version`: a stale one is a 412) and the review, whose version is
    bumped as for any edit of what is reviewed. Every refusal writes nothing.
    """
    if not claim_may_edit(by, claim):
        raise Forbidden(
            "Only the claim's assignee, its author while unassigned, or an editor may adjust "
            "its span."
        )
    claim = claim_lock_with_article(claim_id=claim.pk, expected_version=expected_version)
    review_claim_changed(claim_id=claim.pk)
    if claims_ever_published(claim_ids=[claim.pk]):
        raise Conflict(
            "This claim's verdict was published on these words: its span cannot change. "
            "Mark the passage as a new claim instead.",
            code="published",
        )
    return annotations_claim_respan(
        claim=claim,
        by=by,
        start=start,
        end=end,
        utf16_start=utf16_start,
        utf16_end=utf16_end,
    )


@transaction.atomic
def claims_merge(
    *, claim: Claim, other: Claim, by: Any, expected_version: int | None = None
) -> Claim:
    """Merge `other` into `claim` (two claims of one article marked for the same statement).

    `claim` stays, with its span and review; `other`'s evidence (`claim_absorb`), its
    discussion (comments, transition notes) and its notifications move to it, and `other` is
    deleted with its review. Refused (409) when either claim was ever published (nothing
    published is erased) or they belong to different articles (400). The caller must be
    allowed to edit both. Locks the article, both claims (in id order) and both reviews;
    `expected_version` is `claim`'s version as the caller last read it. Every refusal writes
    nothing.
    """
    if claim.pk == other.pk:
        raise DomainError("A claim cannot be merged with itself.", field="other")
    if claim.article_id != other.article_id:
        raise DomainError("Only claims of the same article can be merged.", field="other")
    if not (claim_may_edit(by, claim) and claim_may_edit(by, other)):
        raise Forbidden(
            "Merging needs the right to edit both claims (their assignee, their author while "
            "unassigned, or an editor)."
        )
    locked: dict[Any, Claim] = {}
    for pk in sorted([claim.pk, other.pk], key=str):
        locked[pk] = claim_lock_with_article(
            claim_id=pk, expected_version=expected_version if pk == claim.pk else None
        )
    kept, gone = locked[claim.pk], locked[other.pk]
    reviews = {pk: review_claim_changed(claim_id=pk) for pk in sorted(locked, key=str)}
    published = claims_ever_published(claim_ids=[kept.pk, gone.pk])
    if published:
        which = (
            "Both claims were"
            if len(published) == 2
            else ("This claim was" if kept.pk in published else "The other claim was")
        )
        raise Conflict(
            f"{which} published, and a published fact check is never merged away or deleted.",
            code="published",
        )
    kept_review, gone_review = reviews[kept.pk], reviews[gone.pk]
    if kept_review is not None and gone_review is not None:
        Comment.objects.filter(review=gone_review).update(review=kept_review)
    Notification.objects.filter(claim_id=gone.pk).update(claim_id=kept.pk)
    return claim_absorb(claim=kept, other=gone, by=by)


# The evidence of a published check is part of the public record: it changes only through a
# logged `update` (an editor) or a `reopen` and a new approval.
PUBLISHED_EVIDENCE = (
    "The evidence of a published claim cannot change outside the workflow: reopen the claim, "
    "or an editor makes an update (action 'update')."
)


@transaction.atomic
def evidence_add(
    *,
    claim: Claim,
    by: Any,
    url: str,
    stance: str,
    title: str = "",
    note: str = "",
    archive_url: str = "",
) -> Evidence:
    """Cite a link as evidence for the claim (`annotations.services.evidence.evidence_attach`).

    Takes the review's row lock and bumps its version first (see `review_claim_changed`): an
    approval in flight either sees the new evidence or is refused as stale.
    """
    if not claim_may_edit(by, claim):
        raise Forbidden(
            "Only the claim's assignee, its author while unassigned, or an editor may add evidence."
        )
    review = review_claim_changed(claim_id=claim.pk)
    if review is not None and review.state == State.PUBLISHED:
        raise Conflict(PUBLISHED_EVIDENCE, code="published")
    return evidence_attach(
        claim=claim,
        by=by,
        url=url,
        stance=stance,
        title=title,
        note=note,
        archive_url=archive_url,
    )


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: Any) -> None:
    """Remove evidence of a claim that is not published (`annotations.services.evidence.evidence_delete`)."""
    if not (
        is_editor(by) or (evidence.added_by_id == by.pk and claim_may_edit(by, evidence.claim))
    ):
        raise Forbidden(
            "Only an editor, or the person who added this evidence while they work on the "
            "claim, may remove it."
        )
    review = review_claim_changed(claim_id=evidence.claim_id)
    if review is not None and review.state == State.PUBLISHED:
        raise Conflict(PUBLISHED_EVIDENCE, code="published")
    evidence_delete(evidence=evidence, by=by)


@transaction.atomic
def evidence_edit(
    *,
    evidence: Evidence,
    by: Any,
    stance: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Evidence:
    """Edit an evidence item's stance, title or note (`annotations.services.evidence.
    evidence_revise`), under the review's lock like `evidence_add`.

    The sources of a published claim change only through an editor's `update` (409 here).
    Who may: whoever may edit the claim. Nothing changed writes nothing (no version bump).
    """
    if not claim_may_edit(by, evidence.claim):
        raise Forbidden(
            "Only the claim's assignee, its author while unassigned, or an editor may edit "
            "its evidence."
        )
    if not evidence_changes(evidence=evidence, title=title, stance=stance, note=note):
        return evidence
    review = review_claim_changed(claim_id=evidence.claim_id)
    if review is not None and review.state == State.PUBLISHED:
        raise Conflict(PUBLISHED_EVIDENCE, code="published")
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    return evidence_revise(evidence=evidence, by=by, title=title, stance=stance, note=note)
