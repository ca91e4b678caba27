"""A page server on 127.0.0.1 for articles fetched by URL: static pages, and pages answered by
a function (slow, changing, redirecting, streamed), with every request's headers recorded."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.annotations.test_extraction import PARAGRAPHS, article_html, jsonld

Handler = Callable[[Request], Response]

NEWS = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Council raises library budget",
    "author": [{"@type": "Person", "name": "Ada Lovelace"}],
    "datePublished": "2025-03-04T09:30:00+01:00",
    "publisher": {"@type": "NewsMediaOrganization", "name": "The Gazette"},
    "inLanguage": "en-GB",
}


def news_page(paragraphs: list[str] = PARAGRAPHS, *, nav: str = "", **news: Any) -> str:
    """An article page with JSON-LD NewsArticle metadata; `nav` changes only boilerplate."""
    page = article_html(head=jsonld(dict(NEWS, **news)), paragraphs=paragraphs)
    return page.replace("<footer>", f"<footer><p>{nav}</p>") if nav else page


class Pages:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        self._lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.server.start()
        self.port: int = self.server.port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def page(
        self,
        path: str,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        **headers: str,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = lambda request: Response(
            data, status=status, headers={"Content-Type": content_type, **headers}
        )
        return self.url(path)

    def handle(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def gets(self, path: str) -> int:
        with self._lock:
            return sum(1 for method, p, _ in self.requests if method == "GET" and p == path)

    def close(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return Response(b"<h1>Not found</h1>", status=404, content_type="text/html")
        return handler(request)
