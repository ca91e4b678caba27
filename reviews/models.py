from __future__ import annotations

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

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="corrections")
    previous_verdict = models.CharField(max_length=16, choices=Verdict.choices)
    new_verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.review_id}: {self.previous_verdict} -> {self.new_verdict}"
