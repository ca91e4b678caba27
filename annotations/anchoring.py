"""Text anchoring for claims: pure functions, text in, offsets out (no ORM, no Django).

A claim points into an article's plain text with two W3C Web Annotation selectors:

* TextPositionSelector: ``start``/``end``, Unicode code points, end exclusive;
* TextQuoteSelector: ``exact`` plus up to ``CONTEXT`` code points of ``prefix``/``suffix``.

Offsets count code points of the text after ``normalize_text`` (NFC, ``\\n`` line ends).
Browsers count UTF-16 code units, hence ``OffsetMap`` for the API boundary.

``reanchor`` moves spans from one revision of a text to the next, following the approach of
Hypothesis / dom-anchor-text-quote: trust the (diff-mapped) position when it still holds the
quote, else look for the quote, else accept an approximate match scored on quote, context and
position, else give up ("orphaned").
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from html.parser import HTMLParser
from itertools import accumulate
from typing import Literal, NamedTuple

__all__ = [
    "CONTEXT",
    "AnchorError",
    "AnchorState",
    "Anchoring",
    "OffsetMap",
    "Span",
    "codepoint_to_utf16",
    "html_to_text",
    "normalize_text",
    "reanchor",
    "resolve_selectors",
    "span_step",
    "utf16_to_codepoint",
]

CONTEXT = 32
"""Code points of prefix/suffix context stored with a span (the Web Annotation habit)."""

NON_FIELD = "non_field_errors"


class AnchorError(ValueError):
    """Selectors that cannot be anchored; ``field`` names the input to blame.

    The API turns it into a 400 ``{field: [message]}``, so ``message`` is written for a person.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


# ---------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str, *, field: str = "text") -> str:
    """Return ``text`` NFC-normalized with ``\\n`` line ends, the form offsets count in.

    Refuses NUL (PostgreSQL text cannot store it) and lone surrogates (not encodable as UTF-8;
    a well-formed astral character is one code point in a Python ``str``, never a surrogate).
    """
    if not isinstance(text, str):
        raise AnchorError(field, f"{field} must be a string")
    if "\x00" in text:
        raise AnchorError(field, f"{field} contains a NUL character at {text.index(chr(0))}")
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise AnchorError(
            field,
            f"{field} contains a lone surrogate (U+{ord(bad.group()):04X}) at {bad.start()}",
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():  # NFC is the identity on ASCII; skip the (cheap but not free) call
        return text
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------------------------
# UTF-16 <-> code point offsets
# ---------------------------------------------------------------------------------------------

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class OffsetMap:
    """Convert offsets between code points and UTF-16 code units for one text.

    Only astral characters (outside the BMP: emoji, rare CJK, ...) differ in width, so the
    map keeps their code point positions, found by one regex scan. Text without any maps by
    identity. A lookup is a bisect over the astral positions: O(log k) for k astral characters,
    which beats building an O(n) per-code-unit table for the one or two lookups a request makes.
    """

    __slots__ = ("_astral_cp", "_astral_u16", "cp_length", "utf16_length")

    def __init__(self, text: str) -> None:
        self.cp_length = len(text)
        # An empty list is the identity map: the common case costs one C-level scan.
        self._astral_cp = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]
        # UTF-16 offset of the k-th astral character = its code point offset + k (k earlier
        # astral characters each took one extra unit).
        self._astral_u16 = [cp + k for k, cp in enumerate(self._astral_cp)]
        self.utf16_length = self.cp_length + len(self._astral_cp)

    def to_codepoint(self, offset: int, *, field: str = "start") -> int:
        """Code point offset of UTF-16 ``offset``; refuses offsets inside a surrogate pair."""
        _check_int(offset, field)
        if offset < 0 or offset > self.utf16_length:
            raise AnchorError(
                field,
                f"{field} is outside the text (UTF-16 length {self.utf16_length})",
            )
        # Astral characters that start strictly before ``offset``.
        k = bisect_left(self._astral_u16, offset)
        if k and self._astral_u16[k - 1] + 1 == offset:
            raise AnchorError(
                field,
                f"{field} ({offset}) falls inside a surrogate pair (an astral character such "
                "as an emoji); offsets must fall between characters",
            )
        return offset - k

    def to_utf16(self, offset: int, *, field: str = "start") -> int:
        """UTF-16 offset of code point ``offset``."""
        _check_int(offset, field)
        if offset < 0 or offset > self.cp_length:
            raise AnchorError(field, f"{field} is outside the text (length {self.cp_length})")
        return offset + bisect_left(self._astral_cp, offset)


@lru_cache(maxsize=16)
def _offset_map(text: str) -> OffsetMap:
    # A str caches its hash, and lookups compare by identity first, so repeated calls with
    # the same text object cost O(1) after the first.
    return OffsetMap(text)


def utf16_to_codepoint(text: str, offset: int, *, field: str = "start") -> int:
    """Code point offset into ``text`` of a UTF-16 code unit offset (as JavaScript counts)."""
    return _offset_map(text).to_codepoint(offset, field=field)


def codepoint_to_utf16(text: str, offset: int, *, field: str = "start") -> int:
    """UTF-16 code unit offset of a code point offset into ``text``."""
    return _offset_map(text).to_utf16(offset, field=field)


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """A resolved claim span: both selectors, consistent with one text."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str

    @classmethod
    def at(cls, text: str, start: int, end: int) -> Span:
        """The span ``text[start:end]`` with its context (no validation: callers did it)."""
        return cls(
            start=start,
            end=end,
            exact=text[start:end],
            prefix=text[max(0, start - CONTEXT) : start],
            suffix=text[end : end + CONTEXT],
        )


def _check_int(value: object, field: str) -> None:
    # bool is an int subclass; True as an offset is a client bug, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise AnchorError(field, f"{field} must be an integer")


def _excerpt(s: str, limit: int = 80) -> str:
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")


def resolve_selectors(
    text: str,
    *,
    start: int | None = None,
    end: int | None = None,
    exact: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
) -> Span:
    """Anchor a claim in ``text`` (already normalized) and fill in the missing selectors.

    * ``start`` and ``end`` alone: validated and the quote read from the text.
    * ``exact`` alone: found in the text; several occurrences are told apart by
      ``prefix``/``suffix``, then by ``start`` (or ``end``) as a position hint.
    * both: they must agree, as must any given ``prefix``/``suffix``.

    Raises ``AnchorError`` naming the field to fix.
    """
    for name, value in (("start", start), ("end", end)):
        if value is not None:
            _check_int(value, name)
            if value < 0:
                raise AnchorError(name, f"{name} must not be negative")
    if exact is not None:
        exact = normalize_text(exact, field="exact")
        if not exact:
            raise AnchorError("exact", "exact must not be empty")
        if not exact.strip():
            raise AnchorError("exact", "exact must contain more than whitespace")
        if len(exact) > len(text):
            raise AnchorError(
                "exact",
                f"exact is longer ({len(exact)}) than the text (length {len(text)})",
            )
    if prefix is not None:
        prefix = normalize_text(prefix, field="prefix")
    if suffix is not None:
        suffix = normalize_text(suffix, field="suffix")

    if exact is None:
        if start is None and end is None:
            raise AnchorError(NON_FIELD, "give start and end, or exact (the quoted text)")
        if start is None:
            raise AnchorError("start", "start is required with end (or give exact)")
        if end is None:
            raise AnchorError("end", "end is required with start (or give exact)")
        _check_bounds(text, start, end)
        if not text[start:end].strip():
            raise AnchorError(
                NON_FIELD, f"the span {start}..{end} covers only whitespace; select some text"
            )
        _check_context(text, start, end, prefix, suffix)
        return Span.at(text, start, end)

    if start is not None and end is not None:
        _check_bounds(text, start, end)
        actual = text[start:end]
        if actual != exact:
            raise AnchorError(
                "exact",
                f"exact does not match the text at {start}..{end}, which reads {_excerpt(actual)}",
            )
        _check_context(text, start, end, prefix, suffix)
        return Span.at(text, start, end)

    pos = _locate_quote(text, exact, prefix=prefix, suffix=suffix, start=start, end=end)
    return Span.at(text, pos, pos + len(exact))


SpanEdge = Literal["start", "end"]


def span_step(text: str, start: int, end: int, *, edge: SpanEdge, grow: bool) -> tuple[int, int]:
    """The span ``start..end`` of ``text`` with one edge moved by a word.

    A word is a run of characters other than whitespace (punctuation stays with its word, as
    a reader selects "said," with its comma). Growing moves the edge outward to the next word
    boundary, shrinking moves it inward past one word; the span always keeps at least one
    word. Raises ``AnchorError`` (field ``start`` or ``end``) when the edge cannot move.
    """
    _check_bounds(text, start, end)
    if edge not in ("start", "end"):
        raise AnchorError(NON_FIELD, "edge must be start or end")
    if edge == "start" and grow:
        i = start
        while i > 0 and text[i - 1].isspace():
            i -= 1
        while i > 0 and not text[i - 1].isspace():
            i -= 1
        if i == start or not text[i:start].strip():
            raise AnchorError("start", "the claim already starts at the beginning of the text")
        return i, end
    if edge == "end" and grow:
        i = end
        while i < len(text) and text[i].isspace():
            i += 1
        while i < len(text) and not text[i].isspace():
            i += 1
        if i == end or not text[end:i].strip():
            raise AnchorError("end", "the claim already ends at the end of the text")
        return start, i
    if edge == "start":
        i = start
        while i < end and not text[i].isspace():
            i += 1
        while i < end and text[i].isspace():
            i += 1
        if i >= end:
            raise AnchorError("start", "the claim is one word: it cannot shrink further")
        return i, end
    i = end
    while i > start and not text[i - 1].isspace():
        i -= 1
    while i > start and text[i - 1].isspace():
        i -= 1
    if i <= start:
        raise AnchorError("end", "the claim is one word: it cannot shrink further")
    return start, i


def _check_bounds(text: str, start: int, end: int) -> None:
    n = len(text)
    if start >= n:
        raise AnchorError("start", f"start is past the end of the text (length {n})")
    if end > n:
        raise AnchorError("end", f"end is past the end of the text (length {n})")
    if start >= end:
        raise AnchorError("start", f"start must be before end (start={start}, end={end})")


def _check_context(text: str, start: int, end: int, prefix: str | None, suffix: str | None) -> None:
    # Context given with offsets must agree like the quote must: a mismatch means the client
    # anchored against another revision of the text.
    if prefix and not text.endswith(prefix, 0, start):
        raise AnchorError(
            "prefix",
            f"prefix does not match the text before {start}, which reads "
            f"{_excerpt(text[max(0, start - len(prefix)) : start])}",
        )
    if suffix and not text.startswith(suffix, end):
        raise AnchorError(
            "suffix",
            f"suffix does not match the text after {end}, which reads "
            f"{_excerpt(text[end : end + len(suffix)])}",
        )


def _find_all(text: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Start offsets of every occurrence of ``needle`` in ``text[lo:hi]``, overlaps included."""
    hi = len(text) if hi is None else hi
    out = []
    i = text.find(needle, lo, hi)
    while i != -1:
        out.append(i)
        i = text.find(needle, i + 1, hi)
    return out


def _locate_quote(
    text: str,
    exact: str,
    *,
    prefix: str | None,
    suffix: str | None,
    start: int | None,
    end: int | None,
) -> int:
    found = _find_all(text, exact)
    if not found:
        raise AnchorError("exact", f"the quote {_excerpt(exact)} does not occur in the text")
    n_found = len(found)
    n = len(exact)
    candidates = found
    if prefix:
        candidates = [p for p in candidates if text.endswith(prefix, 0, p)]
        if not candidates:
            raise AnchorError(
                "prefix",
                f"the quote occurs {_times(n_found)} but never right after the given prefix",
            )
    if suffix:
        with_suffix = [p for p in candidates if text.startswith(suffix, p + n)]
        if not with_suffix:
            what = "with both the given prefix and suffix" if prefix else "before the suffix"
            raise AnchorError(
                "suffix", f"the quote occurs {_times(n_found)} but never right {what}"
            )
        candidates = with_suffix
    if len(candidates) > 1 and (start is not None or end is not None):
        # A position hint (from a client whose text drifted a little) picks the nearest.
        hint = start if start is not None else (end or 0) - n
        candidates.sort(key=lambda p: abs(p - hint))
        if abs(candidates[0] - hint) == abs(candidates[1] - hint):
            raise AnchorError(
                "start",
                f"the quote occurs {_times(len(candidates))}, two of them equally near the "
                "position given; give prefix/suffix or exact offsets",
            )
        candidates = candidates[:1]
    if len(candidates) > 1:
        raise AnchorError(
            "exact", f"the quote occurs {len(candidates)} times; give prefix/suffix or start"
        )
    return candidates[0]


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


# ---------------------------------------------------------------------------------------------
# Re-anchoring across revisions
# ---------------------------------------------------------------------------------------------

AnchorState = Literal["anchored", "reanchored", "orphaned"]


class Anchoring(NamedTuple):
    """Where a span landed in the new text. ``span`` is None when orphaned."""

    span: Span | None
    state: AnchorState
    score: float
    quote_changed: bool


# Scoring weights of a candidate: the quote itself dominates; context and position break ties
# and veto coincidental matches of short quotes far away.
_W_QUOTE, _W_CONTEXT, _W_POSITION = 0.5, 0.3, 0.2
_MIN_QUOTE_SIMILARITY = 0.6  # below this the words are someone else's
_MIN_SCORE = 0.65
_MIN_CONTEXT_SIMILARITY = 0.5  # for an exact quote found away from its mapped position
_POSITION_SCALE = 256  # code points of drift that halve the position score
_SEARCH_RADIUS = 2048  # look for the exact quote this far around its mapped position first
_MAX_NEAR_HITS = 16
_MAX_GLOBAL_HITS = 64  # a quote occurring more often than this is not worth ranking globally
_SHINGLE = 4  # words per shingle; unique shingles anchor the diff
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_CHAR_DIFF_LIMIT = 400  # gaps larger than this are diffed by token, not by character
_TOKEN_DIFF_LIMIT = 50_000  # gaps larger than this are not diffed at all


def reanchor(old_text: str, new_text: str, spans: Sequence[Span]) -> list[Anchoring]:
    """Move ``spans`` (anchored in ``old_text``) onto ``new_text``; one result per span, in order.

    1. The old position, mapped through a diff of the two texts, still holds the quote:
       ``anchored``, score 1.
    2. Else the best scoring occurrence of the exact quote (near the mapped position first),
       or the mapped region if it still resembles the quote (``quote_changed``): ``reanchored``.
    3. Else ``orphaned``.
    """
    if not spans:
        return []
    diff = _DiffMap(old_text, new_text)
    return [_reanchor_one(old_text, new_text, diff, span) for span in spans]


def _reanchor_one(old_text: str, new_text: str, diff: _DiffMap, span: Span) -> Anchoring:
    exact = span.exact
    if not exact:
        return _ORPHANED
    # A span whose offsets disagree with the old text (stale data) still gets its quote
    # searched for; its offsets are only a hint then.
    consistent = old_text[span.start : span.end] == exact
    ns = diff.map(span.start, right=False)
    ne = diff.map(span.end, right=True) if consistent else ns + len(exact)

    if new_text.startswith(exact, ns):
        return Anchoring(Span.at(new_text, ns, ns + len(exact)), "anchored", 1.0, False)

    best: tuple[float, int, int] | None = None  # (score, start, end)

    # Exact quote elsewhere: nearby first (cheap, and the likely place), then anywhere.
    hits = _find_all(new_text, exact, max(0, ns - _SEARCH_RADIUS), ns + len(exact) + _SEARCH_RADIUS)
    if hits:
        # A short, common quote can occur often nearby; the nearest few are the contenders.
        hits = sorted(hits, key=lambda p: abs(p - ns))[:_MAX_NEAR_HITS]
    else:
        hits = _find_all(new_text, exact)[:_MAX_GLOBAL_HITS]
    # A long quote is its own context: it does not recur by chance.
    specificity = min(1.0, len(exact) / 128)
    for p in hits:
        pos = _position_similarity(p, ns)
        if best is not None and _W_QUOTE + _W_CONTEXT + _W_POSITION * pos <= best[0]:
            continue  # cannot win even with perfect context; skip the diff
        ctx = max(_context_similarity(new_text, p, p + len(exact), span), specificity)
        if ctx < _MIN_CONTEXT_SIMILARITY:
            continue  # a short quote among foreign words is a coincidence, not the claim
        score = _W_QUOTE + _W_CONTEXT * ctx + _W_POSITION * pos
        if best is None or score > best[0]:
            best = (score, p, p + len(exact))

    # The mapped region, when the quote's words changed in place.
    if (best is None or best[0] < 0.9) and ne > ns:
        s, e, q = _fit_region(new_text, ns, ne, exact)
        if e > s and q >= _MIN_QUOTE_SIMILARITY:
            ctx = _context_similarity(new_text, s, e, span)
            score = _W_QUOTE * q + _W_CONTEXT * ctx + _W_POSITION
            if best is None or score > best[0]:
                best = (score, s, e)

    if best is None or best[0] < _MIN_SCORE:
        return _ORPHANED
    score, s, e = best
    new_span = Span.at(new_text, s, e)
    return Anchoring(new_span, "reanchored", round(min(score, 1.0), 4), new_span.exact != exact)


_ORPHANED = Anchoring(None, "orphaned", 0.0, False)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    # A mapped region may pick up the whitespace an edit left at its edge; claims never
    # start or end in whitespace that the reviewer did not select.
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _position_similarity(p: int, expected: int) -> float:
    return 1.0 / (1.0 + abs(p - expected) / _POSITION_SCALE)


def _context_similarity(text: str, s: int, e: int, span: Span) -> float:
    before = text[max(0, s - len(span.prefix)) : s]
    after = text[e : e + len(span.suffix)]
    return (_similarity(span.prefix, before) + _similarity(span.suffix, after)) / 2


def _fit_region(text: str, s: int, e: int, exact: str) -> tuple[int, int, float]:
    """Fit the mapped region ``text[s:e]`` to the quote: (start, end, similarity).

    A character diff cannot tell text inserted at a claim's edge from the claim when the
    insertion repeats the edge's characters (a sentence added after a claim ending in "."
    aligns either way), so the edges are re-fitted to where the quote's words actually align,
    then widened to whole words and stripped of whitespace.
    """
    s, e = _trim(text, s, e)
    if e <= s:
        return s, e, 0.0
    region = text[s:e]
    if region == exact:
        return s, e, 1.0
    if len(region) > 3 * len(exact) + 200:
        # Mostly new text (difflib's ratio is at most 2 * 1 / (1 + 3) = 0.5 here): not worth
        # a diff whose cost grows with the region.
        return s, e, 0.0
    # Words, not characters: edges land on word boundaries, and the diff is ~5x smaller.
    a_units, b_units = _TOKEN.findall(exact), _TOKEN.findall(region)
    a_off, b_off = _prefix_offsets(a_units), _prefix_offsets(b_units)
    blocks = [
        blk
        # autojunk (ignore spaces and common words as match seeds) only for long claims, where
        # a diff seeded by every space would be quadratic.
        for blk in SequenceMatcher(
            None, a_units, b_units, autojunk=len(region) > 2000
        ).get_matching_blocks()
        if blk.size
    ]
    if not blocks:
        return s, e, 0.0
    first, last = blocks[0], blocks[-1]
    # Unmatched text at an edge of the region beyond the quote's own unmatched edge is extra.
    lead = b_off[first.b] - a_off[first.a]
    trail = (len(region) - b_off[last.b + last.size]) - (len(exact) - a_off[last.a + last.size])
    s2 = s + max(0, lead)
    e2 = e - max(0, trail)
    # Never split a word: a replaced first or last word stays whole.
    while s2 > s and _is_word(text[s2 - 1]) and _is_word(text[s2]):
        s2 -= 1
    while e2 < e and _is_word(text[e2 - 1]) and _is_word(text[e2]):
        e2 += 1
    s2, e2 = _trim(text, s2, e2)
    if e2 <= s2:
        return s, e, 0.0
    matched = sum(b_off[blk.b + blk.size] - b_off[blk.b] for blk in blocks)
    return s2, e2, min(1.0, 2.0 * matched / (len(exact) + (e2 - s2)))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _similarity(a: str, b: str) -> float:
    """difflib's ratio in [0, 1] over word tokens, weighted by characters.

    Words, not characters: on short contexts a character diff costs ~10x more and rewards
    unrelated text for sharing common letters.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    blocks = SequenceMatcher(None, ta, tb, autojunk=False).get_matching_blocks()
    matched = sum(len(t) for blk in blocks for t in ta[blk.a : blk.a + blk.size])
    return 2.0 * matched / (len(a) + len(b))


class _DiffMap:
    """A monotone map of positions in ``old`` to positions in ``new``.

    A character diff of two 100k-character texts is too slow for a request, so this diffs in
    two levels, like patience diff: shingles of ``_SHINGLE`` words that occur exactly once in
    each text and keep their relative order become matched blocks; only the small gaps
    between blocks (where edits are) are diffed by character, lazily, when a position in
    them is asked for.
    """

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        blocks = _matching_blocks(old, new)
        # Sentinels make every position fall between two blocks.
        self._blocks = [(0, 0, 0), *blocks, (len(old), len(new), 0)]
        self._a = [a for a, _, _ in self._blocks]
        self._gaps: dict[int, Sequence[tuple[str, int, int, int, int]]] = {}

    def map(self, p: int, *, right: bool) -> int:
        """New position of old position ``p``.

        ``right`` is for an exclusive end: at an edit boundary it stays before inserted text,
        where a start (``right=False``) moves past it.
        """
        p = max(0, min(p, len(self.old)))
        if right:
            if p == 0:
                return 0
            # The last block starting before p: an end at a block's edge belongs to it, so
            # text inserted right after the span stays outside it.
            i = bisect_left(self._a, p) - 1
            a, b, size = self._blocks[i]
            if p <= a + size:
                return b + (p - a)
        else:
            # The last block starting at or before p: a start at a block's edge moves past
            # text inserted right before the span.
            i = bisect_right(self._a, p) - 1
            a, b, size = self._blocks[i]
            if p < a + size:
                return b + (p - a)
        if i + 1 >= len(self._blocks):  # only p == len(old), at the end sentinel
            return len(self.new)
        return self._map_in_gap(i, p, right=right)

    def _map_in_gap(self, i: int, p: int, *, right: bool) -> int:
        a, b, size = self._blocks[i]
        a2, b2, _ = self._blocks[i + 1]
        ga, gb = a + size, b + size
        ops = self._gaps.get(i)
        if ops is None:
            ops = self._gaps[i] = _gap_opcodes(self.old[ga:a2], self.new[gb:b2])
        q = p - ga
        for tag, i1, i2, j1, j2 in ops:
            inside = i1 < q <= i2 if right else i1 <= q < i2
            if not inside:
                continue
            if tag == "equal":
                return gb + j1 + (q - i1)
            if q == i1:
                return gb + j1
            if q == i2:
                return gb + j2
            # Inside a replaced stretch: no true answer; proportional keeps order.
            return gb + j1 + (q - i1) * (j2 - j1) // (i2 - i1)
        return gb if q <= 0 else b2


def _matching_blocks(old: str, new: str) -> list[tuple[int, int, int]]:
    """Monotone, non-overlapping (old_start, new_start, length) blocks of identical text."""
    if old == new:
        return [(0, 0, len(old))] if old else []
    # Common prefix/suffix: the typical edit touches one place; skipping the rest is free.
    lo = _common_prefix_len(old, new)
    hi = _common_suffix_len(old, new, limit=min(len(old), len(new)) - lo)
    blocks: list[tuple[int, int, int]] = [(0, 0, lo)] if lo else []
    o_mid, n_mid = old[lo : len(old) - hi], new[lo : len(new) - hi]
    old_sh = _unique_shingles(o_mid)
    new_sh = _unique_shingles(n_mid)
    pairs = sorted(
        (os_, oe, new_sh[key][0])
        for key, (os_, oe) in old_sh.items()
        if os_ >= 0 and key in new_sh and new_sh[key][0] >= 0
    )
    for os_, oe, ns_ in _increasing_by_new(pairs):
        size = oe - os_
        os_, ns_ = os_ + lo, ns_ + lo
        if blocks:
            pa, pb, ps = blocks[-1]
            if os_ - pa == ns_ - pb and os_ <= pa + ps:  # same diagonal, touching: extend
                blocks[-1] = (pa, pb, max(ps, os_ + size - pa))
                continue
            if os_ < pa + ps or ns_ < pb + ps:  # overlaps the previous block off-diagonal
                continue
        blocks.append((os_, ns_, size))
    if hi:
        # Shingle blocks lie inside the middle parts, so they end before the common suffix.
        blocks.append((len(old) - hi, len(new) - hi, hi))
    return [blk for blk in blocks if blk[2] > 0]


def _common_prefix_len(a: str, b: str) -> int:
    # Binary search on slice equality: C-speed comparisons, O(n log n) worst case.
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix_len(a: str, b: str, *, limit: int) -> int:
    lo, hi = 0, max(0, limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _unique_shingles(text: str) -> dict[str, tuple[int, int]]:
    """Each run of ``_SHINGLE`` words -> its (start, end), or (-1, -1) when it repeats."""
    spans = [m.span() for m in _WORD.finditer(text)]
    out: dict[str, tuple[int, int]] = {}
    k = _SHINGLE - 1
    for i in range(len(spans) - k):
        s, e = spans[i][0], spans[i + k][1]
        key = text[s:e]
        out[key] = (-1, -1) if key in out else (s, e)
    return out


def _increasing_by_new(pairs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Longest subsequence (pairs sorted by old start) whose new starts increase (patience)."""
    tails: list[int] = []  # new start of the last pair of the best chain of each length
    tail_idx: list[int] = []
    back = [-1] * len(pairs)
    for idx, (_, _, ns_) in enumerate(pairs):
        k = bisect_left(tails, ns_)
        if k == len(tails):
            tails.append(ns_)
            tail_idx.append(idx)
        else:
            tails[k] = ns_
            tail_idx[k] = idx
        back[idx] = tail_idx[k - 1] if k else -1
    out = []
    idx = tail_idx[-1] if tail_idx else -1
    while idx != -1:
        out.append(pairs[idx])
        idx = back[idx]
    out.reverse()
    return out


def _gap_opcodes(a: str, b: str) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib opcodes between two gap strings, in character offsets, with bounded cost."""
    if not a or not b or max(len(a), len(b)) > _TOKEN_DIFF_LIMIT:
        # One side empty, or a rewrite too large to diff within a request: positions inside
        # are interpolated, and the quote search does the rest.
        return [("replace", 0, len(a), 0, len(b))] if a or b else []
    if len(a) <= _CHAR_DIFF_LIMIT and len(b) <= _CHAR_DIFF_LIMIT:
        return SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    # Larger gap (heavy rewrite, repeated text): diff tokens, with difflib's autojunk dropping
    # spaces and common words from the match candidates (else the diff is quadratic), then
    # refine small replaced stretches by character.
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    oa, ob = _prefix_offsets(ta), _prefix_offsets(tb)
    out: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb).get_opcodes():
        ca1, ca2, cb1, cb2 = oa[i1], oa[i2], ob[j1], ob[j2]
        if tag == "replace" and ca2 - ca1 <= _CHAR_DIFF_LIMIT and cb2 - cb1 <= _CHAR_DIFF_LIMIT:
            sub = SequenceMatcher(None, a[ca1:ca2], b[cb1:cb2], autojunk=False).get_opcodes()
            out.extend((t, ca1 + x1, ca1 + x2, cb1 + y1, cb1 + y2) for t, x1, x2, y1, y2 in sub)
        else:
            out.append((tag, ca1, ca2, cb1, cb2))
    return out


def _prefix_offsets(units: Sequence[str]) -> list[int]:
    """Character offset of each unit (and of the end); identity for a string of characters."""
    if isinstance(units, str):
        return list(range(len(units) + 1))
    return [0, *accumulate(map(len, units))]


# ---------------------------------------------------------------------------------------------
# HTML to text
# ---------------------------------------------------------------------------------------------

# Tags whose content is dropped with them, not just unwrapped.
_DROP_CONTENT = {
    "script",
    "style",
    "head",
    "title",
    "noscript",
    "template",
    "iframe",
    "svg",
    "math",
}
# Tags that end a paragraph (a blank line) and tags that end a line.
_PARAGRAPH = {
    "address", "article", "aside", "blockquote", "caption", "center", "details", "div", "dl",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
}  # fmt: skip
_LINE = {"br", "dd", "dt", "li", "tr"}
_CELL = {"td", "th"}
# nh3 keeps these (text-bearing inline tags are unwrapped anyway, keeping their text).
_KEEP_TAGS = _PARAGRAPH | _LINE | _CELL | {"tbody", "thead", "tfoot"}
_PARA_MARK, _LINE_MARK = "\x00P", "\x00L"  # NUL cannot survive from input (nh3 strips it)
_SPACE_RUN = re.compile(r"\s+")
_MARK_RUN = re.compile(r"(?:\x00[PL])+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark(tag)

    def handle_endtag(self, tag: str) -> None:
        self._mark(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace("\x00", ""))

    def _mark(self, tag: str) -> None:
        if tag in _PARAGRAPH:
            self.parts.append(_PARA_MARK)
        elif tag in _LINE:
            self.parts.append(_LINE_MARK)
        elif tag in _CELL:
            self.parts.append(" ")


def html_to_text(html: str) -> str:
    """Sanitize ``html`` with nh3 and reduce it to the plain text claims point into.

    Paragraph-level blocks become paragraphs separated by a blank line; ``br``, ``li``, ``tr``,
    ``dt``/``dd`` end a line. Entities are decoded, whitespace runs inside a line become one
    space (source line breaks are not meaningful in HTML), and the result is normalized.
    Deterministic: the same HTML always gives the same text, so offsets stay valid.
    """
    # Imported here so the anchoring core needs only the stdlib (the benchmark, scripts).
    import nh3

    if not isinstance(html, str):
        raise AnchorError("html", "html must be a string")
    bad = _SURROGATE.search(html)
    if bad is not None:
        raise AnchorError("html", f"html contains a lone surrogate at {bad.start()}")
    cleaned = nh3.clean(
        html.replace("\x00", ""),
        tags=_KEEP_TAGS,
        clean_content_tags=_DROP_CONTENT,
        attributes={},
        link_rel=None,
        strip_comments=True,
    )
    parser = _TextCollector()
    parser.feed(cleaned)
    parser.close()
    raw = "".join(parser.parts)
    out: list[str] = []
    pos = 0
    # Walk the break marks: text between them is one line; a run of marks is the strongest
    # break in it (any paragraph mark wins over line marks).
    for m in _MARK_RUN.finditer(raw):
        line = _SPACE_RUN.sub(" ", raw[pos : m.start()]).strip()
        if line:
            out.append(line)
            out.append("\n\n" if _PARA_MARK in m.group() else "\n")
        elif out and _PARA_MARK in m.group():
            out[-1] = "\n\n"  # a paragraph mark after a line break upgrades it
        pos = m.end()
    tail = _SPACE_RUN.sub(" ", raw[pos:]).strip()
    if tail:
        out.append(tail)
    elif out:
        out.pop()  # no trailing break
    return normalize_text("".join(out), field="html")
