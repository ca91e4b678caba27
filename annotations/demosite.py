"""A news site on this machine whose article changes: the demo of a stealth edit (no ORM).

`manage.py demo_site` serves it (a process of `make run`, on 127.0.0.1:DEMO_SITE_PORT). The
article is `seeds/demo-site/*.json`: its versions of the text, rendered as a news page with
the furniture extractors must leave out (navigation, a "most read" list that changes with
every request, an advertisement, a footer) and its metadata as JSON-LD and OpenGraph. The
seed (`annotations.seeds.demo_article_load`) stores version 1 as fetched from its URL; the
site serves version 1 until the edit (after `edit_after` seconds, or the button on its front
page), then version 2; the desk's watch (or a reviewer's Refetch) finds the edit.
"""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).resolve().parent.parent / "seeds" / "demo-site"
MINUTES_PATH = "/budget-committee/minutes/"


def demo_story(directory: Path = DEMO_DIR) -> dict[str, Any]:
    """The demo article (the first `*.json` of `directory`)."""
    path = sorted(directory.glob("*.json"))[0]
    story: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return story


def article_html(story: dict[str, Any], version: int, *, visit: int = 0) -> str:
    """The article page as the site serves it at `version` (0-based). `visit` changes only
    the furniture (the "most read" list), as a real site's does from one request to the next."""
    meta = story["article"]
    site = html.escape(story["site_name"])
    title = html.escape(meta["title"])
    jsonld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": meta["title"],
            "author": [{"@type": "Person", "name": meta["byline"]}],
            "datePublished": meta["published_at"],
            "publisher": {"@type": "Organization", "name": meta["publisher"]},
            "inLanguage": meta["language"],
        }
    ).replace("</", "<\\/")
    most_read = ["Ferry timetable changes", "Harbour fish market reopens", "School roof repaired"]
    shift = visit % len(most_read)
    most_read = most_read[shift:] + most_read[:shift]
    paragraphs = "\n".join(f"    <p>{html.escape(p)}</p>" for p in story["versions"][version])
    return f"""<!doctype html>
<html lang="{html.escape(meta["language"])}">
<head>
  <meta charset="utf-8">
  <title>{title} | {site}</title>
  <meta property="og:title" content="{title}">
  <meta property="og:site_name" content="{site}">
  <meta property="og:type" content="article">
  <meta name="author" content="{html.escape(meta["byline"])}">
  <script type="application/ld+json">{jsonld}</script>
</head>
<body>
  <header><a href="/">{site}</a>
    <nav><a href="/">Home</a> <a href="/">Local</a> <a href="/">Sport</a> <a href="/">Weather</a></nav>
  </header>
  <main>
  <article>
    <h1>{title}</h1>
    <p class="byline">By {html.escape(meta["byline"])}</p>
{paragraphs}
  </article>
  <aside><p>ADVERTISEMENT — Subscribe now: the Courier for 1 euro a week.</p></aside>
  <aside><h2>Most read</h2><ul>{"".join(f"<li><a href='/'>{m}</a></li>" for m in most_read)}</ul></aside>
  </main>
  <footer><p>© {site} · <a href="/">Contact</a> · <a href="/">Privacy</a></p></footer>
</body>
</html>
"""


def minutes_html(story: dict[str, Any]) -> str:
    """The budget committee's minutes: what the demo's evidence links to."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Budget committee minutes</title></head>
<body><main><article><h1>Budget committee: minutes of 12 March 2025</h1>
<p>Item 4. Harbour flood barrier. The committee recommends the movable barrier at a cost of
4.2 million euros, to be paid from the regional climate fund.</p>
<p>The recommendation was adopted unanimously.</p></article></main>
<footer><p>{html.escape(story["site_name"])} city archive</p></footer></body></html>
"""


@dataclass
class DemoSite:
    """The site's state: which version it serves, and when the edit happens by itself."""

    story: dict[str, Any]
    edit_after: float | None = None  # seconds after start; None: only by the button
    started: float = field(default_factory=time.monotonic)
    version: int = 0
    visits: count = field(default_factory=count)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> int:
        with self.lock:
            timed = self.edit_after is not None and (
                time.monotonic() - self.started >= self.edit_after
            )
            if timed and self.version == 0:
                self.version = len(self.story["versions"]) - 1
            return self.version

    def set_version(self, version: int) -> None:
        with self.lock:
            self.version = max(0, min(version, len(self.story["versions"]) - 1))
            self.edit_after = None  # the button decides from now on

    def front_html(self) -> str:
        story = self.story
        version = self.current()
        edited = version > 0
        state = (
            "The article has been edited (a stealth edit: no correction note)."
            if edited
            else "The article is as first published."
        )
        when = (
            f" It edits itself {self.edit_after:.0f} s after this site started."
            if self.edit_after is not None and not edited
            else ""
        )
        button = (
            '<form method="post" action="/unedit/"><button>Restore the first version</button></form>'
            if edited
            else '<form method="post" action="/edit/"><button>Make the stealth edit now</button></form>'
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(story["site_name"])} (demo site)</title></head>
<body><h1>{html.escape(story["site_name"])}: a demo news site</h1>
<p>Served on this machine for factcheck's demo. <a href="{story["path"]}">{html.escape(story["article"]["title"])}</a></p>
<p><strong>{state}</strong>{when}</p>
{button}
<p>The desk watches the article: it fetches the page again on a schedule (or on Refetch in the reader) and stores a new revision when the words changed.</p>
</body></html>
"""


def make_handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "factcheck-demo-site"

        def _send(self, status: int, body: str, *, location: str = "") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path == "/":
                self._send(200, site.front_html())
            elif path == site.story["path"]:
                self._send(200, article_html(site.story, site.current(), visit=next(site.visits)))
            elif path == MINUTES_PATH:
                self._send(200, minutes_html(site.story))
            else:
                self._send(404, "<!doctype html><title>Not found</title><h1>Not found</h1>")

        do_HEAD = do_GET  # noqa: N815

        def do_POST(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path in ("/edit/", "/unedit/"):
                site.set_version(len(site.story["versions"]) - 1 if path == "/edit/" else 0)
                self._send(303, "", location="/")
            else:
                self._send(404, "")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            print(f"demo site: {self.address_string()} {format % args}", flush=True)

    return Handler


def demo_server(host: str, port: int, site: DemoSite) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(site))
