"""Exports of published fact checks as data sets.

FEVER-style JSONL (https://fever.ai/dataset/fever.html): one published claim per line with
a FEVER label mapped from its verdict and the evidence the desk relied on. FEVER's evidence
points at Wikipedia sentences; ours are the evidence links (URL, title, stance), so the
`evidence` field is a list of objects rather than FEVER's nested sentence ids.

    true, mostly_true                  -> SUPPORTS
    false, mostly_false                -> REFUTES
    mixed, misleading, unproven        -> NOT ENOUGH INFO (verifiable: NOT VERIFIABLE)

Each line is the claim's live publication (`Review.live_publication`), as the public page, the
ClaimReview and the feed serve it: the verdict, rationale, words and evidence as published,
also while the check is reopened for a correction; each evidence link's `health` is its
link's now. Oldest publication first (`Review.published_at`, as the feed orders).

Streamed: plain rows in chunks (`iterator()` on a server-side cursor, each chunk's link
healths in one query), so the export holds one chunk in memory whatever the number of claims.
The last line is `{"end_of_export": true, "lines": N}` (N records before it): an export cut
short (a worker killed, a connection dropped) lacks it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from annotations.models import Link
from reviews.models import Review

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


# The columns a line reads, as plain rows: no model instances, nothing parsed that the line
# does not print (a model per claim, article, review, evidence and link was most of the
# export's time).
_COLUMNS = (
    "claim_id",
    "live_publication__summary",
    "live_publication__exact",
    "live_publication__claimant",
    "live_publication__verdict",
    "live_publication__rationale",
    "published_at",
    "live_publication__evidence",
    "claim__article_id",
    "claim__article__url",
    "claim__article__title",
    "claim__article__publisher",
)


def fever_reviews(*, since: datetime | None = None) -> QuerySet[Review]:
    """Reviews with a live publication, oldest publication first."""
    reviews = Review.objects.filter(live_publication__isnull=False).order_by(
        "published_at", "claim_id"
    )
    if since is not None:
        reviews = reviews.filter(published_at__gte=since)
    return reviews


def _healths(rows: list[tuple[Any, ...]]) -> dict[str, str]:
    """The health of each evidence URL of these rows, in one query."""
    urls = {e["url"] for row in rows for e in row[7] or ()}
    return dict(Link.objects.filter(url__in=urls).values_list("url", "health"))


def fever_record(row: tuple[Any, ...], healths: dict[str, str]) -> dict[str, Any]:
    """One line: a row of `_COLUMNS`, with the link healths of its evidence."""
    (claim_id, summary, exact, claimant, verdict, rationale, published_at, evidence, article_id,
     url, title, publisher) = row  # fmt: skip
    label = fever_label(verdict)
    return {
        "id": str(claim_id),
        "verifiable": "NOT VERIFIABLE" if label == NOT_ENOUGH_INFO else "VERIFIABLE",
        "label": label,
        "claim": summary or exact,
        "quote": exact,
        "claimant": claimant,
        "verdict": verdict,
        "rationale": rationale,
        "published_at": published_at.isoformat() if published_at else None,
        "article": {"id": str(article_id), "url": url, "title": title, "publisher": publisher},
        "evidence": [
            {
                "url": e["url"],
                "title": e["title"],
                "stance": e["stance"],
                "archive_url": e["archive_url"],
                "health": healths.get(e["url"], "unchecked"),
            }
            for e in evidence or ()
        ],
    }


def fever_end(count: int) -> dict[str, Any]:
    """The export's last line: a client that does not find it holds a cut export."""
    return {"end_of_export": True, "lines": count}


def fever_lines(*, since: datetime | None = None) -> Iterator[str]:
    """The records, read in chunks on a server-side cursor (PostgreSQL) with each chunk's
    link healths in one query, then `fever_end`."""
    count = 0
    rows = fever_reviews(since=since).values_list(*_COLUMNS).iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(rows, CHUNK_SIZE)):
        healths = _healths(chunk)
        for row in chunk:
            count += 1
            yield json.dumps(fever_record(row, healths), ensure_ascii=False) + "\n"
    yield json.dumps(fever_end(count)) + "\n"
