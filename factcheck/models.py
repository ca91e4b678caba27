"""API infrastructure rows: client tokens with a role, and idempotency keys.

The project package is an app (label `factcheck`) for these two: they belong to the API as a
whole, not to articles or reviews.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A client's credential. The key is shown once; only its SHA-256 is stored.

    `role` narrows what the token may do to one of its user's roles (a CMS that only submits
    articles gets a `submitter` token even when its service account could do more).
    """

    ROLE_CHOICES = (("submitter", "submitter"), ("reviewer", "reviewer"), ("editor", "editor"))

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    # The first characters of the key, to tell tokens apart in lists (never enough to use).
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.role})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a user sent with a POST, and the response it got.

    The row is inserted (committed) before the request runs: the unique (user, key) pair is
    the lock that keeps two concurrent retries from both executing. `status_code` stays null
    while the first request runs.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2048)
    # While in the future, the first request is (still) running. A request that died without
    # answering leaves a row whose lease ran out: a retry may take it over.
    locked_until = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "key"), name="idempotency_key_unique"),
            models.CheckConstraint(condition=~Q(key=""), name="idempotency_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
