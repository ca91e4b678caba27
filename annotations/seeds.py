"""Load the seed articles of `seeds/` through the same services the API uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.dateparse import parse_datetime

from annotations.models import Article, Claim
from annotations.services.articles import article_submit
from annotations.services.claims import claim_create
from reviews.services import evidence_add, review_transition
from reviews.workflow import Action, State

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"


@dataclass
class SeedReport:
    articles_created: int = 0
    claims_created: int = 0
    evidence_created: int = 0
    skipped: list[str] = field(default_factory=list)


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"The seed needs the user {username!r}; run create_demo_users first.")
    return user


def seeds_load(*, directory: Path = SEEDS_DIR) -> SeedReport:
    report = SeedReport()
    for path in sorted(directory.glob("*.json")):
        _seed_file_load(path=path, report=report)
    return report


@transaction.atomic
def _seed_file_load(*, path: Path, report: SeedReport) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    reviewer = _user("demo-reviewer")
    editor = _user("demo-editor")
    meta = data["article"]
    outcome = article_submit(
        by=editor,
        url=meta["url"],
        title=meta["title"],
        text=meta["text"],
        byline=meta.get("byline", ""),
        publisher=meta.get("publisher", ""),
        published_at=parse_datetime(meta["published_at"]) if meta.get("published_at") else None,
        language=meta.get("language", ""),
    )
    article: Article = outcome.article
    report.articles_created += outcome.status == "created"
    for spec in data.get("claims", []):
        if Claim.objects.filter(article=article, exact=spec["exact"]).exists():
            report.skipped.append(spec["exact"][:40])
            continue
        claim = claim_create(
            article=article,
            by=reviewer,
            exact=spec["exact"],
            claimant=spec.get("claimant", ""),
            summary=spec.get("summary", ""),
            tags=spec.get("tags", []),
        )
        report.claims_created += 1
        for ev in spec.get("evidence", []):
            evidence_add(
                claim=claim,
                by=reviewer,
                url=ev["url"],
                stance=ev["stance"],
                title=ev.get("title", ""),
                note=ev.get("note", ""),
            )
            report.evidence_created += 1
        review = spec.get("review", {})
        target = review.get("state", State.UNASSIGNED)
        steps: list[tuple[Any, str, dict[str, Any]]] = []
        if target in (State.IN_PROGRESS, State.IN_REVIEW, State.PUBLISHED):
            steps.append((reviewer, Action.TAKE, {}))
        if target in (State.IN_REVIEW, State.PUBLISHED):
            steps.append(
                (
                    reviewer,
                    Action.SUBMIT,
                    {"verdict": review["verdict"], "rationale": review["rationale"]},
                )
            )
        if target == State.PUBLISHED:
            steps.append((editor, Action.APPROVE, {}))
        if target == State.NOT_CHECKABLE:
            steps.append((editor, Action.MARK_NOT_CHECKABLE, {"note": review.get("note", "")}))
        for actor, action, kwargs in steps:
            current = claim.review
            current.refresh_from_db()
            review_transition(
                review_id=current.pk,
                by=actor,
                action=action,
                expected_version=current.version,
                **kwargs,
            )
