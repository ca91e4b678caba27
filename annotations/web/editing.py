"""The desk's edits of what was marked: a claim's span, deleting and merging claims, editing
evidence, claimant suggestions, and a rechecked link's item updating in place.

Views parse, call one `reviews.services` function, and render the reader or the panel; the
rules (who may, never once published, the review's lock) are the services'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from annotations import anchoring, selectors
from annotations.models import AnchorState, Claim, Stance
from annotations.web import present
from factcheck.errors import DomainError, PreconditionFailed
from factcheck.roles import is_editor
from reviews import services as review_services
from reviews.selectors import claim_may_edit, claims_ever_published
from reviews.workflow import State, approve_refusal

# How long an evidence item waits in place for the recheck it asked for: POLL_LIMIT polls,
# POLL_SECONDS apart (the checker answers within seconds; a link it holds back, later).
POLL_SECONDS = 2
POLL_LIMIT = 30
MERGE_CHOICES = 50

SPAN_MOVES: dict[str, tuple[anchoring.SpanEdge, bool]] = {
    "start-grow": ("start", True),
    "start-shrink": ("start", False),
    "end-shrink": ("end", False),
    "end-grow": ("end", True),
}


class SpanForm(forms.Form):
    move = forms.ChoiceField(choices=[(m, m) for m in SPAN_MOVES], required=False)
    # Or the edges as the browser counts them (a selection dragged in the text).
    utf16_start = forms.IntegerField(required=False, min_value=0)
    utf16_end = forms.IntegerField(required=False, min_value=0)
    expected_version = forms.IntegerField(min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        edges = data.get("utf16_start") is not None and data.get("utf16_end") is not None
        if not data.get("move") and not edges:
            raise forms.ValidationError("Choose how to move the span, or select the new words.")
        return data


class MergeForm(forms.Form):
    other = forms.UUIDField(label="Merge this claim into")
    expected_version = forms.IntegerField(min_value=1)


class EvidenceEditForm(forms.Form):
    stance = forms.ChoiceField(choices=Stance.choices, label="Stance")
    title = forms.CharField(
        required=False,
        max_length=500,
        label="Title",
        help_text="Left empty, the page's own title is shown once it is read.",
    )
    note = forms.CharField(required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2}))


# --- What the reader and the panel show --------------------------------------------------------


def reader_extras(request: HttpRequest) -> dict[str, Any]:
    """Claimant suggestions for the mark bar and the claim's edit form."""
    return {
        "claimant_options": [
            row["claimant"] for row in selectors.claimant_suggestions(user=request.user, limit=50)
        ],
        "claimant_last": selectors.claimant_last(user=request.user),
    }


@require_GET
def claimant_options(request: HttpRequest) -> HttpResponse:
    """The claimant suggestions, loaded by the reader after the page (no cost to the page)."""
    return render(request, "annotations/_claimant_suggest.html", reader_extras(request))


def panel_extras(request: HttpRequest, claim: Claim, *, can_edit: bool) -> dict[str, Any]:
    """What the panel offers besides the workflow: span, delete, merge, why no approve."""
    review = claim.review
    ever_published = bool(can_edit and claims_ever_published(claim_ids=[claim.pk]))
    editable = can_edit and not ever_published
    return {
        "can_respan": editable and claim.anchor_state != AnchorState.ORPHANED,
        "can_delete": editable,
        "merge_choices": list(_merge_choices(request.user, claim)) if editable else [],
        "approve_note": approve_refusal(review=review, user=request.user),
        "evidence_edit_forms": {
            ev.pk: EvidenceEditForm(
                initial={"stance": ev.stance, "title": ev.title, "note": ev.note},
                auto_id=f"ev-{ev.pk}-%s",
            )
            for ev in claim.evidence.all()
        }
        if can_edit and review.state != State.PUBLISHED
        else {},
    }


def _merge_choices(user: Any, claim: Claim) -> QuerySet[Claim]:
    """Other claims of the article this user may merge into this one."""
    others = Claim.objects.filter(article_id=claim.article_id).exclude(pk=claim.pk)
    if not is_editor(user):
        others = others.filter(
            Q(review__assignee=user) | Q(review__assignee__isnull=True, created_by=user)
        )
    published = Claim.objects.filter(
        Q(review__first_published_at__isnull=False) | Q(review__approved_by__isnull=False)
    ).values("pk")
    return others.exclude(pk__in=published).order_by("start", "end")[:MERGE_CHOICES]


# --- Views ------------------------------------------------------------------------------------


def _views() -> Any:
    from annotations.web import views

    return views


def _reader_response(
    request: HttpRequest, article: Any, claim_id: Any | None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The reader body again (highlights moved or gone), with the claim's panel open."""
    views = _views()
    context = views._reader_context(request, article)
    if claim_id is not None:
        context.update(views._panel_context(request, views._claim(request, claim_id), **extra))
    else:
        context.update(extra)
    response = render(request, "annotations/_reader_body.html", context, status=status)
    response["HX-Push-Url"] = (
        views._reader_url(article.pk, claim_id)
        if claim_id is not None
        else reverse("web:article", kwargs={"article_id": article.pk})
    )
    return response


def _done(
    request: HttpRequest, claim: Claim, claim_id: Any | None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    if not getattr(request, "htmx", False):
        if extra.get("panel_error") or extra.get("conflict"):
            messages.error(request, str(extra.get("panel_error") or extra.get("conflict")))
        elif extra.get("flash"):
            messages.success(request, extra["flash"])
        if claim_id is None:
            return redirect("web:article", article_id=claim.article_id)
        return HttpResponseRedirect(_views()._reader_url(claim.article_id, claim_id))
    return _reader_response(request, claim.article, claim_id, status=status, **extra)


@require_POST
def claim_span(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    views = _views()
    claim = views._claim(request, claim_id)
    form = SpanForm(request.POST)
    if not form.is_valid():
        return _done(
            request, claim, claim.pk, status=400, panel_error="That move could not be read."
        )
    data = form.cleaned_data
    try:
        if data.get("move"):
            edge, grow = SPAN_MOVES[data["move"]]
            try:
                start, end = anchoring.span_step(
                    claim.article.text, claim.start, claim.end, edge=edge, grow=grow
                )
            except anchoring.AnchorError as exc:
                raise DomainError(exc.message, field=exc.field) from exc
            edges: dict[str, Any] = {"start": start, "end": end}
        else:
            edges = {"utf16_start": data["utf16_start"], "utf16_end": data["utf16_end"]}
        review_services.claim_respan(
            claim=claim, by=request.user, expected_version=data["expected_version"], **edges
        )
    except PreconditionFailed:
        who, _ = views.queries.claim_last_changed_by(user=request.user, claim=claim)
        return _done(
            request, claim, claim.pk, status=412, conflict=f"This claim was changed by {who}"
        )
    except DomainError as exc:
        return _done(request, claim, claim.pk, status=exc.status_code, panel_error=exc.message)
    return _done(request, claim, claim.pk, flash="Span adjusted.", span_moved=data.get("move"))


@require_POST
def claim_delete(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    claim = _views()._claim(request, claim_id)
    try:
        review_services.claim_remove(claim=claim, by=request.user)
    except DomainError as exc:
        return _done(request, claim, claim.pk, status=exc.status_code, panel_error=exc.message)
    return _done(request, claim, None, flash="Claim deleted.", announce="Claim deleted.")


@require_POST
def claim_merge(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    views = _views()
    claim = views._claim(request, claim_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _done(request, claim, claim.pk, status=400, panel_error="Choose the claim to merge.")
    try:
        other = selectors.claim_get_for_user(user=request.user, claim_id=form.cleaned_data["other"])
        review_services.claims_merge(
            claim=claim,
            other=other,
            by=request.user,
            expected_version=form.cleaned_data["expected_version"],
        )
    except PreconditionFailed:
        who, _ = views.queries.claim_last_changed_by(user=request.user, claim=claim)
        return _done(
            request, claim, claim.pk, status=412, conflict=f"This claim was changed by {who}"
        )
    except DomainError as exc:
        return _done(request, claim, claim.pk, status=exc.status_code, panel_error=exc.message)
    return _done(
        request,
        claim,
        claim.pk,
        flash="Claims merged: the other claim's evidence and discussion are here now.",
    )


@require_POST
def evidence_update(request: HttpRequest, evidence_id: UUID) -> HttpResponse:
    views = _views()
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    form = EvidenceEditForm(request.POST, auto_id=f"ev-{evidence.pk}-%s")
    if form.is_valid():
        try:
            review_services.evidence_edit(evidence=evidence, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            return views._panel(
                request, evidence.claim_id, status=exc.status_code, panel_error=exc.message
            )
        return views._panel(request, evidence.claim_id, flash="Evidence saved.", event=True)
    return views._panel(
        request,
        evidence.claim_id,
        status=400,
        panel_error="Check the evidence's fields: " + form.errors.as_text(),
    )


def evidence_item_context(
    request: HttpRequest, evidence: Any, *, since: datetime | None, polls: int
) -> dict[str, Any]:
    """An evidence item, and whether it keeps waiting in place for the check it asked for."""
    link = evidence.link
    landed = since is not None and link.last_checked_at is not None and link.last_checked_at > since
    poll = None
    status = ""
    if since is not None and not landed:
        if polls < POLL_LIMIT:
            query = f"?since={since.isoformat()}&poll={polls + 1}".replace("+", "%2B")
            poll = {
                "url": reverse("web:evidence-item", kwargs={"evidence_id": evidence.pk}) + query,
                "delay": POLL_SECONDS,
            }
            status = "Recheck requested. The result shows here once the checker has run."
        else:
            status = "The checker has not answered yet; the result will show after a reload."
    elif landed:
        status = f"Checked just now: {present.health_label(link)}."
    claim = evidence.claim
    can_edit = claim_may_edit(request.user, claim)
    published = claim.review.state == State.PUBLISHED
    return {
        "ev": evidence,
        "badges": present.health_badges(evidence),
        "can_edit": can_edit,
        "is_published": published,
        "poll": poll,
        "check_status": status,
        "evidence_edit_forms": {
            evidence.pk: EvidenceEditForm(
                initial={"stance": evidence.stance, "title": evidence.title, "note": evidence.note},
                auto_id=f"ev-{evidence.pk}-%s",
            )
        }
        if can_edit and not published
        else {},
    }


@require_GET
def evidence_item(request: HttpRequest, evidence_id: UUID) -> HttpResponse:
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    since = parse_datetime(request.GET.get("since", "") or "")
    if since is not None and timezone.is_naive(since):
        since = None
    try:
        polls = max(0, min(int(request.GET.get("poll", "0")), POLL_LIMIT))
    except ValueError:
        polls = POLL_LIMIT
    context = evidence_item_context(request, evidence, since=since, polls=polls)
    return render(request, "annotations/_evidence_item.html", context)
