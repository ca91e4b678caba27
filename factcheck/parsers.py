"""Request body parsers: JSON with a nesting limit, and newline-delimited JSON for bulk uploads.

Python's `json` decodes nested arrays and objects by recursion: a 2 KB body of 1,000 `[`
ends in a RecursionError (a 500) instead of a 400. Every body is measured before it is
decoded (`json_depth_check`, a scan without recursion) and refused past `JSON_MAX_DEPTH`.
The standard library has no depth limit and DRF none either, hence these few lines.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# DRF's charset check (text encodings only); not in the type stubs yet.
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]
from rest_framework.utils.json import strict_constant

# Bytes that are not structure: everything but quotes, brackets and braces (a UTF-8
# multi-byte sequence never holds an ASCII byte, so this is safe on any UTF-8 text).
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
# Openers to +1 and closers to -1, read as signed bytes.
_SIGNS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")


_UTF8 = {"utf-8", "utf8"}


class JSONTooDeep(ValueError):
    pass


@dataclass(frozen=True)
class LineError:
    """An NDJSON line that is not JSON: reported for its item, the other lines still count."""

    line: int
    message: str


def json_depth_check(text: str | bytes, *, max_depth: int | None = None) -> None:
    """Raise JSONTooDeep when arrays and objects in `text` nest deeper than `max_depth`
    (default: settings.JSON_MAX_DEPTH).

    No recursion and no per-character Python loop (a 5 MB body is measured in well under a
    second): escaped quotes and backslashes are dropped, then every byte but quotes and
    brackets, then the strings (what lies between pairs of quotes), and the depth is the
    largest running sum of +1 per opener and -1 per closer. Malformed JSON is measured as
    it comes; the decoder then says what is wrong with it.
    """
    limit = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return  # cannot nest deeper than the brackets it holds
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    signs = b"".join(data.split(b'"')[::2]).translate(_SIGNS)
    too_deep = JSONTooDeep(f"JSON nested deeper than {limit} levels is not accepted.")
    if b"\x01" * (limit + 1) in signs:
        raise too_deep  # a run of openers: no need to add up
    if signs.count(b"\x01") > limit and max(accumulate(array("b", signs))) > limit:
        raise too_deep


def json_loads(text: str | bytes, *, max_depth: int | None = None) -> Any:
    """`json.loads` for untrusted input: strict about NaN/Infinity, refused past the depth
    limit (JSONTooDeep, a ValueError) before decoding starts."""
    json_depth_check(text, max_depth=max_depth)
    return json.loads(text, parse_constant=strict_constant)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit (the project's default JSON parser)."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            body = stream.read()
            return json_loads(body if encoding.lower() in _UTF8 else body.decode(encoding))
        except JSONTooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}", code="too_deep") from exc
        except ValueError as exc:  # UnicodeDecodeError is one
            raise ParseError(f"JSON parse error - {exc}") from exc


def _read_bounded(stream: Any, parser_context: Mapping[str, Any]) -> bytes:
    """The whole body, never more than DATA_UPLOAD_MAX_MEMORY_SIZE in memory: refused on a
    Content-Length over it before reading, and read at most one byte past it otherwise
    (Content-Length can be absent or understated)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return bytes(stream.read())
    request = parser_context.get("request")
    meta = getattr(request, "META", {})
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_big = RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    if declared > limit:
        raise too_big
    body = bytes(stream.read(limit + 1))
    if len(body) > limit:
        raise too_big
    return body


class NDJSONParser(parsers.BaseParser):
    """`application/x-ndjson`: one JSON value per line; blank lines are skipped.

    Returns a list. A line that does not parse (or nests too deep) becomes a `LineError` in
    its place, so a bulk endpoint can answer for each line rather than refuse the upload.
    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused (RequestDataTooBig: a 413).
    """

    media_type = "application/x-ndjson"

    def parse(  # type: ignore[override]  # a list, not a mapping: one item per line
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        context = parser_context or {}
        # DRF's check: a text encoding only (a bz2_codec "charset" would decompress the body
        # after its size was checked).
        encoding = get_encoding(context)
        body = _read_bounded(stream, context)
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"NDJSON body is not valid {encoding}: {exc}") from exc
        items: list[Any] = []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append(json_loads(line))
            except ValueError as exc:
                items.append(LineError(line=number, message=f"Line {number} is not JSON: {exc}"))
        return items
