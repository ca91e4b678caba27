"""An article's revision history and the difference between two of its revisions.

The reader lists the history and offers a from/to choice; the difference loads into the
reader by htmx, or opens as a page of its own without JavaScript. Claims are marked in it as
in the reader: those anchored in the "to" revision in the text kept or inserted, those last
anchored in the "from" revision in the text deleted (a claim orphaned by the edit shows where
its words went).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms as django_forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotations import selectors
from annotations.models import Article, ArticleRevision
from annotations.textchange import compare
from annotations.web import present
from annotations.web.highlight import HighlightSpan
from annotations.web.revisiondiff import diff_stats, render_revision_diff, revision_diff
from annotations.web.views import _is_htmx, desk_view
from factcheck.errors import NotFound


class RevisionChoiceForm(django_forms.Form):
    """`?from=&to=`: revision numbers, both optional (the latest change by default)."""

    from_ = django_forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    to = django_forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, data: Any) -> None:
        # `from` is a keyword in Python; the field is `from_`, the parameter `from`.
        super().__init__({"from_": data.get("from"), "to": data.get("to")})


def _spans(claims: list[Any], revision: ArticleRevision) -> list[HighlightSpan]:
    text = revision.text
    return [
        HighlightSpan(
            claim_id=str(c.pk),
            start=c.start,
            end=c.end,
            kind=present.claim_kind(c.review),
            label=present.claim_label(c.review),
            stale=bool(c.is_stale),
        )
        for c in claims
        if c.revision_id == revision.pk and text[c.start : c.end] == c.exact
    ]


def revision_diff_context(
    *, user: Any, article: Article, before: ArticleRevision, after: ArticleRevision
) -> dict[str, Any]:
    """What the diff template reads: the marked-up text, counts, changed numbers and dates."""
    claims = list(
        selectors.claim_list(user=user)
        .filter(article=article, revision__in=(before.pk, after.pk))
        .select_related(None)
        .select_related("review")
        .prefetch_related(None)
        .order_by("start", "-end", "pk")
    )
    pieces = revision_diff(before.text, after.text)
    stats = diff_stats(before.text, after.text, pieces)
    comparison = compare(before.text, after.text)
    return {
        "before": before,
        "after": after,
        "stats": stats,
        "identical": stats.changes == 0,
        "changed_numbers": comparison.changed_numbers,
        "changed_dates": comparison.changed_dates,
        "diff_html": render_revision_diff(
            before.text,
            after.text,
            pieces,
            after_spans=_spans(claims, after),
            before_spans=_spans(claims, before),
        ),
        "marked": sum(1 for c in claims if c.revision_id == after.pk),
    }


@require_GET
@desk_view
def article_revisions(request: HttpRequest, article_id: UUID) -> HttpResponse:
    """The history and the difference between revisions `from` and `to` (by default the one
    before the current revision and the current one): a fragment for the reader (htmx), or a
    page. Numbers that are not revisions of the article are a 400 with the reason."""
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    revisions = list(selectors.article_revision_list(article=article))
    context: dict[str, Any] = {
        "article": article,
        "revisions": present.revision_rows(article, revisions),
    }
    form = RevisionChoiceForm(request.GET)
    error, status = "", 200
    if not form.is_valid():
        error, status = "Choose revisions by their numbers.", 400
    else:
        to = form.cleaned_data["to"] or article.current_revision
        frm = form.cleaned_data["from_"] or max(to - 1, 1)
        context.update({"from_number": frm, "to_number": to})
        if frm == to and len(revisions) > 1:
            error, status = "Choose two different revisions to compare.", 400
        elif len(revisions) > 1:
            try:
                before = selectors.article_revision_get(article=article, number=frm)
                after = selectors.article_revision_get(article=article, number=to)
            except NotFound as exc:
                error, status = exc.message, 400
            else:
                context.update(
                    revision_diff_context(
                        user=request.user, article=article, before=before, after=after
                    )
                )
    context["error"] = error
    template = (
        "annotations/_revision_diff.html" if _is_htmx(request) else "annotations/revisions.html"
    )
    return render(request, template, context, status=status)
