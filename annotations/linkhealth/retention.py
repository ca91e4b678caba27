"""Retention of link checks: the history stays bounded while every change of health is kept.

A link checked every few hours gathers thousands of checks a year that say nothing new. What is
kept of each link, whatever its age:
- every check whose health differs from the check before it (the first of each run: when a
  link broke, recovered, moved), so the link's story reads the same;
- its last `keep_last` checks (`LINKCHECK_RETENTION_KEEP_LAST`);
- its last `BROKEN_CHECKS_KEPT` broken or dead checks, which the classifier reads to tell a
  link that stays broken (dead) from one that failed once;
- everything younger than `older_than` (`LINKCHECK_RETENTION_MIN_AGE_DAYS`): a redelivered
  task finds its own attempt keys, and recent charts need no roll-up.
The rest is deleted. Every check was counted into `LinkCheckDay` (day, health, count) when it
was recorded (`check_days_add`, in the recording's transaction), so deleting one changes no
count: the stale-sources chart reads the roll-ups alone and reads the same before and after.

Work goes in bounded batches of links (ordered by id), each its own transaction: a run can be
stopped at any point and started again, and two runs at once never count a check twice (the
rows are locked before they are counted and deleted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from annotations.linkhealth.health import BROKEN_HEALTHS
from annotations.models import Link, LinkCheck, LinkCheckDay

BROKEN_CHECKS_KEPT = 10

# Window functions (PostgreSQL, and SQLite >= 3.25 for the embedded default): which checks of
# these links are neither a change of health, nor among the newest, nor recent.
_PRUNABLE_SQL = """
SELECT id FROM (
    SELECT id, health, checked_at,
        ROW_NUMBER() OVER (PARTITION BY link_id ORDER BY checked_at DESC, id DESC) AS newest,
        LAG(health) OVER (PARTITION BY link_id ORDER BY checked_at, id) AS previous,
        ROW_NUMBER() OVER (
            PARTITION BY link_id, (health IN ({broken})) ORDER BY checked_at DESC, id DESC
        ) AS newest_of_kind
    FROM {table}
    WHERE link_id IN ({links})
) ranked
WHERE newest > %s AND checked_at < %s AND previous = health
    AND NOT (health IN ({broken}) AND newest_of_kind <= %s)
"""


@dataclass
class RetentionOutcome:
    links: int = 0
    deleted: int = 0
    batches: int = 0
    # Checks rolled up, per (day, health).
    rolled_up: Counter[tuple[date, str]] | None = None


def link_checks_prune(
    *,
    keep_last: int | None = None,
    older_than: timedelta | None = None,
    batch_links: int | None = None,
    max_batches: int | None = None,
    now: datetime | None = None,
) -> RetentionOutcome:
    """Prune the link checks retention does not keep (see the module) and roll them up."""
    keep_last = max(settings.LINKCHECK_RETENTION_KEEP_LAST if keep_last is None else keep_last, 1)
    if older_than is None:
        older_than = timedelta(days=settings.LINKCHECK_RETENTION_MIN_AGE_DAYS)
    batch_links = batch_links or settings.LINKCHECK_RETENTION_BATCH_LINKS
    cutoff = (now or timezone.now()) - older_than
    outcome = RetentionOutcome(rolled_up=Counter())
    for link_ids in _link_batches(batch_links):
        if max_batches is not None and outcome.batches >= max_batches:
            break
        outcome.batches += 1
        outcome.links += len(link_ids)
        counts = _prune_batch(link_ids, keep_last=keep_last, cutoff=cutoff)
        outcome.deleted += sum(counts.values())
        outcome.rolled_up.update(counts)  # type: ignore[union-attr]
    return outcome


def _link_batches(size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(
            Link.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


@transaction.atomic
def _prune_batch(
    link_ids: list[int], *, keep_last: int, cutoff: datetime
) -> Counter[tuple[date, str]]:
    broken = [str(h) for h in BROKEN_HEALTHS]
    sql = _PRUNABLE_SQL.format(
        table=connection.ops.quote_name(LinkCheck._meta.db_table),
        broken=", ".join(["%s"] * len(broken)),
        links=", ".join(["%s"] * len(link_ids)),
    )
    params: list[Any] = [*broken, *link_ids, keep_last, cutoff, *broken, BROKEN_CHECKS_KEPT]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        candidates = [row[0] for row in cursor.fetchall()]
    if not candidates:
        return Counter()
    # Locked before counting: a run in parallel that chose the same rows waits here, then
    # finds them gone and counts nothing twice.
    rows = list(
        LinkCheck.objects.select_for_update()
        .filter(pk__in=candidates)
        .values_list("pk", "checked_at", "health")
    )
    counts: Counter[tuple[date, str]] = Counter(
        (timezone.localdate(checked_at), health) for _, checked_at, health in rows
    )
    LinkCheck.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    return counts


_ROLLUP_SQL = """
INSERT INTO {table} (day, health, count) VALUES {values}
ON CONFLICT (day, health) DO UPDATE SET count = {table}.count + excluded.count
"""


def check_days_add(counts: Counter[tuple[date, str]]) -> None:
    """Count checks into the per-day roll-up: one upsert (PostgreSQL, SQLite >= 3.24), rows in
    (day, health) order so two recorders lock them in the same order."""
    items = sorted((key, n) for key, n in counts.items() if n)
    if not items:
        return
    sql = _ROLLUP_SQL.format(
        table=connection.ops.quote_name(LinkCheckDay._meta.db_table),
        values=", ".join(["(%s, %s, %s)"] * len(items)),
    )
    params: list[Any] = []
    for (day, health), n in items:
        params += [day, str(health), n]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
