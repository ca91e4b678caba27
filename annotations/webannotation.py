"""Claims as W3C Web Annotations (https://www.w3.org/TR/annotation-model/), JSON-LD.

A claim is an Annotation whose target is a SpecificResource of the article: its source is the
article's URL (or, for an article submitted without one, its API IRI), its selectors the
claim's TextQuoteSelector and TextPositionSelector, and its state a TimeState whose
``sourceDate`` is the revision the selectors point into (the current one, unless the claim is
orphaned). The review's verdict and rationale are TextualBodies with purpose ``assessing``;
the summary is ``describing``, tags ``tagging``, evidence links ``linking``.

An article's claims are an AnnotationCollection whose pages (``?page=0``, ``1``, ...) hold
``PAGE_SIZE`` annotations each, ordered by position in the text.

Positions are code points of the article's plain text, as the model's TextPositionSelector
counts them; the API's ``utf16_*`` offsets have no place in the model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from rest_framework.renderers import JSONRenderer

from annotations.models import Article, Claim

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ANNO_MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
PAGE_SIZE = 100

# Makes an absolute IRI of a path on this site (request.build_absolute_uri).
IriBuilder = Callable[[str], str]


class WebAnnotationRenderer(JSONRenderer):
    """JSON-LD with the Web Annotation profile.

    Matches ``Accept: application/ld+json`` with or without the profile parameter (DRF
    requires a renderer's parameters to appear in Accept, so the parameter is not part of
    ``media_type``); the view sends ``ANNO_MEDIA_TYPE`` as the Content-Type.
    """

    media_type = "application/ld+json"
    format = "jsonld"


def _datetime(value: datetime) -> str:
    # xsd:dateTime in UTC with "Z", as the model requires of TimeState.sourceDate and
    # recommends for created/modified.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _agent(user: Any) -> dict[str, Any]:
    agent: dict[str, Any] = {"type": "Person", "nickname": user.username}
    name = user.get_full_name()
    if name:
        agent["name"] = name
    return agent


def _text_body(value: str, purpose: str, **extra: str) -> dict[str, Any]:
    return {"type": "TextualBody", "purpose": purpose, "value": value, "format": "text/plain"} | (
        extra
    )


def article_source_iri(article: Article, *, iri: IriBuilder) -> str:
    return article.url or iri(reverse("v1:article-detail", args=[article.pk]))


def claim_annotation_iri(claim: Claim, *, iri: IriBuilder) -> str:
    return iri(reverse("v1:claim-annotation", args=[claim.pk]))


def claim_annotation(
    claim: Claim, *, iri: IriBuilder, source: str | None = None, embedded: bool = False
) -> dict[str, Any]:
    """The claim as an Annotation.

    ``claim`` comes with ``article``, ``revision``, ``created_by``, ``review`` and
    ``evidence`` loaded (``selectors.claim_list``). ``source`` saves recomputing the target's
    source for every claim of one article; ``embedded`` leaves out ``@context`` (an
    annotation inside a page inherits it).
    """
    review = getattr(claim, "review", None)
    bodies: list[dict[str, Any]] = []
    if review is not None and review.verdict:
        bodies.append(_text_body(review.get_verdict_display(), "assessing", language="en"))
    if review is not None and review.rationale:
        bodies.append(_text_body(review.rationale, "assessing"))
    if claim.summary:
        bodies.append(_text_body(claim.summary, "describing"))
    bodies += [{"type": "TextualBody", "purpose": "tagging", "value": tag} for tag in claim.tags]
    bodies += [
        {"type": "SpecificResource", "purpose": "linking", "source": evidence.url}
        for evidence in claim.evidence.all()
    ]

    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": claim.exact}
    if claim.prefix:
        quote["prefix"] = claim.prefix
    if claim.suffix:
        quote["suffix"] = claim.suffix
    modified = claim.updated_at
    if review is not None and review.updated_at > modified:
        modified = review.updated_at

    annotation: dict[str, Any] = {}
    if not embedded:
        annotation["@context"] = ANNO_CONTEXT
    annotation |= {
        "id": claim_annotation_iri(claim, iri=iri),
        "type": "Annotation",
        "motivation": "assessing" if review is not None and review.verdict else "highlighting",
        "created": _datetime(claim.created_at),
        "modified": _datetime(modified),
        "creator": _agent(claim.created_by),
        "generator": {"id": iri("/"), "type": "Software", "name": "factcheck"},
    }
    if bodies:
        annotation["body"] = bodies
    annotation["target"] = {
        "type": "SpecificResource",
        "source": source or article_source_iri(claim.article, iri=iri),
        # Alternatives for one segment; the quote first, since it survives edits of the page.
        "selector": [
            quote,
            {"type": "TextPositionSelector", "start": claim.start, "end": claim.end},
        ],
        "state": {"type": "TimeState", "sourceDate": _datetime(claim.revision.created_at)},
    }
    return annotation


def article_annotations(
    article: Article, claims: QuerySet[Claim], *, iri: IriBuilder, page: int | None
) -> dict[str, Any] | None:
    """The article's claims as an AnnotationCollection (``page`` None, with the first page
    embedded) or one AnnotationPage of it. None when ``page`` is past the last one."""
    collection_iri = iri(reverse("v1:article-annotations", args=[article.pk]))
    total = claims.count()
    last = max(0, (total - 1) // PAGE_SIZE)
    label = f"Claims marked in “{article.title}”"
    if page is None:
        collection: dict[str, Any] = {
            "@context": ANNO_CONTEXT,
            "id": collection_iri,
            "type": "AnnotationCollection",
            "label": label,
            "total": total,
        }
        if total:
            # The model: a collection with annotations has a first (here embedded) and last page.
            collection["first"] = _page(
                article, claims, iri=iri, collection_iri=collection_iri, page=0, last=last
            )
            collection["last"] = f"{collection_iri}?page={last}"
        return collection
    if page > last:
        return None
    body = _page(article, claims, iri=iri, collection_iri=collection_iri, page=page, last=last)
    body["partOf"] = {
        "id": collection_iri,
        "type": "AnnotationCollection",
        "label": label,
        "total": total,
    }
    return {"@context": ANNO_CONTEXT, **body}


def _page(
    article: Article,
    claims: QuerySet[Claim],
    *,
    iri: IriBuilder,
    collection_iri: str,
    page: int,
    last: int,
) -> dict[str, Any]:
    start = page * PAGE_SIZE
    source = article_source_iri(article, iri=iri)
    items = [
        claim_annotation(claim, iri=iri, source=source, embedded=True)
        for claim in claims[start : start + PAGE_SIZE]
    ]
    body: dict[str, Any] = {
        "id": f"{collection_iri}?page={page}",
        "type": "AnnotationPage",
        "partOf": collection_iri,
        "startIndex": start,
    }
    if page > 0:
        body["prev"] = f"{collection_iri}?page={page - 1}"
    if page < last:
        body["next"] = f"{collection_iri}?page={page + 1}"
    body["items"] = items
    return body
