"""HTTP in, service call, HTTP out. Rules live in services and selectors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors, webannotation
from annotations.anchoring import OffsetMap
from annotations.api import serializers as s
from annotations.api.filters import ArticleFilter, ClaimFilter, LinkFilter
from annotations.linkhealth.services import link_request_check
from annotations.models import Article, ArticleRevision, Claim, Evidence, LinkCheck
from annotations.services import articles as article_services
from annotations.services import claims as claim_services
from factcheck.conditional import if_match_version, representation_digest, version_etag
from factcheck.errors import DomainError, NotFound
from factcheck.roles import EDITOR, REVIEWER, SUBMITTER
from reviews import services as review_services

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names each field's problem."),
    403: OpenApiResponse(description="Your role does not allow this."),
    404: OpenApiResponse(description="No such object (or not visible to you)."),
}


def _claims_of(user: Any, article: Article) -> QuerySet[Claim]:
    # The article is known, and its revisions' texts are read once per revision
    # (_offset_maps), not once per claim row: for 1,000 claims of a 100,000-character
    # article that is the difference between kilobytes and 200 MB.
    return (
        selectors.claim_list(user=user)
        .filter(article=article)
        .select_related(None)
        .select_related("revision", "created_by", "review", "review__assignee")
        .defer("revision__text")
    )


def _offset_maps(claims: Iterable[Claim], *, article: Article | None = None) -> dict[int, Any]:
    """One OffsetMap per revision the claims point into, for ClaimOutput's utf16 offsets.

    Texts come from ``article`` (its current revision), from revisions loaded with the
    claims, or else from one query.
    """
    maps: dict[int, OffsetMap] = {}
    wanted: set[int] = set()
    for claim in claims:
        if claim.revision_id in maps:
            continue
        revision = claim.revision
        if (
            article is not None
            and claim.article_id == article.pk
            and revision.number == article.current_revision
        ):
            maps[claim.revision_id] = OffsetMap(article.text)
        elif "text" not in revision.get_deferred_fields():
            maps[claim.revision_id] = OffsetMap(revision.text)
        else:
            wanted.add(claim.revision_id)
    wanted -= maps.keys()
    if wanted:
        rows = ArticleRevision.objects.filter(pk__in=wanted).values_list("pk", "text")
        maps.update((pk, OffsetMap(text)) for pk, text in rows)
    return maps


# What ClaimOutput reads of a claim's related rows: users' usernames, the revision's number
# (its text comes once, through _offset_maps), the review summary's fields.
_BODY_COLUMNS = tuple(f.name for f in Claim._meta.concrete_fields if f.name not in ("article",)) + (
    "article",
    "revision__number",
    "revision__article",
    "created_by__username",
    "review__claim",
    "review__state",
    "review__verdict",
    "review__needs_rereview",
    "review__version",
    "review__assignee__username",
)


# What EvidenceOutput reads (its fields, LinkSummaryOutput's, and evidence_is_stale's).
_EVIDENCE_COLUMNS = (
    "id",
    "claim",
    "url",
    "title",
    "stance",
    "note",
    "archive_url",
    "fingerprint_at_attach",
    "changed",
    "created_at",
    "added_by__username",
    *(f"link__{name}" for name in s.LinkSummaryOutput.Meta.fields),
    "link__last_ok_at",
)


def _evidence_for_output() -> QuerySet[Evidence]:
    return (
        Evidence.objects.select_related("link", "added_by")
        .only(*_EVIDENCE_COLUMNS)
        .order_by("created_at")
    )


def _claims_for_body(user: Any, article: Article) -> list[Claim]:
    """The article's claims for ClaimOutput: the columns it reads, and their evidence loaded
    by article (one query) rather than by a list of a thousand claim ids."""
    claims = list(_claims_of(user, article).prefetch_related(None).defer(None).only(*_BODY_COLUMNS))
    if not claims:
        return claims
    _attach_evidence(claims, _evidence_for_output().filter(claim__article=article))
    return claims


def _attach_evidence(claims: list[Claim], evidence: Iterable[Evidence]) -> None:
    """What prefetch_related("evidence") does, in one pass over ``evidence``.

    The rows go where prefetch_related puts them (claim.evidence.all() answers from there),
    as a list rather than a filled queryset per claim: cloning those cost more than the query.
    """
    by_claim: dict[Any, list[Evidence]] = {claim.pk: [] for claim in claims}
    for row in evidence:
        rows = by_claim.get(row.claim_id)
        if rows is not None:
            rows.append(row)
    for claim in claims:
        claim._prefetched_objects_cache = {"evidence": by_claim[claim.pk]}  # type: ignore[attr-defined]


def _article_body(request: Request, article: Article, output: Any, **context: Any) -> Any:
    claims = _claims_for_body(request.user, article)
    context |= {
        "request": request,
        "claims": claims,
        "offset_maps": _offset_maps(claims, article=article),
    }
    return output(article, context=context).data


class ArticleListCreateView(generics.ListAPIView):
    write_roles = (SUBMITTER, REVIEWER, EDITOR)
    serializer_class = s.ArticleListOutput
    filterset_class = ArticleFilter
    search_fields = ("title", "publisher", "byline", "url")
    ordering_fields = ("created_at", "published_at", "title")

    def get_queryset(self) -> Any:
        return selectors.article_list(user=self.request.user)

    @extend_schema(
        request=s.ArticleCreateInput,
        responses={201: s.ArticleSubmitOutput, 200: s.ArticleSubmitOutput, **ERRORS},
        description="Submit an article. The same `url` again returns the same article; a new "
        "revision is stored only if the text changed (then its claims re-anchor).",
    )
    def post(self, request: Request) -> Response:
        data = s.ArticleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = article_services.article_submit(by=request.user, **data.validated_data)
        body = _article_body(request, outcome.article, s.ArticleSubmitOutput, status=outcome.status)
        code = status.HTTP_201_CREATED if outcome.status == "created" else status.HTTP_200_OK
        return Response(body, status=code)


class ArticleDetailView(APIView):
    @extend_schema(responses={200: s.ArticleOutput, 404: ERRORS[404]})
    def get(self, request: Request, pk: Any) -> Response:
        article = selectors.article_get_for_user(user=request.user, article_id=pk)
        return Response(_article_body(request, article, s.ArticleOutput))


class ArticleClaimCreateView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        request=s.ClaimCreateInput,
        responses={
            201: s.ClaimOutput,
            409: OpenApiResponse(description="Duplicate claim."),
            **ERRORS,
        },
        description="Mark a claim by offsets (`start`/`end` in code points, or `utf16_start`/"
        "`utf16_end`), by quote (`exact` with optional `prefix`/`suffix`), or both.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        article = selectors.article_get_for_user(user=request.user, article_id=pk)
        data = s.ClaimCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        claim = claim_services.claim_create(article=article, by=request.user, **data.validated_data)
        claim = selectors.claim_get_for_user(user=request.user, claim_id=claim.pk)
        return _claim_response(claim, status=status.HTTP_201_CREATED)


class ClaimListView(generics.ListAPIView):
    serializer_class = s.ClaimOutput
    filterset_class = ClaimFilter
    search_fields = ("exact", "summary", "claimant")
    ordering_fields = ("created_at", "updated_at", "start")

    def get_queryset(self) -> Any:
        # Claims of many articles: each row brings its revision's text (which its offsets
        # point into); the article is not joined (the output needs its id only).
        # Only the columns ClaimOutput reads, of the claims and of their related rows.
        return (
            selectors.claim_list(user=self.request.user)
            .select_related(None)
            .select_related("revision", "created_by", "review", "review__assignee")
            .only(*_BODY_COLUMNS, "revision__text")
            .prefetch_related(None)  # list() attaches the page's evidence
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        claims = list(page or [])
        if claims:
            pks = [claim.pk for claim in claims]
            _attach_evidence(claims, _evidence_for_output().filter(claim_id__in=pks))
        context = {**self.get_serializer_context(), "offset_maps": _offset_maps(claims)}
        data = s.ClaimOutput(claims, many=True, context=context).data
        return self.get_paginated_response(data)


def _claim_response(claim: Claim, **kwargs: Any) -> Response:
    """A claim with its ETag: its version (what If-Match checks) and a digest of the body
    (evidence and link health change it too, and If-None-Match must see that)."""
    body = s.ClaimOutput(claim).data
    response = Response(body, **kwargs)
    response["ETag"] = version_etag(claim.version, representation_digest(body))
    return response


class ClaimDetailView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(responses={200: s.ClaimOutput, 404: ERRORS[404]})
    def get(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        return _claim_response(claim)

    @extend_schema(
        request=s.ClaimUpdateInput,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The claim's ETag as last read (GET /api/v1/claims/{id}/).",
            )
        ],
        responses={
            200: s.ClaimOutput,
            **ERRORS,
            409: OpenApiResponse(description="A published claim's words cannot change."),
            412: OpenApiResponse(description="Stale If-Match: the claim changed."),
            428: OpenApiResponse(description="If-Match is missing."),
        },
    )
    def patch(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        data = s.ClaimUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        expected = if_match_version(
            request.headers.get("If-Match"), subject="claim", source="GET /api/v1/claims/{id}/"
        )
        review_services.claim_edit(
            claim=claim, by=request.user, expected_version=expected, **data.validated_data
        )
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        return _claim_response(claim)

    @extend_schema(
        responses={
            204: None,
            **ERRORS,
            409: OpenApiResponse(description="The claim was published: it is never deleted."),
        }
    )
    def delete(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        review_services.claim_remove(claim=claim, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClaimEvidenceCreateView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(request=s.EvidenceCreateInput, responses={201: s.EvidenceOutput, **ERRORS})
    def post(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        data = s.EvidenceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = review_services.evidence_add(claim=claim, by=request.user, **data.validated_data)
        evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence.pk)
        return Response(s.EvidenceOutput(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceDetailView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(responses={200: s.EvidenceOutput, 404: ERRORS[404]})
    def get(self, request: Request, pk: Any) -> Response:
        evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=pk)
        return Response(s.EvidenceOutput(evidence).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: Any) -> Response:
        evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=pk)
        review_services.evidence_remove(evidence=evidence, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebAnnotationView(APIView):
    """Serves W3C Web Annotation JSON-LD (``application/ld+json`` with the anno profile), or
    plain JSON to a client that asks for ``application/json``."""

    renderer_classes = (webannotation.WebAnnotationRenderer, JSONRenderer)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(response, "accepted_renderer", None)
        if isinstance(renderer, webannotation.WebAnnotationRenderer) and response.status_code < 400:
            response.content_type = webannotation.ANNO_MEDIA_TYPE
        return response


class ClaimAnnotationView(WebAnnotationView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, 404: ERRORS[404]},
        description="The claim as a W3C Web Annotation (JSON-LD, "
        '`application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"`).',
    )
    def get(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        return Response(webannotation.claim_annotation(claim, iri=request.build_absolute_uri))


class ArticleAnnotationsView(WebAnnotationView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "page",
                int,
                description="An AnnotationPage (from 0); without it, the AnnotationCollection "
                "with its first page embedded.",
            )
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        description="The article's claims as a W3C Web Annotation AnnotationCollection.",
    )
    def get(self, request: Request, pk: Any) -> Response:
        article = selectors.article_get_for_user(user=request.user, article_id=pk)
        page = _page_number(request.query_params.get("page"))
        claims = _claims_of(request.user, article).order_by("start", "end", "created_at", "pk")
        body = webannotation.article_annotations(
            article, claims, iri=request.build_absolute_uri, page=page
        )
        if body is None:
            raise NotFound(f"No page {page} in this collection.")
        return Response(body)


def _page_number(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 9:
        raise DomainError("page must be a whole number from 0.", field="page")
    return int(value)


def _with_recent_checks(queryset: Any) -> Any:
    # A sliced prefetch: Django fetches only the latest few checks of each link of the page
    # (ROW_NUMBER() over link, in one query), however many checks a link has piled up.
    shown = settings.LINKCHECK_RECENT_CHECKS_SHOWN
    recent = LinkCheck.objects.order_by("-checked_at", "-id")[:shown]
    return queryset.prefetch_related(Prefetch("checks", queryset=recent, to_attr="recent"))


class LinkListView(generics.ListAPIView):
    serializer_class = s.LinkOutput
    filterset_class = LinkFilter
    search_fields = ("url", "host")
    ordering_fields = ("created_at", "last_checked_at", "next_check_at")

    def get_queryset(self) -> Any:
        return _with_recent_checks(selectors.link_list(user=self.request.user))


class LinkDetailView(APIView):
    @extend_schema(responses={200: s.LinkOutput, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        link = selectors.link_get_for_user(user=request.user, link_id=pk)
        return Response(s.LinkOutput(link).data)


class LinkRecheckView(APIView):
    # Who may: link_request_check decides (403 for a submitter).
    @extend_schema(request=None, responses={202: s.LinkOutput, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        link = selectors.link_get_for_user(user=request.user, link_id=pk)
        link_request_check(link=link, by=request.user)
        link.refresh_from_db()
        return Response(s.LinkOutput(link).data, status=status.HTTP_202_ACCEPTED)
