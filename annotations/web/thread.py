"""A claim's discussion as the desk's panel shows it: top-level comments, each with its
replies, oldest first (newest last), bodies rendered by `reviews.discussion.body_html`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from factcheck.errors import Forbidden
from reviews.discussion import body_html, comment_list
from reviews.workflow import Action


@dataclass
class ThreadItem:
    comment: Any
    html: str
    # The transition whose note this is ("Returned to reviewer"), or "" for a comment.
    action_label: str
    mentions: list[str]
    replies: list[ThreadItem] = field(default_factory=list)


def _label(action: str) -> str:
    if not action:
        return ""
    return str(Action(action).label) if action in Action.values else action.replace("_", " ")


def claim_thread(*, user: Any, claim: Any) -> list[ThreadItem] | None:
    """The thread, or None when the user may not read it (submitters)."""
    try:
        comments = list(comment_list(user=user, claim=claim))
    except Forbidden:
        return None
    items: dict[int, ThreadItem] = {}
    top: list[ThreadItem] = []
    for comment in comments:
        item = ThreadItem(
            comment=comment,
            html=body_html(comment.body),
            action_label=_label(comment.action),
            mentions=sorted(u.username for u in comment.mentions.all()),
        )
        items[comment.pk] = item
        parent = items.get(comment.parent_id) if comment.parent_id else None
        if parent is not None:
            parent.replies.append(item)
        else:
            top.append(item)
    return top
