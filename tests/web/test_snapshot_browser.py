"""Evidence as cited in a real Chromium: "What changed" on the stale-sources page and in the
claim panel, and the page as cited."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from annotations.models import Article, Claim, Evidence
from annotations.services import snapshots
from annotations.services.evidence import evidence_attach
from tests.annotations.test_snapshots import _page as stats_page
from tests.web.test_browser import assert_accessible
from tests.web.test_snapshot_views import check

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def off_the_loop(work: Callable[[], Any]) -> Any:
    """Run `work` in another thread: the fetcher runs its own event loop (asyncio.run), and
    Playwright's sync API keeps one running in this thread."""

    def run() -> Any:
        try:
            return work()
        finally:
            connection.close()  # that thread's own database connection

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_what_changed_opens_on_the_stale_page_and_shows_the_numbers(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path, local_site: Any
) -> None:
    claim = Claim.objects.filter(article=seeded).order_by("start").first()
    assert claim is not None
    reviewer = get_user_model().objects.get(username="demo-reviewer")
    url = local_site.page("/labour-market/q3", stats_page())
    evidence = evidence_attach(
        claim=claim, by=reviewer, url=url, stance="context", title="Labour market overview, Q3"
    )
    off_the_loop(lambda: snapshots.evidence_capture(evidence_id=evidence.pk))
    local_site.page("/labour-market/q3", stats_page(rate="24%", employed="10.9"))
    off_the_loop(lambda: check(evidence, "moved"))
    assert Evidence.objects.get(pk=evidence.pk).changed is True

    page = browser_page
    sign_in(page, "demo-editor")
    page.goto("/stale/")
    item = page.locator(
        ".stale-item", has=page.locator(f'[hx-get="/evidence/{evidence.pk}/changes/"]')
    )
    first = item.first
    first.scroll_into_view_if_needed()
    assert first.locator(".changed-values").count() == 0  # nothing loaded before it opens
    first.locator("summary", has_text="What changed").click()
    numbers = first.locator('.changed-values[data-kind="numbers"] li')
    numbers.first.wait_for()
    shown = [" ".join(t.split()) for t in numbers.all_inner_texts()]
    assert "12% → changed to 24%" in shown
    assert "9.4 million → changed to 10.9 million" in shown
    assert first.locator(".diff del", has_text="12%").count() == 1
    assert first.locator(".diff ins", has_text="24%").count() == 1
    assert_accessible(page, "stale sources with what changed open")
    first.screenshot(path=str(screenshot_dir / "what-changed.png"))

    # The page as cited: its text, and for an editor the WARC.
    first.get_by_role("link", name="Page as cited").first.click()
    page.get_by_role("heading", name="Page as cited").wait_for()
    main_text = page.locator(".snapshot__text")
    main_text.get_by_text("was 12% in the third quarter").wait_for()
    assert main_text.get_by_text("Accept all").count() == 0  # the cookie banner is not text
    assert page.get_by_role("link", name="Download the WARC").count() == 1
    assert_accessible(page, "page as cited")
    page.screenshot(path=str(screenshot_dir / "page-as-cited.png"), full_page=True)

    # The claim panel offers the same disclosure.
    page.goto(f"/articles/{seeded.pk}/?claim={claim.pk}")
    page.wait_for_selector("html[data-reader-ready]")
    panel_item = page.locator(f"#ev-{evidence.pk}")
    panel_item.locator("summary", has_text="What changed").click()
    panel_item.locator('.changed-values[data-kind="numbers"] li').first.wait_for()
    assert panel_item.locator(".diff ins", has_text="24%").count() == 1
