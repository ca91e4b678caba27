"""The tests' HTTP server on 127.0.0.1: pages to fetch and a receiver that records POSTs.

Built on pytest-httpserver (a real werkzeug server in a thread). One catch-all handler reads
the routes a test defines, so a page can be redefined mid-test and every request is recorded
in order. Link-check tests that need raw control over the socket (malformed status lines,
endless bodies, counting connections and requests in flight) keep their own servers in
tests/annotations/linkhealth/.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

NOT_FOUND = (404, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Not found</h1>")

# What a POST is answered with, given the request: (status, body).
Responder = Callable[[Request], tuple[int, bytes]]


class _AsGiven(Response):
    """A response whose Location header goes out as the test wrote it.

    werkzeug passes Location through iri_to_uri (and refuses what is not a URL), but link
    checks are tested against exactly such broken redirect targets.
    """

    def get_wsgi_headers(self, environ: Any) -> Any:
        location = self.headers.get("Location")
        if location is None:
            return super().get_wsgi_headers(environ)
        del self.headers["Location"]
        try:
            headers = super().get_wsgi_headers(environ)
        finally:
            self.headers["Location"] = location
        headers["Location"] = location
        return headers


class LocalSite:
    """A real HTTP server on 127.0.0.1 whose pages a test defines and which records POSTs.

    GET and HEAD serve `page()` routes (404 elsewhere); every request is in `hits` as
    (method, path). A POST to any path is recorded in `received` (path, headers, body and
    when it arrived, by time.monotonic) and answered by `responder`, by default with the next
    status queued in `statuses` (200 once they run out).
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[tuple[str, str]] = []
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.responder: Responder = self._next_status
        self._lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.server.start()
        self.port: int = self.server.port

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def page(
        self,
        path: str,
        body: str = "<html><body><p>Hello</p></body></html>",
        status: int = 200,
        **headers: str,
    ) -> str:
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
        self.routes[path] = (status, headers, body.encode())
        return self.url(path)

    def events(self) -> list[Any]:
        """The JSON bodies of the POSTs received, in order."""
        import json

        return [json.loads(r["body"]) for r in self.received]

    def close(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def _next_status(self, request: Request) -> tuple[int, bytes]:
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else 200
        return status, (b'{"ok": true}' if status < 300 else b"receiver says no")

    def _handle(self, request: Request) -> Response:
        # The path as sent, query included (werkzeug's full_path adds "?" to every path).
        path = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        with self._lock:
            self.hits.append((request.method, path))
        if request.method == "POST":
            body = request.get_data()
            with self._lock:
                self.received.append(
                    {
                        "path": path,
                        "headers": dict(request.headers),
                        "body": body,
                        "at": time.monotonic(),
                    }
                )
            status, answer = self.responder(request)
            return Response(answer, status=status)
        # A page is found by its path and query, or by its path whatever the query.
        status, headers, content = self.routes.get(path) or self.routes.get(request.path, NOT_FOUND)
        # werkzeug sends the Content-Length of the body and leaves the body out for HEAD.
        return _AsGiven(content, status=status, headers=headers)
