"""How the desk's claim lists are filtered and sorted: one set of rules for the API's
`GET /api/v1/claims/` (annotations.api.filters) and the queue (annotations.web.queries).

Search and the claimant filter are `annotations.search`; the review's fields (assignee,
deadline, priority) are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from annotations.search import claims_rank_window
from factcheck.errors import DomainError
from reviews.deadlines import overdue_q, priority_value

# ordering= names (a leading "-" reverses) -> the attribute the list sorts by. Each is a
# column or an annotation of the claim itself: the cursor pagination reads its value off the
# last row of a page.
ORDERINGS = {
    "created": "created_at",
    "created_at": "created_at",
    "updated": "updated_at",
    "updated_at": "updated_at",
    "due": "due_sort",
    "due_at": "due_sort",
    "priority": "priority_sort",
    # The position in the article (earlier clients order by it).
    "start": "start",
    "rank": "search_rank",
}
DEFAULT_ORDERING = ("-created_at", "-id")
# Claims without a deadline sort after every deadline, whichever way.
_NO_DEADLINE_LAST = datetime(9999, 1, 1, tzinfo=UTC)
_NO_DEADLINE_FIRST = datetime(1970, 1, 1, tzinfo=UTC)


def assignee_q(value: str, *, user: Any) -> Q:
    """`me`, `none` (nobody), or a username."""
    if value == "me":
        return Q(review__assignee_id=getattr(user, "pk", None))
    if value == "none":
        return Q(review__assignee__isnull=True)
    return Q(review__assignee__username=value)


def priority_q(names: Sequence[str], *, field: str = "priority") -> Q:
    return Q(review__priority__in=[priority_value(n, field=field) for n in names])


def overdue_filter(value: bool, *, now: datetime | None = None) -> Q:
    overdue = overdue_q(now=now, prefix="review__")
    return overdue if value else ~overdue


def claims_ordering(
    queryset: QuerySet[Any], terms: Sequence[str], *, field: str = "ordering"
) -> tuple[QuerySet[Any], tuple[str, ...]]:
    """The queryset with what `terms` sort by annotated, and the order_by() tuple: the terms,
    then the newest first and the id (a total order, as cursor pages need). No terms: by
    search rank when the queryset was searched, else the newest first. Ordered by rank first,
    the queryset is cut to its newest matches (`annotations.search.claims_rank_window`).

    An unknown term is a DomainError naming `field`.
    """
    searched = "search_rank" in queryset.query.annotations
    chosen: list[str] = []
    for term in terms:
        name = term.strip()
        if not name:
            continue
        descending = name.startswith("-")
        attribute = ORDERINGS.get(name.lstrip("-"))
        if attribute is None or (attribute == "search_rank" and not searched):
            valid = [n for n in ORDERINGS if n != "rank" or searched]
            raise DomainError(
                f"Cannot order by {name!r}. Choose from: {', '.join(valid)} "
                "(a leading '-' for descending).",
                field=field,
            )
        if attribute == "due_sort":
            last = _NO_DEADLINE_FIRST if descending else _NO_DEADLINE_LAST
            queryset = queryset.annotate(
                due_sort=Coalesce("review__due_at", Value(last), output_field=DateTimeField())
            )
        elif attribute == "priority_sort":
            queryset = queryset.annotate(priority_sort=F("review__priority"))
        key = f"-{attribute}" if descending else attribute
        if all(c.lstrip("-") != attribute for c in chosen):
            chosen.append(key)
    if not chosen and searched:
        chosen.append("-search_rank")
    if chosen and chosen[0].lstrip("-") == "search_rank":
        queryset = claims_rank_window(queryset)
    ordering = tuple(chosen) + tuple(
        d for d in DEFAULT_ORDERING if all(c.lstrip("-") != d.lstrip("-") for c in chosen)
    )
    return queryset, ordering
