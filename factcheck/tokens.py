"""Client tokens with a role: create, revoke, authenticate.

A token is `fct_` + 40 random characters, shown once at creation; the database keeps its
SHA-256. Clients send it as `Authorization: Token fct_...` (or `Bearer fct_...`). A token acts
as its user but with only the token's role: `editor` (which includes reviewing), `reviewer`,
or `submitter`. The role must be one the user holds (an editor may hold reviewer and
submitter tokens, anyone with a role a submitter token); a user who loses the role keeps a
token that can do nothing. A superuser's token, too, acts with its role only.

Who manages tokens: a superuser (signed in, not through a token) creates, lists and revokes
anyone's; everyone else only their own, with a role they hold. A request made with a token
never creates or revokes one (`factcheck.tokens_api`), so a leaked key cannot mint another.
`manage.py create_token` makes one from the command line.

Failed token authentications count against the client's address (`factcheck.lockout`).
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
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from factcheck.errors import DomainError, Forbidden, NotFound
from factcheck.lockout import token_failure_record, token_failure_wait
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


def strongest_role(held: frozenset[str]) -> str | None:
    """The widest token role a user holding `held` may have (editor, reviewer, submitter)."""
    for role in (EDITOR, REVIEWER, SUBMITTER):
        if role_allowed(role, held):
            return role
    return None


def _manages_every_token(by: Any) -> bool:
    return bool(by is not None and by.is_active and by.is_superuser)


@transaction.atomic
def token_create(*, user: Any, name: str, role: str, by: Any) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key (the only time the key exists).

    `by` is who asks: a superuser, or `user` themself. None is the command line
    (`manage.py create_token`), which can do what a superuser can.
    """
    if by is not None and not _manages_every_token(by) and by.pk != user.pk:
        raise Forbidden("Only a superuser may create tokens for another user.")
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


def token_queryset_for(*, user: Any, through_token: bool = False) -> Any:
    """The tokens `user` may see: every token for a superuser, else their own. Through a
    token (which acts with its role only) a superuser, too, sees only their own."""
    tokens = ApiToken.objects.select_related("user", "created_by")
    if _manages_every_token(user) and not through_token:
        return tokens
    return tokens.filter(user_id=user.pk)


def token_get_for_user(*, user: Any, token_id: int, through_token: bool = False) -> ApiToken:
    """One token `user` may see; someone else's is as missing as one that never existed."""
    token = token_queryset_for(user=user, through_token=through_token).filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    return token


@transaction.atomic
def token_revoke(*, token_id: int, by: Any) -> ApiToken:
    """Revoke a token (idempotent: revoking twice keeps the first time). `by` revokes their
    own tokens, a superuser anyone's; None is the command line."""
    tokens = ApiToken.objects.select_for_update()
    if by is not None and not _manages_every_token(by):
        tokens = tokens.filter(user_id=by.pk)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token fct_...` or `Bearer fct_...`, the API's only token scheme.

    Any other key under those keywords is a failed authentication, and every failure counts
    against the client's address: past the limit the answer is a 429 before any look-up.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if getattr(request._request, "_factcheck_token_failed", False):
            # Authenticated once already (the idempotency middleware runs before the view)
            # and failed: the same answer, counted once.
            raise AuthenticationFailed("Invalid or revoked token.")
        wait = token_failure_wait(request)
        if wait is not None:
            raise Throttled(
                wait=wait, detail="Too many failed token authentications from your address."
            )
        key = parts[1].decode("ascii", "replace") if len(parts) == 2 else ""
        token = None
        if key.startswith(KEY_PREFIX):
            token = (
                ApiToken.objects.select_related("user")
                .filter(key_hash=_hash(key), revoked_at__isnull=True)
                .first()
            )
        if token is None or not token.user.is_active:
            self._failed(request)
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

    @staticmethod
    def _failed(request: Request) -> None:
        request._request._factcheck_token_failed = True  # type: ignore[attr-defined]
        token_failure_record(request)

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
            "from /api/v1/tokens/ or `manage.py create_token`.",
        }
