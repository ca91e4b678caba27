"""Response renderers beyond DRF's."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.renderers import BaseRenderer


class NDJSONRenderer(BaseRenderer):
    """`application/x-ndjson`. Streamed exports write their own lines; this renders what
    else such an endpoint answers (an error body) as one JSON line."""

    media_type = "application/x-ndjson"
    format = "jsonl"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
