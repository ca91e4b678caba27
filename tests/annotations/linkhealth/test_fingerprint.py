"""Content fingerprints: stable under page furniture and timestamps, moved by real edits."""

from __future__ import annotations

import re

from annotations.linkhealth.fingerprint import (
    fingerprint_changed,
    fingerprint_similarity,
    main_text,
    page_fingerprint,
    page_title,
)

PARAGRAPHS = [
    "The city council approved the annual budget on Tuesday after a debate that lasted "
    "late into the evening and drew a large crowd of residents to the town hall.",
    "Members argued over funding for schools, road repairs and the public library, and "
    "several amendments were rejected before the final vote was taken.",
    "The mayor said the plan balances the needs of families with the limits of the "
    "treasury, while critics warned that the reserves were being drawn down too quickly.",
    "Local business owners welcomed the decision to freeze commercial property taxes for "
    "another year, saying it would help shops recover after a difficult winter season.",
    "A spokesperson for the teachers union said the increase for schools was welcome but "
    "fell short of what classrooms need to replace ageing equipment and hire new staff.",
]


def page(
    paragraphs: list[str],
    *,
    stamp: str = "Updated 10 March 2026, 14:05",
    ads: str = "Buy shoes now",
    nav: str = "Home World Sport Culture",
) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><title>Council approves budget</title>
<style>.x {{ color: red }}</style><script>var t = "{stamp}";</script></head>
<body><header><nav>{nav}</nav></header>
<aside class="ad">{ads}</aside>
<main><article><h1>Council approves budget</h1><time>{stamp}</time>{body}</article></main>
<footer>Copyright News Example. All rights reserved.</footer>
<script>trackPageView("{stamp}")</script></body></html>""".encode()


def test_fingerprint_shape() -> None:
    fp = page_fingerprint(page(PARAGRAPHS), "text/html; charset=utf-8")
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert page_fingerprint(page(PARAGRAPHS), "text/html") == fp  # deterministic


def test_main_text_strips_furniture() -> None:
    text = main_text(page(PARAGRAPHS), "text/html")
    assert "city council approved" in text
    assert "color: red" not in text
    assert "trackPageView" not in text
    assert "World Sport" not in text
    assert "Buy shoes" not in text
    assert "Copyright" not in text
    assert "  " not in text


def test_timestamps_ads_and_navigation_do_not_count() -> None:
    a = page_fingerprint(page(PARAGRAPHS), "text/html")
    b = page_fingerprint(
        page(
            PARAGRAPHS,
            stamp="Updated 11 March 2026, 09:41",
            ads="Cheap flights to Lisbon",
            nav="Home Politics Business",
        ),
        "text/html",
    )
    assert fingerprint_similarity(a, b) == 1.0
    assert not fingerprint_changed(a, b)


def test_small_edit_is_similar_rewrite_is_changed() -> None:
    original = page_fingerprint(page(PARAGRAPHS), "text/html")
    edited = PARAGRAPHS.copy()
    edited[2] = edited[2].replace("too quickly", "far too quickly")
    small = page_fingerprint(page(edited), "text/html")
    rewritten = page_fingerprint(
        page(
            [
                "Correction: an earlier version of this article misstated the vote. The "
                "budget was rejected by the council and will return next month.",
                "Officials now expect a revised proposal with deep cuts to road repairs, "
                "while the library expansion has been postponed indefinitely.",
            ]
        ),
        "text/html",
    )
    assert fingerprint_similarity(original, small) >= 0.85
    assert not fingerprint_changed(original, small)
    assert fingerprint_similarity(original, rewritten) < 0.85
    assert fingerprint_changed(original, rewritten)


def test_similarity_bounds_and_bad_input() -> None:
    assert fingerprint_similarity("0" * 16, "f" * 16) == 0.0
    assert fingerprint_similarity("0" * 16, "0" * 15 + "1") == 1 - 1 / 64
    assert fingerprint_similarity("", "") == 1.0
    assert fingerprint_similarity("abc", "0" * 16) == 0.0
    assert fingerprint_similarity("zz" * 8, "0" * 16) == 0.0


def test_unknown_side_is_not_a_change() -> None:
    fp = page_fingerprint(page(PARAGRAPHS), "text/html")
    assert not fingerprint_changed("", fp)
    assert not fingerprint_changed(fp, "")


def test_empty_and_scriptless_pages() -> None:
    assert page_fingerprint(b"", "text/html") == ""
    assert page_fingerprint(b"<html><script>x()</script></html>", "text/html") == ""


def test_plain_text_and_charsets() -> None:
    text = "Grüße aus Köln, die Stadt am Rhein, wo der Dom steht und der Fluss fließt."
    latin = page_fingerprint(text.encode("latin-1"), "text/plain; charset=iso-8859-1")
    utf8 = page_fingerprint(text.encode("utf-8"), "text/plain")
    assert latin == utf8 != ""
    meta = f'<html><head><meta charset="iso-8859-1"></head><body><p>{text}</p></body></html>'
    assert "Grüße" in main_text(meta.encode("latin-1"), "text/html")


def test_html_sniffed_without_content_type() -> None:
    assert main_text(page(PARAGRAPHS), "") == main_text(page(PARAGRAPHS), "text/html")


def test_binary_documents_get_a_fingerprint() -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    fp = page_fingerprint(pdf, "application/pdf")
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert page_fingerprint(pdf, "application/pdf") == fp


def test_garbage_html_does_not_crash() -> None:
    junk = b"<html><body><p>unclosed <div><<<>>> &#xZZZZ; <![CDATA[ x ]]> \xff\xfe<nav>a"
    page_fingerprint(junk, "text/html")
    page_title(junk, "text/html")


def test_unclosed_furniture_falls_back_to_all_text() -> None:
    body = b"<html><body><header>Site<p>" + " ".join(["word"] * 50).encode() + b"</body>"
    assert "word word" in main_text(body, "text/html")


def test_page_title() -> None:
    assert page_title(page(PARAGRAPHS), "text/html") == "Council approves budget"
    assert page_title(b"no html here", "text/plain") == ""
