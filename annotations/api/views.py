"""HTTP in, service call, HTTP out. Rules live in services and selectors."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors, webannotation
from annotations.api import serializers as s
from annotations.api.filters import ArticleFilter, ClaimFilter, ClaimOrderingFilter, LinkFilter
from annotations.linkhealth.links import link_request_check
from annotations.models import Article, Claim, FetchState
from annotations.services import article_fetch
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


def _article_body(request: Request, article: Article, output: Any, **context: Any) -> Any:
    claims = selectors.article_claims_for_output(user=request.user, article=article)
    context |= {
        "request": request,
        "claims": claims,
        "offset_maps": selectors.claims_offset_maps(claims, articles=[article]),
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
        responses={
            201: s.ArticleSubmitOutput,
            200: s.ArticleSubmitOutput,
            202: OpenApiResponse(
                s.ArticleSubmitOutput,
                description="Submitted by URL, not fetched within the request: the article is "
                "`fetching` and a worker finishes it (`ready` or `failed`).",
            ),
            **ERRORS,
            422: OpenApiResponse(
                description="Submitted by URL, and the page is no article (not found, not HTML, "
                "too big, a login or consent wall, a paywall, a front page, ...): nothing "
                "stored; `code` names the reason."
            ),
        },
        description="Submit an article. The same `url` again returns the same article; a new "
        "revision is stored only if the text changed (then its claims re-anchor). A `url` "
        "alone is fetched through the egress layer and its main text and metadata extracted "
        "(text or html sent win: nothing is fetched).",
    )
    def post(self, request: Request) -> Response:
        data = s.ArticleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = article_services.article_submit(by=request.user, **data.validated_data)
        body = _article_body(request, outcome.article, s.ArticleSubmitOutput, status=outcome.status)
        return Response(body, status=_submit_status(outcome))


def _submit_status(outcome: article_services.SubmitOutcome) -> int:
    if outcome.article.fetch_state == FetchState.FETCHING:
        return status.HTTP_202_ACCEPTED
    if outcome.status == "created":
        return status.HTTP_201_CREATED
    return status.HTTP_200_OK


class ArticleRefetchView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        request=None,
        responses={
            202: s.ArticleOutput,
            **ERRORS,
            409: OpenApiResponse(description="The article has no URL."),
        },
        description="Fetch the article's page again now (a worker; reviewers and editors). A "
        "changed main text is a new revision and the claims re-anchor; the same text stores "
        "nothing. A `failed` article is fetched as at first.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        article = selectors.article_get_for_user(user=request.user, article_id=pk)
        article_fetch.article_request_refetch(article=article, by=request.user)
        article = selectors.article_get_for_user(user=request.user, article_id=pk)
        return Response(_article_body(request, article, s.ArticleOutput), status=202)


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
    # `search` is ClaimFilter's (full-text, annotations.search); `ordering` the claim lists'.
    filter_backends = (DjangoFilterBackend, ClaimOrderingFilter)

    def get_queryset(self) -> Any:
        return selectors.claim_list_for_output(user=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        claims = list(page or [])
        selectors.claims_attach_evidence(claims)
        context = {
            **self.get_serializer_context(),
            "offset_maps": selectors.claims_offset_maps(claims),
        }
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
            409: OpenApiResponse(
                description="A published claim's words cannot change (its claimant, summary "
                "or span); a span another claim holds; an orphaned claim's span."
            ),
            412: OpenApiResponse(description="Stale If-Match: the claim changed."),
            428: OpenApiResponse(description="If-Match is missing."),
        },
        description="Edit a claim's claimant, summary and tags, and before publication its "
        "span: `start`/`end` (code points) or `utf16_start`/`utf16_end`; an edge not sent "
        "stays. The new span is validated as a new claim's and the quote read from the text.",
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


class ClaimMergeView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        request=s.ClaimMergeInput,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Optional: this claim's ETag as last read; a stale one is a 412.",
            )
        ],
        responses={
            200: s.ClaimOutput,
            **ERRORS,
            409: OpenApiResponse(description="Either claim was published: never merged away."),
            412: OpenApiResponse(description="Stale If-Match: the claim changed."),
        },
        description="Merge `other` (a claim of the same article) into this claim: its "
        "evidence, discussion and notifications move here and `other` is deleted with its "
        "review. This claim keeps its span and review; an empty claimant or summary is taken "
        "from `other`, tags are joined; a link both cite stays once.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        data = s.ClaimMergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            other = selectors.claim_get_for_user(
                user=request.user, claim_id=data.validated_data["other"]
            )
        except NotFound as exc:
            raise DomainError("No such claim.", field="other") from exc
        header = request.headers.get("If-Match")
        expected = (
            if_match_version(header, subject="claim", source="GET /api/v1/claims/{id}/")
            if header
            else None
        )
        review_services.claims_merge(
            claim=claim, other=other, by=request.user, expected_version=expected
        )
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        return _claim_response(claim)


class ClaimantListView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Part of the name (case-insensitive)."),
        ],
        responses={200: s.ClaimantOutput(many=True), **ERRORS},
        description="The desk's earlier claimants, most recently used first (at most 20), for "
        "autocomplete: without `q`, those of the latest claims.",
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "")
        if len(q) > 300:
            raise DomainError("q is longer than a claimant can be (300).", field="q")
        rows = selectors.claimant_suggestions(user=request.user, q=q)
        return Response(s.ClaimantOutput(rows, many=True).data)


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

    @extend_schema(
        request=s.EvidenceUpdateInput,
        responses={
            200: s.EvidenceOutput,
            **ERRORS,
            409: OpenApiResponse(
                description="The claim is published: its sources change only through an "
                "editor's `update` transition."
            ),
        },
        description="Edit an evidence item's stance, title or note.",
    )
    def patch(self, request: Request, pk: Any) -> Response:
        evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=pk)
        data = s.EvidenceUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        review_services.evidence_edit(evidence=evidence, by=request.user, **data.validated_data)
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
        claims = selectors.claim_list_of_article(user=request.user, article=article).order_by(
            "start", "end", "created_at", "pk"
        )
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


class LinkListView(generics.ListAPIView):
    serializer_class = s.LinkOutput
    filterset_class = LinkFilter
    search_fields = ("url", "host")
    ordering_fields = ("created_at", "last_checked_at", "next_check_at")

    def get_queryset(self) -> Any:
        return selectors.link_list_with_recent_checks(user=self.request.user)


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
