"""Optimistic concurrency over HTTP: ETags that carry a row's version, and If-Match.

A versioned row (a review, a claim) bumps an integer `version` on every change. Its ETag is
`"<version>"`, or `"<version>-<digest>"` where the representation holds more than the row
(a claim's evidence and link health): the digest keeps If-None-Match honest, and If-Match
compares the version only. Writes that must not be lost send the ETag back in If-Match:
missing is a 428, not one of our ETags or stale is a 412.

Hand-written rather than taken from a library: DRF has no precondition support, and the
version check has to happen inside the service's transaction, under the row lock, which a
view decorator (django.views.decorators.http.condition, drf-extensions' etag) cannot do.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from factcheck.errors import PreconditionFailed, PreconditionRequired

# A PositiveIntegerField holds at most 10 digits; anything longer is not one of ours (and
# int() of thousands of digits is refused by Python itself).
_VERSION_ETAG = re.compile(r'(?:W/)?"?(\d{1,10})(?:-[0-9a-f]{1,64})?"?')


def representation_digest(data: Any) -> str:
    """A short digest of a serialized representation (what If-None-Match compares)."""
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.blake2b(encoded, digest_size=8).hexdigest()


def version_etag(version: int, digest: str = "") -> str:
    """The ETag of a row at `version` (with the representation's `digest`, if given)."""
    return f'"{version}-{digest}"' if digest else f'"{version}"'


def if_match_version(header: str | None, *, subject: str, source: str) -> int:
    """The version an If-Match header names.

    Missing or blank: 428 (saying to send the `subject`'s ETag from `source`). Not one of our
    ETags (`*`, which would skip the check, a list, garbage, an absurdly long number): 412.
    Weak ETags (`W/"3"`) are accepted: compression middleware weakens the ones we send.
    """
    if header is None or not header.strip():
        raise PreconditionRequired(f"Send If-Match with the {subject}'s ETag (from {source}).")
    match = _VERSION_ETAG.fullmatch(header.strip())
    if not match:
        shown = header if len(header) <= 60 else header[:60] + "…"
        raise PreconditionFailed(f"If-Match {shown!r} is not an ETag of this {subject}.")
    return int(match.group(1))
