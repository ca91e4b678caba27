"""Prune old link checks and roll them up: `manage.py prune_link_checks [--keep-last N]
[--older-than-days D] [--batch N] [--max-batches M]` (see annotations.linkhealth.retention)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.linkhealth.retention import link_checks_prune


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a whole number.") from exc
    if number < 1:
        raise CommandError(f"{value} must be at least 1.")
    return number


def _not_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a whole number.") from exc
    if number < 0:
        raise CommandError(f"{value} must not be negative.")
    return number


class Command(BaseCommand):
    help = "Delete link checks retention does not keep, rolling them up into per-day counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-last", type=_positive, help="Checks kept per link.")
        parser.add_argument(
            "--older-than-days", type=_not_negative, help="Only checks older than this."
        )
        parser.add_argument("--batch", type=_positive, help="Links per transaction.")
        parser.add_argument("--max-batches", type=_positive, help="Stop after this many batches.")

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
