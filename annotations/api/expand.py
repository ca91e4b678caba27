"""Loads what `?expand=` adds to a page of a list, for the whole page at once.

`?expand=claims` on the article list: the claims of every article on the page in a fixed
number of queries (claims with their reviews, evidence, and the revision texts their UTF-16
offsets point into), whatever the page holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotations import selectors
from annotations.anchoring import OffsetMap
from annotations.models import Article, ArticleRevision, Claim

CLAIMS_BY_ARTICLE = "claims_by_article"


def claims_for_page(*, user: Any, articles: Sequence[Article], context: Any) -> None:
    """Put the page's claims (by article id) and their offset maps into `context`."""
    by_article: dict[Any, list[Claim]] = {article.pk: [] for article in articles}
    if not by_article:
        context[CLAIMS_BY_ARTICLE] = by_article
        return
    claims = list(
        selectors.claim_list(user=user)
        .filter(article_id__in=list(by_article))
        .select_related(None)
        .select_related("revision", "created_by", "review", "review__assignee")
        .defer("revision__text")
        .order_by("article_id", "start", "end", "created_at", "pk")
    )
    texts = {(a.pk, a.current_revision): a.text for a in articles}
    maps: dict[int, OffsetMap] = context.setdefault("offset_maps", {})
    wanted: set[int] = set()
    for claim in claims:
        by_article[claim.article_id].append(claim)
        if claim.revision_id in maps:
            continue
        text = texts.get((claim.article_id, claim.revision.number))
        if text is not None:
            maps[claim.revision_id] = OffsetMap(text)
        else:
            wanted.add(claim.revision_id)
    if wanted:
        rows = ArticleRevision.objects.filter(pk__in=wanted).values_list("pk", "text")
        maps.update((pk, OffsetMap(text)) for pk, text in rows)
    context[CLAIMS_BY_ARTICLE] = by_article
