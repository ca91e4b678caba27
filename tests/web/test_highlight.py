"""The highlight renderer: nesting, crossing spans, escaping, and text kept intact."""

from __future__ import annotations

import re
from html import unescape

from annotations.web.highlight import HighlightSpan, render_highlighted


def span(cid: str, start: int, end: int, kind: str = "new") -> HighlightSpan:
    return HighlightSpan(claim_id=cid, start=start, end=end, kind=kind, label=kind)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_text_is_unchanged_and_escaped() -> None:
    text = 'A <b>&</b> "quote" 😀 naïve'
    html = render_highlighted(text, [span("a", 0, 5), span("b", 19, 20)])
    assert text_of(html) == text
    assert "<b>" not in html


def test_nested_spans_nest_with_depth() -> None:
    text = "more than 600,000 Russian soldiers"
    html = render_highlighted(text, [span("outer", 0, len(text)), span("inner", 10, 17)])
    assert html.count("<mark") == 2
    assert re.search(
        r'data-claim="outer"[^>]*data-depth="0".*data-claim="inner"[^>]*data-depth="1"', html
    )
    assert text_of(html) == text


def test_crossing_spans_split_into_fragments_with_one_id() -> None:
    text = "abcdefghij"
    html = render_highlighted(text, [span("x", 0, 6), span("y", 3, 9)])
    assert text_of(html) == text
    # y is split where x closes; only its first fragment carries the id.
    assert html.count('data-claim="y"') == 2
    assert html.count('id="hl-y"') == 1
    assert html.count("<mark") == html.count("</mark>")


def test_invalid_spans_are_skipped() -> None:
    html = render_highlighted("short", [span("bad", 3, 99), span("empty", 2, 2)])
    assert "<mark" not in html
