"""Roles are Django groups. Superusers hold every role."""

from __future__ import annotations

from typing import Any

REVIEWER = "reviewer"
EDITOR = "editor"
SUBMITTER = "submitter"
ALL_ROLES = (REVIEWER, EDITOR, SUBMITTER)


def user_roles(user: Any) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(ALL_ROLES)
    cached = getattr(user, "_factcheck_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._factcheck_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def is_editor(user: Any) -> bool:
    return has_role(user, EDITOR)


def is_reviewer(user: Any) -> bool:
    return has_role(user, REVIEWER, EDITOR)
