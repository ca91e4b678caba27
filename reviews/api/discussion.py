"""The API of a claim's discussion (comments) and of each user's notifications."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.selectors import claim_get_for_user
from factcheck.roles import EDITOR, REVIEWER
from factcheck.serializers import StrictInput
from reviews.discussion import body_html, comment_list, comment_post
from reviews.models import Comment, Notification, NotificationKind, NotificationSettings
from reviews.notifications import (
    notification_get_for_user,
    notification_list,
    notification_settings_get,
    notification_settings_update,
    notification_unread_count,
    notification_url,
    notifications_mark_read,
)

# --- Shapes -----------------------------------------------------------------------------------


class CommentInput(StrictInput):
    # Length and emptiness are the service's to refuse (one message, counted after trimming).
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    # The declared field, not Serializer.parent (DRF's metaclass takes it off the class).
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, min_value=1
    )


class CommentOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    body_html = serializers.SerializerMethodField()
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_id", allow_null=True, read_only=True
    )
    mentions = serializers.SerializerMethodField()
    action = serializers.CharField(
        read_only=True,
        help_text="The workflow action whose note this is; empty for a comment.",
    )

    class Meta:
        model = Comment
        fields = ("id", "author", "body", "body_html", "parent", "mentions", "action", "created_at")
        read_only_fields = fields

    def get_body_html(self, obj: Comment) -> str:
        return body_html(obj.body)

    def get_mentions(self, obj: Comment) -> list[str]:
        return sorted(u.username for u in obj.mentions.all())


class NotificationOutput(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)
    claim = serializers.UUIDField(source="claim_id", read_only=True)
    url = serializers.SerializerMethodField(help_text="The claim in the desk's reader.")
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "kind", "claim", "message", "url", "created_at", "read")
        read_only_fields = fields

    def get_url(self, obj: Notification) -> str:
        return notification_url(obj)

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationListQuery(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)


class NotificationReadInput(StrictInput):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000, required=False
    )
    all = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_ids = "ids" in attrs
        if has_ids == bool(attrs.get("all")):
            raise serializers.ValidationError(
                {"non_field_errors": ['Send either {"ids": [...]} or {"all": true}.']}
            )
        return attrs


class NotificationReadOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were newly marked read.")
    unread = serializers.IntegerField(help_text="How many of yours are unread now.")


class NotificationSettingsInput(StrictInput):
    email = serializers.BooleanField()


class NotificationSettingsOutput(serializers.ModelSerializer):
    class Meta:
        model = NotificationSettings
        fields = ("email",)
        read_only_fields = fields


# --- Views ------------------------------------------------------------------------------------


class ClaimCommentsView(APIView):
    """A claim's discussion, oldest first (newest last); transition notes carry `action`.

    Reviewers and editors read and post; replies are one level deep (see reviews.discussion).
    """

    write_roles = (REVIEWER, EDITOR)

    @extend_schema(
        responses={
            200: CommentOutput(many=True),
            403: OpenApiResponse(description="The discussion is for reviewers and editors."),
            404: OpenApiResponse(description="No such claim."),
        }
    )
    def get(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        comments = comment_list(user=request.user, claim=claim)
        return Response(CommentOutput(comments, many=True).data)

    @extend_schema(
        request=CommentInput,
        responses={
            201: CommentOutput,
            400: OpenApiResponse(
                description="Empty body, over 10,000 characters, an unknown @mention, or a "
                "parent that is not a comment of this claim."
            ),
            403: OpenApiResponse(description="The discussion is for reviewers and editors."),
            404: OpenApiResponse(description="No such claim."),
        },
    )
    def post(self, request: Request, pk: Any) -> Response:
        claim = claim_get_for_user(user=request.user, claim_id=pk)
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = comment_post(
            claim=claim,
            by=request.user,
            body=data.validated_data["body"],
            parent=data.validated_data.get("parent"),
        )
        comment = comment_list(user=request.user, claim=claim).get(pk=comment.pk)
        return Response(CommentOutput(comment).data, status=status.HTTP_201_CREATED)


class NotificationListView(generics.ListAPIView):
    """Your own notifications, newest first, cursor-paginated; `?unread=true` for unread only."""

    serializer_class = NotificationOutput
    filter_backends = ()

    def get_queryset(self) -> Any:
        query = NotificationListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return notification_list(user=self.request.user, unread=query.validated_data["unread"])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unread", OpenApiTypes.BOOL, description="Only notifications not read yet."
            )
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class NotificationDetailView(APIView):
    @extend_schema(
        responses={
            200: NotificationOutput,
            404: OpenApiResponse(description="No such notification of yours."),
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        notification = notification_get_for_user(user=request.user, notification_id=pk)
        return Response(NotificationOutput(notification).data)


class NotificationReadView(APIView):
    """Mark notifications read: `{"ids": [...]}` (yours, all or nothing) or `{"all": true}`."""

    @extend_schema(
        request=NotificationReadInput,
        responses={
            200: NotificationReadOutput,
            400: OpenApiResponse(description="Neither ids nor all, or both."),
            404: OpenApiResponse(description="An id is not one of your notifications."),
        },
    )
    def post(self, request: Request) -> Response:
        data = NotificationReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notifications_mark_read(user=request.user, ids=data.validated_data.get("ids"))
        unread = notification_unread_count(user=request.user)
        return Response(NotificationReadOutput({"marked": marked, "unread": unread}).data)


class NotificationSettingsView(APIView):
    """Your notification settings: `email` (default true) sends each notification by email."""

    @extend_schema(responses={200: NotificationSettingsOutput})
    def get(self, request: Request) -> Response:
        return Response(
            NotificationSettingsOutput(notification_settings_get(user=request.user)).data
        )

    @extend_schema(
        request=NotificationSettingsInput,
        responses={
            200: NotificationSettingsOutput,
            400: OpenApiResponse(description="email must be a boolean."),
        },
    )
    def patch(self, request: Request) -> Response:
        data = NotificationSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = notification_settings_update(user=request.user, **data.validated_data)
        return Response(NotificationSettingsOutput(found).data)
