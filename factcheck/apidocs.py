"""The API's browsable docs (/api/docs/): Swagger UI under the site's Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response


class SwaggerView(SpectacularSwaggerSplitView):
    """drf-spectacular's split view: the page loads its init script from `?script` instead of
    carrying it inline (script-src 'self'), and our template links its styles (style-src
    'self').

    The init script holds the user's CSRF token (Swagger UI sends it on "Try it out" POSTs),
    and a script file can be included by any other site with `<script src>`, whose page could
    then read the token from the script's globals. `Cross-Origin-Resource-Policy: same-origin`
    makes browsers refuse to hand the file to any other origin.
    """

    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)  # the docs page is not part of the API it documents
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response
