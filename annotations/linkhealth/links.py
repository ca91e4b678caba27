"""A link's own life: the one Link of a URL, and asking for it to be checked."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.models import Link
from factcheck.broker import enqueue_on_commit
from factcheck.errors import Forbidden
from factcheck.roles import is_reviewer
from factcheck.urlnorm import url_host


def link_get_or_create(*, url: str) -> tuple[Link, bool]:
    """The one Link of a canonical URL. Safe against two requests creating it at once."""
    link = Link.objects.filter(url=url).first()
    if link is not None:
        return link, False
    try:
        with transaction.atomic():
            return Link.objects.create(
                url=url, host=url_host(url), next_check_at=timezone.now()
            ), True
    except IntegrityError:
        return Link.objects.get(url=url), False


def link_request_check(*, link: Link, by: Any) -> None:
    """`by` asks for this link to be checked now: reviewers and editors may.

    The one rule of who may recheck a link, for the API, the desk and the admin's action.
    """
    if not is_reviewer(by):
        raise Forbidden("Only reviewers and editors may ask for a recheck.")
    link_schedule_check(link=link)


def link_schedule_check(*, link: Link) -> None:
    """Check this link soon: enqueued once the surrounding transaction commits.

    For the system's own scheduling (a link cited for the first time); a person asking goes
    through `link_request_check`.
    """
    from annotations.linkhealth.tasks import check_link

    Link.objects.filter(pk=link.pk).update(next_check_at=timezone.now())
    # Should the broker be away, the link stays due and the next beat enqueues it.
    enqueue_on_commit(check_link, link.pk)
