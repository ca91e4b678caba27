"""Who may ask for a link to be checked now: one rule, in `link_request_check(by=...)`.

Reviewers and editors may (superusers hold every role); submitters and users without a role
may not. The same answer through the API (`POST /api/v1/links/{id}/recheck/`) and the desk
(`POST /evidence/{id}/recheck/`); a refusal leaves the link's schedule as it was and enqueues
nothing, a success makes the link due now and puts a check of it on the broker's queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations.linkhealth.links import link_request_check
from annotations.models import Evidence, Link
from factcheck.errors import Forbidden

pytestmark = pytest.mark.django_db

CHECK_LINK = "annotations.linkhealth.tasks.check_link"

# role -> may recheck
ROLES = {
    None: False,
    "submitter": False,
    "reviewer": True,
    "editor": True,
    "superuser": True,
}


@pytest.fixture
def evidence(claim: Any, reviewer: Any) -> Evidence:
    link = Link.objects.create(
        url="https://example.org/report",
        host="example.org",
        next_check_at=timezone.now() + timedelta(days=3),
    )
    return Evidence.objects.create(
        claim=claim, link=link, url=link.url, stance="supports", added_by=reviewer
    )


def _user(make_user: Callable[..., Any], role: str | None) -> Any:
    if role == "superuser":
        return make_user("root", is_superuser=True, is_staff=True)
    return make_user(f"as-{role or 'nobody'}", role=role)


def _schedule(link: Link) -> Any:
    return Link.objects.values_list("next_check_at", flat=True).get(pk=link.pk)


def _api(client_for: Any, user: Any, evidence: Evidence) -> int:
    return client_for(user).post(f"/api/v1/links/{evidence.link_id}/recheck/").status_code


def _web(user: Any, evidence: Evidence) -> int:
    client = Client()
    client.force_login(user)
    return client.post(reverse("web:evidence-recheck", args=[evidence.pk])).status_code


@pytest.mark.parametrize("role", list(ROLES), ids=lambda r: r or "no-role")
@pytest.mark.parametrize("through", ["api", "web"])
def test_who_may_recheck_a_link(
    role: str | None,
    through: str,
    make_user: Callable[..., Any],
    client_for: Any,
    evidence: Evidence,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = _user(make_user, role)
    before = _schedule(evidence.link)
    asked = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        status = _api(client_for, user, evidence) if through == "api" else _web(user, evidence)

    if not ROLES[role]:
        assert status == 403
        assert _schedule(evidence.link) == before
        assert queued_tasks() == []
        return
    # The API answers 202 with the link; the desk, asked without htmx, goes back to the claim.
    assert status == (202 if through == "api" else 302)
    assert asked <= _schedule(evidence.link) <= timezone.now()
    assert queued_tasks() == [(CHECK_LINK, [evidence.link_id])]


@pytest.mark.parametrize("role", list(ROLES), ids=lambda r: r or "no-role")
def test_the_rule_is_the_services(
    role: str | None,
    make_user: Callable[..., Any],
    evidence: Evidence,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Every caller (API, desk, admin action) gets the same answer from the service itself."""
    user = _user(make_user, role)
    before = _schedule(evidence.link)
    with django_capture_on_commit_callbacks(execute=True):
        if ROLES[role]:
            link_request_check(link=evidence.link, by=user)
        else:
            with pytest.raises(Forbidden, match="Only reviewers and editors"):
                link_request_check(link=evidence.link, by=user)
    if ROLES[role]:
        assert _schedule(evidence.link) <= timezone.now()
        assert queued_tasks() == [(CHECK_LINK, [evidence.link_id])]
    else:
        assert _schedule(evidence.link) == before
        assert queued_tasks() == []
