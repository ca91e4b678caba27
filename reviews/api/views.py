from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.selectors import claim_get_for_user
from factcheck.conditional import if_match_version
from factcheck.roles import EDITOR, REVIEWER
from reviews.api.serializers import (
    ClaimReviewOutput,
    CorrectionOutput,
    HistoryEntryOutput,
    PublicationOutput,
    ReviewOutput,
    ReviewScheduleInput,
    TransitionInput,
)
from reviews.deadlines import review_schedule
from reviews.models import Review
from reviews.selectors import (
    claim_history,
    correction_list,
    publication_list,
    published_review_get,
    published_review_list,
    user_may_read_review,
)
from reviews.services import review_transition

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the review as last read.",
)


def parse_if_match(header: str | None) -> int:
    """The review version an If-Match names (see factcheck.conditional)."""
    return if_match_version(header, subject="review", source="GET .../review/")


def _review_response(review: Any, request: Request, **kwargs: Any) -> Response:
    response = Response(ReviewOutput(review, context={"request": request}).data, **kwargs)
    response["ETag"] = review.etag
    return response


class ReviewDetailView(APIView):
    write_roles = (EDITOR,)

    @extend_schema(
        responses={200: ReviewOutput, 404: OpenApiResponse(description="No such claim.")}
    )
    def get(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        return _review_response(claim.review, request)

    @extend_schema(
        request=ReviewScheduleInput,
        parameters=[IF_MATCH],
        responses={
            200: ReviewOutput,
            400: OpenApiResponse(description="Not a time, not a priority, or nothing sent."),
            403: OpenApiResponse(description="Only editors set deadlines and priorities."),
            404: OpenApiResponse(description="No such claim."),
            412: OpenApiResponse(description="Stale If-Match: the review changed."),
            428: OpenApiResponse(description="If-Match is missing."),
        },
        description="Set the review's deadline (`due_at`, null clears it) and/or `priority` "
        "(`low`, `normal`, `high`, `urgent`): editors, in any state, outside the workflow (no "
        "transition; a new version and a history record).",
    )
    def patch(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        data = ReviewScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        expected = parse_if_match(request.headers.get("If-Match"))
        review = review_schedule(
            review_id=claim.review.pk,
            by=request.user,
            expected_version=expected,
            **data.validated_data,
        )
        return _review_response(review, request)


class ReviewTransitionView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        request=TransitionInput,
        parameters=[IF_MATCH],
        responses={
            200: ReviewOutput,
            400: OpenApiResponse(description="Missing verdict, rationale, note or assignee."),
            403: OpenApiResponse(description="Your role may not take this action."),
            409: OpenApiResponse(description="The action is not valid in the current state."),
            412: OpenApiResponse(description="Stale If-Match: the review changed."),
            428: OpenApiResponse(description="If-Match is missing."),
        },
    )
    def post(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        expected = parse_if_match(request.headers.get("If-Match"))
        review = review_transition(
            review_id=claim.review.pk,
            by=request.user,
            expected_version=expected,
            **data.validated_data,
        )
        return _review_response(review, request)


def _organization() -> dict[str, str]:
    return {
        "organization_name": settings.FACTCHECK_ORGANIZATION_NAME,
        "organization_url": settings.FACTCHECK_ORGANIZATION_URL,
    }


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class ClaimHistoryView(APIView):
    """The audit trail of a claim, its review and its evidence (reviewers and editors)."""

    @extend_schema(
        responses={
            200: HistoryEntryOutput(many=True),
            403: OpenApiResponse(description="Only reviewers and editors read the trail."),
            404: OpenApiResponse(description="No such claim."),
        }
    )
    def get(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        entries = claim_history(user=request.user, claim=claim)
        return Response(HistoryEntryOutput(entries, many=True).data)


class ClaimReviewView(APIView):
    """schema.org ClaimReview JSON-LD of a published claim.

    Public (no sign-in): it is the markup a published fact check carries anyway. A claim that
    is not published, or does not exist, is the same 404.
    """

    permission_classes = (AllowAny,)
    renderer_classes = (JSONLDRenderer, JSONRenderer)

    @extend_schema(
        responses={
            (200, "application/ld+json"): ClaimReviewOutput,
            404: OpenApiResponse(description="No published fact check for this claim."),
        }
    )
    def get(self, request: Request, pk: Any) -> Response:
        review = published_review_get(claim_id=pk)
        return Response(ClaimReviewOutput(review, context=_organization()).data)


class PublicationListView(APIView):
    """The published versions of a claim's fact check, oldest first (number 1 first).

    Public record: anyone reads them for a claim that was published (also while it is
    reopened); the desk reads them for every claim (empty when never published). Any other
    claim is the same 404 as the ClaimReview's. The approver's name is for the desk only.
    """

    permission_classes = (AllowAny,)

    @extend_schema(
        responses={
            200: PublicationOutput(many=True),
            404: OpenApiResponse(description="No published fact check for this claim."),
        }
    )
    def get(self, request: Request, pk: Any) -> Response:
        publications = publication_list(user=request.user, claim_id=pk)
        desk = user_may_read_review(request.user)
        return Response(PublicationOutput(publications, many=True, context={"desk": desk}).data)


class PublishedCursorPagination(CursorPagination):
    ordering = ("-published_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ClaimReviewFeedFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(
        field_name="published_at",
        lookup_expr="gte",
        help_text="Only reviews published (or corrected) at or after this ISO 8601 time.",
    )

    class Meta:
        model = Review
        fields = ("since",)


class ClaimReviewFeedView(generics.ListAPIView):
    """Feed of published ClaimReviews for aggregators, newest publication first. Public.

    A correction republishes a review, so `since=` also brings back corrected fact checks.
    """

    permission_classes = (AllowAny,)
    serializer_class = ClaimReviewOutput
    pagination_class = PublishedCursorPagination
    filter_backends = (DjangoFilterBackend,)
    filterset_class = ClaimReviewFeedFilter

    def get_queryset(self) -> QuerySet[Review]:
        return published_review_list()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_organization()}


class CorrectionListView(generics.ListAPIView):
    """The public corrections log: each republication of a published fact check, with its
    reason and the verdict before and after. Newest first, cursor-paginated."""

    permission_classes = (AllowAny,)
    serializer_class = CorrectionOutput
    filter_backends = ()

    def get_queryset(self) -> Any:
        return correction_list()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_organization()}
