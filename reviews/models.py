from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from reviews.workflow import State, Verdict


class Priority(models.IntegerChoices):
    """How soon a review should be done, set by editors. Stored as a number so that lists
    sort by it (`ordering=-priority`: urgent first); the API names it."""

    LOW = 0, "low"
    NORMAL = 1, "normal"
    HIGH = 2, "high"
    URGENT = 3, "urgent"


PRIORITY_BY_NAME: dict[str, int] = {str(p.label): int(p.value) for p in Priority}
PRIORITY_NAME: dict[int, str] = {value: name for name, value in PRIORITY_BY_NAME.items()}


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
    # True while the review has an open re-review reason (`RereviewReason`, cleared_at NULL);
    # kept on the row for the queue's filters. `rereview_reason` is the first open reason's
    # message (older clients read it).
    needs_rereview = models.BooleanField(default=False, db_index=True)
    rereview_reason = models.CharField(max_length=300, blank=True)
    # The version the public page, the ClaimReview and the feed serve: the latest approval (or
    # maintenance update). A reopen leaves it in place, so a published check stays online until
    # the next approval replaces it.
    live_publication = models.ForeignKey(
        "Publication", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What readers see above a published check ("This fact check is being updated"): only
    # ever set by an editor (`publish_notice`); empty means no notice.
    notice = models.TextField(blank=True)
    notice_published_at = models.DateTimeField(null=True, blank=True)
    # When the check should be done (NULL: no deadline) and how urgent it is: set by editors
    # (`reviews.deadlines.review_schedule`), outside the workflow. An open review past its
    # `due_at` is overdue; the daily `notify_due_reviews` tells its assignee.
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL, db_index=True
    )
    # Optimistic concurrency: bumped by every change, sent to clients as the ETag.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("-updated_at",)
        indexes = [
            # The ClaimReview feed, newest first, over published reviews only (never the many
            # unpublished ones with no published_at).
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(live_publication__isnull=False),
                name="review_feed",
            ),
            # The queue's tabs, each in its order: by state and last change.
            models.Index(fields=["state", "updated_at"], name="review_state_updated"),
            models.Index(
                fields=["assignee", "-updated_at"],
                condition=Q(assignee__isnull=False),
                name="review_assignee_updated",
            ),
            models.Index(
                fields=["updated_at"], condition=Q(needs_rereview=True), name="review_rereview"
            ),
        ]
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
        # The claim's words: what an admin page or an audit trail is about, for people.
        quote = " ".join(self.claim.exact.split())
        return f"“{quote if len(quote) <= 80 else quote[:79] + '…'}” ({self.get_state_display()})"

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


class PublicationKind(models.TextChoices):
    FIRST = "first", "first publication"
    CORRECTION = "correction", "correction"
    UPDATE = "update", "update"


class Publication(models.Model):
    """One published version of a fact check, immutable once written.

    Each approval (a first publication or a correction) and each maintenance `update` stores
    one, numbered from 1 per review: the claim's words and context as they were checked, the
    claimant, summary, verdict, rationale and evidence list as they were published. The public
    page, the ClaimReview and the feed read the latest (`Review.live_publication`), whatever
    the review and the article do later.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="publications")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=PublicationKind.choices)
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    article_revision = models.PositiveIntegerField()
    claimant = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    rationale = models.TextField()
    # [{"url", "title", "stance", "archive_url"}, ...] in the claim's evidence order.
    evidence = models.JSONField(default=list)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(db_index=True)
    # The reason of a correction, or what a maintenance update changed.
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("review", "number")
        constraints = [
            models.UniqueConstraint(fields=("review", "number"), name="publication_number"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} #{self.number} ({self.kind}): {self.verdict}"


class RereviewCode(models.TextChoices):
    EVIDENCE_BROKEN = "evidence_broken", "evidence link broken"
    EVIDENCE_DEAD = "evidence_dead", "evidence link dead"
    EVIDENCE_SOFT_404 = "evidence_soft_404", "evidence page gone (soft 404)"
    EVIDENCE_CHANGED = "evidence_changed", "evidence page changed"
    EVIDENCE_UNVERIFIED = "evidence_unverified", "evidence could not be verified"
    WORDING_CHANGED = "wording_changed", "the article's wording changed"
    CLAIM_ORPHANED = "claim_orphaned", "the quoted words are no longer in the article"


class RereviewReason(models.Model):
    """Why a review needs another look: one row per reason and episode.

    Open while `cleared_at` is NULL; at most one open reason per (review, code, subject), so a
    cause that repeats (a link failing check after check) is added once per episode. Cleared
    by what resolves it (the link recovers, an approval, an editor's dismissal), never deleted:
    the rows are the audit of why a check was looked at again.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="rereview_reasons")
    code = models.CharField(max_length=24, choices=RereviewCode.choices)
    message = models.CharField(max_length=300)
    # What the reason is about, for the once-per-episode rule: "link:<id>", "wording", "".
    subject = models.CharField(max_length=100, blank=True)
    # Particulars: {"before": ..., "after": ...} for wording, {"url": ...} for evidence.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # How it was cleared: "resolved" (its cause went away), "republished", "dismissed".
    cleared_how = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("review", "code", "subject"),
                condition=Q(cleared_at__isnull=True),
                name="rereview_reason_open_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(cleared_at__isnull=True),
                name="rereview_reason_open_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.code}"


class Comment(models.Model):
    """A message in a claim's discussion, threaded one level (`parent` is a top-level comment).

    Transition notes land here too (`action` names the transition), in full.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    action = models.CharField(max_length=32, blank=True)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.review_id}: {self.body[:40]}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "assigned to you"
    RETURNED = "returned", "returned to you"
    SUBMITTED = "submitted", "submitted for approval"
    PUBLISHED = "published", "published"
    REREVIEW = "rereview", "needs re-review"
    MENTIONED = "mentioned", "mentioned you"
    COMMENT = "comment", "new comment"
    DUE_SOON = "due_soon", "due tomorrow"
    OVERDUE = "overdue", "overdue"


class Notification(models.Model):
    """Something a user should know about a claim; read in the desk, also sent by email."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    claim = models.ForeignKey("annotations.Claim", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="notification_unemailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind}"


class NotificationSettings(models.Model):
    """A user's choices about notifications (email on by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user_id}: email {'on' if self.email else 'off'}"


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
            # The pending few, for the sweep of what a broker outage left (reviews.redelivery).
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id}: {self.status}"
