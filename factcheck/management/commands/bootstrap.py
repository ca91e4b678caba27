"""Prepare the database for local use and say how to reach the app (``make run`` runs it)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "migrate, create the demo users and load the seeds (collectstatic too when DEBUG is "
        "off), then print the URLs and demo logins. Safe to run again. Never in production: "
        "the demo users have a known password (--no-demo skips them and the seeds)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-demo", action="store_true", help="Skip create_demo_users and load_seeds."
        )
        parser.add_argument(
            "--demo-site",
            default="",
            metavar="URL",
            help="Also seed the demo site's article as fetched from URL (make run's "
            "`demo` process, manage.py demo_site), watched so that its edit shows.",
        )
        parser.add_argument(
            "--base-url",
            default="http://localhost:8000/",
            help="Where the web server answers, for the printed URLs.",
        )

    def handle(
        self, *args: Any, no_demo: bool, base_url: str, demo_site: str, **options: Any
    ) -> None:
        verbosity = options["verbosity"]
        # SQLite and the beat schedule live under VAR_DIR; neither creates its folder.
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
        # migrate and load_seeds print to sys.stdout themselves: wrapping self.stdout again
        # would end migrate's "Applying ...", "OK" halves on two lines.
        call_command("migrate", interactive=False, verbosity=verbosity)
        logins = io.StringIO()
        if not no_demo:
            call_command("create_demo_users", stdout=logins)
            call_command("load_seeds", verbosity=verbosity, demo_site=demo_site)
        if not settings.DEBUG:
            # runserver serves static files itself in DEBUG; gunicorn + WhiteNoise need them
            # collected (the manifest storage refuses to start without).
            call_command("collectstatic", interactive=False, verbosity=0)
        self._summary(base_url=base_url.rstrip("/"), logins=logins.getvalue())

    def _summary(self, *, base_url: str, logins: str) -> None:
        db = settings.DATABASES["default"]
        engine = db["ENGINE"].rsplit(".", 1)[-1]
        if engine == "sqlite3":
            database = f"SQLite {db['NAME']}"
        else:
            database = f"{engine} {db['NAME']}@{db.get('HOST') or 'localhost'}"
        broker_url: str = settings.CELERY_BROKER_URL
        if broker_url.startswith("filesystem:"):
            broker = f"filesystem {Path(settings.VAR_DIR) / 'broker'}"
        else:
            broker = re.sub(r"//[^@/]*@", "//***@", broker_url)
        egress = ",".join(str(n) for n in settings.LINKCHECK_EGRESS_ALLOWLIST)
        lines = [
            "=" * 72,
            f"factcheck (DEBUG {'on' if settings.DEBUG else 'off'})",
            f"  App       {base_url}/",
            f"  Admin     {base_url}/admin/",
            f"  API       {base_url}/api/v1/",
            f"  API docs  {base_url}/api/docs/",
            f"  Database  {database}",
            f"  Broker    {broker}",
            f"  Link checker may reach only: {egress or '(none: any public address)'}",
        ]
        credentials = [line.strip() for line in logins.splitlines() if "password:" in line]
        if credentials:
            lines.append("  Demo logins (the desk and /api/auth/login/; /admin/ is demo-admin's):")
            lines += [f"    {line}" for line in credentials]
            lines.append("  API token: .venv/bin/python manage.py create_token demo-reviewer")
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            lines.append(
                "  Warning: DEBUG is off and ALLOWED_HOSTS is empty: every request gets 400."
            )
        if not settings.DEBUG and settings.SECURE_SSL_REDIRECT:
            lines.append(
                "  Warning: SECURE_SSL_REDIRECT is on: plain-HTTP requests go to https://."
            )
        lines.append("=" * 72)
        self.stdout.write("\n".join(lines))
