"""The reviewer's desk: server-rendered pages and htmx fragments.

Views parse input, call one selector or service, and render. Every rule (who may act, which
actions are valid, what is stale) lives in the services, selectors and `reviews.workflow`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from annotations import selectors
from annotations.linkhealth.links import link_request_check
from annotations.models import AnchorState, Claim, FetchState, Stance, TextSource
from annotations.services import article_fetch
from annotations.services import articles as article_services
from annotations.services import claims as claim_services
from annotations.web import bulkbar, editing, forms, present, queries
from annotations.web.bookmarklet import (
    QUOTE_MAX_CHARS,
    quote_mark,
    reader_query,
    submit_initial,
)
from annotations.web.charts import SERIES, health_chart_svg
from annotations.web.highlight import HighlightSpan, render_highlighted
from annotations.web.present import VERDICT_GROUP
from annotations.web.thread import claim_thread
from factcheck.counting import CappedPaginator
from factcheck.errors import DomainError, Forbidden, NotFound, PreconditionFailed
from factcheck.roles import is_reviewer, user_roles
from reviews import services as review_services
from reviews.claimreview import claimreview_jsonld
from reviews.models import PublicationKind
from reviews.publishing import reasons_open
from reviews.selectors import claim_may_edit, published_review_get
from reviews.services import review_transition
from reviews.workflow import (
    TRANSITION_INPUTS,
    Action,
    State,
    Verdict,
    available_actions,
    transition_inputs,
)

PAGE_SIZE = 25
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

View = Callable[..., HttpResponse]


def desk_view(view: View) -> View:
    """Signed in, and holding a role on the desk (reviewer, editor or submitter)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_roles(request.user):
            raise PermissionDenied(
                "Your account has no role on the desk. Ask an editor to add you to the "
                "reviewer, editor or submitter group."
            )
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapped


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- Queue and lists --------------------------------------------------------------------------


@require_GET
@desk_view
def queue(request: HttpRequest) -> HttpResponse:
    form = forms.QueueFilterForm(request.GET or None)
    buckets = queries.queue_buckets(request.user)
    tab = request.GET.get("tab") or buckets[0].key
    if tab not in {b.key for b in buckets}:
        tab = buckets[0].key
    # Bad filters (a search too long, a date that is none) are a 400 naming them, with
    # nothing listed: never the whole queue as if unfiltered.
    valid = not form.is_bound or form.is_valid()
    filters = form.cleaned_data if form.is_bound and valid else {}
    claims: Any = Claim.objects.none()
    counts: dict[str, int] = {}
    if valid:
        try:
            claims, counts = queries.queue_claims(
                user=request.user,
                bucket=tab,
                q=filters.get("q", ""),
                state=filters.get("state", ""),
                verdict=filters.get("verdict", ""),
                tag=filters.get("tag", ""),
                edited=bool(filters.get("edited")),
                more=form.list_filters() if filters else None,
                ordering=[filters["ordering"]] if filters.get("ordering") else [],
            )
        except DomainError as exc:
            form.add_error("q" if exc.field == "q" else None, exc.message)
            valid = False
    page = CappedPaginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for claim in page.object_list:
        claim.due_state = bulkbar.due_state(claim.review, now=now)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "tab": tab,
        "tabs": [(b, counts.get(b.key, 0)) for b in buckets],
        "page": page,
        "rows": [(c, present.claim_kind(c.review)) for c in page.object_list],
        "filtered": any(filters.values()) or not valid,
        "bulk": bulkbar.bulk_bar(request.user),
        "here": request.get_full_path(),
    }
    status = 200 if valid else 400
    if _is_htmx(request) and request.htmx.target == "queue-results":  # type: ignore[attr-defined]
        return render(request, "annotations/_queue_results.html", context, status=status)
    return render(request, "annotations/queue.html", context, status=status)


@require_GET
@desk_view
def article_list(request: HttpRequest) -> HttpResponse:
    form = forms.ArticleFilterForm(request.GET or None)
    articles = selectors.article_list_without_counts(user=request.user).order_by(
        "-created_at", "pk"
    )
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        articles = articles.filter(title__icontains=q) | articles.filter(publisher__icontains=q)
    # The page first, then its claims counted.
    page = CappedPaginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.article_claim_counts(article_ids=[a.pk for a in page.object_list])
    for article in page.object_list:
        article.claim_count = counts.get(article.pk, 0)  # type: ignore[attr-defined]
    return render(request, "annotations/article_list.html", {"form": form, "page": page})


_BODY_FIELDS = {"text": "body", "html": "body", "non_field_errors": None}


@desk_view
def article_submit(request: HttpRequest) -> HttpResponse:
    # `?url=&quote=` from the bookmarklet fill the form (annotations.web.bookmarklet).
    form = forms.ArticleSubmitForm(request.POST or None, initial=submit_initial(request.GET))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # No body: by URL alone, fetched through the same service as the API's.
        body = {data["format"]: data["body"]} if data["body"].strip() else {}
        try:
            outcome = article_services.article_submit(
                by=request.user,
                url=data["url"] or None,
                title=data["title"],
                byline=data["byline"],
                publisher=data["publisher"],
                published_at=data["published_at"],
                language=data["language"],
                **body,
            )
        except DomainError as exc:
            field = _BODY_FIELDS.get(exc.field or "", exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _submit_message(outcome))
            quote = data["quote"]
            claim = quote_mark(request, article=outcome.article, quote=quote) if quote else None
            target = reverse("web:article", kwargs={"article_id": outcome.article.pk})
            query = reader_query(claim, quote)
            return redirect(f"{target}?{urlencode(query)}" if query else target)
    status = 400 if request.method == "POST" else 200
    return render(request, "annotations/article_submit.html", {"form": form}, status=status)


def _submit_message(outcome: Any) -> str:
    article = outcome.article
    if article.fetch_state == FetchState.FETCHING:
        return "The page is being fetched; its text shows here when it is in."
    if outcome.status == "created" and article.text_source == TextSource.FETCHED:
        return "Article added from its page."
    return {
        "created": "Article added.",
        "unchanged": "This article was already on the desk; its text is unchanged.",
        "revised": "A new revision was stored; its claims were re-anchored.",
    }[outcome.status]


@require_POST
@desk_view
def article_refetch(request: HttpRequest, article_id: UUID) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    try:
        article_fetch.article_request_refetch(article=article, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "The page is being fetched again; a changed text will be a new revision.",
        )
    return redirect("web:article", article_id=article.pk)


# --- Reader -----------------------------------------------------------------------------------


def _reader_context(request: HttpRequest, article: Any) -> dict[str, Any]:
    # One query for all claims: the review and assignee joined, staleness annotated. The
    # selector's other joins would carry the article's text once per claim: dropped here.
    claims = list(
        selectors.claim_list(user=request.user)
        .filter(article=article)
        .select_related(None)
        .select_related("review", "review__assignee")
        .prefetch_related(None)
        .order_by("start", "-end", "pk")
    )
    panel_url = reverse("web:claim", kwargs={"claim_id": ZERO_UUID})
    placed: list[present.Shown] = []
    orphaned: list[present.Shown] = []
    for claim in claims:
        kind = present.claim_kind(claim.review)
        row = present.Shown(
            claim,
            {
                "kind": kind,
                "label": present.claim_label(claim.review),
                "symbol": present.VERDICT_SYMBOL.get(kind, ""),
                # Cut here, not with |truncatechars: that filter costs ~0.2 ms a call.
                "short": present.shorten(claim.exact, 90),
                "long": present.shorten(claim.exact, 160),
                "panel_url": panel_url.replace(ZERO_UUID, str(claim.pk)),
            },
        )
        (orphaned if claim.anchor_state == AnchorState.ORPHANED else placed).append(row)
    spans = [
        HighlightSpan(
            claim_id=str(c.pk),
            start=c.start,
            end=c.end,
            kind=c.kind,
            label=c.label + (" · stale evidence" if c.is_stale else ""),
            stale=bool(c.is_stale),
        )
        for c in placed
    ]
    return {
        "article": article,
        "text_html": render_highlighted(article.text, spans),
        "claims": placed,
        "orphaned": orphaned,
        "reanchored": [c for c in placed if c.anchor_state == AnchorState.REANCHORED],
        "legend": present.LEGEND,
        "symbols": present.VERDICT_SYMBOL,
        # No claims on an article without its text (fetching, or its fetch failed).
        "can_mark": is_reviewer(request.user) and article.fetch_state == FetchState.READY,
        "can_refetch": is_reviewer(request.user) and bool(article.url),
        "panel_url_template": panel_url,
        "mark_form": forms.ClaimMarkForm(),
        "revisions": present.revision_rows(
            article, selectors.article_revision_list(article=article)
        ),
    }


@require_GET
@desk_view
def reader(request: HttpRequest, article_id: UUID) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    context = _reader_context(request, article)
    # A quote the bookmarklet brought that could not be marked: shown in the quote box.
    context["quote"] = request.GET.get("quote", "")[:QUOTE_MAX_CHARS]
    selected = _uuid_or_none(request.GET.get("claim"))
    if selected is not None:
        try:
            claim = _claim(request, selected)
            if claim.article_id != article.pk:
                raise Http404("No such claim in this article.")
            context.update(_panel_context(request, claim))
        except Http404:
            messages.warning(request, "That claim is not in this article any more.")
    # A `claim` that is not a claim id at all (a mangled link) is ignored: the article shows.
    return render(request, "annotations/reader.html", context)


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


@require_POST
@desk_view
def claim_create(request: HttpRequest, article_id: UUID) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    form = forms.ClaimMarkForm(request.POST)
    error, status = None, 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_services.claim_create(
                article=article,
                by=request.user,
                utf16_start=data["utf16_start"],
                utf16_end=data["utf16_end"],
                exact=data["exact"] or None,
                claimant=data["claimant"],
                summary=data["summary"],
                tags=data["tags"],
            )
        except DomainError as exc:
            error, status = exc.message, exc.status_code
        else:
            if not _is_htmx(request):
                messages.success(request, "Claim marked.")
                return redirect(_reader_url(article.pk, claim.pk))
            context = _reader_context(request, article)
            context.update(_panel_context(request, _claim(request, claim.pk)))
            context["announce"] = "Claim marked. Its panel is open."
            response = render(request, "annotations/_reader_body.html", context, status=201)
            response["HX-Push-Url"] = _reader_url(article.pk, claim.pk)
            return response
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if _is_htmx(request):
        response = render(request, "annotations/_mark_error.html", {"error": error}, status=status)
        return reswap(retarget(response, "#mark-error"), "innerHTML")
    messages.error(request, error or "The claim could not be marked.")
    return redirect("web:article", article_id=article.pk)


def _reader_url(article_id: Any, claim_id: Any) -> str:
    return reverse("web:article", kwargs={"article_id": article_id}) + f"?claim={claim_id}"


# --- Claim panel ------------------------------------------------------------------------------


def _claim(request: HttpRequest, claim_id: Any) -> Claim:
    try:
        return selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    except (NotFound, ValueError, ValidationError) as exc:
        raise Http404("No such claim.") from exc


_ACTION_STYLE: dict[str, str] = {
    Action.APPROVE: "primary",
    Action.SUBMIT: "primary",
    Action.TAKE: "primary",
    Action.RETURN: "secondary",
    Action.MARK_NOT_CHECKABLE: "secondary",
    Action.REOPEN: "secondary",
    Action.ASSIGN: "secondary",
}

# The note's label where the action says what it is for (otherwise "Why?", or optional).
_NOTE_LABEL: dict[str, str] = {
    Action.RETURN: "Note to the reviewer",
    Action.APPROVE: "Reason for the correction",
    Action.DISMISS_REREVIEW: "Why no re-review is needed",
    Action.UPDATE: "What this update changes (logged)",
    Action.PUBLISH_NOTICE: "Notice readers see (empty withdraws it)",
}


@dataclass(frozen=True)
class _ActionForm:
    action: str
    label: str
    style: str
    form: Any  # fields: exactly the workflow's inputs of this action on this review
    # A required note asks why before anything is sent: the form opens from its button.
    expands: bool
    layout: str


def _action_forms(
    review: Any, actions: list[str], *, failed_action: str | None, posted: Any
) -> list[_ActionForm]:
    """One form per action open to the user, its fields read from `reviews.workflow`."""
    reviewers = list(queries.assignable_reviewers()) if Action.ASSIGN in actions else []
    sources = (
        [(ev.pk, ev.title or ev.url) for ev in review.claim.evidence.all()]
        if Action.UPDATE in actions
        else []
    )
    result = []
    for action in actions:
        inputs = transition_inputs(action=action, review=review)
        initial: dict[str, Any] = {
            "verdict": review.verdict,
            "rationale": review.rationale,
            "assignee": review.assignee_id,
        }
        if action == Action.PUBLISH_NOTICE:
            initial["note"] = review.notice
        if posted and failed_action == action:  # what was sent, shown again with its error
            initial.update({item.name: posted.get(item.name) for item in inputs})
        form = forms.transition_inputs_form(
            inputs=inputs,
            auto_id=f"{action}-{review.claim_id}-%s",
            initial=initial,
            reviewers=reviewers,
            note_label=_NOTE_LABEL.get(action, ""),
            sources=sources,
        )
        result.append(
            _ActionForm(
                action=action,
                label=Action(action).label,
                style=_ACTION_STYLE.get(action, "secondary"),
                form=form,
                expands=any(item.name == "note" and item.required for item in inputs),
                layout="stack" if len(inputs) > 1 else "action-form--inline",
            )
        )
    return result


def _panel_context(request: HttpRequest, claim: Claim, **extra: Any) -> dict[str, Any]:
    review = claim.review
    actions = available_actions(review=review, user=request.user)
    evidence = [(ev, present.health_badges(ev)) for ev in claim.evidence.all()]
    context = {
        "claim": claim,
        "review": review,
        "kind": present.claim_kind(review),
        "actions": _action_forms(
            review, actions, failed_action=extra.get("failed_action"), posted=extra.get("posted")
        ),
        "is_correction": review.first_published_at is not None,
        "reasons": reasons_open(review=review),
        "evidence": evidence,
        "timeline": queries.claim_timeline(user=request.user, claim=claim),
        "thread": claim_thread(user=request.user, claim=claim),
        "comment_form": forms.CommentForm(),
        "can_edit": claim_may_edit(request.user, claim),
        "is_published": review.state == State.PUBLISHED,
        "evidence_form": forms.EvidenceForm(),
        "claim_form": forms.ClaimUpdateForm(
            initial={
                # The claim's version as rendered: a save over someone else's edit is a 412.
                "expected_version": claim.version,
                "claimant": claim.claimant,
                "summary": claim.summary,
                "tags": ", ".join(claim.tags),
            }
        ),
    }
    context.update(editing.panel_extras(request, claim, can_edit=bool(context["can_edit"])))
    context.update(extra)
    return context


def _panel(
    request: HttpRequest, claim_id: Any, *, status: int = 200, event: bool = False, **extra: Any
) -> HttpResponse:
    claim = _claim(request, claim_id)
    if not _is_htmx(request):
        for message in (extra.get("panel_error"), extra.get("conflict")):
            if message:
                messages.error(request, str(message))
        if extra.get("flash"):
            messages.success(request, extra["flash"])
        return HttpResponseRedirect(_reader_url(claim.article_id, claim.pk))
    response = render(
        request,
        "annotations/_claim_panel.html",
        _panel_context(request, claim, **extra),
        status=status,
    )
    if event:
        trigger_client_event(
            response,
            "claim-updated",
            {
                "id": str(claim.pk),
                "kind": present.claim_kind(claim.review),
                "label": present.claim_label(claim.review),
            },
        )
    return response


def _conflict(request: HttpRequest, claim: Claim) -> HttpResponse:
    """A stale version (412): show who changed the claim and the panel as it is now."""
    who, when = queries.claim_last_changed_by(user=request.user, claim=claim)
    stamp = timezone.localtime(when).strftime("%H:%M") if when else ""
    conflict = f"This claim was changed by {who}" + (f" at {stamp}" if stamp else "")
    return _panel(request, claim.pk, status=412, conflict=conflict, event=True)


@require_GET
@desk_view
def claim_panel(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    return _panel(request, claim_id)


@require_POST
@desk_view
def claim_update(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    claim = _claim(request, claim_id)
    form = forms.ClaimUpdateForm(request.POST)
    if not form.is_valid():
        return _panel(request, claim_id, status=400, panel_error="Check the claim's fields.")
    try:
        review_services.claim_edit(claim=claim, by=request.user, **form.cleaned_data)
    except PreconditionFailed:
        return _conflict(request, claim)
    except DomainError as exc:
        return _panel(request, claim_id, status=exc.status_code, panel_error=exc.message)
    return _panel(request, claim_id, flash="Claim details saved.")


@require_POST
@desk_view
def claim_transition(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    claim = _claim(request, claim_id)
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        return _panel(
            request, claim_id, status=400, panel_error="That action could not be read; reload."
        )
    data = form.cleaned_data
    action = data["action"]
    # Every input given goes to the service, which refuses any this action does not take
    # (reviews.workflow); a needed one goes even when empty, for the service's message.
    needed = {i.name for i in transition_inputs(action=action, review=claim.review) if i.required}
    kwargs: dict[str, Any] = {
        name: data[name]
        for name in TRANSITION_INPUTS
        if data[name] not in (None, "") or name in needed
    }
    if kwargs.get("assignee") is not None:
        kwargs["assignee"] = get_user_model().objects.filter(pk=kwargs["assignee"]).first()
    try:
        review = review_transition(
            review_id=claim.review.pk,
            by=request.user,
            action=action,
            expected_version=data["expected_version"],
            **kwargs,
        )
    except PreconditionFailed:
        return _conflict(request, claim)
    except DomainError as exc:
        return _panel(
            request,
            claim_id,
            status=exc.status_code,
            panel_error=exc.message,
            failed_action=action,
            posted=data,
        )
    done = {
        Action.TAKE: "You took this claim.",
        Action.ASSIGN: "Assigned.",
        Action.SUBMIT: "Verdict submitted for review.",
        Action.APPROVE: "Approved and published.",
        Action.RETURN: "Returned to the reviewer.",
        Action.MARK_NOT_CHECKABLE: "Marked not checkable.",
        Action.REOPEN: "Reopened.",
        Action.DISMISS_REREVIEW: "Re-review dismissed.",
        Action.UPDATE: "Updated: the published check shows the change.",
        Action.PUBLISH_NOTICE: "Notice published." if review.notice else "No public notice.",
    }.get(action, "Done.")
    return _panel(request, review.claim_id, flash=done, event=True)


@require_POST
@desk_view
def evidence_add(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    claim = _claim(request, claim_id)
    form = forms.EvidenceForm(request.POST)
    if form.is_valid():
        try:
            review_services.evidence_add(claim=claim, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
            status = exc.status_code
        else:
            return _panel(
                request, claim_id, flash="Evidence added; its link is being checked.", event=True
            )
    else:
        status = 400
    return _panel(request, claim_id, status=status, evidence_form=form, evidence_open=True)


@require_POST
@desk_view
def evidence_remove(request: HttpRequest, evidence_id: UUID) -> HttpResponse:
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    try:
        review_services.evidence_remove(evidence=evidence, by=request.user)
    except DomainError as exc:
        return _panel(request, evidence.claim_id, status=exc.status_code, panel_error=exc.message)
    return _panel(request, evidence.claim_id, flash="Evidence removed.", event=True)


@require_POST
@desk_view
def evidence_recheck(request: HttpRequest, evidence_id: UUID) -> HttpResponse:
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    requested_at = timezone.now()
    link_request_check(link=evidence.link, by=request.user)
    if not _is_htmx(request):
        messages.success(request, "A recheck was requested.")
        return HttpResponseRedirect(_reader_url(evidence.claim.article_id, evidence.claim_id))
    evidence = selectors.evidence_get_for_user(user=request.user, evidence_id=evidence_id)
    # The item polls itself until the check lands (bounded), then shows the result in place.
    context = editing.evidence_item_context(request, evidence, since=requested_at, polls=0)
    return render(request, "annotations/_evidence_item.html", context)


# --- Stale sources ----------------------------------------------------------------------------


@require_GET
@desk_view
def stale_sources(request: HttpRequest) -> HttpResponse:
    """Stale evidence grouped by published claim and by host, each list paged on its own
    (`?claims_page=`, `?hosts_page=`), with the 30-day chart of the per-day rollups."""

    def page_number(name: str) -> int:
        raw = request.GET.get(name, "")
        return min(max(int(raw), 1), 10_000) if raw.isdigit() else 1

    def shown(groups: list[Any]) -> list[Any]:
        for group in groups:
            group.items = [
                present.Shown(ev, {"badges": present.health_badges(ev)}) for ev in group.items
            ]
        return groups

    claims_page, hosts_page = page_number("claims_page"), page_number("hosts_page")
    by_claim, more_claims = queries.stale_by_published_claim(user=request.user, page=claims_page)
    by_host, more_hosts = queries.stale_by_host(user=request.user, page=hosts_page)
    days = queries.link_health_by_day(days=30)
    return render(
        request,
        "annotations/stale.html",
        {
            "total": queries.stale_count(user=request.user),
            "by_host": shown(by_host),
            "by_claim": shown(by_claim),
            "claims_page": claims_page,
            "hosts_page": hosts_page,
            "more_claims": more_claims,
            "more_hosts": more_hosts,
            "chart": health_chart_svg(days),
            "series": SERIES,
            "days": days,
            "stale_after_days": settings.LINK_STALE_AFTER_DAYS,
        },
    )


# --- Published view (public) ------------------------------------------------------------------


@require_GET
def published_claim(request: HttpRequest, claim_id: UUID) -> HttpResponse:
    """The public page of a fact check, with its ClaimReview for crawlers. Its address is the
    ClaimReview `url` (`{FACTCHECK_ORGANIZATION_URL}claims/{id}/`).

    It shows the live publication (the words, verdict, rationale and sources as published),
    whatever the review does now: a reopened check stays online as it was published. A notice
    is shown only when an editor published one.
    """
    try:
        review = published_review_get(claim_id=claim_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    claim = review.claim
    publication = review.live_publication
    if publication is None:  # published_review_get serves only reviews with one
        raise Http404("No published fact check for this claim.")
    jsonld = claimreview_jsonld(
        claim=claim,
        review=review,
        publication=publication,
        organization_name=settings.FACTCHECK_ORGANIZATION_NAME,
        organization_url=settings.FACTCHECK_ORGANIZATION_URL,
    )
    approved_at = (
        review.publications.exclude(kind=PublicationKind.UPDATE)
        .order_by("-number")
        .values_list("published_at", flat=True)
        .first()
    )
    return render(
        request,
        "annotations/published.html",
        {
            "claim": claim,
            "review": review,
            "publication": publication,
            "approved_at": approved_at or publication.published_at,
            "updated_at": (
                publication.published_at if publication.kind == PublicationKind.UPDATE else None
            ),
            "verdict_label": Verdict(publication.verdict).label,
            "kind": VERDICT_GROUP.get(Verdict(publication.verdict), "v-mixed"),
            "jsonld": jsonld,
            "evidence": [
                {**item, "stance_label": Stance(item["stance"]).label if item.get("stance") else ""}
                for item in publication.evidence
            ],
            "corrections": list(review.corrections.all()),
            "organization": settings.FACTCHECK_ORGANIZATION_NAME,
            "is_desk": bool(user_roles(request.user)),
        },
    )
