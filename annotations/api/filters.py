from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from annotations.linkhealth.health import LinkHealth
from annotations.models import AnchorState, Article, Claim, Link
from annotations.search import SEARCH_MAX_CHARS, claims_claimant, claims_search
from factcheck.urlnorm import InvalidURL, canonical_url
from reviews import claimlists
from reviews.models import PRIORITY_BY_NAME
from reviews.selectors import claims_edited_after_publication
from reviews.workflow import State, Verdict


class ArticleFilter(django_filters.FilterSet):
    publisher = django_filters.CharFilter(lookup_expr="iexact")
    language = django_filters.CharFilter(lookup_expr="iexact")
    published_after = django_filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = django_filters.IsoDateTimeFilter(field_name="published_at", lookup_expr="lt")
    url = django_filters.CharFilter(method="filter_url")

    class Meta:
        model = Article
        fields = ("publisher", "language")

    def filter_url(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        try:
            return queryset.filter(url=canonical_url(value))
        except InvalidURL:
            return queryset.none()


class ClaimFilter(django_filters.FilterSet):
    article = django_filters.UUIDFilter(field_name="article_id")
    state = django_filters.MultipleChoiceFilter(field_name="review__state", choices=State.choices)
    verdict = django_filters.MultipleChoiceFilter(
        field_name="review__verdict", choices=Verdict.choices
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="A username, `me`, or `none` (nobody)."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_CHARS,
        help_text="Full-text search of the quote, summary, claimant, tags and article title; "
        "accents and case ignored, every word must match (as a word prefix). Ranked: without "
        "`ordering` (or with `ordering=rank`), the newest 1,001 matches, best first; any other "
        "`ordering` lists every match.",
    )
    claimant = django_filters.CharFilter(
        method="filter_claimant",
        max_length=300,
        help_text="Claims whose claimant has these words (accents and case ignored).",
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    due_before = django_filters.IsoDateTimeFilter(
        field_name="review__due_at", lookup_expr="lt", help_text="Reviews due before this time."
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text="Open reviews (not published, not `not_checkable`) past their `due_at`.",
    )
    priority = django_filters.MultipleChoiceFilter(
        method="filter_priority", choices=[(name, name) for name in PRIORITY_BY_NAME]
    )
    anchor_state = django_filters.MultipleChoiceFilter(choices=AnchorState.choices)
    stale = django_filters.BooleanFilter(field_name="is_stale")
    needs_rereview = django_filters.BooleanFilter(field_name="review__needs_rereview")
    tag = django_filters.CharFilter(method="filter_tag")
    edited_after_publication = django_filters.BooleanFilter(
        method="filter_edited_after_publication",
        help_text="Claims whose article got a new revision after the claim's review was "
        "first published (a stealth edit, or a correction by the publisher).",
    )

    class Meta:
        model = Claim
        fields = ("article", "anchor_state")

    def filter_assignee(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        request: Any = self.request
        return queryset.filter(claimlists.assignee_q(value, user=request.user))

    def filter_search(self, queryset: QuerySet[Claim], name: str, value: str) -> Any:
        return claims_search(queryset, value, field=name)

    def filter_claimant(self, queryset: QuerySet[Claim], name: str, value: str) -> Any:
        return claims_claimant(queryset, value, field=name)

    def filter_overdue(
        self, queryset: QuerySet[Claim], name: str, value: bool | None
    ) -> QuerySet[Claim]:
        if value is None:
            return queryset
        return queryset.filter(claimlists.overdue_filter(value))

    def filter_priority(
        self, queryset: QuerySet[Claim], name: str, value: list[str]
    ) -> QuerySet[Claim]:
        return queryset.filter(claimlists.priority_q(value)) if value else queryset

    def filter_edited_after_publication(
        self, queryset: QuerySet[Claim], name: str, value: bool | None
    ) -> QuerySet[Claim]:
        if value is None:
            return queryset
        edited = claims_edited_after_publication()
        return queryset.filter(edited) if value else queryset.exclude(edited)

    def filter_tag(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset.filter(tags__contains=[value.strip().lower()])


class LinkFilter(django_filters.FilterSet):
    # No DISTINCT (one health per row): it sorted every matching link, and counted each one's
    # evidence, before the page was taken.
    health = django_filters.MultipleChoiceFilter(choices=LinkHealth.choices, distinct=False)
    host = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Link
        fields = ("health", "host")


class ClaimOrderingFilter(OrderingFilter):
    """`ordering=` by created, updated, due (claims without a deadline last), priority or start
    (the position in the article), a
    leading `-` for descending, several comma-separated; `rank` with a search. Without it: the
    best search match first, else the newest. An unknown name is a 400.

    The cursor pagination asks this filter for the ordering too (`get_ordering`).
    """

    ordering_description = (
        "Sort by `created`, `updated`, `due` (no deadline last), `priority` (`-priority`: "
        "urgent first) or `start` (the position in the article), or `rank` with a search; a leading `-` for descending, several "
        "comma-separated. Default: the best search match first, else the newest."
    )

    def _terms(self, request: Request) -> list[str]:
        value = request.query_params.get(self.ordering_param) or ""
        return [t for t in value.split(",") if t.strip()]

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        return claimlists.claims_ordering(queryset, self._terms(request))[1]

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        queryset, ordering = claimlists.claims_ordering(queryset, self._terms(request))
        return queryset.order_by(*ordering)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": self.ordering_description,
                "schema": {"type": "string"},
            }
        ]
