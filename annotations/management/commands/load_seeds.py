from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from annotations.seeds import demo_article_load, seeds_load


class Command(BaseCommand):
    help = (
        "Load the seed articles and their demo claims from seeds/ (safe to run again). Needs a "
        "migrated database and the demo users: `manage.py bootstrap` does all three."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--demo-site",
            default="",
            metavar="URL",
            help="Also store the demo site's article (manage.py demo_site) as fetched from "
            "URL, watched, so that the site's edit of it shows as a new revision.",
        )

    def handle(self, *args: Any, demo_site: str = "", **options: Any) -> None:
        # What `migrate --check` asks: a fresh database fails here with the command to run,
        # not with a "no such table" traceback from the first query.
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "The database has unapplied migrations. Run `manage.py migrate` and "
                "`manage.py create_demo_users` first, or `manage.py bootstrap` for all of it."
            )
        try:
            report = seeds_load()
            demo = demo_article_load(base_url=demo_site) if demo_site else None
        except LookupError as exc:  # a demo user the seeds act as is missing
            raise CommandError(
                f"{exc} Run `manage.py create_demo_users` first (or `manage.py bootstrap`)."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeds loaded: {report.articles_created} article(s), "
                f"{report.claims_created} claim(s), {report.evidence_created} evidence link(s) "
                f"created; {len(report.skipped)} claim(s) already present."
            )
        )
        if demo is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo site article: {demo.articles_created} created, "
                    f"{demo.claims_created} claim(s) marked; watched at {demo_site}"
                )
            )
