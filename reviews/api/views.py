from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.selectors import claim_get_for_user
from factcheck.errors import PreconditionFailed, PreconditionRequired
from factcheck.roles import EDITOR, REVIEWER
from reviews.api.serializers import ReviewOutput, TransitionInput
from reviews.services import review_transition

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def parse_if_match(header: str | None) -> int:
    if header is None:
        raise PreconditionRequired("Send If-Match with the review's ETag (from GET .../review/).")
    match = _ETAG.match(header)
    if not match:
        raise PreconditionFailed(f"If-Match {header!r} is not an ETag of this review.")
    return int(match.group(1))


def _review_response(review: Any, request: Request, **kwargs: Any) -> Response:
    response = Response(ReviewOutput(review, context={"request": request}).data, **kwargs)
    response["ETag"] = review.etag
    return response


class ReviewDetailView(APIView):
    @extend_schema(
        responses={200: ReviewOutput, 404: OpenApiResponse(description="No such claim.")}
    )
    def get(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        return _review_response(claim.review, request)


class ReviewTransitionView(APIView):
    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        request=TransitionInput,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The ETag of the review as last read.",
            )
        ],
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
