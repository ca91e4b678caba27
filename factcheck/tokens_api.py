"""/api/v1/tokens/: staff create, list and revoke role-scoped client tokens."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factcheck.errors import NotFound
from factcheck.models import ApiToken
from factcheck.serializers import StrictInput
from factcheck.tokens import token_create, token_revoke


class TokenCreateInput(StrictInput):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=ApiToken.ROLE_CHOICES)


class TokenOutput(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiToken
        fields: tuple[str, ...] = (
            "id",
            "name",
            "user",
            "role",
            "prefix",
            "active",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        )
        read_only_fields = fields


class TokenCreatedOutput(TokenOutput):
    key = serializers.CharField(
        read_only=True,
        help_text="Send as `Authorization: Token <key>`. Shown only now: it is not stored.",
    )

    class Meta(TokenOutput.Meta):
        fields = (*TokenOutput.Meta.fields, "key")
        read_only_fields = fields


class TokenFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user__username", help_text="A username.")
    active = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = ApiToken
        fields = ("user", "role", "active")


class TokenListView(generics.ListAPIView):
    """Every client token (never their keys), newest first. Staff only."""

    permission_classes = (IsAdminUser,)
    serializer_class = TokenOutput
    filterset_class = TokenFilter
    search_fields = ("name", "user__username", "prefix")
    ordering_fields = ("created_at", "last_used_at")

    def get_queryset(self) -> Any:
        return ApiToken.objects.select_related("user", "created_by")

    @extend_schema(
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput},
        description="Create a token for a user with one of the roles the user holds; the "
        "answer holds its `key`, shown this once.",
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = token_create(by=request.user, **data.validated_data)
        token = self.get_queryset().get(pk=token.pk)
        token.key = key  # type: ignore[attr-defined]
        return Response(TokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: TokenOutput})
    def get(self, request: Request, pk: int) -> Response:
        token = ApiToken.objects.select_related("user", "created_by").filter(pk=pk).first()
        if token is None:
            raise NotFound("No such token.")
        return Response(TokenOutput(token).data)

    @extend_schema(responses={204: None}, description="Revoke the token (it stops working now).")
    def delete(self, request: Request, pk: int) -> Response:
        token_revoke(token_id=pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
