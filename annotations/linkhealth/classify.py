"""Turn one fetch into a link health. Pure: no I/O, no ORM; the clock comes in as `now`.

The verdict is a `LinkHealth` (the model's own choices): ok, redirected, broken, dead, error,
blocked, soft_404, unsafe. `unchecked` is the state before any check and never comes out of
here.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

from annotations.linkhealth.fingerprint import (
    fingerprint_similarity,
    main_text,
    page_fingerprint,
    page_title,
    tokens,
)
from annotations.linkhealth.health import LinkHealth
from factcheck.egress.fetcher import FetchResult


@dataclass(frozen=True)
class Classification:
    health: LinkHealth
    retryable: bool = False
    retry_after_seconds: int | None = None
    reason: str = ""


# "Dead" needs repeated evidence: this many broken checks, spread over at least this long,
# so one bad minute (a DNS blip, a deploy) never kills a source.
DEAD_MIN_CHECKS = 3
DEAD_MIN_SPAN = timedelta(days=3)
# Pages this similar to the site's answer for a random path are its "not found" page.
SOFT404_SIMILARITY = 0.9
# Below this many words two pages are too thin to compare (JS shells look alike everywhere).
SOFT404_MIN_TOKENS = 30
RETRY_AFTER_CAP = 7 * 24 * 3600

_TRANSIENT_ERRORS = {
    "timeout": "timed out",
    "reset": "connection reset",
    "too_many_redirects": "too many redirects",
    "redirect_loop": "redirect loop",
    "protocol": "protocol error",
}
_BLOCKED_STATUSES = frozenset({401, 403, 407, 429, 451, 999})  # 999: LinkedIn's bot refusal
_GONE_STATUSES = frozenset({404, 410})
_FRONT_PAGE_PATHS = frozenset(
    {"", "/", "/index.html", "/index.htm", "/index.php", "/default.aspx", "/home", "/home/"}
)
_LOCALE_FRONT_RE = re.compile(r"^/[a-z]{2}(?:[-_][a-z]{2})?/?$", re.I)
_NOT_FOUND_TITLE_RE = re.compile(
    r"(?:^|\W)404(?:$|\W)|not\s+found|page\s+(?:does\s+not|doesn.?t)\s+exist"
    r"|no\s+longer\s+available|page\s+introuvable|nicht\s+gefunden|no\s+encontrad"
    r"|non\s+trovat|niet\s+gevonden|n[aã]o\s+encontrad",
    re.I,
)
_BOT_WALL_RE = re.compile(
    rb"captcha|just a moment|attention required|cf-chl|checking your browser"
    rb"|ddos protection|are you a robot|are you human|verify you are human"
    rb"|px-captcha|datadome|perimeterx|request unsuccessful\. incapsula",
    re.I,
)


def soft404_probe_url(url: str) -> str:
    """A random path next to `url` on the same origin: what the site says for a missing page.

    The probe sits in the same directory because sites often route sections differently.
    """
    parts = urlsplit(url.strip())
    directory = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
    slug = f"factcheck-probe-{secrets.token_hex(8)}"
    return urlunsplit((parts.scheme, parts.netloc, f"{directory}/{slug}", "", ""))


def _norm(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port and port != {"http": 80, "https": 443}.get(scheme):
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _path(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


def _is_front_page(path: str) -> bool:
    return path.lower() in _FRONT_PAGE_PATHS or bool(_LOCALE_FRONT_RE.match(path))


def parse_retry_after(value: str | None, *, now: datetime) -> int | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(int(value), RETRY_AFTER_CAP)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    seconds = math.ceil((when - reference).total_seconds())
    return min(max(seconds, 0), RETRY_AFTER_CAP)


def _is_dead(prior_broken_at: Iterable[datetime], now: datetime) -> bool:
    def aware(dt: datetime) -> datetime:
        return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)

    current = aware(now)
    earlier = [aware(dt) for dt in prior_broken_at if aware(dt) <= current]
    if len(earlier) + 1 < DEAD_MIN_CHECKS:
        return False
    return current - min(earlier) >= DEAD_MIN_SPAN


def _broken(reason: str, *, prior_broken_at: Iterable[datetime], now: datetime) -> Classification:
    if _is_dead(prior_broken_at, now):
        return Classification(LinkHealth.DEAD, reason=f"{reason} (broken on repeated checks)")
    return Classification(LinkHealth.BROKEN, reason=reason)


def _looks_like_bot_wall(result: FetchResult) -> bool:
    if "cf-mitigated" in result.headers:
        return True
    return bool(result.body and _BOT_WALL_RE.search(result.body[:65536]))


def _soft404_reason(result: FetchResult, probe: FetchResult | None) -> str:
    # 1. A deep link that lands on the front page: the article is gone, the site shrugs.
    if (
        len(result.hops) > 1
        and not _is_front_page(_path(result.url))
        and _is_front_page(_path(result.final_url))
    ):
        return "redirected from a deep link to the site's front page"
    if not result.body:
        return ""
    content_type = result.headers.get("content-type", "")
    # 2. An error page served with 200.
    title = page_title(result.body, content_type)
    if title and _NOT_FOUND_TITLE_RE.search(title):
        return f"error page served with 200 (title {title[:80]!r})"
    # 3. Same page as the site's answer for a path that cannot exist.
    if (
        probe is not None
        and not probe.error_class
        and probe.status_code is not None
        and 200 <= probe.status_code < 300
        and probe.body
    ):
        probe_type = probe.headers.get("content-type", "")
        if (
            len(tokens(main_text(result.body, content_type))) >= SOFT404_MIN_TOKENS
            and len(tokens(main_text(probe.body, probe_type))) >= SOFT404_MIN_TOKENS
        ):
            similarity = fingerprint_similarity(
                page_fingerprint(result.body, content_type),
                page_fingerprint(probe.body, probe_type),
            )
            if similarity >= SOFT404_SIMILARITY:
                return f"same page as a random missing path (similarity {similarity:.2f})"
    return ""


def classify(
    result: FetchResult,
    *,
    soft404_probe: FetchResult | None = None,
    prior_broken_at: Iterable[datetime] = (),
    now: datetime,
) -> Classification:
    """The health one check shows.

    `prior_broken_at`: when earlier checks of this link were broken (since it was last ok);
    together with this check they decide between broken and dead.
    `soft404_probe`: the fetch of `soft404_probe_url(result.url)`, when one was made.
    """
    retry_after = parse_retry_after(result.headers.get("retry-after"), now=now)
    error = result.error_class

    if error == "unsafe":
        return Classification(LinkHealth.UNSAFE, reason=result.error_message or "refused by guard")
    if error == "invalid_url":
        return _broken(
            f"invalid URL: {result.error_message}", prior_broken_at=prior_broken_at, now=now
        )
    if error == "dns":
        return _broken(
            f"DNS failure: {result.error_message}", prior_broken_at=prior_broken_at, now=now
        )
    if error == "connect":
        return _broken(
            f"connection failed: {result.error_message}", prior_broken_at=prior_broken_at, now=now
        )
    if error in _TRANSIENT_ERRORS:
        return Classification(
            LinkHealth.ERROR,
            retryable=True,
            retry_after_seconds=retry_after,
            reason=f"{_TRANSIENT_ERRORS[error]}: {result.error_message}",
        )
    status = result.status_code
    if error or status is None:
        return Classification(
            LinkHealth.ERROR, retryable=True, reason=result.error_message or "no response"
        )

    if 200 <= status < 300 or status == 304:
        if status != 304 and "cf-mitigated" in result.headers:
            return Classification(LinkHealth.BLOCKED, reason=f"bot challenge served with {status}")
        if status != 304:
            soft = _soft404_reason(result, soft404_probe)
            if soft:
                return Classification(LinkHealth.SOFT_404, reason=soft)
        if result.permanent_redirect and _norm(result.final_url) != _norm(result.url):
            return Classification(
                LinkHealth.REDIRECTED, reason=f"permanently moved to {result.final_url}"
            )
        return Classification(LinkHealth.OK, reason="not modified" if status == 304 else "")

    if status in _BLOCKED_STATUSES:
        return Classification(
            LinkHealth.BLOCKED,
            retryable=status == 429,
            retry_after_seconds=retry_after,
            reason=f"HTTP {status}",
        )
    if status in _GONE_STATUSES:
        return _broken(f"HTTP {status}", prior_broken_at=prior_broken_at, now=now)
    if status >= 400 and _looks_like_bot_wall(result):
        return Classification(
            LinkHealth.BLOCKED, retry_after_seconds=retry_after, reason=f"bot wall (HTTP {status})"
        )
    if status >= 500 or status in (408, 425):
        return Classification(
            LinkHealth.ERROR,
            retryable=True,
            retry_after_seconds=retry_after,
            reason=f"HTTP {status}",
        )
    if 400 <= status < 500:
        return _broken(f"HTTP {status}", prior_broken_at=prior_broken_at, now=now)
    # 1xx or a 3xx without a usable Location: nothing to judge the page by.
    return Classification(LinkHealth.ERROR, retryable=False, reason=f"unexpected HTTP {status}")
