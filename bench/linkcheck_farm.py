#!/usr/bin/env python3
"""A farm of slow HTTP servers on 127.0.0.1 .. 127.0.0.N for the link-check benchmark.

Every host answers after a fixed latency, counts the requests in flight on it and keeps the
peak, so the benchmark can show that no checker exceeded its per-host limit. Each server is
bound to its own loopback address (all of 127.0.0.0/8 is loopback on Linux) and the same
port. A control server on 127.0.0.1:<control-port> answers GET /stats (JSON) and POST /reset.

Paths: /p/<n> 200 (an article), /gone/<n> 404, /moved/<n> 301 to /p/<n>, /flaky/<n> 503 on
the first request then 200, /limited/<n> 429 (Retry-After: 1) on the first request then 200;
anything else is a 404 page (what a soft-404 probe sees).

Run: python bench/linkcheck_farm.py --hosts 20 --port 8080 --latency 0.05 --control-port 8099
It prints "ready" once every server listens. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections import defaultdict

WORDS = [
    "ministry",
    "report",
    "casualty",
    "estimates",
    "budget",
    "election",
    "committee",
    "hearing",
    "court",
    "ruling",
    "survey",
    "evidence",
    "analysis",
    "figures",
    "witness",
    "statement",
    "border",
    "agreement",
    "treaty",
    "inquiry",
    "climate",
    "emissions",
    "harvest",
    "shipment",
    "prices",
    "inflation",
    "spokesman",
    "deputy",
    "governor",
    "council",
]


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.in_flight: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.total: dict[str, int] = defaultdict(int)
        self.first_seen: set[tuple[str, str]] = set()

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "peak_in_flight": dict(self.peak),
                "requests": dict(self.total),
                "in_flight": {k: v for k, v in self.in_flight.items() if v},
                "total_requests": sum(self.total.values()),
            }
        ).encode()


STATS = Stats()


def article(n: int) -> bytes:
    words = [WORDS[(n * 7 + i * 13) % len(WORDS)] for i in range(120)]
    text = " ".join(words)
    # Letters, not digits, in the title: "Report 404" would rightly look like an error page.
    name = "".join(chr(97 + int(d)) for d in str(n))
    return (
        f"<!doctype html><html><head><title>Report {name}</title></head><body>"
        f"<nav>Home News World</nav><article><h1>Report number {n}</h1>"
        f"<p>{text}</p><p>Reference {n * 7919}.</p></article></body></html>"
    ).encode()


NOT_FOUND = (
    b"<!doctype html><html><head><title>Not found</title></head><body><h1>404</h1></body></html>"
)


def route(host: str, method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    parts = path.split("?", 1)[0].strip("/").split("/")
    kind = parts[0] if parts else ""
    try:
        n = int(parts[1]) if len(parts) > 1 else -1
    except ValueError:
        n = -1
    html = [("Content-Type", "text/html; charset=utf-8")]
    if n >= 0:
        first = (host, path) not in STATS.first_seen
        STATS.first_seen.add((host, path))
        if kind == "p":
            return 200, html + [("ETag", f'"p{n}"')], article(n)
        if kind == "gone":
            return 404, html, NOT_FOUND
        if kind == "moved":
            return 301, [("Location", f"/p/{n}")], b""
        if kind == "flaky":
            return (503, html, b"busy") if first else (200, html, article(n))
        if kind == "limited":
            if first:
                return 429, html + [("Retry-After", "1")], b"slow down"
            return 200, html, article(n)
    return 404, html, NOT_FOUND


REASONS = {
    200: "OK",
    301: "Moved Permanently",
    404: "Not Found",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class FarmProtocol(asyncio.Protocol):
    def __init__(self, host: str, latency: float) -> None:
        self.host = host
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > 65536:
            self.transport.close()  # type: ignore[union-attr]
            return
        self._next()

    def _next(self) -> None:
        if self.busy or self.closing or b"\r\n\r\n" not in self.buffer:
            return
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, path, version = lines[0].split(" ", 2)
        except ValueError:
            self.transport.close()  # type: ignore[union-attr]
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        self.busy = True
        STATS.in_flight[self.host] += 1
        STATS.total[self.host] += 1
        STATS.peak[self.host] = max(STATS.peak[self.host], STATS.in_flight[self.host])
        loop = asyncio.get_running_loop()
        loop.call_later(self.latency, self._respond, method, path, keep_alive)

    def _respond(self, method: str, path: str, keep_alive: bool) -> None:
        STATS.in_flight[self.host] -= 1
        self.busy = False
        if self.transport is None or self.transport.is_closing():
            return
        status, headers, body = route(self.host, method, path)
        out = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        out += [f"{k}: {v}" for k, v in headers]
        out.append(f"Content-Length: {len(body)}")
        out.append("Connection: keep-alive" if keep_alive else "Connection: close")
        payload = ("\r\n".join(out) + "\r\n\r\n").encode() + (b"" if method == "HEAD" else body)
        self.transport.write(payload)
        if keep_alive:
            self._next()
        else:
            self.closing = True
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class ControlProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            return
        line = self.buffer.split(b"\r\n", 1)[0].decode("latin-1")
        if line.startswith("POST /reset"):
            STATS.reset()
        body = STATS.as_json()
        self.transport.write(  # type: ignore[attr-defined]
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        self.transport.close()  # type: ignore[attr-defined]


async def main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    servers = []
    for i in range(1, args.hosts + 1):
        host = f"127.0.0.{i}"
        servers.append(
            await loop.create_server(
                lambda host=host: FarmProtocol(host, args.latency),
                host,
                args.port,
                backlog=4096,
                reuse_address=True,
            )
        )
    servers.append(
        await loop.create_server(
            ControlProtocol, "127.0.0.1", args.control_port, reuse_address=True
        )
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--control-port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=0.05)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
