"""/api/v1/tokens/: create, list and revoke role-scoped client tokens.

Signed-in users (a session: the browsable API, or a client that logged in) manage their own
tokens, with a role they hold; a superuser manages everyone's. A request authenticated by a
token may read its user's tokens but never create or revoke one. A create answer holds the
key, so it takes no `Idempotency-Key` (a replay would need the key stored).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factcheck.models import ApiToken
from factcheck.roles import user_roles
from factcheck.serializers import StrictInput
from factcheck.tokens import (
    token_create,
    token_get_for_user,
    token_queryset_for,
    token_revoke,
)


class ManagesTokens(BasePermission):
    """Anyone holding a role; writes only from a session, never through a token."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not user_roles(request.user):
            self.message = "You need the reviewer, editor or submitter role."
            return False
        if request.method not in SAFE_METHODS and request.auth is not None:
            self.message = "Tokens are created and revoked by a signed-in user, never with a token."
            return False
        return True


def _through_token(request: Request) -> bool:
    return request.auth is not None


class TokenCreateInput(StrictInput):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="Whose token (default: yours). Only a superuser names another user.",
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
    """Your client tokens (never their keys), newest first; a superuser sees everyone's."""

    permission_classes = (ManagesTokens,)
    # The created key is in the answer: never kept for an Idempotency-Key replay.
    idempotency_key_allowed = False
    serializer_class = TokenOutput
    filterset_class = TokenFilter
    search_fields = ("name", "user__username", "prefix")
    ordering_fields = ("created_at", "last_used_at")

    def get_queryset(self) -> Any:
        return token_queryset_for(
            user=self.request.user, through_token=_through_token(self.request)
        )

    @extend_schema(
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput},
        description="Create a token with one of the roles its user holds: your own, or "
        "(superusers) anyone's. The answer holds its `key`, shown this once. Needs a "
        "signed-in session: a token cannot create tokens. Takes no `Idempotency-Key`.",
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        user = fields.pop("user", request.user)
        token, key = token_create(user=user, by=request.user, **fields)
        token = ApiToken.objects.select_related("user", "created_by").get(pk=token.pk)
        token.key = key  # type: ignore[attr-defined]
        return Response(TokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    permission_classes = (ManagesTokens,)

    @extend_schema(responses={200: TokenOutput})
    def get(self, request: Request, pk: int) -> Response:
        token = token_get_for_user(
            user=request.user, token_id=pk, through_token=_through_token(request)
        )
        return Response(TokenOutput(token).data)

    @extend_schema(
        responses={204: None},
        description="Revoke the token (it stops working now). Yours, or (superusers) "
        "anyone's; needs a signed-in session.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        token_revoke(token_id=pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
