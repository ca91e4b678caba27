"""Extract articles from saved pages: `manage.py extract_article PATH [PATH ...]`.

Reads each `.html` or `.html.gz` file (any other name is read as HTML too) and prints one JSON
object per file on its own line: `{"path", "title", "byline", "published_at", "publisher",
"language", "text", "problem", "message"}` (`problem` is "" when the text is usable; see
annotations.extraction.Problem). A file that cannot be read gets a line with problem
"unreadable"; the command goes on with the next one.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from annotations.extraction import DEFAULT_MAX_BYTES, Extraction, Problem, extract


def read_page(path: Path, *, max_bytes: int) -> bytes:
    """The page's bytes, gunzipped for `.gz`; at most max_bytes + 1 of them (so an oversized
    page is refused by its size, and a gzip bomb is never inflated past the cap)."""
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read(max_bytes + 1)
    with path.open("rb") as fh:
        return fh.read(max_bytes + 1)


def extraction_line(path: str, extraction: Extraction) -> dict[str, Any]:
    published = extraction.published_at
    return {
        "path": path,
        "title": extraction.title,
        "byline": extraction.byline,
        "published_at": published.isoformat() if published else None,
        "publisher": extraction.publisher,
        "language": extraction.language,
        "text": extraction.text,
        "problem": extraction.problem,
        "message": extraction.message,
    }


class Command(BaseCommand):
    help = "Print the main text and metadata of saved .html / .html.gz pages, one JSON line each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=DEFAULT_MAX_BYTES,
            help=f"refuse pages larger than this (default {DEFAULT_MAX_BYTES:,})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        max_bytes: int = options["max_bytes"]
        for name in options["paths"]:
            try:
                data = read_page(Path(name), max_bytes=max_bytes)
            except (OSError, EOFError, zlib.error) as exc:
                line = extraction_line(name, Extraction())
                line["problem"] = "unreadable"
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                line["message"] = f"The file could not be read: {reason}."
            else:
                extraction = extract(data, max_bytes=max_bytes)
                if extraction.problem == Problem.TOO_LARGE:
                    extraction = Extraction(
                        problem=Problem.TOO_LARGE,
                        message=f"The page is larger than {max_bytes:,} bytes; not extracted.",
                    )
                line = extraction_line(name, extraction)
            self.stdout.write(json.dumps(line, ensure_ascii=False))
