"""Counts and pages whose cost does not grow with the table: a count reads at most a cap of
rows (an index range, LIMIT cap + 1), and above it reads "1,000+"."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 1000


class AtLeast(int):
    """A count cut off at its cap: `AtLeast(1000)` reads "1,000+" (and compares as 1000)."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


def capped_count(rows: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """How many rows, reading at most cap + 1 of them (`AtLeast(cap)` when there are more)."""
    n = rows.order_by()[: cap + 1].count()
    return AtLeast(cap) if n > cap else n


class CappedPaginator(Paginator):
    """Pages whose count reads at most `cap` + 1 rows: beyond the cap the count reads
    "1,000+" and the pages stop at the cap (filters narrow a list that long)."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, cap=self.cap)  # type: ignore[arg-type]


class AdminPaginator(CappedPaginator):
    """The admin's changelists of tables that grow by millions (checks, claims, history):
    counted up to 10,000 rows; with ModelAdmin.show_full_result_count = False nothing counts
    the whole table."""

    cap = 10_000
