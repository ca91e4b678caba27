"""html_to_text: sanitized HTML reduced to the plain text claims point into."""

from __future__ import annotations

import pytest

from annotations.anchoring import AnchorError, html_to_text, resolve_selectors

ARTICLE_HTML = """<!doctype html>
<html><head><title>Page title</title>
<style>p { color: red }</style>
<script>var tracking = "secret";</script></head>
<body>
<h1>Council  approves
   budget</h1>
<p>The mayor said unemployment fell to <b>4%</b> last year.<br>Critics disagree.</p>
<div>Auditors found a deficit of&nbsp;$2&nbsp;million &amp; more.</div>
<script type="text/javascript">document.write("injected")</script>
<ul><li>First point</li><li>Second <em>point</em></li></ul>
<blockquote><p>We will fix it.</p></blockquote>
<table><tr><td>Year</td><td>Rate</td></tr><tr><td>2023</td><td>4%</td></tr></table>
<!-- a comment -->
<p></p><p>   </p>
<p>Caf&eacute; owners &lt;complained&gt; &#x1F44D;&#127997;</p>
</body></html>"""


def test_paragraphs_lines_and_entities() -> None:
    assert html_to_text(ARTICLE_HTML) == (
        "Council approves budget\n\n"
        "The mayor said unemployment fell to 4% last year.\nCritics disagree.\n\n"
        "Auditors found a deficit of $2 million & more.\n\n"
        "First point\nSecond point\n\n"
        "We will fix it.\n\n"
        "Year Rate\n2023 4%\n\n"
        "Caf\u00e9 owners <complained> 👍🏽"
    )


def test_script_style_and_title_content_is_dropped() -> None:
    text = html_to_text(ARTICLE_HTML)
    for dropped in ("tracking", "secret", "injected", "color", "Page title", "comment"):
        assert dropped not in text


def test_deterministic() -> None:
    assert html_to_text(ARTICLE_HTML) == html_to_text(ARTICLE_HTML)
    # Same content, different source formatting: same text, so offsets stay valid.
    reformatted = ARTICLE_HTML.replace("\n", "\r\n").replace("<p>", "<p >")
    assert html_to_text(reformatted) == html_to_text(ARTICLE_HTML)


def test_result_is_normalized_and_anchorable() -> None:
    text = html_to_text("<p>Cafe\u0301 society</p><p>Second\r\nline</p>")
    assert text == "Caf\u00e9 society\n\nSecond line"
    assert resolve_selectors(text, exact="Second line").start == text.index("Second")


def test_plain_text_and_empty_input() -> None:
    assert html_to_text("just text") == "just text"
    assert html_to_text("") == ""
    assert html_to_text("<p> </p><div></div>") == ""


def test_inline_tags_do_not_break_words() -> None:
    assert html_to_text("<p>un<b>believ</b><i>able</i> <a href='x'>link</a></p>") == (
        "unbelievable link"
    )


def test_nested_blocks_give_a_single_blank_line() -> None:
    html = "<div><div><p>One</p></div></div><div><ul><li><p>Two</p></li></ul></div>"
    assert html_to_text(html) == "One\n\nTwo"


def test_br_runs_keep_single_line_breaks() -> None:
    assert html_to_text("<p>a<br><br/>b</p>") == "a\nb"


def test_nul_is_stripped_and_lone_surrogate_refused() -> None:
    assert html_to_text("<p>a\x00b</p>") == "ab"
    with pytest.raises(AnchorError) as info:
        html_to_text("<p>a\ud800b</p>")
    assert info.value.field == "html"


def test_malformed_html_does_not_crash() -> None:
    assert html_to_text("<p>open <b>bold <i>both</p> after") == "open bold both\n\nafter"
