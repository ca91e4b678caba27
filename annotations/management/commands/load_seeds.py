from typing import Any

from django.core.management.base import BaseCommand

from annotations.seeds import seeds_load


class Command(BaseCommand):
    help = "Load the seed articles and their demo claims from seeds/ (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = seeds_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeds loaded: {report.articles_created} article(s), "
                f"{report.claims_created} claim(s), {report.evidence_created} evidence link(s) "
                f"created; {len(report.skipped)} claim(s) already present."
            )
        )
