from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from annotations.models import Stance
from factcheck.serializers import StrictInput
from reviews.claimreview import claim_public_url, claimreview_jsonld
from reviews.models import (
    PRIORITY_BY_NAME,
    PRIORITY_NAME,
    Correction,
    Publication,
    RereviewReason,
    Review,
)
from reviews.publishing import reasons_open
from reviews.workflow import Action, Verdict, available_actions


class RereviewReasonOutput(serializers.ModelSerializer):
    class Meta:
        model = RereviewReason
        fields = ("code", "message", "subject", "details", "created_at")
        read_only_fields = fields


class ReviewOutput(serializers.ModelSerializer):
    claim = serializers.UUIDField(source="claim_id", read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, read_only=True
    )
    approved_by = serializers.CharField(source="approved_by.username", default=None, read_only=True)
    available_actions = serializers.SerializerMethodField()
    rereview_reasons = serializers.SerializerMethodField(
        help_text="The open re-review reasons, oldest first."
    )
    priority = serializers.SerializerMethodField(help_text="low, normal, high or urgent.")

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
            "rereview_reasons",
            "notice",
            "notice_published_at",
            "due_at",
            "priority",
            "version",
            "available_actions",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(RereviewReasonOutput(many=True))
    def get_rereview_reasons(self, obj: Review) -> Any:
        return RereviewReasonOutput(reasons_open(review=obj), many=True).data

    @extend_schema_field(serializers.ChoiceField(choices=list(PRIORITY_BY_NAME)))
    def get_priority(self, obj: Review) -> str:
        return PRIORITY_NAME.get(obj.priority, "normal")

    def get_available_actions(self, obj: Review) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return available_actions(review=obj, user=request.user)


class EvidenceChangeInput(StrictInput):
    """One change of an `update` to a published check's sources.

    `{"url", "stance", "title"?, "archive_url"?}` attaches a source; `{"id", "archive_url"?,
    "title"?}` sets a source's archived copy or title; `{"id", "remove": true}` removes one.
    """

    id = serializers.UUIDField(required=False)
    remove = serializers.BooleanField(required=False, default=False)
    url = serializers.CharField(max_length=4096, required=False)
    stance = serializers.ChoiceField(choices=Stance.choices, required=False)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    archive_url = serializers.CharField(max_length=4096, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "id" in attrs:
            if "url" in attrs or "stance" in attrs:
                raise serializers.ValidationError(
                    "Give either the id of a source to change or the url of a new one."
                )
            if attrs.get("remove") and ({"title", "archive_url"} & set(attrs)):
                raise serializers.ValidationError("A removed source takes no other change.")
        else:
            if attrs.get("remove"):
                raise serializers.ValidationError("Name the source to remove by its id.")
            if "url" not in attrs or "stance" not in attrs:
                raise serializers.ValidationError("A new source needs a url and a stance.")
        return attrs


class ReviewScheduleInput(StrictInput):
    """What an editor sets on a review outside the workflow: its deadline and priority."""

    due_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the check should be done; null clears it."
    )
    priority = serializers.ChoiceField(choices=list(PRIORITY_BY_NAME), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send `due_at`, `priority` or both.")
        return attrs


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
    evidence = serializers.ListField(
        child=EvidenceChangeInput(),
        required=False,
        max_length=50,
        help_text="For `update`: the changes to the published check's sources, in order.",
    )


class PublishedEvidenceOutput(serializers.Serializer):
    url = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    stance = serializers.CharField()
    archive_url = serializers.CharField(allow_blank=True)


class PublicationOutput(serializers.ModelSerializer):
    """One published version, as it was published (immutable)."""

    evidence = PublishedEvidenceOutput(many=True, read_only=True)
    # Plain string in the schema: the verdict enum is named once, by ReviewOutput.verdict.
    verdict = serializers.CharField(read_only=True, help_text="A verdict.")
    approved_by = serializers.SerializerMethodField(
        help_text="The approving editor's username; null outside the desk."
    )

    class Meta:
        model = Publication
        fields = (
            "number",
            "kind",
            "exact",
            "prefix",
            "suffix",
            "article_revision",
            "claimant",
            "summary",
            "verdict",
            "rationale",
            "evidence",
            "approved_by",
            "published_at",
            "note",
        )
        read_only_fields = fields

    def get_approved_by(self, obj: Publication) -> str | None:
        if not self.context.get("desk"):
            return None
        return obj.approved_by.get_username()


class HistoryChangeOutput(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntryOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=("claim", "review", "evidence"))
    object_id = serializers.CharField()
    history_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    change = serializers.ChoiceField(choices=("created", "changed", "deleted"))
    reason = serializers.CharField(allow_blank=True)
    changes = HistoryChangeOutput(many=True)


class CorrectionOutput(serializers.ModelSerializer):
    claim = serializers.UUIDField(source="review.claim_id", read_only=True)
    claim_url = serializers.SerializerMethodField()
    # The words as published (the live publication), not the working claim's: a later article
    # revision may have moved those.
    quote = serializers.SerializerMethodField()
    # Plain strings in the schema: the verdict enum is named once, by ReviewOutput.verdict.
    previous_verdict = serializers.CharField(read_only=True, help_text="A verdict.")
    new_verdict = serializers.CharField(read_only=True, help_text="A verdict.")
    verdict_changed = serializers.SerializerMethodField()

    class Meta:
        model = Correction
        fields = (
            "id",
            "claim",
            "claim_url",
            "quote",
            "previous_verdict",
            "new_verdict",
            "verdict_changed",
            "reason",
            "created_at",
        )
        read_only_fields = fields

    def get_claim_url(self, obj: Correction) -> str:
        return claim_public_url(
            organization_url=self.context["organization_url"], claim_id=obj.review.claim_id
        )

    def get_quote(self, obj: Correction) -> str:
        live = obj.review.live_publication
        return live.exact if live is not None else obj.review.claim.exact

    def get_verdict_changed(self, obj: Correction) -> bool:
        return obj.previous_verdict != obj.new_verdict


@extend_schema_serializer(component_name="ClaimReview")
class ClaimReviewOutput(serializers.Serializer):
    """A published review as schema.org ClaimReview JSON-LD (built by reviews.claimreview).

    The declared fields only describe the markup for the OpenAPI schema (besides `@context`
    and `@type`); the body is built by `reviews.claimreview.claimreview_jsonld`.
    """

    url = serializers.URLField(read_only=True)
    claimReviewed = serializers.CharField(read_only=True)  # noqa: N815 - schema.org name
    itemReviewed = serializers.JSONField(read_only=True)  # noqa: N815
    author = serializers.JSONField(read_only=True)
    reviewRating = serializers.JSONField(read_only=True)  # noqa: N815
    datePublished = serializers.DateTimeField(read_only=True)  # noqa: N815
    dateModified = serializers.DateTimeField(read_only=True, required=False)  # noqa: N815

    def to_representation(self, instance: Review) -> dict[str, Any]:
        return claimreview_jsonld(
            claim=instance.claim,
            review=instance,
            publication=instance.live_publication,
            organization_name=self.context["organization_name"],
            organization_url=self.context["organization_url"],
        )
