"""URLs read the way a browser reads them, and one canonical spelling per page.

Every URL the desk stores (article, evidence, archive copy, webhook) is parsed by the WHATWG
URL Standard (the `ada-url` parser, as browsers do) rather than by `urllib.parse`, which
reads RFC 3986 and disagrees with browsers on inputs such as
`https://evil.example\\@www.reuters.com/`: urllib sees the host www.reuters.com, a browser
opens evil.example (a backslash is a slash in http and https). The desk stores and shows
the browser's reading, so the host it shows, the page it checks and the page a reader
opens are one.

Host names are WHATWG's ASCII form (UTS 46 mapping, punycode), and each internationalized
label must also be valid IDNA 2008 (the `idna` package): `straße.de` is
`xn--strae-oqa.de`, never IDNA 2003's `strasse.de` (another domain); emoji and malformed
punycode labels are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import idna
from ada_url import URL, HostType

# Query parameters that identify a campaign or a click, never the page.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref_src"}
)
# The longest URL accepted as input, and the default limit of a stored one (Link.url).
MAX_URL_LENGTH = 4096
SCHEMES = ("http:", "https:")

# WHATWG strips leading and trailing "C0 control or space" before parsing.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
# Inside a URL a browser silently drops tab and newline and treats the other controls
# differently per component; refusing them keeps what is shown and what is opened the same.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A DNS label as registries allow it (letters, digits, inner hyphens). Underscores are
# refused as Django's URLValidator refuses them: one rule for every URL the desk takes.
_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_MAX_HOST_LENGTH = 253


class InvalidURL(ValueError):
    pass


@dataclass(frozen=True)
class ParsedURL:
    """One URL as a browser reads it."""

    href: str  # the browser's serialization: what a link to this URL opens
    scheme: str  # "http" | "https"
    userinfo: str  # "user:pass@" as given (percent-encoded), or ""
    host: str  # ASCII host (punycode, IPv4 dotted, IPv6 in brackets), no trailing dot
    port: str  # "" for the scheme's default port
    path: str
    query: str  # without "?"


def parse_url(url: str) -> ParsedURL:
    """Parse an absolute http(s) URL the WHATWG way, or raise InvalidURL with a message."""
    if not isinstance(url, str):
        raise InvalidURL("Enter a URL.")
    url = url.strip(_C0_OR_SPACE)
    if not url:
        raise InvalidURL("Enter a URL.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"URLs may be at most {MAX_URL_LENGTH} characters long.")
    if _CONTROL.search(url):
        raise InvalidURL("URLs may not contain control characters.")
    if not _SCHEME.match(url):
        raise InvalidURL("Only http and https URLs are accepted.")
    try:
        parsed = URL(url)
    except ValueError as exc:
        raise InvalidURL("This is not a valid URL (check the host name and port).") from exc
    if parsed.protocol not in SCHEMES:
        raise InvalidURL("Only http and https URLs are accepted.")
    host = parsed.hostname
    if parsed.host_type == HostType.DEFAULT:
        host = _domain_check(host)
    if not host:
        raise InvalidURL("The URL has no host.")
    userinfo = ""
    if parsed.username or parsed.password:
        userinfo = parsed.username + (f":{parsed.password}" if parsed.password else "") + "@"
    return ParsedURL(
        href=parsed.href,
        scheme=parsed.protocol[:-1],
        userinfo=userinfo,
        host=host,
        port=parsed.port,
        path=parsed.pathname or "/",
        query=parsed.search[1:],
    )


def _domain_check(host: str) -> str:
    """The host name without its trailing dot, refused unless every label is a valid DNS
    label: LDH for ASCII labels, IDNA 2008 (UTS 46) for punycode ones."""
    name = host[:-1] if host.endswith(".") else host
    if len(name) > _MAX_HOST_LENGTH:
        raise InvalidURL(f"Host names may be at most {_MAX_HOST_LENGTH} characters long.")
    for label in name.split("."):
        if label.startswith("xn--"):
            try:
                valid = idna.encode(label, uts46=True).decode("ascii") == label
            except (idna.IDNAError, UnicodeError) as exc:
                raise InvalidURL(
                    f"The host {_shown(name)!r} is not a valid international domain name: {exc}."
                ) from exc
            if not valid:
                raise InvalidURL(f"The host {_shown(name)!r} is not a valid domain name.")
        elif not _LDH_LABEL.match(label):
            raise InvalidURL(
                f"The host {_shown(name)!r} is not a valid domain name: each part may hold "
                "only letters, digits and inner hyphens (no underscores, no empty parts, "
                "at most 63 characters)."
            )
    return name


def _shown(host: str) -> str:
    """A host as people read it, for messages (punycode labels decoded where possible)."""
    try:
        return idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        return host


def _fits(url: str, max_length: int) -> str:
    if len(url) > max_length:
        raise InvalidURL(
            f"This URL is {len(url):,} characters long once normalized (international "
            f"characters are percent-encoded); the limit is {max_length:,}."
        )
    return url


def browser_url(url: str, *, max_length: int = MAX_URL_LENGTH) -> str:
    """The URL as a browser serializes it (fragment and all): what a link to it opens.

    Raises InvalidURL, also when the serialization is longer than `max_length` (the
    column it goes into)."""
    return _fits(parse_url(url).href, max_length)


def canonical_url(url: str, *, max_length: int = MAX_URL_LENGTH) -> str:
    """One spelling per page: the browser's reading, without fragment, default port,
    trailing dot of the host, empty query or tracking parameters.

    Raises InvalidURL for anything that is not an absolute http(s) URL with a valid host,
    or whose canonical form is longer than `max_length`.
    """
    parts = parse_url(url)
    netloc = parts.userinfo + parts.host + (f":{parts.port}" if parts.port else "")
    # Filter the pairs rather than re-encoding them: the page's own parameters keep the
    # spelling a browser sends.
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=", 1)[0])
    )
    canonical = f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
    return _fits(canonical, max_length)


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def url_host(url: str) -> str:
    """The host a browser connects to for `url` (IPv6 without brackets); '' if invalid."""
    try:
        return parse_url(url).host.strip("[]")
    except InvalidURL:
        return ""
