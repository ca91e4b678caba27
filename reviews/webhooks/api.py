"""/api/v1/webhooks/: a user's own webhook subscriptions and their delivery logs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factcheck.serializers import StrictInput
from reviews.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from reviews.webhooks import events as webhook_events
from reviews.webhooks import services
from reviews.webhooks.selectors import webhook_get_for_user, webhook_list


class WebhookInput(StrictInput):
    url = serializers.CharField(max_length=2048)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent.values),
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookUpdateInput(StrictInput):
    url = serializers.CharField(max_length=2048, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent.values),
        required=False,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookOutput(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = WebhookSubscription
        fields: tuple[str, ...] = (
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "owner",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery (X-Factcheck-Signature). Shown only now: keep it.",
    )

    class Meta(WebhookOutput.Meta):
        fields = (*WebhookOutput.Meta.fields, "secret")
        read_only_fields = fields


class WebhookDeliveryOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        )
        read_only_fields = fields


class WebhookListView(generics.ListAPIView):
    serializer_class = WebhookOutput
    filter_backends = ()

    def get_queryset(self) -> Any:
        return webhook_list(user=self.request.user)

    @extend_schema(
        request=WebhookInput,
        responses={201: WebhookCreatedOutput},
        description="Register a URL for events. The answer holds the signing `secret`, "
        "shown this once. Deliveries are POSTs of `{id, type, created, data}` signed with "
        '`X-Factcheck-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.',
    )
    def post(self, request: Request) -> Response:
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_create(owner=request.user, **data.validated_data)
        body = WebhookCreatedOutput(subscription).data
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses={200: WebhookOutput})
    def get(self, request: Request, pk: Any) -> Response:
        subscription = webhook_get_for_user(user=request.user, webhook_id=pk)
        return Response(WebhookOutput(subscription).data)

    @extend_schema(request=WebhookUpdateInput, responses={200: WebhookOutput})
    def patch(self, request: Request, pk: Any) -> Response:
        subscription = webhook_get_for_user(user=request.user, webhook_id=pk)
        data = WebhookUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_update(subscription=subscription, **data.validated_data)
        return Response(WebhookOutput(subscription).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        subscription = webhook_get_for_user(user=request.user, webhook_id=pk)
        services.webhook_delete(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookPingView(APIView):
    @extend_schema(
        request=None,
        responses={202: WebhookDeliveryOutput},
        description="Send a `ping` event to this webhook now (to test the receiver).",
    )
    def post(self, request: Request, pk: Any) -> Response:
        subscription = webhook_get_for_user(user=request.user, webhook_id=pk)
        delivery = webhook_events.event_ping(subscription=subscription)
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class WebhookDeliveryListView(generics.ListAPIView):
    """The webhook's deliveries, newest first: status, attempts, last error."""

    serializer_class = WebhookDeliveryOutput
    pagination_class = DeliveryPagination
    filter_backends = ()

    def get_queryset(self) -> Any:
        subscription = webhook_get_for_user(user=self.request.user, webhook_id=self.kwargs["pk"])
        return WebhookDelivery.objects.filter(subscription=subscription).defer("body")
