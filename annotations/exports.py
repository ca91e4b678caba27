"""Exports of published fact checks as data sets.

FEVER-style JSONL (https://fever.ai/dataset/fever.html): one published claim per line with
a FEVER label mapped from its verdict and the evidence the desk relied on. FEVER's evidence
points at Wikipedia sentences; ours are the evidence links (URL, title, stance), so the
`evidence` field is a list of objects rather than FEVER's nested sentence ids.

    true, mostly_true                  -> SUPPORTS
    false, mostly_false                -> REFUTES
    mixed, misleading, unproven        -> NOT ENOUGH INFO (verifiable: NOT VERIFIABLE)

Streamed: the claims are read in chunks (`iterator()` with their evidence prefetched per
chunk), so the export holds one chunk in memory whatever the number of claims. The last line
is `{"end_of_export": true, "lines": N}` (N records before it): an export cut short (a
worker killed, a connection dropped) lacks it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from annotations.models import Claim, Evidence

SUPPORTS = "SUPPORTS"
REFUTES = "REFUTES"
NOT_ENOUGH_INFO = "NOT ENOUGH INFO"
FEVER_LABELS: dict[str, str] = {
    "true": SUPPORTS,
    "mostly_true": SUPPORTS,
    "false": REFUTES,
    "mostly_false": REFUTES,
    "mixed": NOT_ENOUGH_INFO,
    "misleading": NOT_ENOUGH_INFO,
    "unproven": NOT_ENOUGH_INFO,
}
CHUNK_SIZE = 2000


def fever_label(verdict: str) -> str:
    return FEVER_LABELS.get(verdict, NOT_ENOUGH_INFO)


def fever_claims(*, since: datetime | None = None) -> QuerySet[Claim]:
    """Published claims, oldest publication first, with what a FEVER line needs."""
    evidence = Evidence.objects.select_related("link").order_by("created_at", "pk")
    claims = (
        Claim.objects.filter(review__state="published")
        .select_related("article", "review")
        .defer("article__text")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
        .order_by("review__published_at", "pk")
    )
    if since is not None:
        claims = claims.filter(review__published_at__gte=since)
    return claims


def fever_record(claim: Claim) -> dict[str, Any]:
    review: Any = claim.review  # type: ignore[attr-defined]
    label = fever_label(review.verdict)
    article = claim.article
    return {
        "id": str(claim.pk),
        "verifiable": "NOT VERIFIABLE" if label == NOT_ENOUGH_INFO else "VERIFIABLE",
        "label": label,
        "claim": claim.summary or claim.exact,
        "quote": claim.exact,
        "claimant": claim.claimant,
        "verdict": review.verdict,
        "rationale": review.rationale,
        "published_at": review.published_at.isoformat() if review.published_at else None,
        "article": {
            "id": str(article.pk),
            "url": article.url,
            "title": article.title,
            "publisher": article.publisher,
        },
        "evidence": [
            {
                "url": e.url,
                "title": e.title,
                "stance": e.stance,
                "archive_url": e.archive_url,
                "health": e.link.health,
            }
            for e in claim.evidence.all()
        ],
    }


def fever_end(count: int) -> dict[str, Any]:
    """The export's last line: a client that does not find it holds a cut export."""
    return {"end_of_export": True, "lines": count}


def fever_lines(*, since: datetime | None = None) -> Iterator[str]:
    """The records, read in chunks on a server-side cursor (PostgreSQL), then `fever_end`."""
    count = 0
    for claim in fever_claims(since=since).iterator(chunk_size=CHUNK_SIZE):
        count += 1
        yield json.dumps(fever_record(claim), ensure_ascii=False) + "\n"
    yield json.dumps(fever_end(count)) + "\n"
