from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from reviews.models import Correction, Review
from reviews.workflow import available_actions


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = (
        "claim",
        "state",
        "verdict",
        "assignee",
        "needs_rereview",
        "published_at",
        "updated_at",
    )
    list_filter = ("state", "verdict", "needs_rereview", "assignee", "published_at")
    search_fields = ("claim__exact", "claim__summary", "rationale")
    list_select_related = ("claim", "assignee")
    # The workflow is changed only through transitions (history, two-person rule, checks).
    readonly_fields = (
        "claim",
        "state",
        "verdict",
        "rationale",
        "assignee",
        "submitted_by",
        "approved_by",
        "note",
        "first_published_at",
        "published_at",
        "needs_rereview",
        "rereview_reason",
        "version",
        "created_at",
        "updated_at",
        "valid_actions",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="actions valid for you now")
    def valid_actions(self, obj: Review) -> str:
        user = getattr(self, "_request_user", None)
        return ", ".join(available_actions(review=obj, user=user)) if user else ""

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        self._request_user = request.user
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ("review", "previous_verdict", "new_verdict", "by", "created_at")
    list_filter = ("new_verdict", "created_at")
    search_fields = ("reason", "review__claim__exact")
    readonly_fields = ("review", "previous_verdict", "new_verdict", "reason", "by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
