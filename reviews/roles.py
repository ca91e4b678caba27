"""Model permissions of each role's group, so staff users see what their role may touch in the
admin. Object rules (two-person rule, assignee only) are enforced by the services.

Claims, evidence and reviews are read-only in the admin for every role: their changes go
through the services (the API, the web UI, and the admin's workflow form on a review), where
the object rules live: who works on which claim, a published claim's words frozen, evidence of
a published claim kept. An admin edit would bypass them. Superusers keep every permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "submitter": [
        "annotations.view_article",
        "annotations.add_article",
        "annotations.view_claim",
        "reviews.view_review",
    ],
    "reviewer": [
        "annotations.view_article",
        "annotations.add_article",
        "annotations.change_article",
        "annotations.view_articlerevision",
        "annotations.view_claim",
        "annotations.view_evidence",
        "annotations.view_link",
        "annotations.view_linkcheck",
        "reviews.view_review",
        "reviews.view_correction",
    ],
    "editor": [
        "annotations.view_article",
        "annotations.add_article",
        "annotations.change_article",
        "annotations.view_articlerevision",
        "annotations.view_claim",
        "annotations.view_evidence",
        "annotations.view_link",
        "annotations.view_linkcheck",
        "reviews.view_review",
        "reviews.view_correction",
    ],
}


def roles_sync_permissions(**kwargs: Any) -> None:
    """post_migrate: permissions exist only after every migration ran, so groups get theirs here."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)
