"""In Chromium: the reader's revision diff, and the bookmarklet from a page to the desk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from annotations.models import Article
from annotations.services.articles import article_revise
from tests.servers import LocalSite
from tests.web.test_browser import assert_accessible, open_seed_article

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def words(locator: Any) -> str:
    """The element's text as a screen reader gets it (hidden labels included), one-spaced."""
    return " ".join((locator.text_content() or "").split())


def test_the_reader_shows_the_changes_between_two_revisions(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    editor = get_user_model().objects.get(username="demo-editor")
    edited = seeded.text.replace("600,000 Russian soldiers", "700,000 Russian soldiers")
    assert edited != seeded.text
    article_revise(article=seeded, by=editor, text=edited)
    page = browser_page
    sign_in(page, "demo-reviewer")
    open_seed_article(page)
    history = page.locator(".revision-list__item")
    assert history.count() == 2
    assert "current" in history.first.inner_text()
    assert page.locator("#revision-from").input_value() == "1"
    assert page.locator("#revision-to").input_value() == "2"
    with page.expect_response(lambda r: "/revisions/" in r.url):
        page.get_by_role("button", name="Show changes").click()
    diff = page.locator("#revision-diff .revision-diff")
    diff.wait_for()
    assert diff.get_by_role("heading").inner_text() == "Changes from revision 1 to 2"
    text = diff.locator(".revision-diff__text")
    assert words(text.locator("del").first) == "[deleted: 600,000 ]"
    assert words(text.locator("ins").first) == "[inserted: 700,000 ]"
    # The changed number is also listed on its own.
    assert "600,000" in diff.locator(".revision-diff__values").inner_text()
    # The claim on those words is highlighted in the diff, the inserted number inside it.
    claim = seeded.claims.get(exact__contains="700,000 Russian soldiers")
    assert text.locator(f'ins mark.hl[data-claim="{claim.pk}"]').count() == 1
    # Struck through and underlined, not only coloured; named for screen readers.
    styles = page.evaluate(
        """() => ["del", "ins"].map((t) => getComputedStyle(
            document.querySelector(`.revision-diff__text ${t}`)).textDecorationLine)"""
    )
    assert styles == ["line-through", "underline"]
    # The reader's text and its highlights are still there, below.
    assert page.locator(f'#article-text mark.hl[data-claim="{claim.pk}"]').count() >= 1
    assert_accessible(page, "reader with a revision diff")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "revision-diff.png"))
    # Backwards, chosen in the form.
    page.locator("#revision-from").select_option("2")
    page.locator("#revision-to").select_option("1")
    page.get_by_role("button", name="Show changes").click()
    page.get_by_role("heading", name="Changes from revision 2 to 1").wait_for()
    assert words(text.locator("del").first) == "[deleted: 700,000 ]"


def test_the_bookmarklet_sends_a_page_and_its_selection_to_the_desk(
    seeded: Article,
    browser_page: Any,
    sign_in: Any,
    local_site: LocalSite,
    screenshot_dir: Path,
) -> None:
    page = browser_page
    sign_in(page, "demo-reviewer")
    page.get_by_role("link", name="Help", exact=True).click()
    link = page.get_by_role("link", name="Send to the desk")
    href = link.get_attribute("href")
    assert href and href.startswith("javascript:")
    # Clicked on the desk, it explains itself instead of running (the policy forbids it).
    link.click()
    page.get_by_text("Drag this button to your bookmarks bar").wait_for()
    assert_accessible(page, "help")
    page.screenshot(path=str(screenshot_dir / "bookmarklet-help.png"), full_page=True)

    # On a news page elsewhere: select words, run the bookmark.
    news = local_site.page(
        "/news/kursk",
        body=(
            "<!doctype html><html><head><title>Kursk</title></head><body><article>"
            "<h1>Kursk</h1><p>Rutte said more than 600,000 Russian soldiers have been killed."
            "</p></article></body></html>"
        ),
    )
    page.goto(news)
    page.evaluate(
        """() => {
            const p = document.querySelector("p");
            const text = p.firstChild;
            const start = text.data.indexOf("600,000");
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, start + "600,000 Russian soldiers".length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    with page.expect_navigation():
        page.evaluate(href.removeprefix("javascript:"))
    assert page.url.split("?")[0].endswith("/articles/new/")
    assert page.get_by_label("URL", exact=True).input_value() == news
    assert page.get_by_label("Claim to mark (optional)").input_value() == "600,000 Russian soldiers"
