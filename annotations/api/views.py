"""HTTP in, service call, HTTP out. Rules live in services and selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors, services
from annotations.api import serializers as s
from annotations.api.filters import ArticleFilter, ClaimFilter, LinkFilter
from annotations.linkhealth.services import link_request_check
from annotations.models import LinkCheck
from factcheck.roles import EDITOR, REVIEWER, SUBMITTER

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names each field's problem."),
    403: OpenApiResponse(description="Your role does not allow this."),
    404: OpenApiResponse(description="No such object (or not visible to you)."),
}


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
        outcome = services.article_submit(by=request.user, **data.validated_data)
        claims = selectors.claim_list(user=request.user).filter(article=outcome.article)
        body = s.ArticleSubmitOutput(
            outcome.article,
            context={"request": request, "claims": claims, "status": outcome.status},
        ).data
        code = status.HTTP_201_CREATED if outcome.status == "created" else status.HTTP_200_OK
        return Response(body, status=code)


class ArticleDetailView(APIView):
    @extend_schema(responses={200: s.ArticleOutput, 404: ERRORS[404]})
    def get(self, request: Request, pk: Any) -> Response:
        article = selectors.article_get_for_user(user=request.user, article_id=pk)
        claims = selectors.claim_list(user=request.user).filter(article=article)
        return Response(
            s.ArticleOutput(article, context={"request": request, "claims": claims}).data
        )


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
        claim = services.claim_create(article=article, by=request.user, **data.validated_data)
        claim = selectors.claim_get_for_user(user=request.user, claim_id=claim.pk)
        return Response(s.ClaimOutput(claim).data, status=status.HTTP_201_CREATED)


class ClaimListView(generics.ListAPIView):
    serializer_class = s.ClaimOutput
    filterset_class = ClaimFilter
    search_fields = ("exact", "summary", "claimant")
    ordering_fields = ("created_at", "updated_at", "start")

    def get_queryset(self) -> Any:
        return selectors.claim_list(user=self.request.user)


class ClaimDetailView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(responses={200: s.ClaimOutput, 404: ERRORS[404]})
    def get(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        return Response(s.ClaimOutput(claim).data)

    @extend_schema(request=s.ClaimUpdateInput, responses={200: s.ClaimOutput, **ERRORS})
    def patch(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        data = s.ClaimUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.claim_update(claim=claim, by=request.user, **data.validated_data)
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        return Response(s.ClaimOutput(claim).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        services.claim_delete(claim=claim, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClaimEvidenceCreateView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(request=s.EvidenceCreateInput, responses={201: s.EvidenceOutput, **ERRORS})
    def post(self, request: Request, pk: Any) -> Response:
        claim = selectors.claim_get_for_user(user=request.user, claim_id=pk)
        data = s.EvidenceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.evidence_attach(claim=claim, by=request.user, **data.validated_data)
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
        services.evidence_delete(evidence=evidence, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _with_recent_checks(queryset: Any) -> Any:
    return queryset.prefetch_related(
        Prefetch("checks", queryset=LinkCheck.objects.order_by("-checked_at"), to_attr="recent")
    )


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
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(request=None, responses={202: s.LinkOutput, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        link = selectors.link_get_for_user(user=request.user, link_id=pk)
        link_request_check(link=link)
        link.refresh_from_db()
        return Response(s.LinkOutput(link).data, status=status.HTTP_202_ACCEPTED)
