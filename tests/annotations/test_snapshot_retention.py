"""Snapshots of removed evidence are kept EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS, then deleted
(rows and files) in bounded batches by `manage.py prune_snapshots` and a daily beat job."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations.models import EvidenceSnapshot
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from reviews.services import evidence_remove

pytestmark = pytest.mark.django_db

PAGE = "<html><body><main><p>Unemployment was {n}% in the third quarter.</p></main></body></html>"


def _snapshots(local_site: Any, claim: Any, reviewer: Any, editor: Any, count: int) -> list[Any]:
    """`count` captured evidence links of the claim, removed days apart (oldest first), and
    one captured link that stays."""
    taken = []
    for n in range(count + 1):
        url = local_site.page(f"/p{n}", PAGE.format(n=n))
        evidence = evidence_attach(claim=claim, by=reviewer, url=url, stance="supports")
        taken.append(snapshots.evidence_capture(evidence_id=evidence.pk))
    for n, shot in enumerate(taken[:count]):
        evidence_remove(evidence=shot.evidence, by=editor)
        EvidenceSnapshot.objects.filter(pk=shot.pk).update(
            evidence_removed_at=timezone.now() - timedelta(days=200 - n)
        )
    return taken


def test_pruning_goes_in_bounded_batches_oldest_first(
    local_site: Any, claim: Any, reviewer: Any, editor: Any, settings: Any
) -> None:
    shots = _snapshots(local_site, claim, reviewer, editor, 5)
    paths = [shot.warc.path for shot in shots]
    settings.EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS = 90

    first = snapshots.snapshots_prune_removed(batch=2, max_batches=1)
    assert (first.deleted, first.batches) == (2, 1)
    left = set(EvidenceSnapshot.objects.values_list("pk", flat=True))
    assert left == {shot.pk for shot in shots[2:]}
    assert [os.path.exists(p) for p in paths] == [False, False] + [True] * 4

    rest = snapshots.snapshots_prune_removed(batch=2)
    assert (rest.deleted, rest.batches) == (3, 2)
    # The snapshot of evidence still cited is never pruned, however old.
    assert list(EvidenceSnapshot.objects.values_list("pk", flat=True)) == [shots[5].pk]
    assert shots[5].warc.storage.exists(shots[5].warc.name)
    # Safe to run again: nothing left to do.
    again = snapshots.snapshots_prune_removed(batch=2)
    assert (again.deleted, again.batches) == (0, 0)


def test_the_command_and_the_beat_task(
    local_site: Any, claim: Any, reviewer: Any, editor: Any, settings: Any
) -> None:
    from annotations.tasks import prune_removed_snapshots

    shots = _snapshots(local_site, claim, reviewer, editor, 3)
    # Removed 198..200 days ago: kept under a 199-day retention for the newest.
    out = io.StringIO()
    call_command(
        "prune_snapshots", "--older-than-days", "199", "--batch", "1", "--max-batches", "5",
        stdout=out,
    )  # fmt: skip
    assert out.getvalue().strip() == "2 snapshots of removed evidence deleted in 2 batches."
    assert set(EvidenceSnapshot.objects.values_list("pk", flat=True)) == {
        shots[2].pk,
        shots[3].pk,
    }
    settings.EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS = 30
    settings.EVIDENCE_SNAPSHOT_PRUNE_BATCH = 1
    assert prune_removed_snapshots.apply().get() == 1
    assert list(EvidenceSnapshot.objects.values_list("pk", flat=True)) == [shots[3].pk]


def test_the_command_refuses_bad_numbers_and_deletes_nothing(
    local_site: Any, claim: Any, reviewer: Any, editor: Any
) -> None:
    _snapshots(local_site, claim, reviewer, editor, 2)
    before = EvidenceSnapshot.objects.count()
    for bad in (
        ("--batch", "0"),
        ("--batch", "many"),
        ("--older-than-days", "-1"),
        ("--max-batches", "0"),
    ):
        with pytest.raises(CommandError):
            call_command("prune_snapshots", *bad)
    assert EvidenceSnapshot.objects.count() == before
