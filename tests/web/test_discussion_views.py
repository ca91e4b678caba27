"""The desk's thread and notifications pages, through Django's test client (htmx headers)."""

from __future__ import annotations

from typing import Any

import pytest

from reviews.models import Comment, Notification, NotificationSettings

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "claim-panel"}


def test_a_comment_posted_from_the_panel_shows_in_the_thread(
    login: Any, claim: Any, reviewer: Any, editor: Any
) -> None:
    client = login(reviewer)
    url = f"/claims/{claim.pk}/comments/"
    refused = client.post(url, {"body": "  "}, **HTMX)
    assert refused.status_code == 400
    assert "Write something: a comment cannot be empty." in refused.content.decode()
    unknown = client.post(url, {"body": "ask @nobody"}, **HTMX)
    assert unknown.status_code == 400
    assert "No reviewer or editor is called @nobody." in unknown.content.decode()
    assert "ask @nobody" in unknown.content.decode()  # the text comes back to fix
    assert Comment.objects.count() == 0

    posted = client.post(url, {"body": "Source for **2024**, @edna?"}, **HTMX)
    assert posted.status_code == 200
    page = posted.content.decode()
    assert "Comment posted." in page
    assert "<strong>2024</strong>" in page
    assert Notification.objects.get(recipient=editor).kind == "mentioned"
    top = Comment.objects.get()
    reply = client.post(url, {"body": "Found it.", "parent": top.pk}, **HTMX)
    assert reply.status_code == 200
    assert Comment.objects.get(body="Found it.").parent == top


def test_a_submitter_sees_no_thread_and_cannot_post(login: Any, claim: Any, submitter: Any) -> None:
    client = login(submitter)
    panel = client.get(f"/claims/{claim.pk}/panel/", **HTMX).content.decode()
    assert "The discussion is for reviewers and editors." in panel
    response = client.post(f"/claims/{claim.pk}/comments/", {"body": "hi"}, **HTMX)
    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_the_notifications_page_the_header_count_and_mark_read(
    login: Any, claim: Any, reviewer: Any, editor: Any
) -> None:
    from reviews.notifications import notify

    (note,) = notify(
        recipients=[reviewer],
        kind="assigned",
        claim=claim,
        actor=editor,
        message="edna assigned you",
    )
    client = login(reviewer)
    page = client.get("/notifications/").content.decode()
    assert 'data-unread="1"' in page
    assert "edna assigned you" in page
    assert f"?claim={claim.pk}" in page
    other = login(editor)
    assert other.post("/notifications/read/", {"ids": [note.pk]}).status_code == 302
    assert Notification.objects.get(pk=note.pk).read_at is None  # not edna's to mark
    client.post("/notifications/read/", {"ids": [note.pk]})
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert 'data-unread="0"' in client.get("/notifications/").content.decode()


def test_the_email_checkbox_turns_email_off_and_on(login: Any, reviewer: Any) -> None:
    client = login(reviewer)
    client.post("/notifications/settings/", {})
    assert NotificationSettings.objects.get(user=reviewer).email is False
    client.post("/notifications/settings/", {"email": "on"})
    assert NotificationSettings.objects.get(user=reviewer).email is True
