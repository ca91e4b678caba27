"""Roles are Django groups. Superusers hold every role (the `admin` role).

- submitter: API clients (newsroom CMSs, scrapers): submit articles, read articles, claims
  and reviews. No workflow action, no audit trail.
- reviewer: marks claims, works on the claims assigned to them (or takes unassigned ones),
  attaches evidence, submits verdicts; reads the audit trail.
- editor: everything a reviewer does on every claim, plus assign, approve (never their own
  verdict), return and reopen.
Published fact checks (ClaimReview markup, the feed, the corrections log) are public.
"""

from __future__ import annotations

from typing import Any

REVIEWER = "reviewer"
EDITOR = "editor"
SUBMITTER = "submitter"
ALL_ROLES = (REVIEWER, EDITOR, SUBMITTER)


def user_roles(user: Any) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    # Set first by API token authentication: a token acts with its own role only, even when
    # its owner is a superuser.
    cached = getattr(user, "_factcheck_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        return frozenset(ALL_ROLES)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._factcheck_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def is_editor(user: Any) -> bool:
    return has_role(user, EDITOR)


def is_reviewer(user: Any) -> bool:
    """The reviewer role; editors hold it too (they may take and submit claims)."""
    return has_role(user, REVIEWER, EDITOR)
