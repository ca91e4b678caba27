"""Error pages: JSON under /api/ (the API's one error shape), HTML everywhere else.

Django answers some requests before any API view runs: a URL that matches no route (a path
parameter that is not a UUID), a malformed request (400), a crash (500). Under /api/ those
answers are JSON bodies like every other API error, so clients parse one format.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

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
