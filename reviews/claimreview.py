"""schema.org ClaimReview JSON-LD for a published review. Pure: no ORM queries, no settings.

The API (`GET /api/v1/claims/{id}/claimreview/`, the `/api/v1/claimreviews/` feed) and, later,
the web UI (embedded as `<script type="application/ld+json">`) build the markup here from
objects already loaded (claim with article and review) and the organization's name and URL.

Decisions:
- `url` is the stable public address of the fact check: `{organization_url}claims/{claim id}/`.
- `claimReviewed` is the claim restated (`summary`) when there is one, else the quote.
- `itemReviewed.author` is the claimant; without one, the claim is the article's own, so the
  author is its byline (a Person) or publisher (an Organization). A claimant is typed as an
  Organization when its name looks like one (see `ORGANIZATION_WORDS`), otherwise a Person.
- `itemReviewed.appearance` is the article URL with a Text Fragment (`#:~:text=`) that
  highlights the quote; quotes longer than `FRAGMENT_MAX_CHARS` use `textStart,textEnd`.
- `reviewRating` always names the verdict (`alternateName`) and the scale (5 best, 1 worst);
  `misleading` and `unproven` have no place on that scale, so they carry no `ratingValue`.
- `datePublished` is the first publication; `dateModified` the latest (after a correction or
  an update). What is shown is the live publication: the words, claimant, summary and verdict
  as published, whatever the claim and the review say now.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from reviews.workflow import VERDICT_RATING, Verdict

BEST_RATING = 5
WORST_RATING = 1
FRAGMENT_MAX_CHARS = 80
FRAGMENT_EDGE_WORDS = 4

ORGANIZATION_WORDS = frozenset(
    {
        "agency",
        "association",
        "bank",
        "bureau",
        "campaign",
        "commission",
        "committee",
        "company",
        "corp",
        "corporation",
        "council",
        "department",
        "foundation",
        "government",
        "group",
        "inc",
        "institute",
        "kremlin",
        "llc",
        "ltd",
        "ministry",
        "nato",
        "network",
        "office",
        "organisation",
        "organization",
        "party",
        "police",
        "service",
        "television",
        "times",
        "tv",
        "university",
    }
)
_WORD = re.compile(r"[a-z]+")
_SPACE = re.compile(r"\s+")


def text_fragment_encode(text: str) -> str:
    """Percent-encode one Text Fragment term: every reserved character, plus `-` (it marks
    prefix and suffix), `&` (it separates directives) and `,` (it separates the terms)."""
    return quote(text, safe="").replace("-", "%2D")


def text_fragment(quote_text: str) -> str:
    """The `:~:text=` directive that highlights the quote (without the leading `#`).

    Whitespace is collapsed (browsers match across line breaks); a long quote becomes
    `textStart,textEnd` from its first and last words, which browsers match as a range.
    """
    normalized = _SPACE.sub(" ", quote_text).strip()
    if not normalized:
        return ""
    words = normalized.split(" ")
    if len(normalized) > FRAGMENT_MAX_CHARS and len(words) > 2 * FRAGMENT_EDGE_WORDS:
        start = " ".join(words[:FRAGMENT_EDGE_WORDS])
        end = " ".join(words[-FRAGMENT_EDGE_WORDS:])
        return f":~:text={text_fragment_encode(start)},{text_fragment_encode(end)}"
    return f":~:text={text_fragment_encode(normalized)}"


def url_with_text_fragment(url: str, quote_text: str) -> str:
    """The URL with its own fragment replaced by a Text Fragment of the quote."""
    parts = urlsplit(url)
    directive = text_fragment(quote_text)
    return urlunsplit(parts._replace(fragment=directive))


def looks_like_organization(name: str) -> bool:
    lowered = name.lower()
    words = set(_WORD.findall(lowered))
    if words & ORGANIZATION_WORDS or "white house" in lowered:
        return True
    # An acronym of two or more capitals (NATO, WHO, UNICEF) names an organization.
    return bool(re.fullmatch(r"(?:the\s+)?[A-Z]{2,}(?:\s+[A-Z]{2,})*", name.strip()))


def claim_public_url(*, organization_url: str, claim_id: Any) -> str:
    base = organization_url if organization_url.endswith("/") else organization_url + "/"
    return f"{base}claims/{claim_id}/"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _party(name: str, kind: str | None = None) -> dict[str, str]:
    kind = kind or ("Organization" if looks_like_organization(name) else "Person")
    return {"@type": kind, "name": name}


def review_rating(verdict: str) -> dict[str, Any]:
    rating: dict[str, Any] = {
        "@type": "Rating",
        "alternateName": Verdict(verdict).label,
        "bestRating": BEST_RATING,
        "worstRating": WORST_RATING,
    }
    value = VERDICT_RATING.get(verdict)
    if value is not None:
        rating["ratingValue"] = value
    return rating


def claim_author(claim: Any, claimant: str | None = None) -> dict[str, str] | None:
    """Who made the claim: `claimant` (as published) when given, else the claim's own."""
    claimant = (claim.claimant if claimant is None else claimant or "").strip()
    if claimant:
        return _party(claimant)
    article = claim.article
    if article.byline.strip():
        return _party(article.byline.strip(), "Person")
    if article.publisher.strip():
        return _party(article.publisher.strip(), "Organization")
    return None


def claimreview_jsonld(
    *,
    claim: Any,
    review: Any,
    organization_name: str,
    organization_url: str,
    publication: Any | None = None,
    with_context: bool = True,
) -> dict[str, Any]:
    """The ClaimReview of a published review (the caller checks it is published).

    `publication` is the version served (the review's live publication): the quote, claimant,
    summary and verdict as published, and its date as `dateModified`. Without one, the claim
    and review as they are now are shown.
    """
    article = claim.article
    shown = publication if publication is not None else claim
    exact, summary = shown.exact, (shown.summary or "").strip()
    verdict = publication.verdict if publication is not None else review.verdict
    modified = publication.published_at if publication is not None else review.published_at
    organization = {"@type": "Organization", "name": organization_name, "url": organization_url}
    item: dict[str, Any] = {"@type": "Claim"}
    author = claim_author(claim, shown.claimant)
    if author:
        item["author"] = author
    if article.published_at:
        item["datePublished"] = _iso(article.published_at)
    if article.url:
        appearance: dict[str, Any] = {
            "@type": "CreativeWork",
            "url": url_with_text_fragment(article.url, exact),
            "headline": article.title,
        }
        if article.publisher:
            appearance["publisher"] = {"@type": "Organization", "name": article.publisher}
        item["appearance"] = appearance
    body: dict[str, Any] = {}
    if with_context:
        body["@context"] = "https://schema.org"
    body.update(
        {
            "@type": "ClaimReview",
            "url": claim_public_url(organization_url=organization_url, claim_id=claim.pk),
            "claimReviewed": summary or exact,
            "itemReviewed": item,
            "author": organization,
            "reviewRating": review_rating(verdict),
            "datePublished": _iso(review.first_published_at or modified),
        }
    )
    if modified and review.first_published_at and modified != review.first_published_at:
        body["dateModified"] = _iso(modified)
    return body
