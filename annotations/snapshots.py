"""The page as cited: a fetched response as a WARC record, and its main text. Pure: no ORM.

`capture_build` turns one `FetchResult` (from the egress layer) into what an evidence
snapshot stores: the request and response as WARC records (warcio; gzip per record), the
SHA-256 of the body, and the main text of the page (`annotations.extraction.extract`: the
same function that reads articles, for HTML and PDF alike). A page that is not HTML or PDF, is
empty or has no main text still gets its WARC, with the reason the text is missing.

The response headers in the record are the ones the fetcher keeps (content type, length,
validators, server); the body is stored as received after content decoding, so the record
says `Content-Encoding` nowhere and gives the stored length. A body cut at the cap is marked
`WARC-Truncated: length`.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from annotations.extraction import extract
from factcheck.egress.fetcher import FetchResult

# Reason phrases for the WARC status line (the fetcher keeps only the code).
_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content"}


@dataclass(frozen=True)
class Capture:
    url: str
    final_url: str
    status_code: int | None
    content_type: str
    sha256: str
    body_bytes: int
    truncated: bool
    warc: bytes
    title: str
    text: str
    text_sha256: str
    problem: str
    message: str


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""


def capture_build(result: FetchResult, *, user_agent: str, max_bytes: int) -> Capture:
    """What to keep of one fetch of an evidence page (see the module)."""
    body = result.body
    truncated = len(body) >= max_bytes
    content_type = result.headers.get("content-type", "")
    warc = _warc(result, user_agent=user_agent, truncated=truncated)
    problem, message, title, text = "", "", "", ""
    if not body:
        problem, message = "empty", "The page sent no body."
    else:
        page = extract(body, url=result.final_url or result.url, content_type=content_type)
        title, text = page.title, page.text
        problem, message = page.problem, page.message
        if truncated and not problem:
            message = f"The page is larger than {max_bytes:,} bytes; the first part was kept."
    return Capture(
        url=result.url,
        final_url=result.final_url or result.url,
        status_code=result.status_code,
        content_type=content_type[:200],
        sha256=hashlib.sha256(body).hexdigest(),
        body_bytes=len(body),
        truncated=truncated,
        warc=warc,
        title=title[:500],
        text=text,
        text_sha256=text_hash(text),
        problem=str(problem)[:40],
        message=message[:300],
    )


def _warc(result: FetchResult, *, user_agent: str, truncated: bool) -> bytes:
    url = result.final_url or result.url
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    request = writer.create_warc_record(
        url,
        "request",
        payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders(
            f"{result.method or 'GET'} {target} HTTP/1.1",
            [("Host", parts.netloc), ("User-Agent", user_agent), ("Accept-Encoding", "identity")],
            is_http_request=True,
        ),
    )
    status = result.status_code or 0
    headers = [
        (name.title(), value)
        for name, value in result.headers.items()
        if name.lower() not in ("content-length", "content-encoding", "transfer-encoding")
    ]
    headers.append(("Content-Length", str(len(result.body))))
    warc_headers = {"WARC-Truncated": "length"} if truncated else None
    response = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(result.body),
        length=len(result.body),
        http_headers=StatusAndHeaders(
            f"{status} {_REASONS.get(status, 'OK' if 200 <= status < 300 else 'Status')}",
            headers,
            protocol="HTTP/1.1",
        ),
        warc_headers_dict=warc_headers,
    )
    writer.write_request_response_pair(request, response)
    return buffer.getvalue()
