"""Delete the snapshots of removed evidence past their retention: `manage.py prune_snapshots
[--older-than-days D] [--batch N] [--max-batches M]` (see
annotations.services.snapshots.snapshots_prune_removed; a daily beat job does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.services.snapshots import snapshots_prune_removed


def _whole(minimum: int) -> Any:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError as exc:
            raise CommandError(f"{value!r} is not a whole number.") from exc
        if number < minimum:
            raise CommandError(f"{value} must be at least {minimum}.")
        return number

    return parse


class Command(BaseCommand):
    help = "Delete snapshots (rows and WARC files) of evidence removed longer ago than kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=_whole(0),
            help="Removed longer ago than this (default EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS).",
        )
        parser.add_argument("--batch", type=_whole(1), help="Snapshots per transaction.")
        parser.add_argument("--max-batches", type=_whole(1), help="Stop after this many batches.")

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = snapshots_prune_removed(
            keep_days=options["older_than_days"],
            batch=options["batch"],
            max_batches=options["max_batches"],
        )
        self.stdout.write(
            f"{outcome.deleted} snapshots of removed evidence deleted in {outcome.batches} batches."
        )
