"""The desk's notifications page and the claim panel's comment form."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotations.web import forms
from annotations.web.views import PAGE_SIZE, _claim, _panel, desk_view
from factcheck.errors import DomainError
from reviews.discussion import comment_post as comment_post_service
from reviews.notifications import (
    notification_list,
    notification_settings_get,
    notification_settings_update,
    notification_url,
    notifications_mark_read,
)


@require_POST
@desk_view
def comment_post(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    claim = _claim(request, claim_id)
    form = forms.CommentForm(request.POST)
    if not form.is_valid():
        return _panel(
            request, claim_id, status=400, comment_error="That comment could not be read."
        )
    try:
        comment_post_service(
            claim=claim,
            by=request.user,
            body=form.cleaned_data["body"],
            parent=form.cleaned_data["parent"],
        )
    except DomainError as exc:
        return _panel(
            request,
            claim_id,
            status=exc.status_code,
            comment_error=exc.message,
            comment_posted=form.cleaned_data,
        )
    return _panel(request, claim_id, flash="Comment posted.")


@require_GET
@desk_view
def notifications(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") in ("1", "true")
    items = notification_list(user=request.user, unread=unread_only)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows: list[tuple[Any, str]] = [(n, notification_url(n)) for n in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "unread_only": unread_only,
        "unread": notification_list(user=request.user, unread=True).count(),
        "settings_form": forms.NotificationSettingsForm(
            initial={"email": notification_settings_get(user=request.user).email}
        ),
    }
    return render(request, "annotations/notifications.html", context)


@require_POST
@desk_view
def notifications_read(request: HttpRequest) -> HttpResponse:
    form = forms.NotificationReadForm(request.POST)
    if not form.is_valid() or not (form.cleaned_data["all"] or form.cleaned_data["ids"]):
        messages.error(request, "Choose the notifications to mark read.")
        return redirect("web:notifications")
    ids = None if form.cleaned_data["all"] else form.cleaned_data["ids"]
    try:
        marked = notifications_mark_read(user=request.user, ids=ids)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Marked {marked} read." if marked != 1 else "Marked 1 read.")
    return redirect("web:notifications")


@require_POST
@desk_view
def notification_settings(request: HttpRequest) -> HttpResponse:
    form = forms.NotificationSettingsForm(request.POST)
    form.is_valid()  # a checkbox: absent means off
    email = bool(form.cleaned_data.get("email"))
    notification_settings_update(user=request.user, email=email)
    messages.success(
        request, "Notifications will be emailed to you." if email else "Notification emails off."
    )
    return redirect("web:notifications")
