"""Render an article's text with its claims as nested <mark> elements (pure, no ORM).

The DOM text of the result is exactly the article text: every character of the text appears
once, in order, and nothing else is added between marks. That is what lets the reader's
JavaScript count a selection's offsets with `Range.toString().length` (UTF-16 code units)
and lets the server convert them back with `anchoring.OffsetMap`.

Spans may nest and may cross. Nesting renders as nested marks; a crossing pair is split: when
an outer mark must close while an inner one is still open, the inner one is closed and
reopened right after (the fewest fragments that keep the HTML well formed). Every fragment
carries the claim id, so a click on any of them opens the same claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_DEPTH_STYLE = 3


@dataclass(frozen=True)
class HighlightSpan:
    claim_id: str
    start: int
    end: int
    kind: str  # CSS hook: new, working, in-review, v-true, v-mixed, v-false, nc
    label: str  # human-readable state/verdict, shown as the tooltip
    stale: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


def _open_tag(span: HighlightSpan, depth: int, first: bool) -> str:
    parts = [
        '<mark class="hl"',
        f' data-claim="{escape(span.claim_id)}"',
        f' data-kind="{escape(span.kind)}"',
        f' data-depth="{min(depth, MAX_DEPTH_STYLE)}"',
        f' title="{escape(span.label)}"',
    ]
    if span.stale:
        parts.append(' data-stale="1"')
    if first:
        parts.append(f' id="hl-{escape(span.claim_id)}"')
    parts.append(">")
    return "".join(parts)


def render_highlighted(
    text: str, spans: Iterable[HighlightSpan], *, ids: bool = True
) -> SafeString:
    """HTML for `text` with every valid span wrapped in marks. Invalid spans are skipped.

    With `ids`, a claim's first fragment carries `id="hl-<claim>"` (the reader scrolls to it);
    a second rendering of the same claims on one page (a revision diff) goes without."""
    n = len(text)
    ordered: Sequence[HighlightSpan] = sorted(
        (s for s in spans if 0 <= s.start < s.end <= n),
        key=lambda s: (s.start, -s.end, s.claim_id),
    )
    boundaries = sorted({0, n, *(s.start for s in ordered), *(s.end for s in ordered)})
    by_start: dict[int, list[HighlightSpan]] = {}
    for s in ordered:
        by_start.setdefault(s.start, []).append(s)

    out: list[str] = []
    stack: list[HighlightSpan] = []
    opened: set[str] = set()

    def open_span(s: HighlightSpan) -> None:
        out.append(_open_tag(s, len(stack), ids and s.claim_id not in opened))
        opened.add(s.claim_id)
        stack.append(s)

    previous = 0
    for pos in boundaries:
        if pos > previous:
            out.append(escape(text[previous:pos]))
            previous = pos
        # Close every span ending here; spans above the lowest one that ends are closed too
        # and reopened (they continue past `pos`).
        lowest = next((i for i, s in enumerate(stack) if s.end == pos), None)
        if lowest is not None:
            above = stack[lowest:]
            del stack[lowest:]
            out.append("</mark>" * len(above))
            for s in above:
                if s.end > pos:
                    open_span(s)
        for s in by_start.get(pos, ()):
            open_span(s)
    if previous < n:
        out.append(escape(text[previous:]))
    out.append("</mark>" * len(stack))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped
