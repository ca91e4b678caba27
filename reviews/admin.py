"""Admin for reviews and corrections. Read-mostly: the workflow moves only through
`review_transition`, from a small form on the review's change page that shows the actions
valid for this user now (the same table the API reads)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import (
    build_q_object_from_lookup_parameters,
    get_last_value_from_parameters,
    unquote,
)
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from factcheck.audit_admin import AuditHistoryAdmin
from factcheck.errors import DomainError
from factcheck.roles import EDITOR, REVIEWER
from reviews.models import Correction, Review
from reviews.services import review_transition
from reviews.workflow import TRANSITION_INPUTS, Action, Verdict, available_actions, transition_for


def reviewer_users() -> QuerySet[Any]:
    """Users who may be assigned a claim (the reviewer role; editors and admins hold it)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=(REVIEWER, EDITOR)) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    verdict = forms.ChoiceField(choices=[("", "---------"), *Verdict.choices], required=False)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    assignee = forms.ModelChoiceField(queryset=reviewer_users(), required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why: needed to return, mark not checkable, reopen, and to republish.",
    )


class AssigneeFieldListFilter(admin.RelatedFieldListFilter):
    """A review's assignee: me, nobody, or one reviewer.

    Registered for `Review.assignee` (below), so every admin filtering on it gets it: the
    review list (`assignee`) and the claim list (`review__assignee`), like the API's
    `?assignee=me|none|<username>`.
    """

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: dict[str, Any],
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.lookup_kwarg_me = f"{field_path}__me"
        self.lookup_val_me = get_last_value_from_parameters(params, self.lookup_kwarg_me)
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self) -> list[str | None]:
        return [*super().expected_parameters(), self.lookup_kwarg_me]

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        return [(user.pk, user.username) for user in reviewer_users()[:200]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.lookup_val_me:
            queryset = queryset.filter(**{self.field_path: request.user})
        params: dict[str, Any] = {
            k: v for k, v in self.used_parameters.items() if k != self.lookup_kwarg_me
        }
        if not params:
            return queryset
        try:
            return queryset.filter(build_q_object_from_lookup_parameters(params))
        except (ValueError, ValidationError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def choices(self, changelist: Any) -> Any:
        every = [self.lookup_kwarg, self.lookup_kwarg_isnull, self.lookup_kwarg_me]
        chosen = self.lookup_val is not None or self.lookup_val_isnull or self.lookup_val_me
        yield {
            "selected": not chosen,
            "query_string": changelist.get_query_string(remove=every),
            "display": "All",
        }
        yield {
            "selected": bool(self.lookup_val_me),
            "query_string": changelist.get_query_string({self.lookup_kwarg_me: "1"}, every),
            "display": "me",
        }
        yield {
            "selected": bool(self.lookup_val_isnull),
            "query_string": changelist.get_query_string({self.lookup_kwarg_isnull: "True"}, every),
            "display": "nobody",
        }
        for pk_val, name in self.lookup_choices:
            yield {
                "selected": self.lookup_val is not None and str(pk_val) in self.lookup_val,
                "query_string": changelist.get_query_string({self.lookup_kwarg: pk_val}, every),
                "display": name,
            }


admin.FieldListFilter.register(
    lambda f: getattr(f, "model", None) is Review and f.name == "assignee",
    AssigneeFieldListFilter,
    take_priority=True,
)


@admin.register(Review)
class ReviewAdmin(AuditHistoryAdmin):
    change_form_template = "admin/reviews/review/change_form.html"
    list_display = (
        "claim",
        "state",
        "verdict",
        "assignee",
        "needs_rereview",
        "published_at",
        "updated_at",
    )
    list_filter = (
        "state",
        "verdict",
        "needs_rereview",
        "assignee",
        "published_at",
    )
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
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a review lives and dies with its claim

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<path:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="reviews_review_transition",
            )
        ]
        return own + super().get_urls()

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Review | None = None,
    ) -> HttpResponse:
        if obj is not None:
            actions = available_actions(review=obj, user=request.user)
            context["transition_actions"] = [(a, Action(a).label) for a in actions]
            context["transition_form"] = TransitionForm(
                initial={
                    "version": obj.version,
                    "verdict": obj.verdict,
                    "rationale": obj.rationale,
                    "assignee": obj.assignee_id,
                }
            )
            context["transition_url"] = reverse(
                "admin:reviews_review_transition", args=[obj.pk], current_app=self.admin_site.name
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        review = self.get_object(request, unquote(object_id))
        if review is None:
            raise Http404("No such review.")
        if not self.has_view_permission(request, review):
            raise PermissionDenied
        change_url = reverse(
            "admin:reviews_review_change", args=[review.pk], current_app=self.admin_site.name
        )
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(request, f"{field}: {' '.join(map(str, errors))}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        data = form.cleaned_data
        transition = transition_for(data["action"])
        accepted = transition.accepts if transition else ()
        inputs = {name: data.get(name) or None for name in TRANSITION_INPUTS}
        try:
            updated = review_transition(
                review_id=review.pk,
                by=request.user,
                action=data["action"],
                expected_version=data["version"],
                **{name: value for name, value in inputs.items() if name in accepted},
            )
        except DomainError as exc:
            self.message_user(request, f"Not done: {exc.message}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"{Action(data['action']).label}: the review is now {updated.state}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    """The public corrections log: written only by republishing a review, never edited."""

    list_display = ("review", "previous_verdict", "new_verdict", "by", "created_at")
    list_filter = ("new_verdict", "created_at")
    search_fields = ("reason", "review__claim__exact")
    readonly_fields = ("review", "previous_verdict", "new_verdict", "reason", "by", "created_at")
    list_select_related = ("review", "review__claim", "by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
