"""Response renderers beyond DRF's."""

from __future__ import annotations

import json
from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from rest_framework import renderers
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


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages, allowed inline styles on top of the site's Content-Security-Policy.

    DRF's base template places a few elements with style="..." and inlines Pygments' CSS in a
    `<style>`; those pages keep every other directive, scripts from 'self' only (the one inline
    handler, the logout link's onclick, is replaced in rest_framework/api.html).
    """

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            # Replaced, not added to: 'unsafe-inline' is ignored next to a hash, and the
            # style-src-attr hashes give way to style-src.
            response._csp_replace = {
                "style-src": [SELF, UNSAFE_INLINE],
                "style-src-attr": None,
            }
        return super().render(data, accepted_media_type, renderer_context)
