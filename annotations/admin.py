from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from annotations.linkhealth.links import link_request_check
from annotations.models import (
    AnchorState,
    Article,
    ArticleRevision,
    Claim,
    Evidence,
    Link,
    LinkCheck,
)
from factcheck.audit_admin import AuditHistoryAdmin
from factcheck.counting import AdminPaginator
from factcheck.egress.fetcher import ERROR_CLASSES
from factcheck.errors import DomainError, Forbidden
from reviews.selectors import claims_ever_published


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(ReadOnlyInline):
    model = ArticleRevision
    fields = ("number", "content_hash", "created_by", "created_at")
    readonly_fields = fields


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ("url", "title", "byline", "publisher", "published_at", "language", "text")

    def clean_text(self) -> str:
        # The admin stores what the API would: NFC, `\n` line ends (a browser's textarea sends
        # `\r\n`), within the length limit. A refusal is a form error, never a 500.
        from annotations.services.articles import article_text_prepare

        try:
            return article_text_prepare(text=self.cleaned_data.get("text") or "", html=None)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    # Tables of millions of rows: counted up to a cap, once (factcheck.counting).
    paginator = AdminPaginator
    show_full_result_count = False
    form = ArticleAdminForm
    list_display = (
        "title",
        "publisher",
        "published_at",
        "language",
        "current_revision",
        "created_at",
    )
    # No publisher or language filter: each lists its values by a DISTINCT over every
    # article on every load of the page. Both are searched and sortable instead.
    list_filter = ("published_at", "created_at")
    search_fields = ("title", "url", "publisher", "byline", "=language")
    date_hierarchy = "created_at"
    readonly_fields = (
        "id",
        "content_hash",
        "current_revision",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = (RevisionInline,)
    list_select_related = ("created_by",)

    def save_model(self, request: Any, obj: Article, form: Any, change: bool) -> None:
        # `request.user` is signed in here: the admin site requires it before any view runs.
        from annotations.services.articles import _content_hash, article_revise

        if not change:
            obj.created_by = request.user
            obj.content_hash = _content_hash(obj.text)
            super().save_model(request, obj, form, change)
            ArticleRevision.objects.create(
                article=obj,
                number=1,
                text=obj.text,
                content_hash=obj.content_hash,
                created_by=request.user,
            )
            return
        if "text" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        # An edit of the text is a new revision, never an overwrite: save the other fields
        # with the stored text, then let the service add the revision and re-anchor claims.
        # (The admin's change view runs in a transaction, so both commit together.)
        new_text = obj.text
        obj.text = Article.objects.values_list("text", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        revision = article_revise(article=obj, by=request.user, text=new_text)
        if revision is None:
            self.message_user(request, "The text is unchanged; no revision was added.")
            return
        states = Counter(revision.claims.values_list("anchor_state", flat=True))
        orphaned = obj.claims.filter(anchor_state=AnchorState.ORPHANED).count()
        self.message_user(
            request,
            f"Stored revision {revision.number}; claims re-anchored: "
            f"{states[AnchorState.ANCHORED]} in place, {states[AnchorState.REANCHORED]} moved "
            f"or changed, {orphaned} orphaned.",
            messages.WARNING if orphaned else messages.INFO,
        )


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(admin.ModelAdmin):
    list_display = ("article", "number", "created_by", "created_at")
    search_fields = ("article__title",)
    readonly_fields = ("article", "number", "text", "content_hash", "created_by", "created_at")
    list_select_related = ("article", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ("url", "stance", "title", "link_health", "changed", "added_by", "created_at")
    readonly_fields = ("url", "link_health", "changed", "added_by", "created_at")
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # evidence is attached through the service (it schedules the link check)

    @admin.display(description="link health")
    def link_health(self, obj: Evidence) -> str:
        return obj.link.health


class StaleFilter(admin.SimpleListFilter):
    title = "stale evidence"
    parameter_name = "stale"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "stale"), ("no", "not stale")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The stored fact (annotations.linkhealth.staleness), not a join over all evidence.
        if self.value() == "yes":
            return queryset.filter(has_stale_evidence=True)
        if self.value() == "no":
            return queryset.filter(has_stale_evidence=False)
        return queryset


class ErrorClassFilter(admin.SimpleListFilter):
    """The fetcher's error classes as a fixed list (no DISTINCT over every check); filtered
    on the index linkcheck_error_class."""

    title = "error class"
    parameter_name = "error_class"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(c, c.replace("_", " ")) for c in (*ERROR_CLASSES, "crash")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(error_class=self.value()) if self.value() else queryset


@admin.register(Claim)
class ClaimAdmin(AuditHistoryAdmin):
    # Tables of millions of rows: counted up to a cap, once (factcheck.counting).
    paginator = AdminPaginator
    show_full_result_count = False
    list_display = (
        "exact_short",
        "article",
        "claimant",
        "review_state",
        "review_verdict",
        "anchor_state",
        "created_at",
    )
    list_filter = (
        "anchor_state",
        "review__state",
        "review__verdict",
        "review__assignee",
        "review__needs_rereview",
        StaleFilter,
        "created_at",
    )
    search_fields = ("exact", "summary", "claimant", "article__title")
    readonly_fields = (
        "id",
        "article",
        "revision",
        "start",
        "end",
        "exact",
        "prefix",
        "suffix",
        "anchor_state",
        "anchor_score",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = (EvidenceInline,)
    list_select_related = ("article", "review")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # claims are marked in the reader or the API, where the text is at hand

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Asked for the claim itself and for every claim an article's deletion would take
        # along: a published fact check is never deleted (the API's claim_remove rule).
        if obj is not None and claims_ever_published(claim_ids=[obj.pk]):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="claim")
    def exact_short(self, obj: Claim) -> str:
        return obj.exact[:80]

    @admin.display(description="state", ordering="review__state")
    def review_state(self, obj: Claim) -> str:
        return obj.review.state if hasattr(obj, "review") else "-"

    @admin.display(description="verdict", ordering="review__verdict")
    def review_verdict(self, obj: Claim) -> str:
        return (obj.review.verdict or "-") if hasattr(obj, "review") else "-"


@admin.register(Evidence)
class EvidenceAdmin(AuditHistoryAdmin):
    # Tables of millions of rows: counted up to a cap, once (factcheck.counting).
    paginator = AdminPaginator
    show_full_result_count = False
    list_display = ("url", "stance", "claim", "link_health", "changed", "added_by", "created_at")
    list_filter = ("stance", "link__health", "changed", "created_at")
    search_fields = ("url", "title", "note", "claim__exact")
    readonly_fields = (
        "id",
        "claim",
        "link",
        "url",
        "added_by",
        "fingerprint_at_attach",
        "changed",
        "created_at",
    )
    list_select_related = ("claim", "link", "added_by")
    # Newest first on the index `evidence_created` (a total order: the admin adds no -pk).
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="link health", ordering="link__health")
    def link_health(self, obj: Evidence) -> str:
        return obj.link.health


class LinkCheckInline(ReadOnlyInline):
    model = LinkCheck
    fields = (
        "checked_at",
        "health",
        "status_code",
        "final_url",
        "latency_ms",
        "error_class",
        "error_message",
    )
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[LinkCheck]:
        return super().get_queryset(request).order_by("-checked_at")


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    # Tables of millions of rows: counted up to a cap, once (factcheck.counting).
    paginator = AdminPaginator
    show_full_result_count = False
    list_display = ("url", "host", "health", "last_status", "last_checked_at", "next_check_at")
    list_filter = ("health", "last_checked_at", "next_check_at")
    search_fields = ("url", "host")
    readonly_fields = (
        "url",
        "host",
        "health",
        "final_url",
        "last_status",
        "last_error",
        "last_checked_at",
        "last_ok_at",
        "next_check_at",
        "checking_until",
        "lease_owner",
        "consecutive_failures",
        "fingerprint",
        "etag",
        "last_modified",
        "created_at",
        "updated_at",
    )
    inlines = (LinkCheckInline,)
    actions = ("recheck_now",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Recheck selected links now", permissions=["view"])
    def recheck_now(self, request: HttpRequest, queryset: QuerySet[Link]) -> None:
        count = 0
        try:
            for link in queryset[:1000]:
                link_request_check(link=link, by=request.user)
                count += 1
        except Forbidden as exc:  # the rule is the user's: the first link already says it
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            f"{count} link(s) queued for a check at {timezone.now():%H:%M:%S}.",
            messages.SUCCESS,
        )


@admin.register(LinkCheck)
class LinkCheckAdmin(admin.ModelAdmin):
    # Tables of millions of rows: counted up to a cap, once (factcheck.counting).
    paginator = AdminPaginator
    show_full_result_count = False
    list_display = ("link", "checked_at", "health", "status_code", "latency_ms", "error_class")
    list_filter = ("health", ErrorClassFilter, "checked_at")
    search_fields = ("link__url", "error_message")
    list_select_related = ("link",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
