"""Brute-force defences: the answer to a locked-out login, and the failed-token counter.

Logins (`/accounts/login/`, `/admin/login/`, the browsable API's `/api/auth/login/`) are
watched by django-axes: `AXES_FAILURE_LIMIT` failures for one username from one client
address lock that pair out for `AXES_COOLOFF_MINUTES`; a success resets the count. The
lockout answer is `lockout_response`: 429 with `Retry-After`, a page for browsers, JSON for
clients that ask for it.

API tokens never pass through Django's `authenticate()`, so axes does not see them. Failed
token authentications are counted per client address in the shared cache instead
(`token_failure_*`): past `API_TOKEN_FAILURE_LIMIT` failures within
`API_TOKEN_FAILURE_WINDOW_SECONDS`, every token request from that address is a 429 before
its key is looked up, so guessing keys costs a window per few guesses. The counter is
hand-written (DRF throttles count requests, not failures; axes counts logins).
"""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from factcheck.clientip import client_ip

logger = logging.getLogger(__name__)


# --- Login lockouts (django-axes) -------------------------------------------------------------
def _cooloff_seconds() -> int:
    cooloff = settings.AXES_COOLOFF_TIME
    if isinstance(cooloff, timedelta):
        return max(1, math.ceil(cooloff.total_seconds()))
    return 0


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        "application/json" in accept and "text/html" not in accept
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """`AXES_LOCKOUT_CALLABLE`: too many failed logins for this username from this address."""
    seconds = _cooloff_seconds()
    minutes = max(1, math.ceil(seconds / 60)) if seconds else None
    detail = (
        f"Too many failed sign-ins for this account from your address. Try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}, or ask an administrator to unlock it."
        if minutes
        else "Too many failed sign-ins for this account from your address. Ask an "
        "administrator to unlock it."
    )
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": detail, "code": "locked_out"}, status=429)
    else:
        response = TemplateResponse(
            request, "locked_out.html", {"detail": detail, "minutes": minutes}, status=429
        )
        response.render()
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


# --- Failed API token authentications --------------------------------------------------------
def _keys(request: Any) -> tuple[str, str]:
    address = client_ip(request)
    return f"tokenfail:{address}:count", f"tokenfail:{address}:until"


def token_failure_wait(request: Any) -> int | None:
    """Seconds this address must wait before its token requests are looked at again, or None.

    The cache being away lets requests through (the key check still runs): a lockout that
    locks out everyone when Redis restarts would be worse than the guessing it slows.
    """
    count_key, until_key = _keys(request)
    try:
        found = cache.get_many([count_key, until_key])
    except Exception:  # any cache backend error: fail open, logged
        logger.warning("token failure counter unavailable", exc_info=True)
        return None
    if int(found.get(count_key) or 0) < settings.API_TOKEN_FAILURE_LIMIT:
        return None
    until = float(found.get(until_key) or 0)
    return max(1, math.ceil(until - time.time()))


def token_failure_record(request: Any) -> None:
    """Count one failed token authentication from this request's address (in a fixed window
    that starts at the first failure)."""
    window = settings.API_TOKEN_FAILURE_WINDOW_SECONDS
    count_key, until_key = _keys(request)
    try:
        if cache.add(count_key, 1, timeout=window):
            cache.set(until_key, time.time() + window, timeout=window)
            return
        try:
            cache.incr(count_key)
        except ValueError:  # expired between add and incr: this failure opens a new window
            cache.set(count_key, 1, timeout=window)
            cache.set(until_key, time.time() + window, timeout=window)
    except Exception:  # any cache backend error: fail open, logged
        logger.warning("token failure counter unavailable", exc_info=True)
