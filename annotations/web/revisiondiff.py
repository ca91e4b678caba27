"""The difference between two revisions of an article, word by word, for the reader (pure).

`revision_diff` splits the two texts into pieces (`equal`, `delete`, `insert`) that cover both
texts completely: the `equal` and `insert` pieces, in order, are exactly the newer text, and
the `equal` and `delete` pieces are exactly the older one. Nothing is trimmed, so a claim's
offsets into either revision land inside the pieces and `render_revision_diff` can mark the
claims in the diff as the reader marks them in the text.

Lines (the article's paragraphs) are matched first and only lines that differ are compared
word by word, so a long article with a small edit costs little. A word keeps the whitespace
after it; words are compared without it, so a paragraph reflowed is no change.

`annotations.textchange.diff` is the reader's summary of a change (trimmed context, normalised
furniture); this is the full text with offsets, which that one does not keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.safestring import SafeString, mark_safe

from annotations.web.highlight import HighlightSpan, render_highlighted

EQUAL, DELETE, INSERT = "equal", "delete", "insert"

_TOKEN = re.compile(r"\s+|\S+\s*")


@dataclass(frozen=True)
class Piece:
    """A run of one kind: `before_*` index the older text, `after_*` the newer one (an
    `insert` has an empty older range at its position, a `delete` an empty newer one)."""

    op: str
    before_start: int
    before_end: int
    after_start: int
    after_end: int


def _tokens(text: str, offset: int) -> list[tuple[str, int, int]]:
    """(key, start, end) of each word with its trailing whitespace; leading whitespace is a
    token of its own with the empty key."""
    return [
        (m.group().strip(), offset + m.start(), offset + m.end()) for m in _TOKEN.finditer(text)
    ]


def _lines(text: str) -> list[tuple[str, int, int]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((line, pos, pos + len(line)))
        pos += len(line)
    return out


def _words_diff(before: str, after: str, b0: int, b1: int, a0: int, a1: int) -> list[Piece]:
    wb, wa = _tokens(before[b0:b1], b0), _tokens(after[a0:a1], a0)
    sm = SequenceMatcher(None, [t[0] for t in wb], [t[0] for t in wa], autojunk=False)
    pieces = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        # An empty side sits where its next token starts (or at the end of the block).
        bs = wb[i1][1] if i1 < len(wb) else b1
        be = wb[i2 - 1][2] if i1 < i2 else bs
        as_ = wa[j1][1] if j1 < len(wa) else a1
        ae = wa[j2 - 1][2] if j1 < j2 else as_
        if op == "equal":
            pieces.append(Piece(EQUAL, bs, be, as_, ae))
            continue
        if i1 < i2:
            pieces.append(Piece(DELETE, bs, be, as_, as_))
        if j1 < j2:
            pieces.append(Piece(INSERT, be, be, as_, ae))
    return pieces


def revision_diff(before: str, after: str) -> list[Piece]:
    """The pieces that turn `before` into `after`, adjacent pieces of one kind merged."""
    lb, la = _lines(before), _lines(after)
    sm = SequenceMatcher(None, [x[0] for x in lb], [x[0] for x in la], autojunk=False)
    raw: list[Piece] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        b0 = lb[i1][1] if i1 < len(lb) else len(before)
        b1 = lb[i2 - 1][2] if i1 < i2 else b0
        a0 = la[j1][1] if j1 < len(la) else len(after)
        a1 = la[j2 - 1][2] if j1 < j2 else a0
        if op == "equal":
            raw.append(Piece(EQUAL, b0, b1, a0, a1))
        else:
            raw.extend(_words_diff(before, after, b0, b1, a0, a1))
    merged: list[Piece] = []
    for piece in raw:
        if piece.before_start == piece.before_end and piece.after_start == piece.after_end:
            continue
        last = merged[-1] if merged else None
        if last and last.op == piece.op:
            merged[-1] = Piece(
                piece.op, last.before_start, piece.before_end, last.after_start, piece.after_end
            )
        else:
            merged.append(piece)
    return merged


@dataclass(frozen=True)
class DiffStats:
    changes: int  # passages that changed (a deletion next to an insertion is one)
    words_deleted: int
    words_inserted: int


def diff_stats(before: str, after: str, pieces: Sequence[Piece]) -> DiffStats:
    changes, in_change = 0, False
    deleted = inserted = 0
    for piece in pieces:
        if piece.op == EQUAL:
            in_change = False
            continue
        if not in_change:
            changes += 1
            in_change = True
        if piece.op == DELETE:
            deleted += len(before[piece.before_start : piece.before_end].split())
        else:
            inserted += len(after[piece.after_start : piece.after_end].split())
    return DiffStats(changes=changes, words_deleted=deleted, words_inserted=inserted)


def _clip(spans: Iterable[HighlightSpan], start: int, end: int) -> list[HighlightSpan]:
    """The parts of `spans` inside [start, end), counted from `start`."""
    out = []
    for s in spans:
        lo, hi = max(s.start, start), min(s.end, end)
        if lo < hi:
            out.append(
                HighlightSpan(
                    claim_id=s.claim_id,
                    start=lo - start,
                    end=hi - start,
                    kind=s.kind,
                    label=s.label,
                    stale=s.stale,
                )
            )
    return out


def render_revision_diff(
    before: str,
    after: str,
    pieces: Sequence[Piece],
    *,
    after_spans: Sequence[HighlightSpan] = (),
    before_spans: Sequence[HighlightSpan] = (),
) -> SafeString:
    """HTML of the whole newer text with what was deleted in <del> and what was inserted in
    <ins>, each also named in words for screen readers (and not by colour alone: struck
    through, underlined). Claims are marked as in the reader: `after_spans` (offsets into
    `after`) in kept and inserted text, `before_spans` (into `before`) in deleted text."""
    out: list[str] = []
    for piece in pieces:
        if piece.op == DELETE:
            a, b = piece.before_start, piece.before_end
            inner = render_highlighted(before[a:b], _clip(before_spans, a, b), ids=False)
            out.append(
                '<del class="diff-del"><span class="visually-hidden">[deleted: </span>'
                f'{inner}<span class="visually-hidden">]</span></del>'
            )
            continue
        a, b = piece.after_start, piece.after_end
        inner = render_highlighted(after[a:b], _clip(after_spans, a, b), ids=False)
        if piece.op == INSERT:
            out.append(
                '<ins class="diff-ins"><span class="visually-hidden">[inserted: </span>'
                f'{inner}<span class="visually-hidden">]</span></ins>'
            )
        else:
            out.append(str(inner))
    return mark_safe("".join(out))  # noqa: S308 - every text piece is escaped by render_highlighted
