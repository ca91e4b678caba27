from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reviews.workflow import State, Verdict


class Review(models.Model):
    """The verification of one claim. `state` is the workflow, `verdict` the rating."""

    claim = models.OneToOneField(
        "annotations.Claim", on_delete=models.CASCADE, related_name="review"
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.UNASSIGNED, db_index=True
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True, db_index=True)
    rationale = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_reviews",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submitted_reviews",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_reviews",
    )
    # The last note given with a transition (return note, reason of a correction, ...).
    note = models.TextField(blank=True)
    # Set once, by the first approval, and never cleared (a reopen keeps it): the record that
    # this claim was published, which keeps it from ever being deleted.
    first_published_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    needs_rereview = models.BooleanField(default=False, db_index=True)
    rereview_reason = models.CharField(max_length=300, blank=True)
    # Optimistic concurrency: bumped by every change, sent to clients as the ETag.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("-updated_at",)
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=State.PUBLISHED) | (~Q(verdict="") & ~Q(rationale="")),
                name="review_published_has_verdict_and_rationale",
            ),
            models.CheckConstraint(
                condition=Q(assignee__isnull=False)
                | Q(state__in=[State.UNASSIGNED, State.NOT_CHECKABLE, State.PUBLISHED]),
                name="review_worked_states_have_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.state}"

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class Correction(models.Model):
    """A change of a published verdict: the public corrections log."""

    # PROTECT: the public log outlives everything; a review (or claim) with corrections can
    # never be deleted, whatever path tries.
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="corrections")
    previous_verdict = models.CharField(max_length=16, choices=Verdict.choices)
    new_verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.review_id}: {self.previous_verdict} -> {self.new_verdict}"


class WebhookEvent(models.TextChoices):
    CLAIM_PUBLISHED = "claim.published", "a claim's verdict was published"
    CLAIM_CORRECTED = "claim.corrected", "a published verdict was corrected"
    EVIDENCE_STALE = "evidence.stale", "evidence went stale (its link died)"


class WebhookSubscription(models.Model):
    """A client's URL and the events it wants (reviews.webhooks). Owner-scoped."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2048)
    events = models.JSONField(default=list)
    # Signs every delivery (HMAC-SHA256); shown to the owner once, at creation.
    secret = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.owner_id} -> {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class WebhookDelivery(models.Model):
    """One event for one subscription, and how its delivery went (attempts, last error)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    # The same for every subscription that gets this event: receivers deduplicate on it.
    event_id = models.UUIDField(default=uuid.uuid4)
    # The exact bytes POSTed on every attempt (the signature covers them).
    body = models.TextField()
    # One delivery per subscription and key (e.g. one per stale episode of an evidence).
    dedupe_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Lease: while in the future, one worker is attempting this delivery.
    locked_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("subscription", "dedupe_key"),
                condition=~Q(dedupe_key=""),
                name="webhook_delivery_dedupe",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id}: {self.status}"
