#!/usr/bin/env python3
"""Run django-linkcheck (PyPI `django-linkcheck`) on a list of URLs; prints URLs/second.

Runs inside its own venv (bench/linkcheck installs it there): a throwaway Django project on
SQLite with only django-linkcheck installed, its Url rows created for the URLs, then its own
`check_links` (external links only, sequential, as the package does it).

Usage: python bench/linkcheck_djlc.py URLS_FILE WORKDIR
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

urls_file, workdir = Path(sys.argv[1]), Path(sys.argv[2])
workdir.mkdir(parents=True, exist_ok=True)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "linkcheck"],
    DATABASES={
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(workdir / "djlc.sqlite3")}
    },
    USE_TZ=True,
    SITE_DOMAIN="bench.invalid",
    LINKCHECK_CONNECTION_ATTEMPT_TIMEOUT=20,
    ROOT_URLCONF=__name__,
    LOGGING_CONFIG=None,
)
urlpatterns: list = []
os.environ.pop("HTTP_PROXY", None)
os.environ.pop("HTTPS_PROXY", None)
django.setup()

from django.core.management import call_command  # noqa: E402
from linkcheck.models import Url  # noqa: E402
from linkcheck.utils import check_links  # noqa: E402

call_command("migrate", verbosity=0)
Url.objects.all().delete()
urls = [u for u in urls_file.read_text().split() if u]
Url.objects.bulk_create([Url(url=u) for u in urls])
started = time.monotonic()
checked = check_links(external_recheck_interval=0, check_internal=False)
elapsed = time.monotonic() - started
valid = Url.objects.filter(status=True).count()
print(
    json.dumps({"checked": checked, "valid": valid, "seconds": elapsed, "rate": checked / elapsed})
)
