"""Check links now, in the foreground: `manage.py check_links [--host H] [--health H]
[--limit N] [--url U]`.

The same path as the workers (services.links_check_batch: one concurrent fetch_many per
batch, the same per-host and global limits — shared with running workers through Redis when
it is configured — the same classification and recording), with a progress bar on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from annotations.linkhealth.batches import links_check_batch
from annotations.linkhealth.health import LinkHealth
from annotations.linkhealth.leases import lease_time_budget
from annotations.models import Link
from factcheck.urlnorm import InvalidURL, canonical_url


class _Progress:
    def __init__(self, total: int, stream: Any, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.enabled = enabled and total > 0
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.healths: Counter[str] = Counter()

    def update(self, link_id: int, health: str) -> None:
        if health == "deferred":
            return
        self.done += 1
        self.healths[health or "skipped"] += 1
        now = time.monotonic()
        if self.enabled and (now - self.last_draw > 0.1 or self.done == self.total):
            self.last_draw = now
            self.draw()

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)

    def draw(self) -> None:
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {self.rate():.0f} links/s" + " " * 4)
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.draw()
            self.stream.write("\n")
            self.stream.flush()


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


class Command(BaseCommand):
    help = "Check links now, in the foreground, with the workers' limits and recording."
    # A maintenance command run from cron or by hand: it starts checking at once.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", action="append", default=[], help="only links of this host")
        parser.add_argument(
            "--health",
            action="append",
            default=[],
            choices=[h.value for h in LinkHealth],
            help="only links whose current health is this",
        )
        parser.add_argument("--url", action="append", default=[], help="only this link")
        parser.add_argument(
            "--limit", type=_positive_int, default=None, help="check at most N links"
        )
        parser.add_argument(
            "--batch",
            type=_positive_int,
            default=10_000,
            help="links leased and fetched concurrently per round (one pass for most desks)",
        )
        parser.add_argument(
            "--no-shared-limits",
            action="store_true",
            help="limit per host within this process only (ignore the workers' Redis limits)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        links = Link.objects.order_by("id")
        if options["host"]:
            links = links.filter(host__in=[h.lower() for h in options["host"]])
        if options["health"]:
            links = links.filter(health__in=options["health"])
        if options["url"]:
            urls = []
            for url in options["url"]:
                try:
                    urls.append(canonical_url(url))
                except InvalidURL:
                    urls.append(url.strip())
            links = links.filter(url__in=urls)
        ids = list(links.values_list("id", flat=True)[: options["limit"]])
        progress = _Progress(
            len(ids),
            self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr,
            enabled=not options["no_progress"],
        )
        owner = f"cli:{uuid.uuid4().hex}"
        pending = ids
        rounds = 0
        backed_off = 0
        skipped: Counter[str] = Counter()
        while pending:
            rounds += 1
            deferred: list[int] = []
            for start in range(0, len(pending), max(1, options["batch"])):
                chunk = pending[start : start + options["batch"]]
                outcome = links_check_batch(
                    link_ids=chunk,
                    attempt_prefix=f"{owner}:{rounds}",
                    shared=not options["no_shared_limits"],
                    # URLs not begun while their lease still has a full fetch ahead of it
                    # are handed to the next round, so no lease runs out under a fetch.
                    time_budget=lease_time_budget(),
                    on_progress=progress.update,
                )
                deferred.extend(outcome.deferred)
                backed_off += len(outcome.backed_off)
                skipped.update(outcome.skipped.values())
                for link_id in outcome.backed_off:
                    progress.update(link_id, "backed-off")
                for link_id, why in outcome.skipped.items():
                    progress.update(link_id, why)
            pending = deferred
            if pending:
                time.sleep(0.5)  # the hosts were full (workers are busy on them too)
        progress.finish()
        elapsed = time.monotonic() - progress.started
        summary = ", ".join(f"{h}={n}" for h, n in sorted(progress.healths.items()))
        self.stdout.write(
            f"checked {progress.done} links in {elapsed:.1f}s "
            f"({progress.done / max(elapsed, 1e-6):.1f} links/s): {summary or 'nothing'}"
        )
