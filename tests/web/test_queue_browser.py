"""The queue's bulk bar in a real browser: tick claims, choose an action, apply, see the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotations.models import Article, Claim
from tests.web.test_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_an_editor_tags_ticked_claims_from_the_bulk_bar(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    sign_in(page, "demo-editor")
    page.goto("/?tab=all")
    picks = page.locator("input.claim-row__pick")
    assert picks.count() >= 3
    chosen = [picks.nth(0).get_attribute("value"), picks.nth(2).get_attribute("value")]
    others = {str(c.pk): c.tags for c in Claim.objects.exclude(pk__in=chosen)}
    picks.nth(0).check()
    picks.nth(2).check()
    bar = page.get_by_role("form", name="Act on the ticked claims")
    bar.get_by_label("With the ticked claims").select_option("tag")
    bar.get_by_label("Tag").fill("kursk-follow-up")
    # Ticking a claim or choosing an action does not reload the list (the filters listen to
    # their own fields only): the ticks are still there.
    assert [picks.nth(i).is_checked() for i in (0, 1, 2)] == [True, False, True]
    assert_accessible(page, "queue with the bulk bar")
    bar.screenshot(path=str(screenshot_dir / "queue-bulk-bar.png"))
    bar.get_by_role("button", name="Apply").click()
    page.get_by_text("2 claims updated.").wait_for()

    for pk in chosen:
        assert "kursk-follow-up" in Claim.objects.get(pk=pk).tags
    # Nothing but the ticked claims changed.
    assert {str(c.pk): c.tags for c in Claim.objects.exclude(pk__in=chosen)} == others


def test_the_filters_still_reload_the_list_from_their_own_fields(
    seeded: Article, browser_page: Any, sign_in: Any
) -> None:
    page = browser_page
    sign_in(page, "demo-editor")
    page.goto("/?tab=all")
    page.locator("input.claim-row__pick").first.wait_for()
    page.get_by_label("Search").fill("zzzz-no-such-claim")
    page.locator(".result-count", has_text="No claims match these filters.").wait_for()
    assert "q=zzzz-no-such-claim" in page.url
    page.get_by_label("Search").fill("")
    page.locator("input.claim-row__pick").first.wait_for()
    page.get_by_label("Overdue only").check()
    page.locator(".result-count", has_text="No claims match these filters.").wait_for()
    assert "overdue=" in page.url
