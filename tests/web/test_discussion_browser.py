"""The discussion in the claim panel and the notifications page, in a real Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from annotations.models import Article, Claim
from reviews.models import Comment, Notification
from tests.web.test_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_comment_with_a_mention_reaches_the_editor(
    seeded: Article,
    browser_page: Any,
    sign_in: Any,
    screenshot_dir: Path,
    settings: Any,
    live_server: Any,
) -> None:
    settings.FACTCHECK_DESK_URL = live_server.url  # notifications link to this desk
    page = browser_page
    claim = Claim.objects.filter(article=seeded).order_by("start").first()
    assert claim is not None
    sign_in(page, "demo-reviewer")
    page.goto(f"/articles/{seeded.pk}/?claim={claim.pk}")
    page.wait_for_selector("html[data-reader-ready]")
    panel = page.locator("#claim-panel")
    panel.get_by_text("No comments yet.").wait_for()

    # An empty comment is refused in place, and nothing is stored (the seed's own workflow
    # notes are comments of other claims).
    stored = Comment.objects.count()
    # Notifications the seed's own workflow raised are read: the editor's list below shows
    # only what this test causes.
    Notification.objects.update(read_at=timezone.now())
    page.evaluate("window.__noReload = true")
    panel.get_by_role("button", name="Post comment").click()
    panel.get_by_text("Write something: a comment cannot be empty.").wait_for()
    assert Comment.objects.count() == stored

    panel.get_by_label("Comment", exact=True).fill(
        "The **MoD** figure is from 2023, @demo-editor: can you check the newer estimate?"
    )
    panel.get_by_role("button", name="Post comment").click()
    panel.get_by_text("Comment posted.").wait_for()
    assert page.evaluate("window.__noReload") is True  # htmx swapped the panel in place
    thread = panel.locator(".thread")
    assert thread.locator("strong", has_text="MoD").count() == 1

    # A reply, one level deep.
    panel.locator(".thread__reply summary").first.click()
    panel.get_by_label("Reply", exact=True).fill("I'll look at the UK update too.")
    panel.get_by_role("button", name="Post reply").click()
    # "Comment posted." is still on the panel from the first comment: wait for the reply.
    panel.locator(".thread--replies .thread__item").first.wait_for()
    assert panel.locator(".thread--replies .thread__item").count() == 1
    panel.locator("h3", has_text="Discussion").scroll_into_view_if_needed()
    assert_accessible(page, "claim panel with a thread")
    discussion = panel.locator("section", has=page.locator("h3", has_text="Discussion"))
    discussion.screenshot(path=str(screenshot_dir / "discussion.png"))

    # The editor sees the unread count in the header and the notification in the list.
    sign_in(page, "demo-editor")
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=re.compile(r"Notifications 1 unread"))
    link.click()
    item = page.locator(".notification--unread")
    assert item.count() == 1
    assert "demo-reviewer mentioned you on" in item.inner_text()
    assert_accessible(page, "notifications")
    page.screenshot(path=str(screenshot_dir / "notifications.png"), full_page=True)
    page.get_by_role("button", name="Mark all read").click()
    page.get_by_text("Marked 1 read.").wait_for()
    assert page.locator(".notification--unread").count() == 0
    assert nav.get_by_role("link", name="Notifications", exact=True).count() == 1
    assert (
        Notification.objects.filter(read_at__isnull=True, recipient__username="demo-editor").count()
        == 0
    )

    # The link opens the claim in the reader.
    page.locator(".notification a").first.click()
    page.wait_for_selector("html[data-reader-ready]")
    assert page.url.endswith(f"?claim={claim.pk}")
