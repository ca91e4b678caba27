"""An article's revision history and the difference between two revisions, in the desk."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.test import Client

from annotations.models import AnchorState, Article, ArticleRevision, Claim
from annotations.services.articles import article_revise
from annotations.web.revisiondiff import DELETE, INSERT, revision_diff
from tests.factories import ARTICLE_TEXT, article_create, claim_create
from tests.web.test_csp import assert_strict_policy, inline_code, inline_styles

pytestmark = pytest.mark.django_db

EDITED = ARTICLE_TEXT.replace("600,000 Russian soldiers", "700,000 Russian soldiers").replace(
    "North Korea is training 10,000 soldiers", "North Korea has sent troops"
)


def url(article: Article, query: str = "") -> str:
    return f"/articles/{article.pk}/revisions/" + (f"?{query}" if query else "")


@pytest.fixture
def edited(editor: Any, reviewer: Any) -> Article:
    """An article with three claims, then edited: one claim kept, one whose number changed
    (re-anchored), one whose words are gone (orphaned)."""
    article = article_create(by=editor, url="https://news.example.org/kursk")
    claim_create(article=article, by=reviewer, exact="North Korean troops were sent")
    claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    claim_create(article=article, by=reviewer, exact="North Korea is training 10,000 soldiers")
    article_revise(article=article, by=editor, text=EDITED)
    article.refresh_from_db()
    return article


def cls(name: str) -> str:
    """An XPath test: the element has the class `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def page_root(response: Any) -> Any:
    return lxml.html.fromstring(response.content)


# --- The pure diff ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", "One."),
        ("One.", ""),
        ("a b c", "a x b c"),
        ("a b c\n\nd e", "a b\n\nd e f\n"),
        ("Same text.\n", "Same text.\n"),
        ("  leading  space", "leading space"),
        (ARTICLE_TEXT, EDITED),
    ],
)
def test_the_pieces_cover_both_texts_exactly(before: str, after: str) -> None:
    pieces = revision_diff(before, after)
    assert "".join(after[p.after_start : p.after_end] for p in pieces if p.op != DELETE) == after
    assert "".join(before[p.before_start : p.before_end] for p in pieces if p.op != INSERT) == (
        before
    )
    if before == after:
        assert [p.op for p in pieces] == ["equal"]


def test_a_changed_number_is_one_word_out_and_one_in() -> None:
    pieces = revision_diff("They sent 10,000 soldiers.", "They sent 12,000 soldiers.")
    changed = [(p.op, p.before_start, p.before_end, p.after_start, p.after_end) for p in pieces]
    assert [c[0] for c in changed] == ["equal", "delete", "insert", "equal"]
    before, after = "They sent 10,000 soldiers.", "They sent 12,000 soldiers."
    assert before[changed[1][1] : changed[1][2]] == "10,000 "
    assert after[changed[2][3] : changed[2][4]] == "12,000 "


# --- The reader lists the history ---------------------------------------------------------------


def test_the_reader_lists_the_revisions_and_offers_the_latest_change(
    edited: Article, reviewer: Any, login: Any
) -> None:
    response = login(reviewer).get(f"/articles/{edited.pk}/")
    assert response.status_code == 200
    root = page_root(response)
    items = root.xpath(f"//li[{cls('revision-list__item')}]")
    assert [i.xpath(f".//*[{cls('revision-list__number')}]")[0].text_content() for i in items] == [
        "Revision 2",
        "Revision 1",
    ]
    assert items[0].get("aria-current") == "true"
    assert "current" in items[0].text_content()
    assert f"submitted by {edited.created_by.username}" in " ".join(items[1].text_content().split())
    assert f"resubmitted by {edited.created_by.username}" in " ".join(
        items[0].text_content().split()
    )
    form = root.xpath(f"//form[{cls('revision-compare')}]")[0]
    assert form.get("action") == url(edited)
    assert form.get("hx-target") == "#revision-diff"
    assert form.xpath("//select[@id='revision-from']/option[@selected]")[0].get("value") == "1"
    assert form.xpath("//select[@id='revision-to']/option[@selected]")[0].get("value") == "2"
    assert root.xpath("//*[@id='revision-diff']") and root.xpath("//*[@id='article-text']")


def test_an_article_with_one_revision_has_nothing_to_compare(
    article: Article, reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    root = page_root(client.get(f"/articles/{article.pk}/"))
    assert len(root.xpath(f"//li[{cls('revision-list__item')}]")) == 1
    assert not root.xpath(f"//form[{cls('revision-compare')}]")
    page = client.get(url(article))
    assert page.status_code == 200
    assert b"One revision so far" in page.content
    assert not page_root(page).xpath(f"//*[{cls('revision-diff')}]")


# --- The diff -------------------------------------------------------------------------------------


def test_the_diff_marks_deletions_insertions_and_the_claims(
    edited: Article, reviewer: Any, login: Any
) -> None:
    response = login(reviewer).get(url(edited, "from=1&to=2"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    root = page_root(response)
    text = root.xpath(f"//*[{cls('revision-diff__text')}]")[0]
    deleted = [" ".join(d.text_content().split()) for d in text.xpath(".//del")]
    inserted = [" ".join(i.text_content().split()) for i in text.xpath(".//ins")]
    # Each change is named in words, not by colour alone.
    assert deleted == ["[deleted: 600,000 ]", "[deleted: is training 10,000 soldiers ]"]
    assert inserted == ["[inserted: 700,000 ]", "[inserted: has sent troops ]"]
    for element in text.xpath(".//del | .//ins"):
        assert element.xpath(f".//*[{cls('visually-hidden')}]")
    # Without the hidden words, the diff's text with its insertions is the new revision.
    copy = page_root(response).xpath(f"//*[{cls('revision-diff__text')}]")[0]
    for hidden in copy.xpath(f".//*[{cls('visually-hidden')}]"):
        hidden.drop_tree()
    for gone in copy.xpath(".//del"):
        gone.drop_tree()
    assert copy.text_content() == EDITED

    claims = {c.exact: c for c in Claim.objects.filter(article=edited)}
    kept = claims["North Korean troops were sent"]
    moved = claims["700,000 Russian soldiers"]
    orphaned = claims["North Korea is training 10,000 soldiers"]
    assert moved.anchor_state == AnchorState.REANCHORED
    assert orphaned.anchor_state == AnchorState.ORPHANED

    def marked(claim: Claim) -> str:
        marks = root.xpath(f"//*[{cls('revision-diff__text')}]//mark[@data-claim='{claim.pk}']")
        assert marks, claim.exact
        return "".join(m.text_content() for m in marks)

    # Claims of the "to" revision are marked in the new text (a changed number inside its
    # <ins>), an orphaned one of the "from" revision inside the deleted words.
    assert marked(kept) == kept.exact
    assert marked(moved) == "700,000 Russian soldiers"
    assert root.xpath(f"//ins//mark[@data-claim='{moved.pk}']")
    assert root.xpath(f"//del//mark[@data-claim='{orphaned.pk}']")
    # No ids: the reader's own highlights keep theirs.
    assert not root.xpath(f"//*[{cls('revision-diff__text')}]//mark[@id]")
    summary = " ".join(root.xpath(f"//*[{cls('revision-diff__when')}]")[0].text_content().split())
    assert "2 changes: 5 words removed, 4 added" in summary
    values = root.xpath(f"//*[{cls('revision-diff__values')}]/li")
    assert any("600,000" in v.text_content() and "700,000" in v.text_content() for v in values)


def test_the_diff_backwards_and_the_default_choice(
    edited: Article, reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    default = page_root(client.get(url(edited)))
    assert default.xpath("//*[@data-revision-diff]")[0].get("data-from") == "1"
    assert default.xpath("//*[@data-revision-diff]")[0].get("data-to") == "2"
    back = page_root(client.get(url(edited, "from=2&to=1")))
    text = back.xpath(f"//*[{cls('revision-diff__text')}]")[0]
    assert any("700,000" in d.text_content() for d in text.xpath(".//del"))
    assert any("600,000" in i.text_content() for i in text.xpath(".//ins"))
    # The orphaned claim still points into revision 1: here it is in the text "added" back;
    # the claims that moved to revision 2 are in the text that goes.
    orphaned = Claim.objects.get(article=edited, anchor_state=AnchorState.ORPHANED)
    moved = Claim.objects.get(article=edited, anchor_state=AnchorState.REANCHORED)
    assert text.xpath(f".//ins//mark[@data-claim='{orphaned.pk}']")
    assert not text.xpath(f".//del//mark[@data-claim='{orphaned.pk}']")
    assert text.xpath(f".//del//mark[@data-claim='{moved.pk}']")


def test_the_revisions_page_works_without_javascript_and_needs_no_inline_code(
    edited: Article, reviewer: Any, login: Any
) -> None:
    response = login(reviewer).get(url(edited, "from=1&to=2"))
    assert response.status_code == 200
    assert_strict_policy(response)
    assert inline_code(response.content) == [] and inline_styles(response.content) == []
    root = page_root(response)
    assert root.xpath("//h1")[0].text_content() == f"Revisions of “{edited.title}”"
    assert root.xpath("//*[@id='revision-diff']//*[@data-revision-diff]")
    assert root.xpath("//link[contains(@href, 'articles.css')]")
    reader = login(reviewer).get(f"/articles/{edited.pk}/")
    assert inline_code(reader.content) == [] and inline_styles(reader.content) == []


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=1&to=3", b"This article has no revision 3."),
        ("from=x&to=2", b"Choose revisions by their numbers."),
        ("from=0&to=2", b"Choose revisions by their numbers."),
        ("from=2&to=2", b"Choose two different revisions to compare."),
        ("from=99999999999999999999&to=2", b"Choose revisions by their numbers."),
    ],
)
def test_revisions_that_are_not_there_are_a_400(
    edited: Article, reviewer: Any, login: Any, query: str, message: bytes
) -> None:
    before = list(ArticleRevision.objects.values_list("pk", "number", "content_hash"))
    response = login(reviewer).get(url(edited, query), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert message in response.content
    assert page_root(response).xpath("//*[@role='alert']")
    assert list(ArticleRevision.objects.values_list("pk", "number", "content_hash")) == before


def test_who_may_not_see_the_revisions(edited: Article, outsider: Any, login: Any) -> None:
    anonymous = Client().get(url(edited))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert login(outsider).get(url(edited)).status_code == 403
    missing = login(edited.created_by).get(
        "/articles/00000000-0000-0000-0000-000000000000/revisions/"
    )
    assert missing.status_code == 404
    # Only GET: the history is read, never written here.
    assert login(edited.created_by).post(url(edited)).status_code == 405
    assert ArticleRevision.objects.filter(article=edited).count() == 2
