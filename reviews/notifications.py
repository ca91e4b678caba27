"""Notifications: who is told what about a claim, in the desk and by email.

Written by the workflow (`reviews.discussion.transition_recorded`, called by
`review_transition`), by the discussion (`comment_post`: mentions and comments) and by the
re-review flag (`rereview_notify`, run by the `notify_rereview` task). Each notification is
one row per recipient; its email is a task of its own (`send_notification_email`), enqueued
on commit for recipients who keep email on, and sent once (`emailed_at`).

Never to the actor themself, never to inactive users.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from factcheck.broker import enqueue_on_commit
from factcheck.errors import DomainError, NotFound
from factcheck.roles import EDITOR, user_roles
from reviews.models import (
    Notification,
    NotificationKind,
    NotificationSettings,
    Review,
)
from reviews.tasks import send_notification_email
from reviews.workflow import Action, State, Verdict

QUOTE_SHOWN = 80
MESSAGE_MAX = 300


def quote_shown(claim: Any) -> str:
    text = " ".join(str(claim.exact).split())
    return f"“{text if len(text) <= QUOTE_SHOWN else text[: QUOTE_SHOWN - 1] + '…'}”"


def _name(user: Any) -> str:
    return user.get_username() if user is not None else "factcheck"


def verdict_label(verdict: str) -> str:
    """The human label of a verdict ("Mostly false"), or "no verdict"."""
    return str(Verdict(verdict).label) if verdict in Verdict.values else "no verdict"


def claim_desk_url(*, article_id: Any, claim_id: Any) -> str:
    """The claim open in the desk's reader, as an absolute URL (FACTCHECK_DESK_URL)."""
    base = settings.FACTCHECK_DESK_URL.rstrip("/")
    path = reverse("web:article", kwargs={"article_id": article_id})
    return f"{base}{path}?claim={claim_id}"


def notification_url(notification: Notification) -> str:
    claim = notification.claim
    return claim_desk_url(article_id=claim.article_id, claim_id=claim.pk)


# --- Writing ----------------------------------------------------------------------------------


def email_wanted_q(*, prefix: str = "") -> Q:
    """Users who get notification emails: active, with an address, email not turned off.
    `prefix`: the path to the user from the rows filtered (`recipient__` for notifications)."""
    turned_off = NotificationSettings.objects.filter(user_id=OuterRef(f"{prefix}pk"), email=False)
    return Q(Q(**{f"{prefix}is_active": True}), ~Q(**{f"{prefix}email": ""}), ~Exists(turned_off))


def notify(
    *, recipients: Iterable[Any], kind: str, claim: Any, actor: Any, message: str
) -> list[Notification]:
    """One notification per recipient (the actor and inactive users left out), and its email
    enqueued on commit for those who keep email on. Returns the notifications written."""
    actor_pk = getattr(actor, "pk", None)
    users = {u.pk: u for u in recipients if u is not None and u.is_active and u.pk != actor_pk}
    if not users:
        return []
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk, kind=kind, claim=claim, actor_id=actor_pk, message=message
            )
            for pk in sorted(users)
        ]
    )
    wanting = set(
        get_user_model().objects.filter(email_wanted_q(), pk__in=users).values_list("pk", flat=True)
    )
    for notification in notifications:
        if notification.recipient_id in wanting:
            enqueue_on_commit(send_notification_email, notification.pk)
    return notifications


def _editors() -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name=EDITOR, is_active=True).distinct()


def transition_notify(*, review: Review, action: str, by: Any, note: str | None) -> None:
    """The notifications of one workflow transition (call inside its transaction).

    - assign: the new assignee (`assigned`);
    - return: the reviewer (assignee and submitter, `returned`);
    - submit: the editors (`submitted`);
    - approve: the reviewer (assignee and submitter, `published`).
    Other actions (take, mark not checkable, reopen, maintenance) notify nobody: the people
    who own the claim did them, or an editor's note in the thread says why.
    """
    claim = review.claim
    quote = quote_shown(claim)
    who = _name(by)
    workers = [review.assignee, review.submitted_by]
    if action == Action.ASSIGN:
        kind, recipients = NotificationKind.ASSIGNED, [review.assignee]
        message = f"{who} assigned you {quote}"
    elif action == Action.RETURN:
        kind, recipients = NotificationKind.RETURNED, workers
        message = f"{who} returned {quote}" + (f": {' '.join(note.split())}" if note else "")
    elif action == Action.SUBMIT:
        kind, recipients = NotificationKind.SUBMITTED, list(_editors())
        message = f"{who} submitted {verdict_label(review.verdict)} on {quote} for approval"
    elif action == Action.APPROVE:
        kind, recipients = NotificationKind.PUBLISHED, workers
        corrected = review.first_published_at != review.published_at
        message = (
            f"{who} {'published a correction of' if corrected else 'published'} {quote}: "
            f"{verdict_label(review.verdict)}"
        )
    else:
        return
    notify(recipients=recipients, kind=kind, claim=claim, actor=by, message=message[:MESSAGE_MAX])


@transaction.atomic
def rereview_notify(*, review_id: int) -> list[Notification]:
    """Tell the assignee and the editors that a published verdict needs another look.

    Run by the `notify_rereview` task, once per flag (or new reason). Safe to run twice: a
    recipient who already has an unread re-review notification of this claim, written since
    the newest open reason, gets no second one.
    """
    review = Review.objects.select_related("claim", "assignee").filter(pk=review_id).first()
    if review is None or not review.needs_rereview:
        return []
    open_reasons = review.rereview_reasons.filter(cleared_at__isnull=True)
    messages = [r.message for r in open_reasons] or [review.rereview_reason or "flagged"]
    since = open_reasons.aggregate(newest=Max("created_at"))["newest"] or review.updated_at
    recipients = {u.pk: u for u in _editors()}
    if review.assignee is not None:
        recipients[review.assignee.pk] = review.assignee
    told = set(
        Notification.objects.filter(
            claim_id=review.claim_id,
            kind=NotificationKind.REREVIEW,
            recipient_id__in=recipients,
            read_at__isnull=True,
            created_at__gte=since,
        ).values_list("recipient_id", flat=True)
    )
    reasons = "; ".join(dict.fromkeys(messages))
    # A published check is named by what readers see: its live publication's verdict and words
    # (a new article revision may have moved the working claim's words since).
    live = review.live_publication
    verdict, quoted = (live.verdict, live) if live is not None else (review.verdict, review.claim)
    message = f"{verdict_label(verdict)} on {quote_shown(quoted)} needs re-review: {reasons}"
    return notify(
        recipients=[u for pk, u in recipients.items() if pk not in told],
        kind=NotificationKind.REREVIEW,
        claim=review.claim,
        actor=None,
        message=message[:MESSAGE_MAX],
    )


# --- Reading and marking read -----------------------------------------------------------------


def notification_list(*, user: Any, unread: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another's)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    queryset = Notification.objects.filter(recipient_id=user.pk).select_related("claim")
    if unread:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset


def notification_unread_count(*, user: Any) -> int:
    return notification_list(user=user, unread=True).count()


def notification_get_for_user(*, user: Any, notification_id: Any) -> Notification:
    """One of the user's notifications; another user's is the same 404 as none at all."""
    notification = notification_list(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("No such notification.")
    return notification


@transaction.atomic
def notifications_mark_read(*, user: Any, ids: Sequence[int] | None) -> int:
    """Mark the user's notifications read: those `ids`, or all of them when `ids` is None.

    All or nothing: an id that is not one of the user's own notifications (someone else's,
    or none at all) is a 404 and nothing is marked. Already read ones stay as they were.
    Returns how many were newly marked read.
    """
    mine = notification_list(user=user)
    if ids is not None:
        wanted = set(ids)
        found = set(mine.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            missing = ", ".join(str(i) for i in sorted(wanted - found))
            raise NotFound(
                f"No such notification: {missing}.", extra={"ids": sorted(wanted - found)}
            )
        mine = mine.filter(pk__in=wanted)
    return mine.filter(read_at__isnull=True).update(read_at=timezone.now())


# --- Settings ---------------------------------------------------------------------------------


def notification_settings_get(*, user: Any) -> NotificationSettings:
    """The user's settings (defaults, unsaved, when they never changed them)."""
    found = NotificationSettings.objects.filter(user_id=user.pk).first()
    return found if found is not None else NotificationSettings(user_id=user.pk)


def notification_settings_update(*, user: Any, email: bool) -> NotificationSettings:
    if not user_roles(user):
        raise DomainError("Notifications are for the desk's users.", code="permission_denied")
    found, _ = NotificationSettings.objects.update_or_create(
        user_id=user.pk, defaults={"email": email}
    )
    return found


# --- Email ------------------------------------------------------------------------------------


def notification_email(notification: Notification) -> tuple[str, str]:
    """The subject and plain-text body of a notification's email."""
    claim = notification.claim
    review = Review.objects.filter(claim_id=claim.pk).first()
    url = notification_url(notification)
    lines = [
        notification.message,
        "",
        f"Claim: {' '.join(str(claim.exact).split())}",
    ]
    if claim.claimant:
        lines.append(f"Claimant: {claim.claimant}")
    if review is not None:
        lines.append(f"State: {State(review.state).label}")
        lines.append(f"Verdict: {verdict_label(review.verdict)}")
    lines += [
        "",
        f"Open it in the desk: {url}",
        "",
        "--",
        "You get this email because of your role on the factcheck desk. Turn these emails "
        f"off in the desk: {settings.FACTCHECK_DESK_URL.rstrip('/')}{reverse('web:notifications')}",
    ]
    subject = f"[factcheck] {notification.message}"
    if len(subject) > 150:
        subject = subject[:149] + "…"
    return subject, "\n".join(lines) + "\n"


@transaction.atomic
def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification to its recipient, once. True when an email went out now.

    Holds the notification's row lock while sending, so two deliveries of the same task wait
    for each other and the second finds `emailed_at` set. Skipped (and never retried) when
    the recipient turned email off, has no address or is inactive. A failure to send raises
    (the task retries it) and leaves `emailed_at` empty. An email sent whose commit then
    fails would go out again on the retry: delivery is at least once.
    """
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("claim", "recipient")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not get_user_model().objects.filter(email_wanted_q(), pk=recipient.pk).exists():
        return False
    subject, body = notification_email(notification)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[recipient.email])
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True
