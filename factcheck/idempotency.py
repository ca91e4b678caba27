"""`Idempotency-Key` on API POSTs: a retried request is answered, not executed again.

- Same key, same request (method, path, query, Content-Type, If-Match and body): the first
  answer is replayed, with `Idempotent-Replayed: true`.
- Same key, different request: 422 `{"detail", "code": "idempotency_key_reused"}`.
- Same key while the first request still runs: 409 `{"code": "idempotency_in_progress"}`
  with `Retry-After`.
Keys are per user and remembered `IDEMPOTENCY_KEY_TTL_HOURS` (24); the periodic task
`factcheck.tasks.purge_idempotency_keys` deletes older ones, and an expired key met again is
simply reused.

A view whose answer holds a secret (`POST /api/v1/tokens/`: the new key) sets
`idempotency_key_allowed = False`: a keyed request there is refused with 400
`idempotency_key_not_allowed` before it runs, so the secret is never stored for a replay.

The key's row is committed *before* the request runs: the unique (user, key) constraint is
the lock, so two concurrent retries never both execute, and the request keeps its own
transactions (a bulk submit commits one per article). Answers that say the request did not
run (401, 403, 408, 409, 423, 425, 429, 5xx) are not kept: the key is released and a retry
executes. A request that died without answering releases its key when its lease
(`IDEMPOTENCY_LEASE_SECONDS`) runs out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from factcheck.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Answers that mean "this did not run": never replayed.
NOT_KEPT = frozenset({401, 403, 408, 409, 423, 425, 429})
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
# Request headers that change what a POST means, so they count in its fingerprint.
HASHED_HEADERS = ("CONTENT_TYPE", "HTTP_IF_MATCH")


@dataclass(frozen=True)
class Begin:
    """What to do with a request carrying a key: run it (`row` set), replay, or refuse."""

    row: IdempotencyKey | None = None
    replay: IdempotencyKey | None = None
    refusal: HttpResponse | None = None


def request_fingerprint(request: HttpRequest, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode("utf-8", "replace") + b"\n")
    for name in HASHED_HEADERS:
        digest.update(request.META.get(name, "").encode("latin-1", "replace") + b"\n")
    digest.update(body)
    return digest.hexdigest()


def _error(status: int, detail: str, code: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def idempotency_begin(*, user: Any, key: str, fingerprint: str, method: str, path: str) -> Begin:
    """Take the key for this request, or say why not. Commits before returning."""
    now = timezone.now()
    ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    lease = now + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)
    with transaction.atomic():
        row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        request_hash=fingerprint,
                        method=method,
                        path=path[:2048],
                        locked_until=lease,
                        created_at=now,
                    )
            except IntegrityError:
                # Another request with this key inserted it a moment ago and is running.
                return Begin(refusal=_in_progress())
            return Begin(row=row)
        if row.created_at < now - ttl:
            # Remembered long enough: the key is free again.
            row.request_hash, row.method, row.path = fingerprint, method, path[:2048]
            row.created_at, row.locked_until = now, lease
            row.status_code, row.response_headers, row.response_body = None, {}, b""
            row.save()
            return Begin(row=row)
        if row.request_hash != fingerprint:
            return Begin(
                refusal=_error(
                    422,
                    f"This Idempotency-Key was used for a different request ({row.method} "
                    f"{row.path}); use a new key for a new request.",
                    "idempotency_key_reused",
                )
            )
        if row.status_code is not None:
            return Begin(replay=row)
        if row.locked_until is not None and row.locked_until > now:
            return Begin(refusal=_in_progress())
        # The first attempt died without answering: this retry takes the key over.
        row.locked_until = lease
        row.save(update_fields=["locked_until"])
        return Begin(row=row)


def _in_progress() -> JsonResponse:
    return _error(
        409,
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        "idempotency_in_progress",
        **{"Retry-After": "1"},
    )


def idempotency_finish(*, row: IdempotencyKey, response: HttpResponse | None) -> None:
    """Keep the answer for replays, or release the key when the request did not run."""
    status = response.status_code if response is not None else 500
    if (
        response is None
        or response.streaming
        or status >= 500
        or status in NOT_KEPT
        or len(response.content) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE * 4
    ):
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status_code=status,
        response_headers=headers,
        response_body=response.content,
        locked_until=None,
    )


def idempotency_replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.response_body), status=row.status_code or 200)
    for name, value in row.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_purge(*, limit: int = 5000) -> int:
    """Delete keys older than the TTL, at most `limit` per call (a bounded periodic job)."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    ids = list(
        IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    deleted, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
    return deleted


def _key_allowed(request: HttpRequest) -> bool:
    """Whether the view for this path takes an Idempotency-Key (see the module docstring)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True
    view = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    return bool(getattr(view, "idempotency_key_allowed", True))


def _request_user(request: HttpRequest) -> Any | None:
    """Who sent the request, as DRF will see it: a token's user, or the session's.

    Authentication fails here the same way it will in the view; then the key is ignored and
    the view answers 401.
    """
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request
    from rest_framework.settings import api_settings

    drf_request = Request(request)
    auth_classes: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    for auth_class in auth_classes:
        if issubclass(auth_class, SessionAuthentication):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return user
            continue
        try:
            result = auth_class().authenticate(drf_request)
        except APIException:
            return None
        if result is not None:
            return result[0]
    return None


class IdempotencyMiddleware:
    """Applies to POSTs under /api/ that carry an Idempotency-Key header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
            return _error(
                400,
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
                "invalid_idempotency_key",
            )
        if not _key_allowed(request):
            return _error(
                400,
                f"{request.path} does not take an {HEADER}: its answer holds a secret that is "
                "never stored for a replay. Send the request without one.",
                "idempotency_key_not_allowed",
            )
        user = _request_user(request)
        if user is None:
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            return self.get_response(request)  # the view answers 413
        begin = idempotency_begin(
            user=user,
            key=key,
            fingerprint=request_fingerprint(request, body),
            method=request.method,
            path=request.path,
        )
        if begin.refusal is not None:
            return begin.refusal
        if begin.replay is not None:
            return idempotency_replay(begin.replay)
        assert begin.row is not None
        response: HttpResponse | None = None
        try:
            response = self.get_response(request)
        finally:
            idempotency_finish(row=begin.row, response=response)
        return response
