"""Canonical URLs: one spelling per page, so articles and links deduplicate."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the page.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref_src"}
)
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 4096


class InvalidURL(ValueError):
    pass


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters.

    Raises InvalidURL for anything that is not an absolute http(s) URL.
    """
    url = url.strip()
    if not url:
        raise InvalidURL("Enter a URL.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"URLs may be at most {MAX_URL_LENGTH} characters long.")
    if any(ch in url for ch in "\r\n\t\x00"):
        raise InvalidURL("URLs may not contain control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"This is not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidURL("Only http and https URLs are accepted.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL("The URL has no host.")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        host = host.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = ""
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        userinfo += "@"
    netloc = f"{userinfo}{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    # Filter the raw pairs rather than re-encoding them: the page's own parameters keep
    # exactly the spelling the publisher used.
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0])
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
