"""Writes for evidence: a link cited for a claim, checked and archived.

Who may, and the review's lock: `reviews.services.evidence_add`, `evidence_remove`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotations.linkhealth.archive import evidence_request_archive
from annotations.linkhealth.links import link_get_or_create, link_schedule_check
from annotations.linkhealth.staleness import (
    claims_staleness_refresh,
    evidence_staleness_refresh,
    stale_hosts_refresh,
)
from annotations.models import Claim, Evidence, Link, Stance
from annotations.services.snapshots import evidence_request_capture, snapshot_mark_removed
from factcheck.db import column_max_length
from factcheck.errors import Conflict, DomainError
from factcheck.urlnorm import InvalidURL, browser_url, canonical_url


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
        canonical = canonical_url(url, max_length=column_max_length(Link, "url"))
        # Stored as the browser reads it: the link shown opens the page that is checked.
        url = browser_url(url, max_length=column_max_length(Evidence, "url"))
    except InvalidURL as exc:
        raise DomainError(str(exc), field="url") from exc
    if archive_url:
        try:
            archive_url = canonical_url(
                archive_url, max_length=column_max_length(Evidence, "archive_url")
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
    # Cited from a link already known broken: stale from the start.
    evidence_staleness_refresh(evidence_ids=[evidence.pk])
    if created or link.health == "unchecked":
        link_schedule_check(link=link)
    if not archive_url:
        # Keep a record of the page as the reviewer relied on it, found by the archive.
        evidence_request_archive(evidence_id=evidence.pk)
    # And the desk's own copy of it, as cited (annotations.snapshots).
    evidence_request_capture(evidence_id=evidence.pk)
    return evidence


def evidence_delete(*, evidence: Evidence, by: Any) -> None:
    """Remove evidence, recording who did. Who may, and whether the claim's review allows
    it, are decided by `reviews.services.evidence_remove`, which calls this."""
    evidence._history_user = by  # type: ignore[attr-defined]
    # The snapshot outlives its evidence for EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS.
    snapshot_mark_removed(evidence_id=evidence.pk)
    claim_id, host = evidence.claim_id, evidence.stale_host
    evidence.delete()
    claims_staleness_refresh(claim_ids=[claim_id])
    if host:
        stale_hosts_refresh(hosts=[host])


def evidence_revise(
    *,
    evidence: Evidence,
    by: Any,
    archive_url: str | None = None,
    title: str | None = None,
    stance: str | None = None,
    note: str | None = None,
) -> Evidence:
    """Set an evidence's archived copy, title, stance or note (None leaves a field as it is),
    recording who. Nothing changed writes nothing.

    Who may, and when (a published claim's evidence changes only in an editor's `update`),
    are decided by `reviews.services`, which calls this holding the review's row lock.
    """
    changed: list[str] = []
    if archive_url is not None:
        if archive_url:
            try:
                archive_url = canonical_url(
                    archive_url, max_length=column_max_length(Evidence, "archive_url")
                )
            except InvalidURL as exc:
                raise DomainError(str(exc), field="archive_url") from exc
        if archive_url != evidence.archive_url:
            evidence.archive_url = archive_url
            changed.append("archive_url")
    if title is not None:
        title = title.strip()
        if len(title) > column_max_length(Evidence, "title"):
            raise DomainError("The title is too long.", field="title")
        if title != evidence.title:
            evidence.title = title
            changed.append("title")
    if stance is not None:
        if stance not in Stance.values:
            raise DomainError(
                f"{stance!r} is not a stance. Choose one of: {', '.join(Stance.values)}.",
                field="stance",
            )
        if stance != evidence.stance:
            evidence.stance = stance
            changed.append("stance")
    if note is not None and note.strip() != evidence.note:
        evidence.note = note.strip()
        changed.append("note")
    if changed:
        evidence._history_user = by  # type: ignore[attr-defined]
        evidence.save(update_fields=changed)
    return evidence


def evidence_changes(
    *,
    evidence: Evidence,
    title: str | None = None,
    stance: str | None = None,
    note: str | None = None,
) -> set[str]:
    """The fields an edit would change (the reviews services ask before taking locks)."""
    given = {"title": title, "stance": stance, "note": note}
    return {
        name
        for name, value in given.items()
        if value is not None and value.strip() != getattr(evidence, name)
    }
