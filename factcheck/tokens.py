"""Client tokens with a role: create, revoke, authenticate.

A token is `fct_` + 40 random characters, shown once at creation; the database keeps its
SHA-256. Clients send it as `Authorization: Token fct_...` (or `Bearer fct_...`). A token acts
as its user but with only the token's role: `editor` (which includes reviewing), `reviewer`,
or `submitter`. The role must be one the user holds (an editor may hand out reviewer and
submitter tokens, anyone with a role a submitter token); a user who loses the role keeps a
token that can do nothing. Superusers hold every role whatever the token says
(`factcheck.roles.user_roles`): give clients ordinary service accounts.

DRF's plain user tokens (`manage.py drf_create_token`) keep working beside these.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from factcheck.errors import DomainError, NotFound
from factcheck.models import ApiToken
from factcheck.roles import EDITOR, REVIEWER, SUBMITTER, user_roles

KEY_PREFIX = "fct_"
KEYWORDS = (b"token", b"bearer")
# last_used_at is written at most this often per token (not one UPDATE per request).
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def role_allowed(role: str, held: frozenset[str]) -> bool:
    """Whether a user holding `held` may act through a token of `role`."""
    if role == SUBMITTER:
        return bool(held)
    if role == REVIEWER:
        return bool(held & {REVIEWER, EDITOR})
    return role in held


@transaction.atomic
def token_create(*, user: Any, name: str, role: str, by: Any) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key (the only time the key exists)."""
    if role not in dict(ApiToken.ROLE_CHOICES):
        raise DomainError(f"{role!r} is not a role.", field="role")
    if not user.is_active:
        raise DomainError(f"{user.username} is not an active user.", field="user")
    if not role_allowed(role, user_roles(user)):
        raise DomainError(f"{user.username} does not hold the {role} role.", field="role")
    if not name or not name.strip():
        raise DomainError("Name the token (which client uses it).", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        role=role,
        prefix=key[:12],
        key_hash=_hash(key),
        created_by=by,
    )
    return token, key


@transaction.atomic
def token_revoke(*, token_id: int, by: Any) -> ApiToken:
    """Revoke a token (idempotent: revoking twice keeps the first time)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token fct_...` or `Bearer fct_...`. Other keys are left to the next
    authentication class (DRF's user tokens)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in KEYWORDS:
            return None
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not key.startswith(KEY_PREFIX):
            return None
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid or revoked token.")
        user = token.user
        held = user_roles(user)
        # user_roles reads this cache: the token's role narrows what the user may do here.
        user._factcheck_roles = (  # type: ignore[attr-defined]
            frozenset({token.role}) if role_allowed(token.role, held) else frozenset()
        )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "factcheck.tokens.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token fct_...` (or `Bearer fct_...`): a role-scoped client token "
            "from /api/v1/tokens/. DRF user tokens (`Token <40 hex>`) work the same way.",
        }
