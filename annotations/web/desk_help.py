"""The desk's help page: how the desk works, and the bookmarklet that sends a page to it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotations.web.bookmarklet import QUOTE_MAX_CHARS, bookmarklet_href
from annotations.web.views import desk_view


@require_GET
@desk_view
def help_page(request: HttpRequest) -> HttpResponse:
    submit_url = request.build_absolute_uri(reverse("web:article-submit"))
    return render(
        request,
        "annotations/help.html",
        {
            "bookmarklet": bookmarklet_href(submit_url),
            "submit_url": submit_url,
            "quote_max": QUOTE_MAX_CHARS,
        },
    )
