"""Retention of link checks: changes of health kept, the rest deleted, the chart unchanged
(every check is counted into the per-day roll-up when it is recorded)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.retention import BROKEN_CHECKS_KEPT, check_days_add, link_checks_prune
from annotations.models import Link, LinkCheck, LinkCheckDay
from annotations.web.queries import link_health_by_day

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _link(url: str) -> Link:
    return Link.objects.create(url=url, host="example.org")


def _history(link: Link, healths: list[str], *, newest_at=NOW) -> list[LinkCheck]:
    """One check every 6 hours, the last at `newest_at`, oldest first; counted into the
    roll-up as recording counts them."""
    start = newest_at - timedelta(hours=6 * (len(healths) - 1))
    checks = [
        LinkCheck(link=link, health=health, checked_at=start + timedelta(hours=6 * i))
        for i, health in enumerate(healths)
    ]
    check_days_add(Counter((timezone.localdate(c.checked_at), c.health) for c in checks))
    return LinkCheck.objects.bulk_create(checks)


def _rolled_up() -> int:
    return sum(LinkCheckDay.objects.values_list("count", flat=True))


def _chart() -> list[dict]:
    return link_health_by_day(days=60, today=timezone.localdate(NOW))


def test_old_repeats_are_rolled_up_and_every_change_of_health_is_kept() -> None:
    link = _link("http://127.0.0.1:9/a")
    ok, broken, error = LinkHealth.OK, LinkHealth.BROKEN, LinkHealth.ERROR
    # Oldest first: 60 ok, 30 broken with errors between, 40 ok (the last 16 within 4 days).
    healths = [ok] * 60 + [broken, error] * 15 + [ok] * 40
    checks = _history(link, healths)
    chart_before = _chart()
    cutoff = NOW - timedelta(days=4)

    outcome = link_checks_prune(keep_last=5, older_than=timedelta(days=4), now=NOW)

    kept = list(link.checks.order_by("checked_at", "id"))
    kept_ids = {c.pk for c in kept}
    # Every change of health survives: the first check, the first broken, each error after a
    # broken (and the broken after it), the first ok of the recovery.
    for previous, check in zip(checks, checks[1:], strict=False):
        if previous.health != check.health:
            assert check.pk in kept_ids
    assert checks[0].pk in kept_ids
    # Everything younger than the cutoff, and the last 5 whatever their age.
    assert {c.pk for c in checks if c.checked_at >= cutoff} <= kept_ids
    assert {c.pk for c in checks[-5:]} <= kept_ids
    # The classifier's history: the newest broken checks stay.
    newest_broken = [c.pk for c in checks if c.health == broken][-BROKEN_CHECKS_KEPT:]
    assert set(newest_broken) <= kept_ids
    # What went: old repeats, counted per day and health.
    deleted = len(checks) - len(kept)
    assert deleted == outcome.deleted
    # 59 repeated oks of the first run; of the recovery's 39 repeats, the 22 before the cutoff.
    assert deleted == 59 + 22
    assert outcome.rolled_up is not None and sum(outcome.rolled_up.values()) == deleted
    assert {health for _, health in outcome.rolled_up} == {ok}
    # Deleting a check changes no count.
    assert _rolled_up() == len(checks)
    # The chart reads the same.
    assert _chart() == chart_before


def test_a_second_run_finds_nothing_more_and_counts_nothing_twice() -> None:
    link = _link("http://127.0.0.1:9/b")
    _history(link, [LinkHealth.OK] * 50, newest_at=NOW - timedelta(days=30))
    first = link_checks_prune(keep_last=3, older_than=timedelta(days=1), now=NOW)
    assert first.deleted == 46  # kept: the first check (a change from nothing), the last 3
    assert link.checks.count() == 4
    again = link_checks_prune(keep_last=3, older_than=timedelta(days=1), now=NOW)
    assert again.deleted == 0
    assert _rolled_up() == 50


def test_checks_younger_than_the_age_limit_are_never_touched() -> None:
    link = _link("http://127.0.0.1:9/c")
    _history(link, [LinkHealth.OK] * 30, newest_at=NOW)  # 30 checks over 7.25 days
    outcome = link_checks_prune(keep_last=1, older_than=timedelta(days=30), now=NOW)
    assert outcome.deleted == 0
    assert link.checks.count() == 30
    assert _rolled_up() == 30


def test_batches_cover_every_link_and_stop_when_told() -> None:
    links = [_link(f"http://127.0.0.1:9/d{i}") for i in range(5)]
    for link in links:
        _history(link, [LinkHealth.OK] * 10, newest_at=NOW - timedelta(days=30))
    partial = link_checks_prune(
        keep_last=2, older_than=timedelta(days=1), batch_links=2, max_batches=1, now=NOW
    )
    assert (partial.batches, partial.links) == (1, 2)
    assert [link.checks.count() for link in links] == [3, 3, 10, 10, 10]
    rest = link_checks_prune(keep_last=2, older_than=timedelta(days=1), batch_links=2, now=NOW)
    assert rest.batches == 3
    assert [link.checks.count() for link in links] == [3] * 5
    assert _rolled_up() == 5 * 10


def test_the_command_prunes_and_refuses_bad_numbers() -> None:
    link = _link("http://127.0.0.1:9/e")
    _history(link, [LinkHealth.OK] * 10, newest_at=NOW - timedelta(days=30))
    for bad in (["--keep-last", "0"], ["--batch", "-1"], ["--older-than-days", "x"]):
        with pytest.raises(CommandError):
            call_command("prune_link_checks", *bad)
    assert link.checks.count() == 10
    call_command("prune_link_checks", "--keep-last", "2", "--older-than-days", "1")
    assert link.checks.count() == 3
