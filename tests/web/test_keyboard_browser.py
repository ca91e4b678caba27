"""The reader by keyboard: the reading caret, sentence and paragraph jumps, the single-key
shortcuts and their help dialog, focus and announcements after htmx updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotations.models import Article, Claim
from reviews.workflow import State
from tests.web.test_browser import assert_accessible, open_seed_article

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def open_reader(page: Any) -> None:
    open_seed_article(page)
    page.wait_for_selector("html[data-shortcuts-ready][data-caret-ready][data-desk-ready]")


def caret_offset(page: Any) -> int:
    return page.evaluate("window.factcheckCaret.caretOffset()")


def assert_caret_drawn_at(page: Any, offset: int) -> None:
    """The drawn caret sits at the left edge of the character at `offset` (both measured at
    once: the page may be scrolling)."""
    caret, char = page.evaluate(
        """(offset) => {
            const root = document.querySelector('[data-article-text]');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let seen = 0;
            while (walker.nextNode()) {
                const node = walker.currentNode;
                if (offset < seen + node.data.length) {
                    const r = document.createRange();
                    r.setStart(node, offset - seen); r.setEnd(node, offset - seen + 1);
                    const caret = document.querySelector('.reading-caret');
                    return [caret.getBoundingClientRect().toJSON(), r.getClientRects()[0].toJSON()];
                }
                seen += node.data.length;
            }
        }""",
        offset,
    )
    assert abs(caret["left"] + 1 - char["left"]) <= 2, (caret, char)
    assert abs(caret["top"] - char["top"]) <= 2, (caret, char)
    assert caret["width"] >= 2 and caret["height"] >= 16


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName, id: el.id, text: el.textContent.trim().slice(0, 80),
                    name: el.getAttribute('name') || '', cls: el.className || ''};
        }"""
    )


def announced(page: Any, text: str) -> None:
    page.wait_for_function(
        "(text) => document.getElementById('desk-announcer').textContent.includes(text)", arg=text
    )


def open_claim_id(page: Any) -> str | None:
    return page.evaluate(
        "document.querySelector('#claim-panel [data-open-claim]')?.dataset.openClaim ?? null"
    )


def test_reading_caret_jumps_by_paragraph_and_sentence_and_marks(
    seeded: Article, browser_page: Any, sign_in: Any
) -> None:
    page = browser_page
    sign_in(page, "demo-reviewer")
    open_reader(page)
    text = seeded.text
    caret = page.locator(".reading-caret")
    assert caret.is_hidden()

    # Tab into the text from the control before it: a caret shows at its start.
    page.locator("#mark-form summary").focus()
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "article-text"
    assert caret_offset(page) == 0
    caret.wait_for(state="visible")
    assert_caret_drawn_at(page, 0)

    # Three Ctrl+Down reach the 4th paragraph (149 Ctrl+Right by word before).
    fourth = text.index("Ukrainian forces launched")
    for _ in range(3):
        page.keyboard.press("Control+ArrowDown")
    assert caret_offset(page) == fourth
    assert_caret_drawn_at(page, fourth)

    # Back one paragraph, one sentence on, and Shift+Alt+Down selects that sentence.
    page.keyboard.press("Control+ArrowUp")
    third = text.index('"The deepening military')
    assert caret_offset(page) == third
    page.keyboard.press("Alt+ArrowDown")
    sentence = '"The deployment [of] North Korean troops to Kursk is also a sign of Putin\'s growing desperation."'
    assert caret_offset(page) == text.index(sentence)
    page.keyboard.press("Alt+ArrowUp")
    assert caret_offset(page) == third
    page.keyboard.press("Alt+ArrowDown")
    page.keyboard.press("Shift+Alt+ArrowDown")
    page.wait_for_function("() => !document.getElementById('mark-button').disabled")
    assert page.evaluate("window.factcheckReader.selectionOffsets().exact") == sentence
    with page.expect_response(lambda r: r.request.method == "POST" and "/claims/" in r.url):
        page.keyboard.press("Enter")
    page.locator("#claim-panel").get_by_text(f"“{sentence}”").wait_for()
    claim = Claim.objects.get(exact=sentence)
    assert claim.start == text.index(sentence)
    # The reader was rendered again: focus and caret stay in the text where the selection
    # ended, not on <body>; the update is read out.
    announced(page, "Claim marked. Its panel is open.")
    page.wait_for_function("() => window.factcheckCaret.caretOffset() !== null")
    assert focused(page)["id"] == "article-text"
    assert caret_offset(page) == fourth
    caret.wait_for(state="visible")
    assert_caret_drawn_at(page, fourth)
    # Focus leaving the text hides the caret.
    page.keyboard.press("Shift+Tab")
    caret.wait_for(state="hidden")


def test_shortcuts_open_take_add_evidence_and_help(
    seeded: Article, browser_page: Any, sign_in: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    sign_in(page, "demo-reviewer")
    open_reader(page)
    ids = page.eval_on_selector_all("[data-claim-item]", "els => els.map(e => e.dataset.claimItem)")
    assert len(ids) == seeded.claims.count() >= 4

    # j / k walk the claims in the order of the text.
    page.keyboard.press("j")
    page.wait_for_function(
        "(id) => document.querySelector(`[data-open-claim='${id}']`)", arg=ids[0]
    )
    announced(page, f"Claim 1 of {len(ids)}")
    page.keyboard.press("j")
    page.wait_for_function(
        "(id) => document.querySelector(`[data-open-claim='${id}']`)", arg=ids[1]
    )
    announced(page, f"Claim 2 of {len(ids)}")
    page.keyboard.press("k")
    page.wait_for_function(
        "(id) => document.querySelector(`[data-open-claim='${id}']`)", arg=ids[0]
    )
    assert page.url.endswith(f"?claim={ids[0]}")

    # Typed into a field, the letters are text: nothing opens, nothing is taken.
    page.locator("#mark-form summary").click()
    claimant = page.locator("#mark-claimant")
    claimant.fill("")
    claimant.press_sequentially("jkt?e s")
    assert claimant.input_value() == "jkt?e s"
    page.locator("#mark-summary").press_sequentially("j")
    assert page.locator("#mark-summary").input_value() == "j"
    assert open_claim_id(page) == ids[0]
    assert page.locator("#shortcuts-dialog").evaluate("d => d.open") is False
    # Nor with a modifier: Ctrl+J is the browser's.
    page.locator("#claims-title").click()
    page.keyboard.press("Alt+j")
    assert open_claim_id(page) == ids[0]
    claimant.fill("")
    page.locator("#mark-summary").fill("")
    page.locator("#mark-form summary").click()

    # t on a claim taken by nobody takes it; focus goes to the panel's heading, the
    # confirmation is read out.
    unassigned = seeded.claims.get(review__state=State.UNASSIGNED)
    while open_claim_id(page) != str(unassigned.pk):
        before = open_claim_id(page)
        page.keyboard.press("j")
        page.wait_for_function(
            "(id) => document.querySelector('#claim-panel [data-open-claim]')?.dataset.openClaim !== id",
            arg=before,
        )
    page.keyboard.press("t")
    page.locator("#claim-panel").get_by_text("You took this claim.").wait_for()
    announced(page, "You took this claim.")
    unassigned.review.refresh_from_db()
    assert unassigned.review.state == State.IN_PROGRESS
    assert unassigned.review.assignee.username == "demo-reviewer"

    # e opens "Add evidence" at its URL field; a bad URL keeps focus in the field with its
    # error, a good one brings focus back to "Add evidence".
    page.locator("#claims-title").click()
    page.keyboard.press("e")
    url = page.locator("#claim-panel").get_by_role("textbox", name="URL", exact=True)
    page.wait_for_function("() => document.activeElement.getAttribute('name') === 'url'")
    url.press_sequentially("not a url")
    url.press("Enter")
    page.locator("#claim-panel .field-error").first.wait_for()
    assert focused(page)["name"] == "url"
    assert unassigned.evidence.count() == 0
    page.keyboard.press("Control+a")
    page.keyboard.type("https://www.gov.uk/government/news/troops")
    page.keyboard.press("Enter")
    page.locator("#claim-panel").get_by_text("Evidence added").wait_for()
    page.wait_for_function("() => document.activeElement.tagName === 'SUMMARY'")
    assert focused(page)["text"] == "Add evidence"
    assert unassigned.evidence.count() == 1

    # s goes to the verdict of the submit form; typing the rationale fires nothing.
    page.keyboard.press("Escape")
    page.locator("#claims-title").click()
    page.keyboard.press("s")
    page.wait_for_function("() => document.activeElement.getAttribute('name') === 'verdict'")
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "rationale"
    page.keyboard.type("sources say troops are there")
    assert open_claim_id(page) == str(unassigned.pk)
    # The Submit button clicked: it is gone after the update, focus is on the panel's heading.
    page.locator("#claim-panel").get_by_label("Verdict").select_option("true")
    page.locator("#claim-panel").get_by_role("button", name="Submit verdict").click()
    page.locator("#claim-panel").get_by_text("Verdict submitted for review.").wait_for()
    page.wait_for_function("() => document.activeElement.classList.contains('panel__title')")
    announced(page, "Verdict submitted for review.")

    # A shortcut the claim does not offer is said, not skipped in silence.
    page.keyboard.press("t")
    announced(page, "Take is not offered on this claim.")

    # ? opens the list of shortcuts, an accessible modal dialog; Escape closes it and gives
    # the focus back.
    page.locator("#claims-title").click()
    page.get_by_role("button", name="Keyboard shortcuts").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    for key in ("j", "k", "t", "s", "r", "a", "e", "?"):
        assert dialog.locator("kbd", has_text=key).count() >= 1, key
    assert "Next / previous paragraph" in dialog.inner_text()
    page.keyboard.press("j")  # keys go to the dialog, not to the claims
    assert open_claim_id(page) == str(unassigned.pk)
    assert_accessible(page, "shortcuts dialog")
    page.screenshot(path=str(screenshot_dir / "keyboard-help.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert focused(page)["text"] == "Keyboard shortcuts"
    assert_accessible(page, "reader after shortcuts")


def test_editor_approves_and_returns_by_keyboard(
    seeded: Article, browser_page: Any, sign_in: Any
) -> None:
    page = browser_page
    sign_in(page, "demo-editor")
    in_review = seeded.claims.get(review__state=State.IN_REVIEW)
    page.goto(f"/articles/{seeded.pk}/?claim={in_review.pk}")
    page.wait_for_selector("html[data-shortcuts-ready]")

    # r opens the return note; Escape-free: the note is a field, so "a" typed there is text.
    page.keyboard.press("r")
    page.wait_for_function("() => document.activeElement.getAttribute('name') === 'note'")
    page.keyboard.type("a")
    in_review.review.refresh_from_db()
    assert in_review.review.state == State.IN_REVIEW

    # a brings the focus to "Approve and publish" without publishing; Enter publishes.
    page.locator("#claims-title").click()
    page.keyboard.press("a")
    page.wait_for_function("() => document.activeElement.dataset.action === 'approve'")
    announced(page, "press Enter to confirm")
    in_review.review.refresh_from_db()
    assert in_review.review.state == State.IN_REVIEW
    page.keyboard.press("Enter")
    page.locator("#claim-panel").get_by_text("Approved and published.").wait_for()
    in_review.review.refresh_from_db()
    assert in_review.review.state == State.PUBLISHED
    page.wait_for_function("() => document.activeElement !== document.body")
    assert focused(page)["tag"] != "BODY"
