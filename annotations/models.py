from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from simple_history.models import HistoricalRecords

from annotations.linkhealth.health import LinkHealth
from annotations.querysets import ClaimQuerySet, LinkQuerySet


class FetchState(models.TextChoices):
    """Whether an article has its text: an article submitted by URL alone is `fetching` until
    a fetch brings its text (then `ready`), or `failed` when none could (fetch_error says why).
    An article submitted with text is `ready` from the start."""

    READY = "ready", "ready"
    FETCHING = "fetching", "fetching"
    FAILED = "failed", "failed"


class TextSource(models.TextChoices):
    SUBMITTED = "submitted", "submitted"  # a client sent the text or HTML
    FETCHED = "fetched", "fetched from its URL"  # extracted from the page; watched for edits


class Article(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Canonical form of the URL the article was found at (see annotations.urls.canonical_url).
    url = models.URLField(max_length=2048, unique=True, null=True, blank=True)
    title = models.CharField(max_length=500)
    byline = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=35, blank=True)
    # The text of the current revision; claims point into it. Empty (and current_revision 0)
    # exactly while the article is not `ready`.
    text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    current_revision = models.PositiveIntegerField(default=1)
    fetch_state = models.CharField(
        max_length=10, choices=FetchState.choices, default=FetchState.READY
    )
    text_source = models.CharField(
        max_length=10, choices=TextSource.choices, default=TextSource.SUBMITTED
    )
    # The last fetch that failed (a code of annotations.services.article_fetch.FetchError or
    # an extraction problem, and its message); cleared by the next fetch that succeeds. On a
    # `ready` article it is a watch fetch that failed: the text stays as it was.
    fetch_error = models.CharField(max_length=40, blank=True)
    fetch_message = models.CharField(max_length=500, blank=True)
    last_fetch_attempt_at = models.DateTimeField(null=True, blank=True)
    # The last fetch that brought a usable text (changed or not).
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    # The watch: when the page is fetched again (NULL: not watched). Lease: while in the
    # future, one worker owns the fetch of this article.
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    fetch_lease_until = models.DateTimeField(null=True, blank=True)
    fetch_lease_owner = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # Ready exactly when there is a text (a fetching or failed article has none).
            models.CheckConstraint(
                condition=(Q(fetch_state="ready") & ~Q(text=""))
                | (Q(fetch_state__in=("fetching", "failed")) & Q(text="")),
                name="article_text_iff_ready",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="article_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleRevision(models.Model):
    """Every text an article has had. Nothing is overwritten."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    # `submitted`: a client sent this text; `fetched`: extracted from the article's page.
    origin = models.CharField(
        max_length=10, choices=TextSource.choices, default=TextSource.SUBMITTED
    )
    # NULL: stored by the watch (a scheduled re-fetch), not by a person.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("article", "number")
        constraints = [
            models.UniqueConstraint(fields=("article", "number"), name="revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class AnchorState(models.TextChoices):
    ANCHORED = "anchored", "anchored"
    REANCHORED = "reanchored", "re-anchored"
    ORPHANED = "orphaned", "orphaned"


class Claim(models.Model):
    """A span of one article revision (W3C TextPositionSelector + TextQuoteSelector)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    revision = models.ForeignKey(ArticleRevision, on_delete=models.PROTECT, related_name="claims")
    # Unicode code points into the NFC-normalized text; end exclusive.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    claimant = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    anchor_state = models.CharField(
        max_length=12, choices=AnchorState.choices, default=AnchorState.ANCHORED
    )
    anchor_score = models.FloatField(default=1.0)
    # Optimistic concurrency: bumped by every edit and re-anchoring, the claim's ETag (a
    # PATCH must send it in If-Match).
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Whether any of its evidence is stale (`Evidence.stale_since` set): a stored fact kept by
    # annotations.linkhealth.staleness, so queues and counts read an index, not a join over
    # all evidence and links. Not an edit: no history, no new version.
    has_stale_evidence = models.BooleanField(default=False)

    history = HistoricalRecords(excluded_fields=["has_stale_evidence"])
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ("article", "start", "end")
        indexes = [
            # The queue's stale tab and its count read only the few stale claims.
            models.Index(
                fields=["created_at"],
                condition=Q(has_stale_evidence=True),
                name="claim_stale_recent",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="claim_start_before_end"),
            # The quote is exactly the span: offsets and quote can never drift apart.
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("exact")), name="claim_quote_matches_span"
            ),
            models.CheckConstraint(
                condition=Q(anchor_score__gte=0) & Q(anchor_score__lte=1),
                name="claim_anchor_score_range",
            ),
            models.UniqueConstraint(
                fields=("article", "start", "end"),
                condition=~Q(anchor_state="orphaned"),
                name="claim_span_unique_per_article",
            ),
        ]

    def __str__(self) -> str:
        return self.exact[:80]


# Healths that make evidence stale on their own (DESIGN.md, "Link health"; a changed page and
# no successful check within LINK_STALE_AFTER_DAYS are the other causes). Stale evidence flags
# its claim. `unsafe` is not among them: the checker refused to fetch the link (a private
# address, or outside an egress allow-list), which says nothing about whether the page is there.
STALE_HEALTHS: tuple[LinkHealth, ...] = (LinkHealth.DEAD, LinkHealth.BROKEN, LinkHealth.SOFT_404)

# Healths in which a link no longer counts as a source a verdict can be published on: approving
# is refused while every evidence link is in one of them. A rule of its own (it blocks
# publishing, staleness flags a claim; a changed or long-unchecked page is stale yet still a
# source), which today names the same healths as STALE_HEALTHS, for the same reason without
# `unsafe`.
UNPUBLISHABLE_HEALTHS: tuple[LinkHealth, ...] = (
    LinkHealth.DEAD,
    LinkHealth.BROKEN,
    LinkHealth.SOFT_404,
)


class Link(models.Model):
    """One row per normalized URL, shared by every Evidence that cites it."""

    url = models.URLField(max_length=4096, unique=True)
    host = models.CharField(max_length=255, db_index=True)
    health = models.CharField(
        max_length=12, choices=LinkHealth.choices, default=LinkHealth.UNCHECKED, db_index=True
    )
    final_url = models.URLField(max_length=4096, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Lease: while in the future, one worker owns the check of this link.
    checking_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=64, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        ordering = ("url",)
        indexes = [
            # links_enqueue_due: links never checked, in id order (the rest by next_check_at).
            models.Index(
                fields=["id"],
                condition=Q(next_check_at__isnull=True, health="unchecked"),
                name="link_unchecked_due",
            ),
            # GET /api/v1/links/?health=: one health, newest first (the list's cursor order).
            models.Index(fields=["health", "-created_at", "-id"], name="link_health_recent"),
        ]

    def __str__(self) -> str:
        return self.url


class LinkCheck(models.Model):
    """One check of one link: the history behind Link.health."""

    # No index of its own: linkcheck_link_recent (link, -checked_at) serves every look-up.
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="checks", db_index=False)
    checked_at = models.DateTimeField(db_index=True)
    health = models.CharField(max_length=12, choices=LinkHealth.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=4096, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error_class = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    # The id of the delivery that recorded it: a redelivered task records nothing twice.
    # A constraint rather than unique=True: looked up by equality only, so PostgreSQL needs
    # no second (varchar_pattern_ops) index for LIKE. NULL (not ""): checks recorded without
    # a delivery do not collide.
    attempt_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ("-checked_at",)
        get_latest_by = "checked_at"
        constraints = [
            models.UniqueConstraint(fields=["attempt_key"], name="linkcheck_attempt_key_unique"),
        ]
        indexes = [
            # A link's latest checks (lists show the last few of each, dead-link history).
            models.Index(fields=["link", "-checked_at"], name="linkcheck_link_recent"),
            # Recording reads each link's broken-check history (dead after repeated breaks):
            # only those rows, however many ok checks pile up.
            models.Index(
                fields=["link", "-checked_at"],
                condition=Q(health__in=["broken", "dead"]),
                name="linkcheck_link_broken",
            ),
            # The admin's error-class filter.
            models.Index(
                fields=["error_class", "-checked_at"],
                condition=~Q(error_class=""),
                name="linkcheck_error_class",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} {self.health} @ {self.checked_at:%Y-%m-%d %H:%M}"


class StaleHost(models.Model):
    """How much stale evidence cites one host, and since when the oldest of it is stale: a
    counter kept by `annotations.linkhealth.staleness` in the transaction that changes
    `Evidence.stale_since` (and rebuilt by its full refresh, the daily sweep), so the
    stale-sources page pages its hosts from an index instead of grouping all stale evidence."""

    host = models.CharField(max_length=255, unique=True)
    evidence_count = models.PositiveIntegerField(default=0)
    oldest_stale_since = models.DateTimeField()

    class Meta:
        ordering = ("oldest_stale_since", "host")
        indexes = [
            models.Index(fields=["oldest_stale_since", "host"], name="stalehost_oldest"),
        ]

    def __str__(self) -> str:
        return f"{self.host}: {self.evidence_count}"


class LinkCheckDay(models.Model):
    """Link checks of one day and health that retention rolled up (`linkhealth.retention`).

    The stale-sources chart counts these plus the checks still kept, so a day reads the same
    before and after its checks are pruned.
    """

    day = models.DateField()
    health = models.CharField(max_length=12, choices=LinkHealth.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-day", "health")
        constraints = [
            models.UniqueConstraint(fields=("day", "health"), name="linkcheckday_day_health"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.health}: {self.count}"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "supports"
    REFUTES = "refutes", "refutes"
    CONTEXT = "context", "context"


class Evidence(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    link = models.ForeignKey(Link, on_delete=models.PROTECT, related_name="evidence")
    url = models.URLField(max_length=4096)
    title = models.CharField(max_length=500, blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices)
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evidence"
    )
    # What the page looked like when the reviewer relied on it (filled by the first check).
    fingerprint_at_attach = models.CharField(max_length=64, blank=True)
    archive_url = models.URLField(max_length=4096, blank=True)
    # When an archive (Wayback-style availability API) was last asked for a snapshot.
    archive_checked_at = models.DateTimeField(null=True, blank=True)
    # Set by link checks when the page no longer matches fingerprint_at_attach.
    changed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set while the evidence is stale (the rule of querysets.evidence_stale_q), to when it was
    # last known good: its link's last working answer, or its attachment. Kept by
    # annotations.linkhealth.staleness (checks, the daily sweep, attach); NULL: not stale.
    stale_since = models.DateTimeField(null=True, blank=True)
    # Its link's host while stale ("" otherwise), set with `stale_since`: the stale-sources
    # page reads each host's first stale items from one index range (`evidence_stale_host`).
    stale_host = models.CharField(max_length=255, blank=True, default="")

    history = HistoricalRecords(excluded_fields=["stale_since", "stale_host"])

    class Meta:
        ordering = ("created_at",)
        verbose_name_plural = "evidence"
        indexes = [
            # The stale-sources page, longest unverified first; only stale rows are indexed.
            models.Index(
                fields=["stale_since", "id"],
                condition=Q(stale_since__isnull=False),
                name="evidence_stale",
            ),
            models.Index(
                fields=["stale_host", "stale_since", "id"],
                condition=Q(stale_since__isnull=False),
                name="evidence_stale_host",
            ),
            # The admin's changelist, newest first, without sorting the table.
            models.Index(fields=["created_at", "id"], name="evidence_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=("claim", "link"), name="evidence_link_once_per_claim"),
        ]

    def __str__(self) -> str:
        return self.url


def _snapshot_storage() -> Any:
    from django.core.files.storage import storages

    return storages["snapshots"]


def _snapshot_path(snapshot: EvidenceSnapshot, filename: str) -> str:
    return f"snapshots/{snapshot.captured_at:%Y/%m}/{snapshot.pk}.warc.gz"


class EvidenceSnapshot(models.Model):
    """The page an evidence link showed when it was cited: the response as a WARC record, its
    SHA-256, and the main text a reader compares later versions with (annotations.snapshots).

    For the desk only: never public, never served as HTML on the app's origin. Kept when its
    evidence is removed (`evidence` set NULL, `evidence_removed_at` set) for
    EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evidence = models.OneToOneField(
        "Evidence", on_delete=models.SET_NULL, null=True, blank=True, related_name="snapshot"
    )
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="snapshots")
    url = models.URLField(max_length=4096)
    final_url = models.URLField(max_length=4096, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    captured_at = models.DateTimeField(db_index=True)
    # Of the body as received (after content-encoding), up to the cap.
    sha256 = models.CharField(max_length=64)
    body_bytes = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    warc = models.FileField(storage=_snapshot_storage, upload_to=_snapshot_path, max_length=300)
    warc_bytes = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)
    # Why the text is empty or partial ("not_html", "no_main_text", "too_large", ...).
    problem = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300, blank=True)
    evidence_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-captured_at",)

    def __str__(self) -> str:
        return f"{self.url} @ {self.captured_at:%Y-%m-%d %H:%M}"


class PageText(models.Model):
    """A version of the main text of a link's page: stored only when the text changed."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="texts")
    sha256 = models.CharField(max_length=64)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-last_seen_at",)
        constraints = [
            models.UniqueConstraint(fields=("link", "sha256"), name="pagetext_link_sha256"),
        ]
        indexes = [models.Index(fields=["link", "-last_seen_at"], name="pagetext_latest")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.sha256[:12]}"
