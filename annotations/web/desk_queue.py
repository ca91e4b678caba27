"""The queue's bulk action and the editors' workload page (the bar itself: `bulkbar`).

The bar posts the ticked claims and one action to `queue_bulk`, which runs them through
`reviews.bulk.claims_bulk` (each claim through the service that acts on one) and goes back
to the queue as it was, saying what happened. No script: a plain form (CSP strict).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from annotations.web import forms
from annotations.web.views import desk_view
from factcheck.errors import DomainError
from reviews.bulk import claims_bulk
from reviews.deadlines import UNSET, workload


def _back(request: HttpRequest, target: str) -> HttpResponseRedirect:
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:queue")
    return HttpResponseRedirect(target)


@require_POST
@desk_view
def queue_bulk(request: HttpRequest) -> HttpResponse:
    form = forms.ClaimBulkForm(request.POST)
    target = request.POST.get("next") or reverse("web:queue")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request, target)
    data = form.cleaned_data
    assignee = None
    if data["action"] == "assign" and data.get("assignee"):
        assignee = get_user_model().objects.filter(username=data["assignee"]).first()
        if assignee is None:
            messages.error(request, f"No user {data['assignee']!r}.")
            return _back(request, target)
    due: Any = UNSET
    if data["action"] == "set_due":
        day = data.get("due")
        # A date: due by the end of that day in the desk's time zone.
        due = (
            timezone.make_aware(datetime.combine(day, datetime.max.time().replace(microsecond=0)))
            if day
            else None
        )
    try:
        results = claims_bulk(
            by=request.user,
            ids=data["ids"],
            action=data["action"],
            assignee=assignee,
            tag=data.get("tag") or "",
            note=data.get("note") or "",
            priority=data.get("priority") or "",
            due_at=due,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, target)
    done = sum(r.status == "updated" for r in results)
    same = sum(r.status == "unchanged" for r in results)
    failed = [r for r in results if r.status == "error"]
    summary = f"{done} claim{'s' if done != 1 else ''} updated"
    if same:
        summary += f", {same} already so"
    messages.success(request, summary + ".")
    for result in failed[:10]:
        messages.error(request, f"Claim {result.id[:8]}: {result.message}")
    if len(failed) > 10:
        messages.error(request, f"…and {len(failed) - 10} more not changed.")
    return _back(request, target)


@require_GET
@desk_view
def workload_page(request: HttpRequest) -> HttpResponse:
    rows = workload(user=request.user)
    return render(request, "annotations/workload.html", {"rows": rows})
