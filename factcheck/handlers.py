"""Error pages: JSON under /api/ (the API's one error shape), HTML everywhere else.

Django answers some requests before any API view runs: a URL that matches no route (a path
parameter that is not a UUID), a malformed request (400), a crash (500). Under /api/ those
answers are JSON bodies like every other API error, so clients parse one format, with
DEBUG on as well (`ApiErrorsMiddleware`). Error reports (DEBUG pages, error e-mails) mask
the secrets URLs carry (`SafeExceptionReporter`, `SafeReporterFilter`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from rest_framework.response import Response

from factcheck.urlmask import MASK, is_secret_name, mask_url_secrets

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "No such resource.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


class ApiErrorsMiddleware:
    """Under /api/, with DEBUG on: JSON instead of Django's technical 404 and 500 pages.

    With DEBUG on, Django answers an unmatched URL and an uncaught exception with its own
    HTML (or plain-text) pages, tracebacks and settings included, and never calls the
    handlers above. This middleware, first in the list, swaps such an answer under /api/
    for the JSON one those handlers give. API views' own errors (DRF responses, JSON) pass
    untouched; with DEBUG off there is nothing to swap.
    """

    _HANDLERS: dict[int, Callable[[HttpRequest], HttpResponse]] = {
        400: lambda request: bad_request(request, None),
        404: lambda request: not_found(request, None),
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not (settings.DEBUG and _is_api(request)) or not _is_technical(response):
            return response
        handler = self._HANDLERS.get(response.status_code, server_error)
        return handler(request)


def _is_technical(response: HttpResponse) -> bool:
    """Django's DEBUG answer to an error: not a DRF response, not JSON, a 400, 404 or 5xx."""
    if isinstance(response, Response | JsonResponse):
        return False
    if response.status_code not in (400, 404) and response.status_code < 500:
        return False
    content_type = response.get("Content-Type", "")
    return content_type.startswith(("text/html", "text/plain"))


class SafeReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (settings hidden by name) plus URL secrets inside any value: a
    REDIS_URL's password, request.META's QUERY_STRING and Referer, frame variables."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_secrets(cleansed)
        return cleansed

    def cleanse_special_types(self, request: Any, value: Any) -> Any:
        value = super().cleanse_special_types(request, value)
        return mask_url_secrets(value) if isinstance(value, str) else value


class SafeExceptionReporter(ExceptionReporter):
    """Django's reporter, with URL secrets masked in what its filter does not see: the
    request URL and GET parameters, the exception message and the printed frame variables."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        for frame in data.get("frames", []):
            if "vars" in frame:
                frame["vars"] = [(k, mask_url_secrets(str(v))) for k, v in frame["vars"]]
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (k, MASK if is_secret_name(k) else v) for k, v in data["request_GET_items"]
            ]
        for key in ("request_insecure_uri", "exception_value"):
            if isinstance(data.get(key), str):
                data[key] = mask_url_secrets(data[key])
        return data
