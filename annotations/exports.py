"""Exports of published fact checks as data sets.

FEVER-style JSONL (https://fever.ai/dataset/fever.html): one published claim per line with
a FEVER label mapped from its verdict and the evidence the desk relied on. FEVER's evidence
points at Wikipedia sentences; ours are the evidence links (URL, title, stance), so the
`evidence` field is a list of objects rather than FEVER's nested sentence ids.

    true, mostly_true                  -> SUPPORTS
    false, mostly_false                -> REFUTES
    mixed, misleading, unproven        -> NOT ENOUGH INFO (verifiable: NOT VERIFIABLE)

Streamed: the claims are read as plain rows in chunks (`iterator()` on a server-side cursor,
each chunk's evidence in one query), so the export holds one chunk in memory whatever the
number of claims. The last line
is `{"end_of_export": true, "lines": N}` (N records before it): an export cut short (a
worker killed, a connection dropped) lacks it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import QuerySet

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


# The columns a line reads, as plain rows: no model instances, nothing parsed that the line
# does not print (a model per claim, article, review, evidence and link was most of the
# export's time).
_CLAIM_COLUMNS = (
    "pk",
    "summary",
    "exact",
    "claimant",
    "review__verdict",
    "review__rationale",
    "review__published_at",
    "article_id",
    "article__url",
    "article__title",
    "article__publisher",
)
_EVIDENCE_COLUMNS = ("claim_id", "url", "title", "stance", "archive_url", "link__health")


def fever_claims(*, since: datetime | None = None) -> QuerySet[Claim]:
    """Published claims, oldest publication first."""
    claims = Claim.objects.filter(review__state="published").order_by("review__published_at", "pk")
    if since is not None:
        claims = claims.filter(review__published_at__gte=since)
    return claims


def _evidence_of(claim_ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    by_claim: dict[Any, list[dict[str, Any]]] = {pk: [] for pk in claim_ids}
    rows = (
        Evidence.objects.filter(claim_id__in=claim_ids)
        .order_by("created_at", "pk")
        .values_list(*_EVIDENCE_COLUMNS)
    )
    for claim_id, url, title, stance, archive_url, health in rows:
        by_claim[claim_id].append(
            {
                "url": url,
                "title": title,
                "stance": stance,
                "archive_url": archive_url,
                "health": health,
            }
        )
    return by_claim


def fever_record(row: tuple[Any, ...], evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """One line: a row of `_CLAIM_COLUMNS` and the claim's evidence."""
    (pk, summary, exact, claimant, verdict, rationale, published_at, article_id, url, title,
     publisher) = row  # fmt: skip
    label = fever_label(verdict)
    return {
        "id": str(pk),
        "verifiable": "NOT VERIFIABLE" if label == NOT_ENOUGH_INFO else "VERIFIABLE",
        "label": label,
        "claim": summary or exact,
        "quote": exact,
        "claimant": claimant,
        "verdict": verdict,
        "rationale": rationale,
        "published_at": published_at.isoformat() if published_at else None,
        "article": {"id": str(article_id), "url": url, "title": title, "publisher": publisher},
        "evidence": evidence,
    }


def fever_end(count: int) -> dict[str, Any]:
    """The export's last line: a client that does not find it holds a cut export."""
    return {"end_of_export": True, "lines": count}


def fever_lines(*, since: datetime | None = None) -> Iterator[str]:
    """The records, read in chunks on a server-side cursor (PostgreSQL) with each chunk's
    evidence in one query, then `fever_end`."""
    count = 0
    rows = fever_claims(since=since).values_list(*_CLAIM_COLUMNS).iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(rows, CHUNK_SIZE)):
        evidence = _evidence_of([row[0] for row in chunk])
        for row in chunk:
            count += 1
            yield json.dumps(fever_record(row, evidence[row[0]]), ensure_ascii=False) + "\n"
    yield json.dumps(fever_end(count)) + "\n"
