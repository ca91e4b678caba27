"""Delivery signatures: `X-Factcheck-Signature: t=<unix time>,v1=<hex>`.

`v1` is HMAC-SHA256 with the subscription's secret over `"<t>." + body` (the raw request
body bytes). Receivers recompute it, compare in constant time, and refuse timestamps older
than a few minutes (replays). Pure: no Django.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-Factcheck-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300


def secret_generate() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signature_verify(
    *,
    secret: str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver does: True when `header` signs `body` with `secret`, recently."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
