"""The desk as people use it: Debian's Chromium driven by Playwright against live_server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from annotations.models import Article, Claim
from reviews.workflow import State
from tests.factories import article_create

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SERIOUS = {"serious", "critical"}


def open_seed_article(page: Any) -> None:
    page.get_by_role("link", name="Articles", exact=True).click()
    page.get_by_role("link", name=re.compile("NATO Chief Says")).click()
    page.wait_for_selector("html[data-reader-ready]")


def drag_select(page: Any, phrase: str) -> None:
    """Select `phrase` in the article text with the mouse, as a person drags across it."""
    box = page.evaluate(
        """(phrase) => {
            const root = document.querySelector('[data-article-text]');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const at = node.data.indexOf(phrase);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + 1);
                // Bring it to the middle of the viewport: the mouse only reaches what shows.
                window.scrollBy({top: range.getBoundingClientRect().top - window.innerHeight / 2, behavior: "instant"});
                const first = range.getBoundingClientRect();
                range.setStart(node, at + phrase.length - 1); range.setEnd(node, at + phrase.length);
                const last = range.getBoundingClientRect();
                return {x1: first.left + 1, y1: first.top + first.height / 2,
                        x2: last.right - 1, y2: last.top + last.height / 2};
            }
            return null;
        }""",
        phrase,
    )
    assert box, f"{phrase!r} is not in one text node"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()


def assert_accessible(page: Any, name: str) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{name}: " + json.dumps(
        [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious], indent=1
    )


def test_reviewer_marks_and_proposes_editor_approves(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    sign_in(page, "demo-reviewer")
    open_seed_article(page)

    # Select the 600,000 figure with the mouse and mark it.
    drag_select(page, "600,000 Russian soldiers")
    page.wait_for_function(
        "window.factcheckReader.selectionOffsets()?.exact === '600,000 Russian soldiers'"
    )
    page.wait_for_function("!document.getElementById('mark-button').disabled")
    assert "“600,000 Russian soldiers”" in page.locator("#mark-selection").inner_text()
    page.get_by_role("button", name="Mark claim").click()
    panel = page.locator("#claim-panel")
    panel.get_by_text("“600,000 Russian soldiers”").wait_for()
    claim = Claim.objects.get(exact="600,000 Russian soldiers")
    text = seeded.text
    assert claim.start == text.index("600,000 Russian soldiers")
    assert page.url.endswith(f"?claim={claim.pk}")
    # It nests inside the seed claim that covers the whole sentence.
    assert page.locator(f'mark.hl[data-claim="{claim.pk}"][data-depth="1"]').count() == 1

    # Take it, add evidence by pasting a URL, propose a verdict: all in place.
    page.evaluate("window.__noReload = true")
    panel.get_by_role("button", name="Take").click()
    panel.get_by_text("You took this claim.").wait_for()
    panel.locator("summary", has_text="Add evidence").click()
    panel.get_by_role("textbox", name="URL", exact=True).fill(
        "https://www.gov.uk/government/news/russian-casualties"
    )
    panel.get_by_label("Stance").select_option("supports")
    panel.get_by_label("Title", exact=True).fill("UK Defence Intelligence update")
    panel.get_by_role("button", name="Add evidence").click()
    panel.get_by_text("Evidence added").wait_for()
    assert panel.get_by_role("link", name=re.compile("UK Defence Intelligence update")).count()
    panel.get_by_label("Verdict").select_option("mostly_true")
    panel.get_by_label("Rationale").fill("UK and US estimates put killed and wounded near 600,000.")
    panel.get_by_role("button", name="Submit verdict").click()
    panel.get_by_text("Verdict submitted for review.").wait_for()
    assert page.evaluate("window.__noReload") is True  # htmx swapped; no page load
    assert page.locator(f'mark.hl[data-claim="{claim.pk}"]').get_attribute("data-kind") == (
        "in-review"
    )
    page.screenshot(path=str(screenshot_dir / "reader.png"))

    # The editor finds it in the queue and approves it.
    sign_in(page, "demo-editor")
    page.get_by_role("link", name=re.compile("In review")).click()
    row = page.locator(".claim-row", has_text="“600,000 Russian soldiers”")
    row.wait_for()
    page.screenshot(path=str(screenshot_dir / "queue.png"), full_page=True)
    row.get_by_role("link").click()
    page.wait_for_selector("html[data-reader-ready]")
    page.locator("#claim-panel").get_by_role("button", name="Approve and publish").click()
    page.locator("#claim-panel").get_by_text("Approved and published.").wait_for()
    claim.review.refresh_from_db()
    assert claim.review.state == State.PUBLISHED
    assert claim.review.approved_by.username == "demo-editor"

    # The published view, with its ClaimReview for crawlers.
    page.locator("#claim-panel").get_by_role("link", name="Published view").click()
    page.get_by_text("Verdict:").wait_for()
    assert page.get_by_text("Mostly true", exact=True).count()
    markup = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert markup["@type"] == "ClaimReview"
    assert markup["reviewRating"]["ratingValue"] == 4
    page.screenshot(path=str(screenshot_dir / "published.png"), full_page=True)


def test_keyboard_selection_with_emoji_and_accents(
    seeded: Article, browser_page: Any, sign_in: Any
) -> None:
    editor = get_user_model().objects.get(username="demo-editor")
    text = "Zoë 😀 a dit: « 👩‍👩‍👧 600 000 soldats » à Paris, naïvement. Fin."
    article = article_create(by=editor, text=text, title="Émoji test")
    page = browser_page
    sign_in(page, "demo-reviewer")
    page.goto(f"/articles/{article.pk}/")
    page.wait_for_selector("html[data-reader-ready]")
    # Put the caret before "600" and extend it with Shift+Right over "600 000 soldats".
    page.evaluate(
        """() => {
            const root = document.querySelector('[data-article-text]');
            const node = root.firstChild;
            const range = document.createRange();
            range.setStart(node, node.data.indexOf('600'));
            range.collapse(true);
            const sel = document.getSelection();
            sel.removeAllRanges(); sel.addRange(range);
            root.focus();
        }"""
    )
    for _ in range(len("600 000 soldats")):
        page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function("!document.getElementById('mark-button').disabled")
    offsets = page.evaluate("window.factcheckReader.selectionOffsets()")
    assert offsets["exact"] == "600 000 soldats"
    # JavaScript counts UTF-16 units: the emoji before it are wider than one code point.
    assert offsets["start"] > text.index("600")
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/claims/" in r.url, timeout=30_000
    ) as marked:
        page.keyboard.press("Enter")
    assert marked.value.status == 201, marked.value.text()
    page.locator("#claim-panel").get_by_text("“600 000 soldats”").wait_for(timeout=30_000)
    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end) == (text.index("600"), text.index("600") + 15)

    # A mouse selection after the flag-free family emoji and accented letters.
    drag_select(page, "Paris, naïvement")
    page.wait_for_function(
        "window.factcheckReader.selectionOffsets()?.exact === 'Paris, naïvement'"
    )
    page.get_by_role("button", name="Mark claim").click()
    page.locator("#claim-panel").get_by_text("“Paris, naïvement”").wait_for()
    second = Claim.objects.get(article=article, exact="Paris, naïvement")
    assert second.start == text.index("Paris")


def test_clicking_a_highlight_opens_its_panel_and_conflicts_show(
    seeded: Article, browser_page: Any, sign_in: Any
) -> None:
    page = browser_page
    sign_in(page, "demo-editor")
    open_seed_article(page)
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    page.locator(f'mark.hl[data-claim="{claim.pk}"]').first.click()
    panel = page.locator("#claim-panel")
    panel.get_by_role("button", name="Approve and publish").wait_for()
    assert page.locator(f'mark.hl.is-active[data-claim="{claim.pk}"]').count() >= 1
    # Meanwhile another editor returns it.
    from reviews.services import review_transition

    review = claim.review
    review_transition(
        review_id=review.pk,
        by=get_user_model().objects.get(username="demo-editor2"),
        action="return",
        expected_version=review.version,
        note="Cite the UK estimate.",
    )
    panel.get_by_role("button", name="Approve and publish").click()
    alert = panel.get_by_role("alert")
    alert.wait_for()
    assert "changed by" in alert.inner_text()
    assert panel.get_by_role("link", name="Reload").count() == 1
    assert (
        page.locator(f'mark.hl[data-claim="{claim.pk}"]').first.get_attribute("data-kind")
        == "working"
    )


def make_link_history(article: Article) -> None:
    """A month of checks of the seed's links, two of them gone bad lately."""
    from datetime import timedelta

    from django.utils import timezone

    from annotations.models import Link, LinkCheck

    now = timezone.now()
    links = list(Link.objects.filter(evidence__claim__article=article).distinct().order_by("pk"))
    for day in range(30, -1, -1):
        for n, link in enumerate(links):
            bad = (n == 1 and day < 9) or (n == 2 and day < 4)
            health = ("dead" if day < 3 else "broken") if bad else ("blocked" if n == 3 else "ok")
            LinkCheck.objects.create(
                link=link, checked_at=now - timedelta(days=day, hours=n), health=health
            )
    for n, link in enumerate(links):
        bad = n in (1, 2)
        Link.objects.filter(pk=link.pk).update(
            health=("dead" if n == 1 else "broken") if bad else ("blocked" if n == 3 else "ok"),
            last_checked_at=now,
            last_ok_at=now - timedelta(days=9 if n == 1 else 4) if bad else now,
        )


def test_pages_pass_axe_and_fit_half_a_laptop_screen(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    page.goto("/accounts/login/")
    assert_accessible(page, "login")
    sign_in(page, "demo-editor")
    make_link_history(seeded)  # the stale page and chart with something in them
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    published = seeded.claims.get(review__state=State.PUBLISHED)
    pages = {
        "queue": "/",
        "articles": "/articles/",
        "reader": f"/articles/{seeded.pk}/?claim={claim.pk}",
        "submit": "/articles/new/",
        "stale": "/stale/",
        "published": f"/claims/{published.pk}/",
    }
    for name, url in pages.items():
        page.goto(url)
        assert_accessible(page, name)
    page.goto(pages["stale"])
    page.screenshot(path=str(screenshot_dir / "stale-sources.png"), full_page=True)
    # A laptop half-screen: nothing scrolls sideways, the panel follows the text.
    page.set_viewport_size({"width": 720, "height": 800})
    for name, url in pages.items():
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 720px"
    page.goto(pages["reader"])
    assert_accessible(page, "reader at 720px")
    page.screenshot(path=str(screenshot_dir / "reader-half-screen.png"))


def test_keyboard_only_user_can_open_a_claim(
    seeded: Article, browser_page: Any, sign_in: Any
) -> None:
    page = browser_page
    sign_in(page, "demo-reviewer")
    open_seed_article(page)
    link = page.locator(".claim-list .claim-link").first
    link.focus()
    page.keyboard.press("Enter")
    page.locator("#claim-panel [data-open-claim]").wait_for()
    assert page.url.count("?claim=") == 1
