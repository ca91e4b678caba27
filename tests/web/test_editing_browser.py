"""Editing in a real Chromium: a claim's span adjusted by word (buttons and keys, focus kept)
and "Recheck now" updating the evidence item in place once a real worker's check lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotations.models import Article, Claim, Link
from reviews.workflow import State
from tests.web.test_browser import assert_accessible, open_seed_article

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def htmx_ready(page: Any) -> None:
    """The span form of the redrawn reader is wired by htmx (keys pressed before would post
    the form as a plain page load)."""
    page.wait_for_function(
        """() => {
            const form = document.querySelector('[data-span-form]');
            return form && form['htmx-internal-data'] && !document.querySelector('.htmx-request');
        }"""
    )


def test_span_adjust_by_word_with_buttons_and_keys(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    claim = seeded.claims.get(review__state=State.IN_PROGRESS)
    original = (claim.start, claim.end, claim.exact)
    sign_in(page, "demo-reviewer")
    open_seed_article(page)
    page.locator(f'[data-claim-item="{claim.pk}"] a').click()
    panel = page.locator("#claim-panel")
    panel.get_by_text("Adjust the span").wait_for()
    page.evaluate("window.__noReload = true")

    # Start ◀ word: the word before the claim joins it, highlight and panel redrawn in place.
    panel.locator("#span-start-grow").click()
    panel.get_by_text("Span adjusted.").wait_for()
    grown = Claim.objects.get(pk=claim.pk)
    word = seeded.text[grown.start : claim.start].strip()
    assert grown.end == claim.end and grown.start < claim.start and word
    assert grown.exact == seeded.text[grown.start : claim.end]
    mark = page.locator(f'mark.hl[data-claim="{claim.pk}"]').first
    assert mark.inner_text().startswith(word)
    assert page.evaluate("document.activeElement.id") == "span-start-grow"
    page.screenshot(path=str(screenshot_dir / "span-adjust.png"))

    assert page.evaluate("window.__noReload") is True
    htmx_ready(page)
    # The keyboard, from the focused button: Shift+→ drops the first word again, ← the last.
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function(
        """([id, words]) => {
            const mark = document.querySelector(`mark.hl[data-claim="${id}"]`);
            return mark && mark.textContent.startsWith(words);
        }""",
        arg=[str(claim.pk), original[2][:12]],
    )
    assert (Claim.objects.get(pk=claim.pk).start, Claim.objects.get(pk=claim.pk).end) == (
        original[0],
        original[1],
    )
    htmx_ready(page)
    page.keyboard.press("ArrowLeft")
    panel.get_by_text("Span adjusted.").wait_for()
    page.wait_for_function(
        """(version) => Number(document.querySelector(
            '#claim-panel [data-span-form] input[name=expected_version]').value) >= version""",
        arg=claim.version + 3,
    )
    shrunk = Claim.objects.get(pk=claim.pk)
    assert shrunk.start == original[0] and shrunk.end < original[1]
    assert original[2].startswith(shrunk.exact)
    assert page.evaluate("document.activeElement.id") == "span-end-shrink"
    assert page.evaluate("window.__noReload") is True
    assert_accessible(page, "reader with span controls")


def test_recheck_now_updates_in_place(
    seeded: Article,
    browser_page: Any,
    sign_in: Any,
    start_worker: Any,
    screenshot_dir: Path,
) -> None:
    page = browser_page
    claim = seeded.claims.get(review__state=State.IN_PROGRESS)
    evidence = claim.evidence.order_by("created_at").first()
    worker = start_worker(extra_env={})
    sign_in(page, "demo-reviewer")
    open_seed_article(page)
    page.locator(f'[data-claim-item="{claim.pk}"] a').click()
    item = page.locator(f"#ev-{evidence.pk}")
    item.wait_for()
    checked_before = Link.objects.get(pk=evidence.link_id).last_checked_at
    page.evaluate("window.__noReload = true")

    item.get_by_role("button", name="Recheck now").click()
    item.get_by_text("Recheck requested").wait_for()
    # The worker checks the seed's public URL: the egress allow-list (127.0.0.0/8 in tests)
    # refuses it before any connection, and the item shows so without a reload.
    page.locator(f"#ev-{evidence.pk}", has_text="Checked just now").wait_for(timeout=40_000)
    link = Link.objects.get(pk=evidence.link_id)
    assert link.last_checked_at is not None and link.last_checked_at != checked_before
    assert link.health == "unsafe" and "outside the egress allow-list" in link.last_error
    item = page.locator(f"#ev-{evidence.pk}")
    assert "outside the allowed networks" in item.inner_text()
    assert item.get_attribute("hx-trigger") is None  # polling stopped
    assert page.evaluate("window.__noReload") is True
    assert "check_link" in worker.output()
    item.screenshot(path=str(screenshot_dir / "recheck-in-place.png"))
