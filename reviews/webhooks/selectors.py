"""Reads of webhook subscriptions, authorized in the same call.

A subscription belongs to its owner: its URL says where the desk's events go and its
delivery log shows what was sent, so nobody else lists, reads, changes, pings or deletes
it. Superusers (who administer the site) see every one; `is_staff` alone does not.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from factcheck.errors import NotFound
from reviews.models import WebhookSubscription


def webhook_list(*, user: Any) -> QuerySet[WebhookSubscription]:
    """The subscriptions `user` may see: their own (a superuser's: everyone's)."""
    queryset = WebhookSubscription.objects.select_related("owner")
    if getattr(user, "is_superuser", False):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(owner=user)


def webhook_get_for_user(*, user: Any, webhook_id: Any) -> WebhookSubscription:
    """One subscription `user` may see; someone else's is the same 404 as none at all."""
    subscription = webhook_list(user=user).filter(pk=webhook_id).first()
    if subscription is None:
        raise NotFound("No such webhook.")
    return subscription
