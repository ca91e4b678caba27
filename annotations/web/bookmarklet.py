"""The bookmarklet "Send this page to the desk" and the quote it brings along.

The bookmarklet runs in the page the reader is on (never in the desk, whose CSP forbids
`javascript:` URLs): it opens the desk's submit form with `?url=` (the page's address) and,
when words are selected, `?quote=` (them). Once the article is stored, the quote is marked as
a claim through the claim service when the extracted text contains it; when it does not (or
the text is not in yet), the reader opens with the quote in its "mark by quote" box.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, QueryDict

from annotations import anchoring
from annotations.models import Article, Claim, FetchState
from annotations.services import claims as claim_services
from factcheck.errors import DomainError
from factcheck.roles import is_reviewer

# A selection longer than this is cut (a claim is a sentence or two; a URL stays short).
QUOTE_MAX_CHARS = 1000


def bookmarklet_href(submit_url: str) -> str:
    """The `javascript:` URL of the bookmarklet for the desk whose submit form is at
    `submit_url` (absolute). No `%` in the code: browsers percent-decode a bookmarklet."""
    code = (
        "(function(){"
        "var s=String(window.getSelection()||'').trim().slice(0," + str(QUOTE_MAX_CHARS) + ");"
        "var u=" + json.dumps(submit_url) + "+'?url='+encodeURIComponent(location.href)"
        "+(s?'&quote='+encodeURIComponent(s):'');"
        "location.href=u;"
        "})();"
    )
    return "javascript:" + code


def submit_initial(query: QueryDict) -> dict[str, str]:
    """The submit form's initial values from the bookmarklet's `?url=&quote=`."""
    return {
        "url": query.get("url", "")[:2048],
        "quote": query.get("quote", "")[:QUOTE_MAX_CHARS],
    }


def quote_in_text(text: str, quote: str) -> str | None:
    """The words of `text` that `quote` selects, or None. A selection in a browser joins
    paragraphs and wraps lines its own way, so any run of whitespace matches any other."""
    try:
        quote = anchoring.normalize_text(quote).strip()
    except anchoring.AnchorError:
        return None
    if not quote:
        return None
    if quote in text:
        return quote
    words = quote.split()
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return match.group() if match else None


def quote_mark(request: HttpRequest, *, article: Article, quote: str) -> Claim | None:
    """Mark `quote` as a claim of `article` for the signed-in user, telling them how it went.
    None when it could not be marked (the message says why)."""
    quote = quote.strip()
    if not quote:
        return None
    if not is_reviewer(request.user):
        messages.info(request, "The selected text was not marked: only reviewers mark claims.")
        return None
    if article.fetch_state != FetchState.READY:
        messages.info(
            request,
            "The selected text is kept in the “mark a claim by its quote” box: mark it once the "
            "article's text is in.",
        )
        return None
    exact = quote_in_text(article.text, quote)
    if exact is None:
        messages.warning(
            request,
            "The selected text was not found in the article's text, so no claim was marked. "
            "It is in the “mark a claim by its quote” box below: correct it to the words of "
            "the text.",
        )
        return None
    try:
        claim = claim_services.claim_create(article=article, by=request.user, exact=exact)
    except DomainError as exc:
        messages.warning(request, f"The selected text was not marked as a claim: {exc.message}")
        return None
    messages.success(request, "The selected text is marked as a claim.")
    return claim


def reader_query(claim: Claim | None, quote: str) -> dict[str, Any]:
    """Where the reader opens after a submit with a quote: the new claim, or the quote."""
    if claim is not None:
        return {"claim": str(claim.pk)}
    return {"quote": quote} if quote.strip() else {}
