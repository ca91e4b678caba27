"""Request rates per client token, counted in the shared cache (Redis in production).

One bucket per token (a role-scoped `ApiToken`), per user for browser sessions, per address
for anonymous reads of the public feeds (the address is `factcheck.clientip.client_ip`:
`X-Forwarded-For` counts only from `TRUSTED_PROXIES`). Rates come from
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` and are read at request time (so settings
overrides apply). A refused request is a 429 with `Retry-After` (DRF's exception handler
sets it from `wait()`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from factcheck.clientip import client_ip


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"
    anon_scope = "anon"

    def __init__(self) -> None:  # the parent reads the rate at import time; we do per request
        pass

    def _rates(self) -> dict[str, str | None]:
        rates: dict[str, str | None] = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})  # type: ignore[assignment]
        return rates

    def allow_request(self, request: Any, view: Any) -> bool:
        scope = getattr(view, "throttle_scope", None) or self.scope
        if not request.user or not request.user.is_authenticated:
            scope = self.anon_scope
        self.rate = self._rates().get(scope)
        if self.rate is None:
            return True
        self.scope = scope
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_ident(self, request: Any) -> str:
        # DRF's own reading trusts any X-Forwarded-For unless NUM_PROXIES is set: one rule
        # for every limit instead.
        return client_ip(request)

    def get_cache_key(self, request: Any, view: Any) -> str:
        auth = getattr(request, "auth", None)
        if auth is not None and hasattr(auth, "key_hash"):
            ident = f"apitoken:{auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
