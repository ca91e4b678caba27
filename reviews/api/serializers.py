from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from factcheck.serializers import StrictInput
from reviews.models import Review
from reviews.workflow import Action, Verdict, available_actions


class ReviewOutput(serializers.ModelSerializer):
    claim = serializers.UUIDField(source="claim_id", read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, read_only=True
    )
    approved_by = serializers.CharField(source="approved_by.username", default=None, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = (
            "claim",
            "state",
            "verdict",
            "rationale",
            "assignee",
            "submitted_by",
            "approved_by",
            "note",
            "first_published_at",
            "published_at",
            "needs_rereview",
            "rereview_reason",
            "version",
            "available_actions",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_available_actions(self, obj: Review) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return available_actions(review=obj, user=request.user)


class TransitionInput(StrictInput):
    action = serializers.ChoiceField(choices=Action.choices)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    rationale = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs
