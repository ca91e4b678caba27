"""The Procfile's web process: runserver when DEBUG is on, gunicorn when it is off.

A command rather than a branch in the Procfile because DEBUG may come from .env, which only
the settings read (django-environ), so only Django knows its value.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app on ADDRPORT: runserver (no reloader) in DEBUG, else gunicorn."
    requires_system_checks: list[str] = []  # runserver runs them; gunicorn's app loads them

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", help="HOST:PORT, e.g. 127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        if settings.DEBUG:
            call_command("runserver", addrport, use_reloader=False)
            return
        argv = [sys.executable, "-m", "gunicorn", "factcheck.wsgi:application"]
        argv += ["--bind", addrport, "--access-logfile", "-", "--graceful-timeout", "10"]
        argv += ["--no-control-socket"]
        os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, fixed argv
