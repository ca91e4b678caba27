"""Load the seed articles of `seeds/` through the same services the API uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations.demosite import DEMO_DIR, article_html, demo_story
from annotations.models import Article, ArticleRevision, Claim, TextSource
from annotations.services.article_fetch import page_read
from annotations.services.articles import article_submit
from annotations.services.claims import claim_create
from factcheck.egress.fetcher import FetchResult
from reviews.services import evidence_add, review_transition
from reviews.workflow import Action, State

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
# The demo article's first watch: soon after `make run` starts (its page is edited by then).
DEMO_FIRST_WATCH_SECONDS = 60


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
    _user("demo-reviewer")  # both demo users are there before anything is written
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
    _claims_load(article=article, claims=data.get("claims", []), report=report)


def _claims_load(*, article: Article, claims: list[dict[str, Any]], report: SeedReport) -> None:
    """Mark the seed's claims (those not marked yet) with their evidence and review steps."""
    reviewer = _user("demo-reviewer")
    editor = _user("demo-editor")
    for spec in claims:
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


@transaction.atomic
def demo_article_load(*, base_url: str, directory: Path = DEMO_DIR) -> SeedReport:
    """The demo site's article (annotations.demosite), stored as if fetched from
    `base_url` + its path: version 1 of its page, read by the same extraction as a fetch, and
    watched, its next fetch a minute away. Reads nothing over the network (the site is not
    running yet when `bootstrap` calls this). Safe to run again."""
    story = demo_story(directory)
    url = base_url.rstrip("/") + story["path"]
    report = SeedReport()
    _user("demo-reviewer")
    editor = _user("demo-editor")
    body = article_html(story, 0).encode("utf-8")
    page = page_read(
        url,
        FetchResult(
            url=url,
            final_url=url,
            status_code=200,
            headers={"content-type": "text/html; charset=utf-8"},
            body=body,
            method="GET",
        ),
    )
    if not page.ok or page.extraction is None:
        raise ValueError(f"The demo article does not extract: {page.error} {page.message}")
    read = page.extraction
    outcome = article_submit(
        by=editor,
        url=url,
        title=read.title or story["article"]["title"],
        text=page.text,
        byline=read.byline,
        publisher=read.publisher,
        published_at=read.published_at,
        language=read.language,
    )
    article: Article = outcome.article
    if outcome.status == "created":
        report.articles_created += 1
        now = timezone.now()
        Article.objects.filter(pk=article.pk).update(
            text_source=TextSource.FETCHED,
            last_fetch_attempt_at=now,
            last_fetched_at=now,
            next_fetch_at=now + timedelta(seconds=DEMO_FIRST_WATCH_SECONDS),
        )
        ArticleRevision.objects.filter(article=article).update(origin=TextSource.FETCHED)
    site = base_url.rstrip("/")
    claims = [
        {
            **spec,
            "evidence": [
                {**ev, "url": ev["url"].replace("{site}", site)} for ev in spec["evidence"]
            ],
        }
        for spec in story.get("claims", [])
    ]
    _claims_load(article=article, claims=claims, report=report)
    return report
