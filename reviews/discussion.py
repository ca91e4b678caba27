"""A claim's discussion: comments with @mentions, and every transition note, in one thread.

- Bodies are Markdown-light (paragraphs, line breaks, emphasis, code, lists, quotes, links),
  rendered by markdown-it-py with raw HTML off and then sanitized by nh3 to a fixed allow-list
  of tags (links: http, https and mailto only, rel="noopener noreferrer nofollow"). Only the
  body is stored; the HTML is rendered when read.
- Threaded one level: a reply names a top-level comment as its `parent`. A reply to a reply
  attaches to that reply's top-level parent (the reader answered the conversation, not a
  nested branch), so `parent` is always a top-level comment of the same claim.
- `@username` names an active reviewer or editor; a name that is not one is a field error on
  `body` naming it, and nothing is stored.
- The desk (reviewers and editors) reads and writes the thread; submitters, users without a
  role and anonymous callers do not (403, or 404 when they cannot see the claim at all).
- Comments never touch the review's version: the ETag covers what is reviewed, not the talk.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from markdown_it import MarkdownIt

from factcheck.errors import DomainError, Forbidden
from factcheck.roles import EDITOR, REVIEWER
from reviews import notifications
from reviews.models import Comment, NotificationKind, Review
from reviews.selectors import user_may_read_review

BODY_MAX = 10_000

# A mention: "@" not preceded by a word character, "@" or "." (so e-mail addresses are not
# mentions), then a username; trailing dots and dashes are punctuation, not the name.
_MENTION = re.compile(r"(?<![\w@.])@([\w][\w.+-]*)")

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).disable(
    ["image", "heading", "lheading", "hr", "html_block", "html_inline", "reference"]
)
_ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a"}


def body_html(body: str) -> str:
    """The comment's Markdown-light body as sanitized HTML."""
    return nh3.clean(
        _markdown.render(body),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}, "ol": {"start"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def mentioned_names(body: str) -> list[str]:
    """The usernames a body mentions, in order, each once."""
    names = (m.group(1).rstrip(".-+") for m in _MENTION.finditer(body))
    return list(dict.fromkeys(n for n in names if n))


def _desk_users() -> QuerySet[Any]:
    return get_user_model().objects.filter(
        Q(groups__name__in=(REVIEWER, EDITOR)) | Q(is_superuser=True), is_active=True
    )


def _resolve_mentions(body: str, *, strict: bool) -> list[Any]:
    names = mentioned_names(body)
    if not names:
        return []
    found = {u.username.lower(): u for u in _desk_users().filter(username__in=names).distinct()}
    unknown = [n for n in names if n.lower() not in found]
    if unknown and strict:
        listed = ", ".join(f"@{n}" for n in unknown)
        raise DomainError(
            f"No reviewer or editor is called {listed}.",
            field="body",
            code="unknown_mention",
            extra={"unknown_mentions": unknown},
        )
    return [found[n.lower()] for n in names if n.lower() in found]


def comment_may_use(user: Any) -> bool:
    """The desk (reviewers and editors) reads and writes discussions."""
    return user_may_read_review(user)


def comment_list(*, user: Any, claim: Any) -> QuerySet[Comment]:
    """The claim's thread, oldest first (newest last), with authors, parents and mentions
    in a fixed number of queries. Call with a claim the user may read (claim_get_for_user)."""
    if not comment_may_use(user):
        raise Forbidden("The discussion is for reviewers and editors.")
    return (
        Comment.objects.filter(review__claim_id=claim.pk)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("created_at", "id")
    )


def _clean_body(body: Any) -> str:
    text = "" if body is None else str(body).replace("\r\n", "\n").strip()
    if not text:
        raise DomainError("Write something: a comment cannot be empty.", field="body")
    if len(text) > BODY_MAX:
        raise DomainError(
            f"A comment is at most {BODY_MAX:,} characters (this one has {len(text):,}).",
            field="body",
        )
    return text


def _participants(review: Review) -> list[Any]:
    """People in the thread: authors of its comments (transition notes too) and the assignee."""
    user_model = get_user_model()
    author_ids = Comment.objects.filter(review=review).values("author_id")
    people = list(user_model.objects.filter(pk__in=author_ids))
    if review.assignee is not None:
        people.append(review.assignee)
    return people


@transaction.atomic
def comment_post(*, claim: Any, by: Any, body: Any, parent: Any = None) -> Comment:
    """Post a comment on the claim's thread; `parent` a comment id (or Comment) to reply to.

    Call with a claim the user may read (annotations.selectors.claim_get_for_user). Notifies
    each mentioned user (`mentioned`) and everyone else in the thread (`comment`), never the
    author. Every refusal raises before anything is written.
    """
    if not comment_may_use(by):
        raise Forbidden("The discussion is for reviewers and editors.")
    text = _clean_body(body)
    review = Review.objects.select_related("claim", "assignee").get(claim_id=claim.pk)
    parent_comment = None
    if parent is not None and parent != "":
        parent_id = getattr(parent, "pk", parent)
        parent_comment = Comment.objects.filter(pk=parent_id, review=review).first()
        if parent_comment is None:
            raise DomainError("No such comment in this claim's discussion.", field="parent")
        if parent_comment.parent_id is not None:
            parent_comment = parent_comment.parent  # one level: join the top-level thread
    mentions = _resolve_mentions(text, strict=True)
    people = _participants(review)
    comment = Comment.objects.create(review=review, parent=parent_comment, author=by, body=text)
    comment.mentions.set(mentions)
    quote = notifications.quote_shown(review.claim)
    who = by.get_username()
    notifications.notify(
        recipients=mentions,
        kind=NotificationKind.MENTIONED,
        claim=review.claim,
        actor=by,
        message=f"{who} mentioned you on {quote}",
    )
    mentioned = {u.pk for u in mentions}
    notifications.notify(
        recipients=[u for u in people if u.pk not in mentioned],
        kind=NotificationKind.COMMENT,
        claim=review.claim,
        actor=by,
        message=f"{who} commented on {quote}",
    )
    return comment


def transition_recorded(
    *, review: Review, action: str, by: Any, note: str | None, old_state: str
) -> Comment | None:
    """Call at the end of `review_transition`, inside its transaction, after the save.

    The note of the transition lands in the thread in full (a Comment with `action` set;
    mentions in it are resolved, unknown names ignored: a note never fails a transition),
    and the transition's notifications are written (`notifications.transition_notify`).
    Returns the note's comment, or None when the action carried no note.
    """
    comment = None
    text = (note or "").strip()
    if text and by is not None:
        comment = Comment.objects.create(review=review, author=by, body=text, action=action)
        mentions = _resolve_mentions(text, strict=False)
        if mentions:
            comment.mentions.set(mentions)
            notifications.notify(
                recipients=mentions,
                kind=NotificationKind.MENTIONED,
                claim=review.claim,
                actor=by,
                message=f"{by.get_username()} mentioned you on {notifications.quote_shown(review.claim)}",
            )
    notifications.transition_notify(review=review, action=action, by=by, note=text or None)
    return comment
