#!/usr/bin/env python3
"""Snapshot storage per evidence: what capturing a page as cited costs, in bytes and time.

Serves real news pages from a local HTTP server on 127.0.0.1 (the Zyte article-extraction
benchmark's pages under --data, default /work/shared/benchmarks/article-extraction/html, as
bench/extraction reads them; the HTML page pairs of tests/annotations/corpus/textchange when
that is missing), fetches each through the egress layer as a capture does
(`factcheck.egress.fetcher.fetch` with GET, the snapshot body cap) and builds its snapshot with
`annotations.snapshots.capture_build`: the WARC (request + response, gzip per record) and the
main text. --pages captures in all, cycling through the pages.

What one evidence stores: the WARC file (storage backend) plus the main text (a database
column of the snapshot, and the first PageText version: counted twice, as stored). Prints the
median, p95 and largest of that per evidence, the page bodies' own sizes, captures per second
on one process, and `ratio_to_body=R`: the median stored bytes over the median body bytes
(what a snapshot costs against keeping the raw page alone; the WARC is gzipped, the text is
not).

Run from the repository root: python bench/snapshots.py [--pages 200] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations.snapshots import capture_build  # noqa: E402
from factcheck.egress.fetcher import FetchConfig, fetch, make_client  # noqa: E402
from factcheck.egress.guard import EgressPolicy  # noqa: E402

DEFAULT_DATA = Path("/work/shared/benchmarks/article-extraction/html")
CORPUS = ROOT / "tests" / "annotations" / "corpus" / "textchange"
MAX_BYTES = 5 * 1024 * 1024  # EVIDENCE_SNAPSHOT_MAX_BYTES's default


def load_pages(data: Path) -> list[bytes]:
    if data.is_dir() and any(data.glob("*.html.gz")):
        return [gzip.decompress(p.read_bytes()) for p in sorted(data.glob("*.html.gz"))]
    return [p.read_bytes() for p in sorted(CORPUS.glob("*/*.html"))]


def serve(pages: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = pages[int(self.path.strip("/").split("/")[-1]) % len(pages)]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def capture_all(port: int, count: int) -> tuple[list[tuple[int, int, int]], float]:
    policy = EgressPolicy.from_strings(
        allowed_networks=["127.0.0.1/32"], egress_allowlist=["127.0.0.0/8"], allowed_ports=[port]
    )
    config = FetchConfig(max_body_bytes=MAX_BYTES)
    sizes = []
    started = time.perf_counter()
    async with make_client(config) as client:
        for n in range(count):
            result = await fetch(
                f"http://127.0.0.1:{port}/page/{n}",
                policy=policy,
                config=config,
                client=client,
                want_body=True,
            )
            assert result.status_code == 200, result.error_message
            capture = capture_build(result, user_agent=config.user_agent, max_bytes=MAX_BYTES)
            text_bytes = len(capture.text.encode("utf-8"))
            sizes.append((len(result.body), len(capture.warc), text_bytes))
    return sizes, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    pages = load_pages(args.data)
    server = serve(pages)
    try:
        sizes, seconds = asyncio.run(capture_all(server.server_address[1], args.pages))
    finally:
        server.shutdown()
    bodies = [body for body, _, _ in sizes]
    warcs = [warc for _, warc, _ in sizes]
    texts = [text for _, _, text in sizes]
    stored = [warc + 2 * text for _, warc, text in sizes]
    print(f"{args.pages} captures of {len(pages)} distinct pages in {seconds:.1f}s "
          f"({args.pages / seconds:.1f} captures/s, one process)")  # fmt: skip
    for name, values in (
        ("page body", bodies),
        ("WARC (gzip)", warcs),
        ("main text", texts),
        ("stored per evidence (WARC + text twice)", stored),
    ):
        print(f"{name}: median {statistics.median(values) / 1024:.1f} KiB, "
              f"p95 {percentile(values, 0.95) / 1024:.1f} KiB, "
              f"max {max(values) / 1024:.1f} KiB")  # fmt: skip
    print(f"per 1,000 evidence links: ~{sum(stored) / len(stored) * 1000 / 1024**2:.0f} MiB")
    print(f"stored_median_bytes={statistics.median(stored):.0f}")
    print(f"stored_p95_bytes={percentile(stored, 0.95)}")
    print(f"ratio_to_body={statistics.median(stored) / statistics.median(bodies):.2f}")


if __name__ == "__main__":
    main()
