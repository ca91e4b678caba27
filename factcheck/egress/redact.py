"""IP addresses withheld from error texts that reach users (the UI, the API, webhook logs).

A connection error names the address it was pinned to ("Connect call failed ('10.0.0.5',
80)"); where a name resolved to is the checker's business, not the user's. Pure Python.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from factcheck.egress.guard import IPAddress, UnsafeURL, parse_ipv4_literal

# Anything that may be an IP address in an error text: checked with `ipaddress` below.
_ADDRESS_LIKE_RE = re.compile(
    r"\b\d{1,3}(?:\.\d{1,3}){3}\b|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}"
)
WITHHELD_ADDRESS = "<address>"


def _url_literal(url: str) -> IPAddress | None:
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
        if ":" in host:
            return ipaddress.ip_address(host)
        return parse_ipv4_literal(host)
    except (ValueError, UnsafeURL):
        return None


def redact_addresses(message: str, *urls: str) -> str:
    """`message` with every IP address replaced, except those typed as a host in `urls`.

    Error texts reach users (the UI, the API); the addresses a name resolved to (or the one a
    connection was pinned to) are the checker's business, not theirs.
    """
    if not message:
        return message
    typed = {literal for literal in map(_url_literal, urls) if literal is not None}

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return text
        mapped = getattr(addr, "ipv4_mapped", None)
        return text if addr in typed or mapped in typed else WITHHELD_ADDRESS

    return _ADDRESS_LIKE_RE.sub(swap, message)
