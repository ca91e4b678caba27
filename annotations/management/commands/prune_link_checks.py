"""Prune old link checks and roll them up: `manage.py prune_link_checks [--keep-last N]
[--older-than-days D] [--batch N] [--max-batches M]` (see annotations.linkhealth.retention)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.linkhealth.retention import link_checks_prune


def _at_least(minimum: int) -> Callable[[str], int]:
    def whole_number(value: str) -> int:
        try:
            number = int(value)
        except ValueError as exc:
            raise CommandError(f"{value!r} is not a whole number.") from exc
        if number < minimum:
            raise CommandError(f"{value} must be at least {minimum}.")
        return number

    return whole_number


class Command(BaseCommand):
    help = "Delete link checks retention does not keep, rolling them up into per-day counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-last", type=_at_least(1), help="Checks kept per link.")
        parser.add_argument(
            "--older-than-days", type=_at_least(0), help="Only checks older than this."
        )
        parser.add_argument("--batch", type=_at_least(1), help="Links per transaction.")
        parser.add_argument(
            "--max-batches", type=_at_least(1), help="Stop after this many batches."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"]
        outcome = link_checks_prune(
            keep_last=options["keep_last"],
            older_than=None if days is None else timedelta(days=days),
            batch_links=options["batch"],
            max_batches=options["max_batches"],
        )
        self.stdout.write(
            f"{outcome.deleted} checks rolled up and deleted, {outcome.links} links "
            f"in {outcome.batches} batches."
        )
