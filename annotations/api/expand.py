"""Loads what `?expand=` adds to a page of a list, for the whole page at once.

`?expand=claims` on the article list: the claims of every article on the page in a fixed
number of queries (claims with their reviews, evidence, and the revision texts their UTF-16
offsets point into), whatever the page holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotations import selectors
from annotations.models import Article, Claim

CLAIMS_BY_ARTICLE = "claims_by_article"


def claims_for_page(*, user: Any, articles: Sequence[Article], context: Any) -> None:
    """Put the page's claims (by article id) and their offset maps into `context`."""
    by_article: dict[Any, list[Claim]] = {article.pk: [] for article in articles}
    if not by_article:
        context[CLAIMS_BY_ARTICLE] = by_article
        return
    claims = list(selectors.claim_list_of_articles(user=user, article_ids=list(by_article)))
    for claim in claims:
        by_article[claim.article_id].append(claim)
    maps = context.setdefault("offset_maps", {})
    maps.update(selectors.claims_offset_maps(claims, articles=articles))
    context[CLAIMS_BY_ARTICLE] = by_article
