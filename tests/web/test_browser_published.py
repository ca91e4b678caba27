"""A published check stays online while it is reworked: an editor reopens it, an anonymous
reader still sees the published verdict, and after the re-approval sees the correction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotations.models import Article
from annotations.services.claims import claim_create
from annotations.services.evidence import evidence_attach
from reviews.models import Publication, Review
from reviews.services import review_transition

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def move(claim: Any, by: Any, action: str, **inputs: Any) -> None:
    review = Review.objects.get(claim=claim)
    review_transition(
        review_id=review.pk, by=by, action=action, expected_version=review.version, **inputs
    )


def test_reopened_check_stays_online_then_shows_its_correction(
    seeded: Article,
    chromium: Any,
    live_server: Any,
    browser_page: Any,
    sign_in: Any,
    screenshot_dir: Path,
) -> None:
    users = get_user_model().objects
    reviewer, editor = users.get(username="demo-reviewer"), users.get(username="demo-editor")
    claim = claim_create(article=seeded, by=reviewer, exact="600,000 Russian soldiers")
    move(claim, reviewer, "take")
    evidence_attach(
        claim=claim, by=reviewer, url="https://www.gov.uk/mod/update", stance="supports"
    )
    move(claim, reviewer, "submit", verdict="mostly_true", rationale="UK estimates agree.")
    move(claim, editor, "approve")

    page = browser_page
    sign_in(page, "demo-editor")
    page.goto(reverse("web:article", args=[seeded.pk]) + f"?claim={claim.pk}")
    page.wait_for_selector("html[data-reader-ready]")
    panel = page.locator("#claim-panel")
    panel.locator("summary", has_text="Reopen").click()
    reopen = panel.locator('form[data-inputs-for="reopen"]')
    reopen.locator('[name="note"]').fill("The MoD revised its estimate.")
    reopen.locator("button[type=submit]").click()
    panel.get_by_text("Reopened.").wait_for()
    assert Review.objects.get(claim=claim).state == "in_progress"

    # A reader with no account, in a browser of their own: the check is still there.
    reader = chromium.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    public = reader.new_page()
    response = public.goto(reverse("web:published", args=[claim.pk]))
    assert response.status == 200
    public.get_by_text("Verdict:").wait_for()
    assert public.locator(".verdict strong").inner_text() == "Mostly true"
    assert public.get_by_text("UK estimates agree.").count() == 1
    assert public.get_by_text("reviewed again").count() == 0
    public.screenshot(path=str(screenshot_dir / "published-while-reopened.png"), full_page=True)

    # The reviewer proposes a new verdict; the editor approves it with the correction's reason.
    move(claim, reviewer, "submit", verdict="false", rationale="The revised estimate is lower.")
    page.reload()
    page.wait_for_selector("html[data-reader-ready]")
    panel.locator("summary", has_text="Approve and publish").click()
    approve = panel.locator('form[data-inputs-for="approve"]')
    approve.locator('[name="note"]').fill("The MoD lowered its estimate.")
    approve.locator("button[type=submit]").click()
    panel.get_by_text("Approved and published.").wait_for()
    assert [p.kind for p in Publication.objects.filter(review__claim=claim)] == [
        "first",
        "correction",
    ]
    panel.screenshot(path=str(screenshot_dir / "panel-published-actions.png"))

    public.reload()
    assert public.locator(".verdict strong").inner_text() == "False"
    corrections = public.locator("h2", has_text="Corrections").locator(
        "xpath=following-sibling::ul[1]"
    )
    assert "Mostly true → False. The MoD lowered its estimate." in corrections.inner_text()
    public.screenshot(path=str(screenshot_dir / "published-corrected.png"), full_page=True)
    reader.close()
