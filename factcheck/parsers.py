"""Request body parsers beyond DRF's: newline-delimited JSON for bulk uploads."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


@dataclass(frozen=True)
class LineError:
    """An NDJSON line that is not JSON: reported for its item, the other lines still count."""

    line: int
    message: str


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class NDJSONParser(BaseParser):
    """`application/x-ndjson`: one JSON value per line; blank lines are skipped.

    Returns a list. A line that does not parse becomes a `LineError` in its place, so a bulk
    endpoint can answer for each line rather than refuse the whole upload.
    """

    media_type = "application/x-ndjson"

    def parse(  # type: ignore[override]  # a list, not a mapping: one item per line
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(stream.read(), encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"NDJSON body is not valid {encoding}: {exc}") from exc
        items: list[Any] = []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line, parse_constant=_refuse_constant))
            except ValueError as exc:
                items.append(LineError(line=number, message=f"Line {number} is not JSON: {exc}"))
        return items
