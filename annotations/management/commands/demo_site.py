"""Serve the demo news site whose article changes (annotations.demosite), for `make run`."""

from __future__ import annotations

import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations.demosite import DemoSite, demo_server, demo_story


class Command(BaseCommand):
    help = (
        "Serve the demo news site on this machine (127.0.0.1 only): its article is edited "
        "--edit-after seconds after the start, or by the button on its front page, so that "
        "the desk's watch finds a stealth edit without the internet."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--edit-after",
            type=float,
            default=45.0,
            help="Seconds until the article is edited by itself (negative: only by the button).",
        )

    def handle(self, *args: Any, port: int, edit_after: float, **options: Any) -> None:
        site = DemoSite(story=demo_story(), edit_after=edit_after if edit_after >= 0 else None)
        try:
            server = demo_server("127.0.0.1", port, site)
        except OSError as exc:
            raise CommandError(f"The demo site cannot listen on 127.0.0.1:{port}: {exc}") from exc
        # SIGTERM (honcho on Ctrl-C) ends serve_forever like Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        self.stdout.write(
            f"Demo site on http://127.0.0.1:{port}/ (article: {site.story['path']})", ending="\n"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            server.server_close()
