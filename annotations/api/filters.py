from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from annotations.linkhealth.health import LinkHealth
from annotations.models import AnchorState, Article, Claim, Link
from factcheck.urlnorm import InvalidURL, canonical_url
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
    assignee = django_filters.CharFilter(method="filter_assignee", help_text="A username, or `me`.")
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
        if value == "me":
            return queryset.filter(review__assignee=request.user)
        if value == "none":
            return queryset.filter(review__assignee__isnull=True)
        return queryset.filter(review__assignee__username=value)

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
    health = django_filters.MultipleChoiceFilter(choices=LinkHealth.choices)
    host = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Link
        fields = ("health", "host")
