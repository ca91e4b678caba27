"""The desk on a 390 px phone: a one-line header, a one-row mark bar, a tapped highlight's
panel brought into view, and the stale-sources chart drawn for the width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotations.models import Article
from reviews.workflow import State
from tests.web.test_browser import assert_accessible, make_link_history

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 390, "height": 844}
# Budgets at 390 px (before: the header ~350 px, the mark bar ~220 px).
HEADER_MAX = 64
MARK_BAR_MAX = 56


@pytest.fixture
def phone(chromium: Any, live_server: Any) -> Iterator[Any]:
    context = chromium.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        locale="en-US",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def height(page: Any, selector: str) -> float:
    return page.locator(selector).bounding_box()["height"]


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def in_view(page: Any, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return r.top >= 0 && r.top < window.innerHeight * 0.5;
        }""",
        selector,
    )


def test_phone_header_mark_bar_and_tap_to_panel(
    seeded: Article, phone: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    page = phone
    sign_in(page, "demo-reviewer")
    page.wait_for_selector("html[data-desk-ready]")

    # The header is one line; its links fold behind Menu, which opens and closes them.
    assert height(page, ".site-header") <= HEADER_MAX
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("link", name="Articles", exact=True).is_hidden()
    menu.tap()
    assert menu.get_attribute("aria-expanded") == "true"
    page.get_by_role("link", name="Articles", exact=True).tap()
    page.wait_for_url("**/articles/")
    assert height(page, ".site-header") <= HEADER_MAX  # folded again on the next page
    page.get_by_role("link", name="NATO Chief Says North Korean Troops Sent").tap()
    page.wait_for_selector("html[data-reader-ready][data-shortcuts-ready]")
    no_sideways_scroll(page)

    # The mark bar is one row; More unfolds the claimant, summary and tags and folds them.
    assert height(page, "#mark-form") <= MARK_BAR_MAX
    claimant = page.locator("#mark-claimant")
    assert claimant.is_hidden()
    more = page.locator("#mark-form").get_by_role("button", name="More")
    more.tap()
    assert more.get_attribute("aria-expanded") == "true"
    claimant.wait_for()
    assert height(page, "#mark-form") > MARK_BAR_MAX
    more.tap()
    claimant.wait_for(state="hidden")
    assert height(page, "#mark-form") <= MARK_BAR_MAX
    page.screenshot(path=str(screenshot_dir / "phone-reader.png"))
    assert_accessible(page, "reader at 390px")

    # Tapping a highlight opens its panel and scrolls it into view.
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    mark = page.locator(f'mark.hl[data-claim="{claim.pk}"]').first
    mark.scroll_into_view_if_needed()
    assert not in_view(page, "#claim-panel")
    mark.tap()
    page.locator(f'#claim-panel [data-open-claim="{claim.pk}"]').wait_for()
    page.wait_for_function(
        """() => {
            const r = document.getElementById('claim-panel').getBoundingClientRect();
            return r.top >= 0 && r.top < window.innerHeight * 0.5;
        }"""
    )
    assert page.url.endswith(f"?claim={claim.pk}")
    # The focus came along: the next swipe or Tab reads the claim.
    assert page.evaluate("() => document.activeElement.classList.contains('panel__title')")
    no_sideways_scroll(page)
    page.wait_for_function(  # the smooth scroll has come to rest at the panel's top
        "() => Math.abs(document.getElementById('claim-panel').getBoundingClientRect().top) < 2"
    )
    page.screenshot(path=str(screenshot_dir / "phone-panel.png"))
    assert_accessible(page, "claim panel at 390px")


def test_stale_chart_is_drawn_for_a_phone(seeded: Article, phone: Any, sign_in: Any) -> None:
    page = phone
    sign_in(page, "demo-editor")
    make_link_history(seeded)
    page.goto("/stale/")
    wide, narrow = page.locator(".chart-wrap > svg.chart"), page.locator("svg.chart-narrow")
    assert wide.is_hidden() and narrow.is_visible()
    no_sideways_scroll(page)
    # Its dates and counts are text of a readable size, not the wide chart shrunk to a third.
    ticks = narrow.locator("text.tick")
    assert ticks.count() >= 5
    sizes = [ticks.nth(i).bounding_box()["height"] for i in range(ticks.count())]
    assert min(sizes) >= 10, sizes
    assert narrow.bounding_box()["height"] >= 150
    assert_accessible(page, "stale sources at 390px")
    # On a wide screen it is the other way round.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert wide.is_visible() and narrow.is_hidden()
