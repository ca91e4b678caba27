"""A claim's evidence as one WACZ package (Web Archive Collection Zipped, spec 1.1.1). Pure: no
ORM, no storage; the caller hands in each snapshot's WARC bytes.

The package is a ZIP file:

- `archive/data.warc.gz`: the snapshots' WARC records (each already gzip per record), one
  after the other; stored, not deflated again.
- `indexes/index.cdx`: a CDXJ index of the response records (SURT key, 14-digit timestamp,
  JSON with url, mime, status, digest, length, offset, filename), sorted.
- `pages/pages.jsonl`: the json-pages-1.0 header line, then one page per snapshot (url, ts,
  title, the main text as cited, and the URL the evidence cites when it redirected).
- `datapackage.json`: every file above with its `sha256:` hash and size, and
  `datapackage-digest.json`: the hash of datapackage.json.

Written here rather than with py-wacz (PyPI `wacz`): that package is a command-line tool that
indexes WARC files on disk, and it pulls in frictionless (with its own stack of parsers and
validators) and boilerpy3 for validation and page text this project already has. The format
itself is a ZIP, a JSON manifest and a CDXJ index; warcio reads the records' offsets.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"
_INDEXED = ("response", "resource", "revisit")


@dataclass(frozen=True)
class WaczPage:
    """One snapshot: its WARC (gzip per record) and the page as the desk knows it."""

    url: str  # the URL the WARC records (the final URL after redirects)
    cited_url: str  # the URL the evidence cites
    captured_at: datetime
    title: str
    text: str
    warc: bytes


def surt(url: str) -> str:
    """The SURT sort key of a URL, as CDX indexes use it: `org,example)/path?query`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    key = ",".join(reversed(host.split("."))) if host else ""
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    path = (parts.path or "/").lower()
    query = f"?{parts.query.lower()}" if parts.query else ""
    return f"{key}){path}{query}"


def _timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _index_lines(warc: bytes, base_offset: int) -> list[tuple[str, str]]:
    """(sort key, CDXJ line) of the records worth replaying in one snapshot's WARC."""
    lines = []
    iterator = ArchiveIterator(io.BytesIO(warc))
    for record in iterator:
        if record.rec_type not in _INDEXED:
            continue
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        date = record.rec_headers.get_header("WARC-Date") or ""
        status = record.http_headers.get_statuscode() if record.http_headers else "200"
        mime = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        iterator.read_to_end(record)
        fields = {
            "url": url,
            "mime": mime.split(";", 1)[0].strip() or "unk",
            "status": status,
            "digest": digest,
            "length": str(iterator.get_record_length()),
            "offset": str(base_offset + iterator.get_record_offset()),
            "filename": WARC_NAME,
        }
        stamp = "".join(ch for ch in date if ch.isdigit())[:14]
        key = f"{surt(url)} {stamp}"
        lines.append((key, f"{key} {json.dumps(fields, ensure_ascii=False)}"))
    return lines


class _Hashing:
    """A write-only stream that counts and hashes what passes through it."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.target.write(data)
        self.sha256.update(data)
        self.size += len(data)


def wacz_write(
    out: IO[bytes], pages: Iterable[WaczPage], *, title: str, software: str, now: datetime
) -> int:
    """Write the WACZ of `pages` to `out` (seekable). Returns the number of pages.

    `pages` is read once, one snapshot at a time, so only one WARC is in memory at a time.
    """
    resources: list[dict[str, object]] = []
    index: list[tuple[str, str]] = []
    listed: list[dict[str, str]] = []
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        info = zipfile.ZipInfo(f"archive/{WARC_NAME}", date_time=now.timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        with archive.open(info, "w", force_zip64=True) as raw:
            warc = _Hashing(raw)
            for number, page in enumerate(pages, start=1):
                index.extend(_index_lines(page.warc, warc.size))
                warc.write(page.warc)
                entry = {
                    "id": f"page-{number}",
                    "url": page.url,
                    "ts": _iso(page.captured_at),
                    "title": page.title or page.url,
                }
                if page.text:
                    entry["text"] = page.text
                if page.cited_url and page.cited_url != page.url:
                    entry["cited_url"] = page.cited_url
                listed.append(entry)
        resources.append(_resource(WARC_NAME, f"archive/{WARC_NAME}", warc))

        index.sort()
        cdx = "".join(line + "\n" for _, line in index).encode("utf-8")
        header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
        jsonl = "".join(
            json.dumps(item, ensure_ascii=False) + "\n" for item in [header, *listed]
        ).encode("utf-8")
        for name, path, data in (
            ("index.cdx", "indexes/index.cdx", cdx),
            ("pages.jsonl", "pages/pages.jsonl", jsonl),
        ):
            _write(archive, path, data, now)
            resources.append(
                {
                    "name": name,
                    "path": path,
                    "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                }
            )

        package: dict[str, object] = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": title,
            "software": software,
            "created": _iso(now),
            "resources": resources,
        }
        if listed:
            package["mainPageURL"] = listed[0]["url"]
            package["mainPageDate"] = listed[0]["ts"]
        manifest = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        _write(archive, "datapackage.json", manifest, now)
        digest = {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(manifest).hexdigest(),
        }
        _write(archive, "datapackage-digest.json", json.dumps(digest).encode("utf-8"), now)
    return len(listed)


def _resource(name: str, path: str, stream: _Hashing) -> dict[str, object]:
    return {
        "name": name,
        "path": path,
        "hash": "sha256:" + stream.sha256.hexdigest(),
        "bytes": stream.size,
    }


def _write(archive: zipfile.ZipFile, path: str, data: bytes, now: datetime) -> None:
    info = zipfile.ZipInfo(path, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
